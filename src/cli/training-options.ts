/**
 * The network-training flags shared by every command that trains networks (`train`, `l2sweep`,
 * `aging --landscape mlp`): model, loss, optimiser, batches, precision — spelled, parsed and merged
 * with a `--config` file in one place. Each command passes its own defaults (Ersoy et al.'s Adam,
 * Baity-Jesi et al.'s momentum 0.5, ...) through the protocol's schema, not through the flags.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { GlassyError } from '../core/errors.js';
import { addDataOptions, dataSpecFrom } from './data-options.js';
import { isSizesShorthand, parseSpec } from '../landscapes/network/spec.js';
import { layerSizes, merge, nonNegative, positive, positiveInt } from './options.js';

/** --model: the MLP shorthand (numbers) → sizes; anything else is a layer spec, checked here (one-line error). */
function modelFlag(value: string): number[] | string {
  // Digits without parentheses are (perhaps mistyped) layer sizes: the sizes message fits best.
  if (isSizesShorthand(value) || (/^\s*\d/.test(value) && !/[()]/.test(value))) return layerSizes(value);
  try {
    parseSpec(value);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
  return value;
}

export function addTrainingOptions(cmd: Command): Command {
  cmd
    .option('--model <spec>', 'layer sizes 784-100-10 (an MLP), a layer spec such as conv(10,5)-maxpool(2)-relu-flatten-dense(10), or a preset (docs/networks.md)', modelFlag)
    .addOption(new Option('--activation <name>', 'hidden-unit activation').choices(['relu', 'tanh', 'linear', 'sigmoid']))
    .addOption(new Option('--output <name>', "output non-linearity ('sigmoid' with --loss mse as Baity-Jesi et al.)").choices(['linear', 'sigmoid']))
    .option('--no-bias', 'no bias parameters')
    .addOption(new Option('--loss <name>', 'ce: softmax cross-entropy; mse: to one-hot; hinge: multi-class margin').choices(['ce', 'mse', 'hinge']))
    .addOption(new Option('--optimizer <name>', 'update rule').choices(['sgd', 'momentum', 'adam', 'gd', 'langevin']))
    .option('--lr <eta>', 'learning rate η', positive)
    .option('--momentum <mu>', 'momentum μ (--optimizer momentum)', nonNegative)
    .option('--batch <B>', 'mini-batch size', positiveInt)
    .addOption(new Option('--precision <p>', 'float precision of parameters and arithmetic').choices(['f32', 'f64']))
    .addOption(new Option('--init <scheme>', "initialisation: pytorch (nn.Linear's default) or he").choices(['pytorch', 'he']));
  return addDataOptions(cmd);
}

/**
 * (`--temperature`, the Langevin optimiser's T, is left to each command: `aging` reads a list of
 * quench temperatures under the same name.)
 *
 * Flags over the config file → the raw training fields (data, model, optimizer, loss, batch,
 * precision, init); undefined flags leave the file's values. `defaults` fills what neither gives.
 */
export function trainingConfigFrom(
  flags: Record<string, unknown>, fromFile: Record<string, unknown>, defaults: Record<string, unknown> = {},
): Record<string, unknown> {
  const base = merge(defaults, fromFile);
  const given = flags['model'];
  const model = merge((base['model'] as Record<string, unknown> | undefined) ?? {}, {
    sizes: Array.isArray(given) ? given : undefined,
    layers: typeof given === 'string' ? given : undefined,
    activation: flags['activation'],
    output: flags['output'],
    bias: flags['bias'] === false ? false : undefined,
  });
  // The flag replaces the file's model of the other kind.
  if (typeof given === 'string') delete model['sizes'];
  if (Array.isArray(given)) delete model['layers'];
  if (model['sizes'] === undefined && model['layers'] === undefined) {
    throw GlassyError.invalid('--model', undefined, 'layer sizes such as 784-100-10 or a layer spec (flag, or config field model.sizes or model.layers)');
  }
  const optimizer = merge((base['optimizer'] as Record<string, unknown> | undefined) ?? {}, {
    kind: flags['optimizer'],
    lr: flags['lr'],
    momentum: flags['momentum'],
    temperature: flags['temperature'],
  });
  const data = dataSpecFrom(flags, base['data'], modelWidths(model));
  return merge(base, {
    data, model, optimizer,
    loss: flags['loss'], batch: flags['batch'], precision: flags['precision'], init: flags['init'],
  });
}

/** Input and output widths for the synthetic data sources: from the sizes, or (a layer spec has no input width; image sources give the shape) the last dense layer of the spec. */
function modelWidths(model: Record<string, unknown>): { inputs: number; classes: number } {
  const sizes = model['sizes'] as number[] | undefined;
  if (sizes) return { inputs: sizes[0]!, classes: sizes[sizes.length - 1]! };
  const layers = parseSpec(model['layers'] as string | string[]);
  const last = [...layers].reverse().find((l) => l.kind === 'dense');
  return { inputs: 0, classes: last && last.kind === 'dense' ? last.units : 0 };
}
