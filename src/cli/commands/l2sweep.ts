/**
 * `glassy l2sweep`: the L2 strength as a control parameter (Ersoy et al., arXiv:2512.11866;
 * protocols/l2sweep.ts). Defaults are the paper's: 784→128→128→10 sigmoid, MNIST standardised with
 * mean 0.1307 and std 0.3081, Adam at 1.5e-3, batch 64, up to 50 epochs per β with patience 5.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { GlassyError } from '../../core/errors.js';
import { runEnsemble } from '../../executor/ensemble.js';
import { addExecutorOptions, executorOptionsFrom } from '../../executor/options.js';
import { parseL2SweepConfig, task } from '../../protocols/l2sweep.js';
import { checkTrainData, parseTrainConfig } from '../../protocols/train.js';
import { Run } from '../../store/run.js';
import { addTrainingOptions, trainingConfigFrom } from '../training-options.js';
import { betaLadder, integer, loadConfigFile, merge, nonNegative, nonNegativeInt, positive, positiveInt, printJson, defaultRunDir } from '../options.js';
import { checkMemory, concurrencyOf } from '../../executor/memory.js';
import { createOrJoin, reportResult } from './run.js';

/** "RUN" or "RUN#i" → a replica of a train run. */
function stateRef(field: string) {
  return (text: string): { run: string; replica: number } => {
    const m = /^(.+?)(?:#(\d+))?$/.exec(text);
    if (!m) throw new InvalidArgumentError(`expected RUN or RUN#replica for ${field}, got "${text}"`);
    return { run: m[1]!, replica: m[2] ? Number(m[2]) : 0 };
  };
}

const ERSOY = {
  data: { source: 'mnist', normalise: 'standard' },
  model: { sizes: [784, 128, 128, 10], activation: 'sigmoid' },
  optimizer: { kind: 'adam', lr: 1.5e-3 },
  batch: 64,
};

export function register(program: Command): void {
  const cmd = program
    .command('l2sweep')
    .description('train along a ladder of L2 strengths β (warm-started), detect phase transitions and hysteresis (Ersoy et al.)')
    .option('--config <file>', 'config file (JSON or YAML); flags override it')
    .option('--lambdas <ladder>', 'β ladder: start:stop:step or a list (Ersoy et al.: 0:0.1:2e-4)', betaLadder)
    .addOption(new Option('--direction <d>', 'up (ladder order), down, or both (hysteresis)').choices(['up', 'down', 'both']))
    .option('--max-epochs <n>', 'epochs per β at most (default 50)', positiveInt)
    .option('--patience <n>', 'stop a β after this many epochs without improvement of the epoch-mean CE (default 5)', positiveInt)
    .addOption(new Option('--stop-on <q>', 'early stopping watches the training CE (paper) or the objective L_β').choices(['ce', 'objective']))
    .option('--inherit-optimizer', 'keep the Adam state across β (default: fresh per β)')
    .option('--reference <run[#i]>', 'θ_ref: a replica of a train run (default: the origin)', stateRef('--reference'))
    .option('--start <run[#i]>', 'start from a replica of a train run (default: train from scratch at the first β)', stateRef('--start'))
    .option('--hessian-k <k>', 'extreme Hessian eigenvalues per β (0: off)', nonNegativeInt)
    .option('--hessian-samples <n>', 'training samples for the Hessian', positiveInt)
    .option('--refine <n>', 'points inserted inside each detected jump', nonNegativeInt)
    .option('--jump-factor <f>', 'a jump is |Δq| > f × median |Δq|', positive)
    .option('--class-threshold <a>', 'accuracy above which a class counts as encoded', nonNegative)
    .option('--no-save-states', 'do not save θ at every β')
    .option('--replicas <K>', 'independent sweeps', positiveInt, 1)
    .option('--seed <S>', 'seed', nonNegativeInt, 0)
    .option('--out <dir>', 'run directory (default: runs/l2sweep-<time>)')
    .option('--overwrite', 'replace an existing run directory')
    .option('--json', 'print the transitions as one JSON object');
  addTrainingOptions(cmd);
  addExecutorOptions(cmd);
  cmd.action(async (flags: Record<string, unknown>) => {
    const exec = executorOptionsFrom(flags);
    const fromFile = typeof flags['config'] === 'string' ? loadConfigFile(flags['config']) : {};
    const raw = merge(trainingConfigFrom(flags, fromFile, flags['model'] || (fromFile['model'] as object | undefined) ? {} : ERSOY), {
      betas: flags['lambdas'],
      direction: flags['direction'],
      maxEpochs: flags['maxEpochs'],
      patience: flags['patience'],
      stopOn: flags['stopOn'],
      inheritOptimizer: flags['inheritOptimizer'] === true ? true : undefined,
      reference: flags['reference'],
      start: flags['start'],
      hessianK: flags['hessianK'],
      hessianSamples: flags['hessianSamples'],
      refine: flags['refine'],
      jumpFactor: flags['jumpFactor'],
      classThreshold: flags['classThreshold'],
      saveStates: flags['saveStates'] === false ? false : undefined,
    });
    delete raw['replicas'];
    delete raw['seed'];
    if (raw['betas'] === undefined) throw GlassyError.invalid('--lambdas', undefined, 'a β ladder such as 0:0.1:2e-4 or 0,1e-3,2e-3');
    const config = parseL2SweepConfig(raw);
    const seed = integer(String(fromFile['seed'] ?? flags['seed']));
    checkTrainData(parseTrainConfig({ data: config.data, model: config.model, loss: config.loss }), seed);
    // A missing or malformed reference/start run is named before anything is written.
    if (config.reference) Run.open(config.reference.run);
    if (config.start) Run.open(config.start.run);
    const dir = (flags['out'] as string | undefined) ?? defaultRunDir('l2sweep');
    checkMemory(task, config, concurrencyOf(exec, Number(flags['replicas'])), Number(flags['replicas']), exec.maxMemory);
    const run = await createOrJoin(dir, { protocol: 'l2sweep', config, seed }, exec.shard !== undefined, flags['overwrite'] === true);
    const result = await runEnsemble(run, task, { ...exec, replicas: Number(flags['replicas']), label: `l2sweep ${run.dir}` });
    if (flags['json'] === true) {
      printJson({ run: run.dir, status: result.status, summary: result.summary ?? null, failed: result.failed, seconds: result.seconds });
      if (result.status === 'failed') process.exitCode = 1;
    } else reportResult(result, false);
  });
}
