/**
 * The `model` field of a network config: an MLP by its layer sizes (784-100-10) or a network as a
 * sequence of layers (a spec string, a preset or a list of tokens; ./network/spec.ts), exactly one.
 * Every network protocol's schema holds it (train, import, aging, l2sweep), so it sits with the
 * networks it describes, below the protocols that read it.
 */
import { z } from 'zod';
import { GlassyError } from '../core/errors.js';
import { layerSizes } from '../core/parse.js';
import { isSizesShorthand, parseSpec } from './network/spec.js';

export const modelSchema = z.object({
  /** The MLP shorthand: layer sizes, input to output (784-100-10). */
  sizes: z.array(z.number().int().positive()).min(2).optional().describe('layer sizes 784-100-10 (an MLP), a layer spec such as conv(10,5)-maxpool(2)-relu-flatten-dense(10), or a preset (docs/networks.md)'),
  /**
   * Or a network as a sequence of layers (landscapes/network/spec.ts): a spec string, a preset name or
   * a list of tokens; the input shape comes from the data and activation/output come from the spec.
   */
  layers: z.union([z.string(), z.array(z.string())]).optional().describe('a layer spec (the --model flag fills it when its value is not layer sizes)'),
  activation: z.enum(['relu', 'tanh', 'linear', 'sigmoid']).default('relu').describe('hidden-unit activation'),
  bias: z.boolean().default(true).describe('bias parameters'),
  output: z.enum(['linear', 'sigmoid']).default('linear').describe("output non-linearity ('sigmoid' with --loss mse as Baity-Jesi et al.)"),
});

export type ModelConfig = z.infer<typeof modelSchema>;

/** Exactly one of sizes and layers; a bad layer token gets one line naming it. */
export function checkModel(model: ModelConfig): void {
  if ((model.sizes === undefined) === (model.layers === undefined)) {
    throw GlassyError.invalid('model', model.layers ?? model.sizes, 'either layer sizes (model.sizes, e.g. 784-100-10) or a layer spec (model.layers), exactly one');
  }
  if (model.layers !== undefined) parseSpec(model.layers);
}

/** --model: the MLP shorthand (numbers) → sizes; anything else is a layer spec, checked here (one line naming the token). */
export function modelFlag(value: string): number[] | string {
  // Digits without parentheses are (perhaps mistyped) layer sizes: the sizes message fits best.
  if (isSizesShorthand(value) || (/^\s*\d/.test(value) && !/[()]/.test(value))) return layerSizes(value);
  parseSpec(value);
  return value;
}
