/**
 * The permutation group of a network given as a sequence of layers (landscapes/network): hidden
 * channels permute like hidden units. Each parameterised layer (dense or conv) but the last owns a
 * group: its output units or channels. Relabelling them by π moves
 *   - its own weight rows W[o, …] and biases b[o] (the channel's filters),
 *   - the next parameterised layer's input blocks: for a conv, the input-channel slice W'[:, c, :, :]
 *     (K·K values); for a dense layer after flatten, the H·W columns of channel c (NCHW flattening
 *     puts channel c at columns c·H·W … (c+1)·H·W − 1); for a dense layer after a dense layer, one column,
 * and leaves the function unchanged, because everything in between (activations, pools, flatten) acts
 * channel by channel (Ainsworth, Hayase & Srinivasa, "Git Re-Basin", ICLR 2023, §2 and App. A for
 * VGG/ResNet; the MLP case is permutation.ts).
 *
 * So every weight is seen as W[o, i, e] with o the output group, i the input group and e a block of
 * `block` values (K·K, H·W or 1), and everything of permutation.ts and weight-matching.ts carries over
 * with the inner products summed over e. Permutations use the gather convention of permutation.ts.
 */
import type { Float } from '../core/backend.js';
import { GlassyError } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import type { NetworkLayout } from '../landscapes/network/layout.js';
import type { TensorSlice } from '../landscapes/network/layer.js';
import type { ActivationSimilarity } from './activation-matching.js';
import { activationSimilarity } from './activation-matching.js';
import { solveAssignment, strictlyImproves } from './assignment.js';
import { checkPermutation, identityPermutation, type HiddenPermutation } from './permutation.js';

/** A parameterised layer seen as W[out, inGroups, block] (+ bias [out]). */
export interface ChannelLayer {
  /** Token index in the spec. */
  token: number;
  weight: TensorSlice;
  bias: TensorSlice | null;
  out: number;
  /** Units of the previous group (or of the input, for the first layer). */
  inGroups: number;
  /** Values per (output, input group) pair: K·K (conv), H·W (dense after flatten), 1 (dense). */
  block: number;
  /** The token whose output is this layer's channels after the channel-wise tokens that follow it (activation-matching probe). */
  probeToken: number;
}

/** The parameterised layers of a network layout, in order; groups are all of them but the last. */
export function channelLayers(layout: NetworkLayout): ChannelLayer[] {
  const out: ChannelLayer[] = [];
  let inGroups = layout.inputShape[0]!;
  for (const l of layout.layers) {
    if (l.kind === 'dense' || l.kind === 'conv') {
      const weight = l.params[0]!;
      const units = weight.shape[0]!;
      const rowLen = weight.size / units;
      // A conv's input block is its K·K window; a dense layer's is what flatten made of one channel.
      const b = l.kind === 'conv' ? weight.shape[2]! * weight.shape[3]! : rowLen / inGroups;
      if (!Number.isInteger(b) || b * inGroups !== rowLen) {
        throw GlassyError.invalid('layout', layout.spec, `channel blocks that tile token ${l.index}'s weight rows`);
      }
      out.push({ token: l.index, weight, bias: l.params[1] ?? null, out: units, inGroups, block: b, probeToken: l.index });
      inGroups = units;
    } else if (l.kind !== 'flatten' && out.length > 0) {
      // Channel-wise tokens (activations, pools) after a layer: its probe moves past them.
      out[out.length - 1]!.probeToken = l.index;
    }
  }
  return out;
}

/** Number of channel groups (parameterised layers but the last). */
export function channelGroupCount(layout: NetworkLayout): number {
  return Math.max(0, channelLayers(layout).length - 1);
}

/** Units (channels) of each group. */
export function channelWidths(layout: NetworkLayout): number[] {
  return channelLayers(layout).slice(0, -1).map((c) => c.out);
}

export function checkChannelPermutation(layout: NetworkLayout, perms: HiddenPermutation, field = 'permutations'): void {
  const widths = channelWidths(layout);
  if (perms.length !== widths.length) throw GlassyError.invalid(`${field}.length`, perms.length, `${widths.length} (one per channel group)`);
  widths.forEach((w, h) => checkPermutation(perms[h]!, w, `${field}[${h}]`));
}

export function identityChannelPermutations(layout: NetworkLayout): HiddenPermutation {
  return channelWidths(layout).map(identityPermutation);
}

