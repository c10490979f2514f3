/**
 * The hidden-unit permutation group of a fully connected network.
 *
 * Relabelling the units of a hidden layer leaves the network function unchanged: if the units of hidden
 * layer l are permuted, the rows of W_l and the entries of b_l move with them and the columns of
 * W_{l+1} follow (Hecht-Nielsen 1990; the symmetry removed by weight matching, Ainsworth et al. 2023,
 * §2; Entezari et al. 2022). A network with L weight layers has L − 1 hidden layers, so the group is
 * S_{n_1} × … × S_{n_{L−1}}, and a group element is one permutation per hidden layer.
 *
 * Convention ("gather", as P θ with P[i, π(i)] = 1 in Ainsworth et al.): π[i] = the OLD index of the
 * unit that sits at position i after the permutation. So applying π to hidden layer l gives
 *   W'_l[i, :] = W_l[π[i], :],  b'_l[i] = b_l[π[i]],  W'_{l+1}[:, i] = W_{l+1}[:, π[i]].
 * Applying π and then ρ equals applying compose(π, ρ)[i] = π[ρ[i]].
 */
import type { Float } from '../core/backend.js';
import { GlassyError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { MlpLayout } from '../landscapes/mlp/layout.js';

/** One permutation per hidden layer (gather convention, see the module comment). */
export type HiddenPermutation = Int32Array[];

/** Number of hidden layers L − 1 of a layout with L weight layers. */
export function hiddenLayerCount(layout: MlpLayout): number {
  return Math.max(0, layout.layers.length - 1);
}

/** Width of hidden layer h (the output width of weight layer h). */
export function hiddenWidth(layout: MlpLayout, h: number): number {
  return layout.layers[h]!.out;
}

/** Throws a GlassyError unless p is a permutation of 0..n−1. */
export function checkPermutation(p: ArrayLike<number>, n: number, field = 'permutation'): void {
  if (p.length !== n) throw GlassyError.invalid(`${field}.length`, p.length, `${n}`);
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const x = p[i]!;
    if (!Number.isInteger(x) || x < 0 || x >= n || seen[x]) {
      throw GlassyError.invalid(`${field}[${i}]`, x, `a permutation of 0..${n - 1} (each index once)`);
    }
    seen[x] = 1;
  }
}

/** Throws unless perms has one valid permutation per hidden layer of the layout. */
export function checkHiddenPermutation(layout: MlpLayout, perms: HiddenPermutation, field = 'permutations'): void {
  const H = hiddenLayerCount(layout);
  if (perms.length !== H) throw GlassyError.invalid(`${field}.length`, perms.length, `${H} (one per hidden layer)`);
  for (let h = 0; h < H; h++) checkPermutation(perms[h]!, hiddenWidth(layout, h), `${field}[${h}]`);
}

export function identityPermutation(n: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return p;
}

/** The group identity: identity permutations of every hidden layer. */
export function identityPermutations(layout: MlpLayout): HiddenPermutation {
  const out: HiddenPermutation = [];
  for (let h = 0; h < hiddenLayerCount(layout); h++) out.push(identityPermutation(hiddenWidth(layout, h)));
  return out;
}

/** A uniformly random group element: an independent uniform permutation of every hidden layer. */
export function randomPermutations(layout: MlpLayout, rng: Rng): HiddenPermutation {
  const out: HiddenPermutation = [];
  for (let h = 0; h < hiddenLayerCount(layout); h++) out.push(rng.permutation(hiddenWidth(layout, h)));
  return out;
}

/** How the k displaced units of `displacedPermutation` are permuted among themselves. */
export type DisplacementShape = 'cycle' | 'transpositions';

/**
 * A permutation of n units that moves exactly k of them (k units chosen uniformly at random), to
 * control how far Pθ is from θ: ‖Pθ − θ‖ involves only those k units' weights.
 *  - 'cycle' (default): one k-cycle on the chosen units (k ≥ 2, or k = 0 for the identity);
 *  - 'transpositions': k/2 disjoint swaps of pairs of the chosen units (k even).
 * Either way π[i] ≠ i for exactly k indices.
 */
