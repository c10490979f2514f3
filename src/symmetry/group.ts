/**
 * The permutation group of hidden units of any network glassy stores: an MLP's layout
 * (permutation.ts, weight-matching.ts) or a layer-spec network's (channels.ts, where the hidden
 * channels of conv layers permute as hidden units do). The analyses (walk, connect, permute,
 * cluster) see one group whichever form the network takes.
 */
import type { Float } from '../core/backend.js';
import type { Rng } from '../core/rng.js';
import type { MlpLayout } from '../landscapes/mlp/layout.js';
import type { NetworkLayout } from '../landscapes/network/layout.js';
import { channelLayers, channelWidths, permuteNetwork, randomChannelPermutations, weightMatchingNetwork } from './channels.js';
import {
  displacedPermutation, hiddenLayerCount, hiddenWidth, permuteParameters, randomPermutations, type DisplacementShape, type HiddenPermutation,
} from './permutation.js';
import { weightMatching } from './weight-matching.js';

/** The flat-θ layout of a stored network: an MLP's or a layer spec's. */
export type AnyLayout = MlpLayout | NetworkLayout;

export function isMlpLayout(layout: AnyLayout): layout is MlpLayout {
  return 'arch' in layout;
}

/** Units (MLP hidden units, or channels of a layer-spec network) of each permutable group. */
export function groupWidths(layout: AnyLayout): number[] {
  if (!isMlpLayout(layout)) return channelWidths(layout);
  return Array.from({ length: hiddenLayerCount(layout) }, (_, h) => hiddenWidth(layout, h));
}

/** A uniformly random group element (one permutation per group). */
export function randomGroupElement(layout: AnyLayout, rng: Rng): HiddenPermutation {
  return isMlpLayout(layout) ? randomPermutations(layout, rng) : randomChannelPermutations(layout, rng);
}

/** A group element moving exactly k units of every group (permutation.ts displacedPermutation). */
export function displacedGroupElement(layout: AnyLayout, k: number, rng: Rng, shape: DisplacementShape = 'cycle'): HiddenPermutation {
  return groupWidths(layout).map((w) => displacedPermutation(w, k, rng, shape));
}

/** θ with the group element applied (gather convention of permutation.ts). */
export function applyGroupElement<X extends Float>(layout: AnyLayout, theta: X, perms: HiddenPermutation, out?: X): X {
  return isMlpLayout(layout) ? permuteParameters(layout, theta, perms, out) : permuteNetwork(layout, theta, perms, out);
}

/** Weight matching of θ_b onto θ_a (Ainsworth et al. 2023, Algorithm 1) over the layout's groups. */
export function matchWeights<X extends Float>(
  layout: AnyLayout, thetaA: Float, thetaB: X, options: { maxSweeps?: number; rng?: Rng } = {},
): { perms: HiddenPermutation; aligned: X; objective: number } {
  return isMlpLayout(layout) ? weightMatching(layout, thetaA, thetaB, options) : weightMatchingNetwork(layout, thetaA, thetaB, options);
}

/**
 * The weight rows of each parameterised layer (one row per output unit or channel) and its bias:
 * what filter normalisation (Li et al. 2018) rescales — a conv filter is the row of its output channel.
 */
export function weightRows(layout: AnyLayout): { offset: number; rows: number; rowLength: number; bias: { offset: number; size: number } | null }[] {
  if (isMlpLayout(layout)) {
    return layout.layers.map((L) => ({ offset: L.weight.offset, rows: L.out, rowLength: L.in, bias: L.bias ? { offset: L.bias.offset, size: L.bias.size } : null }));
  }
  return channelLayers(layout).map((c) => ({
    offset: c.weight.offset, rows: c.out, rowLength: c.weight.size / c.out,
    bias: c.bias ? { offset: c.bias.offset, size: c.bias.size } : null,
  }));
}