export function randomChannelPermutations(layout: NetworkLayout, rng: Rng): HiddenPermutation {
  return channelWidths(layout).map((w) => rng.permutation(w));
}

/**
 * Apply a group element to θ: W'[o, i, e] = W[π_out[o], π_in[i], e], b'[o] = b[π_out[o]]. Returns a new
 * array of θ's type, or writes into `out` (which may be θ itself).
 */
export function permuteNetwork<X extends Float>(layout: NetworkLayout, theta: X, perms: HiddenPermutation, out?: X): X {
  if (theta.length !== layout.size) throw GlassyError.invalid('theta.length', theta.length, `${layout.size} (the layout size)`);
  checkChannelPermutation(layout, perms);
  const dst = out ?? (new (theta.constructor as { new(n: number): X })(theta.length));
  const src: Float = dst === theta ? theta.slice() : theta;
  const layers = channelLayers(layout);
  layers.forEach((c, p) => {
    const rowPerm = p < layers.length - 1 ? perms[p]! : null;
    const colPerm = p > 0 ? perms[p - 1]! : null;
    const rowLen = c.inGroups * c.block;
    const w0 = c.weight.offset;
    for (let o = 0; o < c.out; o++) {
      const srcRow = w0 + (rowPerm ? rowPerm[o]! : o) * rowLen;
      const dstRow = w0 + o * rowLen;
      for (let i = 0; i < c.inGroups; i++) {
        const s = srcRow + (colPerm ? colPerm[i]! : i) * c.block;
        const d = dstRow + i * c.block;
        for (let e = 0; e < c.block; e++) dst[d + e] = src[s + e]!;
      }
    }
    if (c.bias) for (let o = 0; o < c.out; o++) dst[c.bias.offset + o] = src[c.bias.offset + (rowPerm ? rowPerm[o]! : o)]!;
  });
  return dst;
}

export interface ChannelMatchingResult<X extends Float> {
  perms: HiddenPermutation;
  aligned: X;
  sweeps: number;
  converged: boolean;
  /** ⟨θ_a, P θ_b⟩ at the end. */
  objective: number;
}

/**
 * Weight matching over channels (Ainsworth et al. 2023, Algorithm 1, as weight-matching.ts): a forward
 * sweep on incoming weights, then coordinate ascent over the groups in random order, each step one
 * exact linear assignment of
 *   S_h[i, j] = Σ_{k,e} W_h^a[i,k,e] W_h^b[j,π_{h−1}(k),e] + b_h^a[i] b_h^b[j] + Σ_{o,e} W_{h+1}^a[o,i,e] W_{h+1}^b[π_{h+1}(o),j,e],
 * accepting strict improvements only, until a sweep changes nothing.
 */
export function weightMatchingNetwork<X extends Float>(
  layout: NetworkLayout, thetaA: Float, thetaB: X, options: { maxSweeps?: number; rng?: Rng } = {},
): ChannelMatchingResult<X> {
  if (thetaA.length !== layout.size) throw GlassyError.invalid('thetaA.length', thetaA.length, `${layout.size} (the layout size)`);
  if (thetaB.length !== layout.size) throw GlassyError.invalid('thetaB.length', thetaB.length, `${layout.size} (the layout size)`);
  const maxSweeps = options.maxSweeps ?? 100;
  const layers = channelLayers(layout);
  const H = layers.length - 1;
  const perms = identityChannelPermutations(layout);
  for (let h = 0; h < H; h++) perms[h] = solveAssignment(channelSimilarity(layers, thetaA, thetaB, perms, h, false), layers[h]!.out, { maximize: true });
  const rng = options.rng ?? Rng.stream(0, Stream.probe);
  const order = new Int32Array(H);
  let sweeps = 0;
  let converged = H === 0;
  while (!converged && sweeps < maxSweeps) {
    sweeps++;
    for (let h = 0; h < H; h++) order[h] = h;
    rng.shuffle(order);
    let changed = false;
    for (const h of order) {
      const w = layers[h]!.out;
      const S = channelSimilarity(layers, thetaA, thetaB, perms, h, true);
      const next = solveAssignment(S, w, { maximize: true });
      const old = perms[h]!;
      if (strictlyImproves(S, w, next, old)) {
        perms[h] = next;
        changed = true;
      }
    }
    if (!changed || H === 1) converged = true;
  }
  const aligned = permuteNetwork(layout, thetaB, perms);
  let objective = 0;
  for (let i = 0; i < aligned.length; i++) objective += thetaA[i]! * aligned[i]!;
  return { perms, aligned, sweeps, converged, objective };
}

