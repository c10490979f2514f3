/**
 * Activation matching: align replica b onto replica a by matching hidden units whose activations on a
 * probe batch are most alike (Li, Yosinski, Clune, Lipson & Hopcroft, "Convergent learning: do different
 * neural networks learn the same representations?", 2015, §2 — units paired by maximal correlation;
 * Ainsworth, Hayase & Srinivasa, "Git Re-Basin", ICLR 2023, §3.1 — one linear assignment per layer).
 *
 * For hidden layer l with activations Z^a, Z^b of shape [batch × w], the permutation maximises
 *   Σ_i C_l[i, π_l(i)],  C_l[i, j] = corr(Z^a[:, i], Z^b[:, j])   (Pearson, default; Li et al. 2015)
 * or, with similarity 'inner', C_l = Z^aᵀ Z^b (Ainsworth et al. 2023, eq. 1). A unit's activation does
 * not depend on how the units of other layers are labelled, so the layers decouple: one exact LAP per
 * hidden layer, no iteration (Ainsworth et al. §3.1).
 *
 * The activations are computed by the caller (`activations(θ, l)`), so this module does not depend on
 * any landscape: for a network landscape, pass a function returning its hidden-layer outputs on a
 * fixed probe batch.
 */
import type { Float } from '../core/backend.js';
import { GlassyError } from '../core/errors.js';
import type { MlpLayout } from '../landscapes/mlp/layout.js';
import { solveAssignment } from './assignment.js';
import { hiddenLayerCount, permuteParameters, type HiddenPermutation } from './permutation.js';

/** Hidden activations of layer `layer` (0-based hidden layer) for parameters θ, row-major [batch × width]. */
export type ActivationProbe = (theta: Float, layer: number) => Float;

export type ActivationSimilarity = 'correlation' | 'inner';

export interface ActivationMatchingOptions {
  /** 'correlation' (Pearson, default) or 'inner' (raw Z^aᵀ Z^b). */
  similarity?: ActivationSimilarity;
}

export interface ActivationMatchingResult<X extends Float> {
  perms: HiddenPermutation;
  aligned: X;
  /** Per hidden layer: the mean over units of the matched similarity C_l[i, π_l(i)]. */
  matched: Float64Array;
}

/**
 * The similarity matrix C[i, j] between units i of a and j of b (row-major w × w, float64).
 * Units with zero variance over the batch have correlation 0 with everything.
 */
export function activationSimilarity(za: Float, zb: Float, width: number, similarity: ActivationSimilarity = 'correlation'): Float64Array {
  if (!Number.isInteger(width) || width < 1) throw GlassyError.invalid('width', width, 'an integer ≥ 1');
  if (za.length !== zb.length) throw GlassyError.invalid('activations.length', zb.length, `${za.length} (same batch and width for a and b)`);
  if (za.length % width !== 0 || za.length === 0) {
    throw GlassyError.invalid('activations.length', za.length, `a positive multiple of the width ${width}`);
  }
  if (similarity !== 'correlation' && similarity !== 'inner') {
    throw GlassyError.invalid('similarity', similarity, '"correlation" or "inner"');
  }
  const n = za.length / width;
  // Column-major float64 copies (unit-major), centred and scaled for the correlation.
  const A = unitMajor(za, n, width, similarity === 'correlation');
  const B = unitMajor(zb, n, width, similarity === 'correlation');
  const C = new Float64Array(width * width);
  for (let i = 0; i < width; i++) {
    const ri = i * n;
    for (let j = 0; j < width; j++) {
      const rj = j * n;
      let s = 0;
      for (let k = 0; k < n; k++) s += A[ri + k]! * B[rj + k]!;
      C[i * width + j] = s;
    }
  }
  return C;
}

/** Copy [n × w] row-major into unit-major [w × n]; if standardise, each unit centred to mean 0 and norm 1. */
function unitMajor(z: Float, n: number, w: number, standardise: boolean): Float64Array {
  const out = new Float64Array(n * w);
  for (let k = 0; k < n; k++) for (let i = 0; i < w; i++) out[i * n + k] = z[k * w + i]!;
  if (standardise) {
    for (let i = 0; i < w; i++) {
      const r = i * n;
      let m = 0;
      for (let k = 0; k < n; k++) m += out[r + k]!;
      m /= n;
      let ss = 0;
      for (let k = 0; k < n; k++) {
        const d = out[r + k]! - m;
        out[r + k] = d;
        ss += d * d;
      }
      // Pearson r = Σ(x−x̄)(y−ȳ) / √(Σ(x−x̄)² Σ(y−ȳ)²): scale each centred unit to norm 1.
      const f = ss > 0 ? 1 / Math.sqrt(ss) : 0;
      for (let k = 0; k < n; k++) out[r + k] = out[r + k]! * f;
    }
  }
  return out;
}

/** Align θ_b onto θ_a by activation matching, one exact LAP per hidden layer. */
export function activationMatching<X extends Float>(
  layout: MlpLayout, thetaA: Float, thetaB: X, activations: ActivationProbe, options: ActivationMatchingOptions = {},
): ActivationMatchingResult<X> {
  if (thetaA.length !== layout.size) throw GlassyError.invalid('thetaA.length', thetaA.length, `${layout.size} (the layout size)`);
  if (thetaB.length !== layout.size) throw GlassyError.invalid('thetaB.length', thetaB.length, `${layout.size} (the layout size)`);
  const similarity = options.similarity ?? 'correlation';
  const H = hiddenLayerCount(layout);
  const perms: HiddenPermutation = [];
  const matched = new Float64Array(H);
  for (let h = 0; h < H; h++) {
    const w = layout.layers[h]!.out;
    const za = activations(thetaA, h);
    const zb = activations(thetaB, h);
    const C = activationSimilarity(za, zb, w, similarity);
    const p = solveAssignment(C, w, { maximize: true });
    let s = 0;
    for (let i = 0; i < w; i++) s += C[i * w + p[i]!]!;
    matched[h] = s / w;
    perms.push(p);
  }
  return { perms, aligned: permuteParameters(layout, thetaB, perms), matched };
}
