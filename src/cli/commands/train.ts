/**
 * `glassy train`: train K replicas of a network and write a run directory (protocols/train.ts).
 * Flags and a JSON/YAML config file (`--config F`) say the same things; flags win. The config is
 * validated by the protocol's schema, so every bad field is named with what was expected.
 */
import { Option, type Command } from 'commander';
import { runEnsemble } from '../../executor/ensemble.js';
import { addExecutorOptions, executorOptionsFrom } from '../../executor/options.js';
import { checkTrainData, parseTrainConfig, task } from '../../protocols/train.js';
import { Run } from '../../store/run.js';
import { reportResult } from './run.js';
import { addTrainingOptions, trainingConfigFrom } from '../training-options.js';
import { integer, loadConfigFile, merge, nonNegative, nonNegativeInt, positive, positiveInt, printJson, defaultRunDir } from '../options.js';

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('train K replicas of a network (MLP or layer spec); write weights (.safetensors) and learning curves (.npy)')
    .option('--config <file>', 'config file (JSON or YAML) with the same fields; flags override it')
    .option('--temperature <T>', 'temperature of --optimizer langevin', nonNegative)
    .option('--epochs <E>', 'epochs (may be fractional)', positive)
    .addOption(new Option('--sampling <mode>', 'mini-batches: shuffle (each epoch a permutation), replacement, full').choices(['shuffle', 'replacement', 'full']))
    .option('--l2 <lambda>', 'L2 strength λ in λ‖θ‖² (no ½, as Ersoy et al.)', nonNegative)
    .addOption(new Option('--variant <what>', 'what differs between replicas').choices(['init', 'order', 'both', 'subset']))
    .option('--subset-size <n>', 'training samples per replica with --variant subset', positiveInt)
    .option('--measure-points <n>', 'log-spaced measurement times (epoch ends are added)', positiveInt)
    .option('--eval-train-samples <n>', 'measure the training loss on the first n training samples (default: all)', positiveInt)
    // [curvature] flatness-seeking training (protocols/flatten.ts)
    .addOption(new Option('--flatten <rule>', 'flatness-seeking gradient: SAM (Foret et al. 2021) or Entropy-SGD (Chaudhari et al. 2017)').choices(['none', 'sam', 'entropy-sgd']))
    .option('--sam-rho <rho>', 'SAM radius ρ (default 0.05)', positive)
    .option('--esgd-gamma <g>', 'Entropy-SGD coupling γ (default 0.03)', positive)
    .option('--esgd-scoping <g1>', 'Entropy-SGD scoping γ_t = γ(1+γ1)^t (default 0)', nonNegative)
    .option('--esgd-steps <L>', 'Entropy-SGD inner SGLD steps L (default 20)', positiveInt)
    .option('--esgd-lr <eta>', "Entropy-SGD inner step size η' (default 0.1)", positive)
    .option('--esgd-noise <eps>', 'Entropy-SGD SGLD noise ε (default 1e-4)', nonNegative)
    .option('--esgd-alpha <a>', 'Entropy-SGD averaging weight α (default 0.75)', positive)
    .option('--replicas <K>', 'number of replicas', positiveInt, 1)
    .option('--seed <S>', 'seed of every random stream', nonNegativeInt, 0)
    .option('--out <dir>', 'run directory (default: runs/train-<time>)')
    .option('--overwrite', 'replace an existing run directory')
    .option('--json', 'print one JSON object with the key figures');
  addTrainingOptions(cmd);
  addExecutorOptions(cmd);
  cmd.action(async (flags: Record<string, unknown>) => {
    const exec = executorOptionsFrom(flags);
    const fromFile = typeof flags['config'] === 'string' ? loadConfigFile(flags['config']) : {};
    // [curvature] the flatten field, when one of its flags or the config file gives it
    const flattenFlags = {
      kind: flags['flatten'], rho: flags['samRho'], gamma: flags['esgdGamma'], scoping: flags['esgdScoping'],
      innerSteps: flags['esgdSteps'], innerLr: flags['esgdLr'], noise: flags['esgdNoise'], alpha: flags['esgdAlpha'],
    };
    const flatten = fromFile['flatten'] !== undefined || Object.values(flattenFlags).some((v) => v !== undefined)
      ? merge((fromFile['flatten'] as Record<string, unknown> | undefined) ?? {}, flattenFlags)
      : undefined;
    const raw = merge(trainingConfigFrom(flags, fromFile), {
      epochs: flags['epochs'],
      sampling: flags['sampling'],
      l2: flags['l2'],
      variant: flags['variant'],
      subsetSize: flags['subsetSize'],
      measurePoints: flags['measurePoints'],
      evalTrainSamples: flags['evalTrainSamples'],
      flatten, // [curvature]
    });
    delete raw['replicas'];
    delete raw['seed'];
    const config = parseTrainConfig(raw);
    const seed = integer(String(fromFile['seed'] ?? flags['seed']));
    const replicas = Number(fromFile['replicas'] ?? flags['replicas']);
    checkTrainData(config, seed);
    const dir = (flags['out'] as string | undefined) ?? defaultRunDir('train');
    const run = Run.create(dir, { protocol: 'train', config, seed }, { overwrite: flags['overwrite'] === true });
    const result = await runEnsemble(run, task, { ...exec, replicas, label: `train ${run.dir}` });
    if (flags['json'] === true) {
      const opened = Run.open(run.dir);
      const finals = opened.hasArray('final_test_error') ? Array.from(opened.readArray('final_test_error').data as Float64Array) : [];
      const trainLoss = opened.hasArray('final_train_loss') ? Array.from(opened.readArray('final_train_loss').data as Float64Array) : [];
      printJson({
        run: run.dir,
        status: result.status,
        replicas: result.replicas,
        final_train_loss: trainLoss,
        final_test_error: finals,
        summary: result.summary ?? null,
        failed: result.failed,
        seconds: result.seconds,
      });
      if (result.status === 'failed') process.exitCode = 1;
    } else {
      reportResult(result, false);
    }
  });
}