function channelSimilarity(layers: ChannelLayer[], A: Float, B: Float, perms: HiddenPermutation, h: number, outgoing: boolean): Float64Array {
  const inc = layers[h]!;
  const w = inc.out;
  const S = new Float64Array(w * w);
  const prev = h > 0 ? perms[h - 1]! : null;
  const rowLen = inc.inGroups * inc.block;
  const w0 = inc.weight.offset;
  for (let i = 0; i < w; i++) {
    for (let j = 0; j < w; j++) {
      let s = 0;
      for (let k = 0; k < inc.inGroups; k++) {
        const a = w0 + i * rowLen + k * inc.block;
        const b = w0 + j * rowLen + (prev ? prev[k]! : k) * inc.block;
        for (let e = 0; e < inc.block; e++) s += A[a + e]! * B[b + e]!;
      }
      if (inc.bias) s += A[inc.bias.offset + i]! * B[inc.bias.offset + j]!;
      S[i * w + j] = s;
    }
  }
  if (!outgoing) return S;
  const nxt = layers[h + 1]!;
  const next = h + 1 < layers.length - 1 ? perms[h + 1]! : null;
  const len = nxt.inGroups * nxt.block;
  const n0 = nxt.weight.offset;
  for (let o = 0; o < nxt.out; o++) {
    const ra = n0 + o * len;
    const rb = n0 + (next ? next[o]! : o) * len;
    for (let i = 0; i < w; i++) {
      for (let j = 0; j < w; j++) {
        let s = 0;
        for (let e = 0; e < nxt.block; e++) s += A[ra + i * nxt.block + e]! * B[rb + j * nxt.block + e]!;
        S[i * w + j] += s;
      }
    }
  }
  return S;
}

/**
 * Activation matching over channels (activation-matching.ts; Ainsworth et al. 2023 §3.1 for conv nets):
 * each spatial position of each probe sample is one observation of a channel, so the NCHW activations
 * [n × C·H·W] of a group are read as [n·H·W × C] before the correlation. `activations(θ, h)` returns
 * group h's activations (e.g. Network.outputs(θ, channelLayers(layout)[h].probeToken) on a probe set).
 */
export function activationMatchingNetwork<X extends Float>(
  layout: NetworkLayout, thetaA: Float, thetaB: X, activations: (theta: Float, group: number) => Float,
  similarity: ActivationSimilarity = 'correlation',
): { perms: HiddenPermutation; aligned: X; matched: Float64Array } {
  const groups = channelLayers(layout).slice(0, -1);
  const perms: HiddenPermutation = [];
  const matched = new Float64Array(groups.length);
  groups.forEach((g, h) => {
    const c = g.out;
    const shape = layout.layers[g.probeToken]!.outShape;
    const hw = shape.length === 3 ? shape[1]! * shape[2]! : 1;
    const za = positionsByChannel(activations(thetaA, h), c, hw);
    const zb = positionsByChannel(activations(thetaB, h), c, hw);
    const C = activationSimilarity(za, zb, c, similarity);
    const p = solveAssignment(C, c, { maximize: true });
    let s = 0;
    for (let i = 0; i < c; i++) s += C[i * c + p[i]!]!;
    matched[h] = s / c;
    perms.push(p);
  });
  return { perms, aligned: permuteNetwork(layout, thetaB, perms), matched };
}

/** [n × C × HW] (NCHW) → [n·HW × C]: one row per (sample, position), one column per channel. */
export function positionsByChannel(z: Float, channels: number, hw: number): Float64Array {
  const per = channels * hw;
  if (z.length % per !== 0) throw GlassyError.invalid('activations.length', z.length, `a multiple of ${channels} channels × ${hw} positions`);
  const n = z.length / per;
  const out = new Float64Array(z.length);
  for (let s = 0; s < n; s++) {
    for (let c = 0; c < channels; c++) {
      const src = s * per + c * hw;
      for (let p = 0; p < hw; p++) out[(s * hw + p) * channels + c] = z[src + p]!;
    }
  }
  return out;
}
