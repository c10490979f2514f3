/**
 * `glassy walk RUN`: random walks from a trained minimum of a train run (protocols/walk.ts, Liao et
 * al. protocol 1), W walkers run as replicas on any executor, written as a new run.
 */
import { Option, type Command } from 'commander';
import { GlassyError } from '../../core/errors.js';
import { runEnsemble } from '../../executor/ensemble.js';
import { addExecutorFlags, executorOptionsFrom } from '../executor-flags.js';
import { parseWalkConfig, prepareWalk } from '../../protocols/walk.js';
import { parseSpinWalkConfig, prepareSpinWalk, runSpinWalk } from '../../protocols/walk-spins.js';
import { Run } from '../../store/run.js';
import { nonNegative, nonNegativeInt, positive, positiveInt, printJson, derivedRunDir } from '../options.js';
import { reportResult } from '../result.js';
import { registry } from '../../registry.js';

export function register(program: Command): void {
  const cmd = program
    .command('walk')
    .description('random walks from a trained minimum: loss vs distance, escape distance, ruggedness of the increments')
    .argument('<run>', 'a complete train run directory')
    .option('--replica <i>', 'the replica whose minimum the walkers start from', nonNegativeInt, 0)
    .option('--steps <S>', 'steps per walker', positiveInt, 1000)
    .option('--step-size <h>', 'isotropic: the norm of every step; filter: the fraction of each unit\'s weight norm', nonNegative)
    .option('--temperature <T>', 'Metropolis temperature on the training loss (0: every step accepted)', nonNegative, 0)
    .option('--walkers <W>', 'independent walkers', positiveInt, 4)
    .addOption(new Option('--directions <kind>', 'isotropic Gaussian steps, or filter-normalised (Li et al. 2018)').choices(['isotropic', 'filter']).default('isotropic'))
    .option('--threshold <dL>', 'escape: the first distance where the loss exceeds L(θ0) + dL', positive, 0.1)
    .option('--retrain-epochs <E>', 're-train each end point with the source optimizer for E epochs (0: no)', nonNegative, 0)
    .option('--train-samples <n>', 'training samples the loss is measured on (the first n)', positiveInt, 2000)
    .option('--all-train', 'measure the loss on the whole training set (overrides --train-samples)')
    .option('--test-every <m>', 'steps between test-set evaluations (default S/20)', positiveInt)
    .option('--bins <n>', 'bins of the increment histogram', positiveInt, 50)
    .option('--max-lag <n>', 'largest lag of the increment autocorrelation', positiveInt, 50)
    .option('--seed <S>', 'seed of the walkers\' streams (default: the source run\'s)', nonNegativeInt)
    .option('--out <dir>', 'run directory (default: <run>-walk)')
    .option('--overwrite', 'replace an existing run directory')
    .option('--json', 'print the key figures as one JSON object');
  addExecutorFlags(cmd);
  cmd
    .option('--flips <k>', 'spin-glass runs: spins flipped per step (Ising models)', positiveInt)
    .option('--temperature-index <i>', 'spin-glass runs: which temperature\'s configuration to start from', nonNegativeInt)
    .option('--sample <s>', 'spin-glass runs: which disorder sample', nonNegativeInt);
  cmd.action(async (source: string, flags: Record<string, unknown>) => {
    if (Run.open(source).manifest.protocol === 'spinglass') {
      // The same protocol on a glass: spin-flip (Ising) or tangent (p-spin) steps, energy per spin as the loss.
      const config = parseSpinWalkConfig({
        source, replica: flags['replica'], walkers: flags['walkers'], steps: flags['steps'], flips: flags['flips'],
        stepSize: flags['stepSize'], temperature: flags['temperature'], temperatureIndex: flags['temperatureIndex'],
        sample: flags['sample'], threshold: flags['threshold'], bins: flags['bins'], maxLag: flags['maxLag'],
      });
      const start = prepareSpinWalk(config);
      const out = (flags['out'] as string | undefined) ?? derivedRunDir(source, 'walk');
      const s = runSpinWalk(config, start, out, (flags['seed'] as number | undefined) ?? start.seed, { overwrite: flags['overwrite'] === true });
      if (flags['json'] === true) printJson(s);
      else process.stdout.write(`walk ${String(s['run'])}: e(x0) = ${Number(s['start_energy']).toPrecision(4)}, final ⟨e⟩ = ${Number(s['final_energy_mean']).toPrecision(4)}, ⟨q(x_t, x_0)⟩ = ${Number(s['final_overlap_mean']).toPrecision(3)}, acceptance ${Number(s['acceptance_mean']).toPrecision(3)}\n`);
      return;
    }
    const exec = executorOptionsFrom(flags);
    if (flags['stepSize'] === undefined) throw GlassyError.invalid('--step-size', undefined, 'a step size h ≥ 0 (e.g. --step-size 0.05)');
    const config = parseWalkConfig({
      source,
      replica: flags['replica'],
      walkers: flags['walkers'],
      steps: flags['steps'],
      stepSize: flags['stepSize'],
      temperature: flags['temperature'],
      directions: flags['directions'],
      threshold: flags['threshold'],
      retrainEpochs: flags['retrainEpochs'],
      trainSamples: flags['allTrain'] === true ? null : flags['trainSamples'],
      testEvery: flags['testEvery'] ?? null,
      bins: flags['bins'],
      maxLag: flags['maxLag'],
    });
    const src = prepareWalk(config);
    const seed = (flags['seed'] as number | undefined) ?? src.seed;
    const out = (flags['out'] as string | undefined) ?? derivedRunDir(source, 'walk');
    const run = Run.create(out, { protocol: 'walk', config, seed }, { overwrite: flags['overwrite'] === true });
    const result = await runEnsemble(run, registry, { ...exec, replicas: config.walkers, label: `walk ${run.dir}` });
    if (flags['json'] === true) {
      printJson({ run: run.dir, status: result.status, walkers: result.replicas, summary: result.summary ?? null, failed: result.failed, seconds: result.seconds });
      if (result.status === 'failed') process.exitCode = 1;
    } else {
      await reportResult(result, false);
      const s = result.summary;
      if (s) {
        const f = (v: unknown) => (typeof v === 'number' ? v.toPrecision(4) : String(v));
        process.stdout.write(`  L(θ0) = ${f(s['start_train_loss'])}, final ⟨L⟩ = ${f(s['final_train_loss_mean'])}, ⟨|θ−θ0|⟩ = ${f(s['final_distance_mean'])} (h√S = ${f(s['random_walk_distance'])}), acceptance ${f(s['acceptance_mean'])}, escaped ${f(s['escaped_fraction'])}\n`);
      }
    }
  });
}
