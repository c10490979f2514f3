/**
 * Weight matching: align replica b onto replica a by the hidden-unit permutation that maximises the
 * inner product of their parameters,
 *   max_P ⟨θ_a, P θ_b⟩ = Σ_l ⟨W_l^a, P_l W_l^b P_{l−1}ᵀ⟩ + ⟨b_l^a, P_l b_l^b⟩
 * (Ainsworth, Hayase & Srinivasa, "Git Re-Basin", ICLR 2023, eq. 2 and Algorithm 1; equivalently the
 * minimiser of ‖θ_a − P θ_b‖, since permutations preserve ‖θ_b‖).
 *
 * For one hidden layer l, with every other permutation held fixed, the objective is linear in P_l:
 *   S_l[i, j] = Σ_k W_l^a[i, k] W_l^b[j, π_{l−1}(k)] + b_l^a[i] b_l^b[j] + Σ_o W_{l+1}^a[o, i] W_{l+1}^b[π_{l+1}(o), j]
 * and max_{P_l} Σ_i S_l[i, π_l(i)] is one exact linear assignment (Algorithm 1, inner step). Deep nets
 * are handled by coordinate ascent: sweep over the hidden layers in a random order, re-solving each,
 * until a whole sweep changes no permutation (each accepted step strictly increases a bounded
 * objective over a finite set, so this terminates). With one hidden layer the single LAP is exact.
 *
 * Starting point. Ainsworth et al. start from the identity; coordinate ascent can then stop in a local
 * optimum — for a permuted copy of a small net (widths 6–8) about 1 run in 5 does. The default here is
 * a forward sweep first: layers 0, 1, …, L−2 in order, each matched on its incoming weights and bias
 * only (the outgoing term involves the next, not yet matched, layer). For θ_b = P θ_a with distinct
 * units this recovers P exactly (Σ_i ⟨w_i, w'_{σ(i)}⟩ ≤ Σ_i |w_i|² by Cauchy–Schwarz, with equality only
 * at the true σ, and the previous layer is already correct), and the ascent then starts at the global
 * optimum. Option init: 'identity' reproduces the paper's start.
 *
 * Cost per LAP: O(w² · (n_in + n_out)) to build S_l, O(w³) worst case to solve it.
 */
import type { Float } from '../core/backend.js';
import { GlassyError } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import type { MlpLayout } from '../landscapes/mlp/layout.js';
import { solveAssignment, strictlyImproves } from './assignment.js';
import {
  checkHiddenPermutation, hiddenLayerCount, identityPermutations, permuteParameters, type HiddenPermutation,
} from './permutation.js';

export interface WeightMatchingOptions {
  /** Upper bound on sweeps over the hidden layers (default 100; Ainsworth et al. use 100). */
  maxSweeps?: number;
  /**
   * The stream that shuffles the order of layers in each sweep (Algorithm 1 visits them in random
   * order). Default: Rng.stream(0, Stream.probe), so results are reproducible.
   */
  rng?: Rng;
  /**
   * Starting point: 'forward' (default; see the module comment), 'identity' (Ainsworth et al.), or
   * explicit permutations.
   */
  init?: 'forward' | 'identity' | HiddenPermutation;
  /** Include the bias terms b_l^a[i] b_l^b[j] in S_l (default true, as Ainsworth et al.). */
  biases?: boolean;
}

export interface WeightMatchingResult<X extends Float> {
  /** The permutations π_l (gather convention of permutation.ts): aligned = permuteParameters(θ_b, perms). */
  perms: HiddenPermutation;
  /** θ_b with the permutations applied (same type as θ_b). */
  aligned: X;
  /** Sweeps performed; the last one found no improving change (1 for a single hidden layer). */
  sweeps: number;
  /** Whether the coordinate ascent stopped by itself (false: maxSweeps was reached). */
  converged: boolean;
  /** ⟨θ_a, P θ_b⟩ at the end. */
  objective: number;
}