export function displacedPermutation(n: number, k: number, rng: Rng, shape: DisplacementShape = 'cycle'): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw GlassyError.invalid('n', n, 'a non-negative integer');
  if (!Number.isInteger(k) || k < 0 || k > n || k === 1) {
    throw GlassyError.invalid('k', k, `an integer in {0} ∪ [2, ${n}] (a permutation cannot move exactly one unit)`);
  }
  if (shape !== 'cycle' && shape !== 'transpositions') {
    throw GlassyError.invalid('shape', shape, '"cycle" or "transpositions"');
  }
  if (shape === 'transpositions' && k % 2 !== 0) throw GlassyError.invalid('k', k, 'an even number for "transpositions"');
  const p = identityPermutation(n);
  if (k === 0) return p;
  // The first k entries of a random permutation are a uniform random k-subset in random order.
  const units = rng.permutation(n).subarray(0, k);
  if (shape === 'cycle') {
    for (let t = 0; t < k; t++) p[units[t]!] = units[(t + 1) % k]!;
  } else {
    for (let t = 0; t < k; t += 2) {
      p[units[t]!] = units[t + 1]!;
      p[units[t + 1]!] = units[t]!;
    }
  }
  return p;
}

/** Displaced permutations (k units moved) for every hidden layer. */
export function displacedPermutations(
  layout: MlpLayout, k: number, rng: Rng, shape: DisplacementShape = 'cycle',
): HiddenPermutation {
  const out: HiddenPermutation = [];
  for (let h = 0; h < hiddenLayerCount(layout); h++) out.push(displacedPermutation(hiddenWidth(layout, h), k, rng, shape));
  return out;
}

/** compose(first, second)[i] = first[second[i]]: applying the result = applying `first`, then `second`. */
export function composePermutation(first: Int32Array, second: Int32Array): Int32Array {
  if (first.length !== second.length) throw GlassyError.invalid('permutation.length', second.length, `${first.length}`);
  const out = new Int32Array(first.length);
  for (let i = 0; i < out.length; i++) out[i] = first[second[i]!]!;
  return out;
}

/** The inverse: inverse[π[i]] = i, so applying π then its inverse is the identity. */
export function invertPermutation(p: Int32Array): Int32Array {
  const out = new Int32Array(p.length);
  for (let i = 0; i < p.length; i++) out[p[i]!] = i;
  return out;
}

/** Layer-wise composition of group elements (apply `first`, then `second`). */
export function composePermutations(first: HiddenPermutation, second: HiddenPermutation): HiddenPermutation {
  if (first.length !== second.length) throw GlassyError.invalid('permutations.length', second.length, `${first.length}`);
  return first.map((p, h) => composePermutation(p, second[h]!));
}

/** Layer-wise inverse of a group element. */
export function invertPermutations(perms: HiddenPermutation): HiddenPermutation {
  return perms.map(invertPermutation);
}

/** Number of units moved (π[i] ≠ i), summed over hidden layers: a Hamming distance to the identity. */
export function displacedUnits(perms: HiddenPermutation): number {
  let k = 0;
  for (const p of perms) for (let i = 0; i < p.length; i++) if (p[i] !== i) k++;
  return k;
}

/**
 * Apply a group element to a flat parameter vector θ (layout of `src/landscapes/mlp/layout.ts`):
 * rows of W_l and entries of b_l by π_l, columns of W_{l+1} by π_l. Returns a new array of θ's type,
 * or writes into `out` (which may be θ itself).
 */
export function permuteParameters<X extends Float>(
  layout: MlpLayout, theta: X, perms: HiddenPermutation, out?: X,
): X {
  if (theta.length !== layout.size) throw GlassyError.invalid('theta.length', theta.length, `${layout.size} (the layout size)`);
  checkHiddenPermutation(layout, perms);
  const dst = out ?? (new (theta.constructor as { new(n: number): X })(theta.length));
  if (dst.length !== theta.length) throw GlassyError.invalid('out.length', dst.length, `${theta.length}`);
  // In place needs a copy of the source: rows are gathered from arbitrary positions.
  const src: Float = dst === theta ? theta.slice() : theta;
  const L = layout.layers.length;
  for (let l = 0; l < L; l++) {
    const { weight, bias, in: nin, out: nout } = layout.layers[l]!;
    const rowPerm = l < L - 1 ? perms[l]! : null; // output units of layer l are hidden unless l is last
    const colPerm = l > 0 ? perms[l - 1]! : null; // inputs of layer l are the hidden units of layer l−1
    const w0 = weight.offset;
    for (let o = 0; o < nout; o++) {
      const so = rowPerm ? rowPerm[o]! : o;
      const srcRow = w0 + so * nin;
      const dstRow = w0 + o * nin;
      if (colPerm) for (let i = 0; i < nin; i++) dst[dstRow + i] = src[srcRow + colPerm[i]!]!;
      else for (let i = 0; i < nin; i++) dst[dstRow + i] = src[srcRow + i]!;
    }
    if (bias) {
      const b0 = bias.offset;
      for (let o = 0; o < nout; o++) dst[b0 + o] = src[b0 + (rowPerm ? rowPerm[o]! : o)]!;
    }
  }
  return dst;
}
