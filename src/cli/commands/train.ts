/**
 * `glassy train`: train K replicas of a network and write a run directory (protocols/train.ts).
 * Flags and a JSON/YAML config file (`--config F`) say the same things; flags win. The config is
 * validated by the protocol's schema, so every bad field is named with what was expected.
 */
import { Option, type Command } from 'commander';
import { join } from 'node:path';
import { GlassyError } from '../../core/errors.js';
import { runEnsemble } from '../../executor/ensemble.js';
import { addExecutorOptions, executorOptionsFrom } from '../../executor/options.js';
import { checkTrainData, parseTrainConfig, task } from '../../protocols/train.js';
import { Run } from '../../store/run.js';
import { reportResult } from './run.js';
import { addDataOptions, dataSpecFrom } from '../data-options.js';
import {
  integer, layerSizes, loadConfigFile, merge, nonNegative, nonNegativeInt, positive, positiveInt, printJson,
} from '../options.js';

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('train K replicas of a fully connected network; write weights (.safetensors) and learning curves (.npy)')
    .option('--config <file>', 'config file (JSON or YAML) with the same fields; flags override it')
    .option('--model <sizes>', 'layer sizes, input to output, e.g. 784-100-10 (784-10: a perceptron)', layerSizes)
    .addOption(new Option('--activation <name>', 'hidden-unit activation').choices(['relu', 'tanh', 'linear', 'sigmoid']))
    .addOption(new Option('--output <name>', "output non-linearity ('sigmoid' with --loss mse as Baity-Jesi et al.)").choices(['linear', 'sigmoid']))
    .option('--no-bias', 'no bias parameters')
    .addOption(new Option('--loss <name>', 'ce: softmax cross-entropy; mse: to one-hot; hinge: multi-class margin').choices(['ce', 'mse', 'hinge']))
    .addOption(new Option('--optimizer <name>', 'update rule').choices(['sgd', 'momentum', 'adam', 'gd', 'langevin']))
    .option('--lr <eta>', 'learning rate η', positive)
    .option('--momentum <mu>', 'momentum μ (--optimizer momentum)', nonNegative)
    .option('--temperature <T>', 'temperature of --optimizer langevin', nonNegative)
    .option('--batch <B>', 'mini-batch size', positiveInt)
    .option('--epochs <E>', 'epochs (may be fractional)', positive)
    .addOption(new Option('--sampling <mode>', 'mini-batches: shuffle (each epoch a permutation), replacement, full').choices(['shuffle', 'replacement', 'full']))
    .option('--l2 <lambda>', 'L2 strength λ in λ‖θ‖² (no ½, as Ersoy et al.)', nonNegative)
    .addOption(new Option('--precision <p>', 'float precision of parameters and arithmetic').choices(['f32', 'f64']))
    .addOption(new Option('--init <scheme>', "initialisation: pytorch (nn.Linear's default) or he").choices(['pytorch', 'he']))
    .addOption(new Option('--variant <what>', 'what differs between replicas').choices(['init', 'order', 'both', 'subset']))
    .option('--subset-size <n>', 'training samples per replica with --variant subset', positiveInt)
    .option('--measure-points <n>', 'log-spaced measurement times (epoch ends are added)', positiveInt)
    .option('--eval-train-samples <n>', 'measure the training loss on the first n training samples (default: all)', positiveInt)
    .option('--replicas <K>', 'number of replicas', positiveInt, 1)
    .option('--seed <S>', 'seed of every random stream', nonNegativeInt, 0)
    .option('--out <dir>', 'run directory (default: runs/train-<time>)')
    .option('--overwrite', 'replace an existing run directory')
    .option('--json', 'print one JSON object with the key figures');
  addDataOptions(cmd);
  addExecutorOptions(cmd);
  cmd.action(async (flags: Record<string, unknown>) => {
    const exec = executorOptionsFrom(flags);
    const fromFile = typeof flags['config'] === 'string' ? loadConfigFile(flags['config']) : {};
    const model = merge((fromFile['model'] as Record<string, unknown> | undefined) ?? {}, {
      sizes: flags['model'],
      activation: flags['activation'],
      output: flags['output'],
      bias: flags['bias'] === false ? false : undefined,
    });
    if (model['sizes'] === undefined) throw GlassyError.invalid('--model', undefined, 'layer sizes such as 784-100-10 (flag or config field model.sizes)');
    const optimizer = merge((fromFile['optimizer'] as Record<string, unknown> | undefined) ?? {}, {
      kind: flags['optimizer'],
      lr: flags['lr'],
      momentum: flags['momentum'],
      temperature: flags['temperature'],
    });
    const sizes = model['sizes'] as number[];
    const data = dataSpecFrom(flags, fromFile['data'], { inputs: sizes[0]!, classes: sizes[sizes.length - 1]! });
    const raw = merge(fromFile, {
      data,
      model,
      optimizer,
      loss: flags['loss'],
      batch: flags['batch'],
      epochs: flags['epochs'],
      sampling: flags['sampling'],
      l2: flags['l2'],
      precision: flags['precision'],
      init: flags['init'],
      variant: flags['variant'],
      subsetSize: flags['subsetSize'],
      measurePoints: flags['measurePoints'],
      evalTrainSamples: flags['evalTrainSamples'],
    });
    delete raw['replicas'];
    delete raw['seed'];
    const config = parseTrainConfig(raw);
    const seed = integer(String(fromFile['seed'] ?? flags['seed']));
    const replicas = Number(fromFile['replicas'] ?? flags['replicas']);
    checkTrainData(config, seed);
    const dir = (flags['out'] as string | undefined) ?? join('runs', `train-${stamp()}`);
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

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
}