/** Align θ_b onto θ_a by weight matching (Ainsworth et al. 2023, Algorithm 1). */
export function weightMatching<X extends Float>(
  layout: MlpLayout, thetaA: Float, thetaB: X, options: WeightMatchingOptions = {},
): WeightMatchingResult<X> {
  if (thetaA.length !== layout.size) throw GlassyError.invalid('thetaA.length', thetaA.length, `${layout.size} (the layout size)`);
  if (thetaB.length !== layout.size) throw GlassyError.invalid('thetaB.length', thetaB.length, `${layout.size} (the layout size)`);
  const maxSweeps = options.maxSweeps ?? 100;
  if (!Number.isInteger(maxSweeps) || maxSweeps < 1) throw GlassyError.invalid('maxSweeps', maxSweeps, 'an integer ≥ 1');
  const H = hiddenLayerCount(layout);
  const useBias = options.biases ?? true;
  const init = options.init ?? 'forward';
  if (init !== 'forward' && init !== 'identity' && !Array.isArray(init)) {
    throw GlassyError.invalid('init', init, '"forward", "identity" or one permutation per hidden layer');
  }
  const perms = Array.isArray(init) ? init.map((p) => Int32Array.from(p)) : identityPermutations(layout);
  checkHiddenPermutation(layout, perms, 'init');
  if (init === 'forward' && H > 1) {
    for (let h = 0; h < H; h++) {
      perms[h] = solveAssignment(similarity(layout, thetaA, thetaB, perms, h, useBias, false), layout.layers[h]!.out, { maximize: true });
    }
  }
  if (H === 0) {
    return { perms, aligned: thetaB.slice() as X, sweeps: 0, converged: true, objective: dot(thetaA, thetaB) };
  }
  const rng = options.rng ?? Rng.stream(0, Stream.probe);
  const order = new Int32Array(H);
  let sweeps = 0;
  let converged = false;
  while (sweeps < maxSweeps) {
    sweeps++;
    for (let h = 0; h < H; h++) order[h] = h;
    rng.shuffle(order);
    let changed = false;
    for (const h of order) {
      const w = layout.layers[h]!.out;
      const S = similarity(layout, thetaA, thetaB, perms, h, useBias, true);
      const next = solveAssignment(S, w, { maximize: true });
      const old = perms[h]!;
      // Accept only strict improvements, so ties cannot make the ascent cycle.
      if (strictlyImproves(S, w, next, old)) {
        perms[h] = next;
        changed = true;
      }
    }
    if (!changed || H === 1) {
      converged = true;
      break;
    }
  }
  const aligned = permuteParameters(layout, thetaB, perms);
  return { perms, aligned, sweeps, converged, objective: dot(thetaA, aligned) };
}

/** ⟨θ_a, P θ_b⟩ for given permutations, without materialising P θ_b twice. */
export function matchingObjective(layout: MlpLayout, thetaA: Float, thetaB: Float, perms: HiddenPermutation): number {
  return dot(thetaA, permuteParameters(layout, thetaB, perms));
}

function dot(a: Float, b: Float): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * S_h[i, j] (module comment): the gain of putting unit j of b at position i, with the other hidden
 * layers' permutations fixed. Row-major w × w, float64.
 */
function similarity(
  layout: MlpLayout, A: Float, B: Float, perms: HiddenPermutation, h: number, useBias: boolean, outgoingTerm: boolean,
): Float64Array {
  const L = layout.layers.length;
  const inc = layout.layers[h]!; // incoming weights of the hidden units: W_h [w, nin]
  const outg = layout.layers[h + 1]!; // outgoing weights: W_{h+1} [nout, w]
  const w = inc.out;
  const nin = inc.in;
  const S = new Float64Array(w * w);
  // Incoming term: rows of W_h^a against rows of W_h^b with columns gathered by π_{h−1}.
  const prev = h > 0 ? perms[h - 1]! : null;
  const wa = new Float64Array(w * nin);
  const wb = new Float64Array(w * nin);
  const ia = inc.weight.offset;
  for (let i = 0; i < w * nin; i++) wa[i] = A[ia + i]!;
  for (let j = 0; j < w; j++) {
    const r = ia + j * nin;
    if (prev) for (let k = 0; k < nin; k++) wb[j * nin + k] = B[r + prev[k]!]!;
    else for (let k = 0; k < nin; k++) wb[j * nin + k] = B[r + k]!;
  }
  for (let i = 0; i < w; i++) {
    const ri = i * nin;
    for (let j = 0; j < w; j++) {
      const rj = j * nin;
      let s = 0;
      for (let k = 0; k < nin; k++) s += wa[ri + k]! * wb[rj + k]!;
      S[i * w + j] = s;
    }
  }
  if (useBias && inc.bias) {
    const b0 = inc.bias.offset;
    for (let i = 0; i < w; i++) {
      const bi = A[b0 + i]!;
      for (let j = 0; j < w; j++) S[i * w + j] += bi * B[b0 + j]!;
    }
  }
  if (!outgoingTerm) return S;
  // Outgoing term: Σ_o W_{h+1}^a[o, i] W_{h+1}^b[π_{h+1}(o), j], as a sum of outer products over o.
  const next = h + 1 < L - 1 ? perms[h + 1]! : null;
  const nout = outg.out;
  const oa = outg.weight.offset;
  for (let o = 0; o < nout; o++) {
    const ra = oa + o * w;
    const rb = oa + (next ? next[o]! : o) * w;
    for (let i = 0; i < w; i++) {
      const a = A[ra + i]!;
      if (a === 0) continue;
      const si = i * w;
      for (let j = 0; j < w; j++) S[si + j] += a * B[rb + j]!;
    }
  }
  return S;
}
