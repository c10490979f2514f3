/**
 * Overlaps between replicas (docs/papers.md, "Definitions used throughout").
 *
 *  - networks:   q_ab = θ_a·θ_b / (|θ_a| |θ_b|)  (a cosine; computed before and after alignment);
 *                per tensor (layers.<l>.weight, layers.<l>.bias) the same cosine on each slice;
 *                per hidden unit the cosine between incoming weight vectors of unit i of a and j of b;
 *                in function space: the agreement of argmax predictions and the Pearson correlation
 *                of outputs on a common input batch.
 *  - Ising:      q_ab = (1/N) Σ_i s_i^a s_i^b (Edwards & Anderson 1975; Mézard, Parisi & Virasoro 1987).
 *  - K replicas: the K × K matrix of any of these normalisations, by blocked dot products.
 *
 * All sums are accumulated in float64 whatever the input precision.
 */
import type { Backend, Float } from '../core/backend.js';
import { GlassyError } from '../core/errors.js';
import { pairMoments } from '../core/moments.js';
import type { MlpLayout } from '../landscapes/mlp/layout.js';

/** A configuration: network parameters, spherical spins, or Ising spins (±1, possibly int8). */
export type Configuration = Float | Int8Array;

/**
 * K replicas: either a row-major [K × P] array with its shape, or an array of K vectors of equal length.
 * The row-major form is what executors that batch replicas hold (80 000 × 1000 floats fit in one array).
 */
export type ReplicaSet =
  | { data: Configuration; count: number; dim: number }
  | ReadonlyArray<Configuration>;

/**
 * How a dot product becomes an overlap:
 *  - 'cosine':   θ_a·θ_b / (|θ_a||θ_b|)  (network parameters; equals the Ising overlap for ±1 spins);
 *  - 'per-site': (1/N) x_a·x_b            (Ising and spherical spins, N = dimension);
 *  - 'dot':      x_a·x_b                  (raw Gram matrix).
 * A zero vector has cosine overlap NaN with everything (it has no direction).
 */
export type OverlapNormalisation = 'cosine' | 'per-site' | 'dot';

function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw GlassyError.invalid('b.length', b.length, `${a.length} (the length of a)`);
  if (a.length === 0) throw GlassyError.invalid('a.length', 0, 'a non-empty configuration');
}

/** q_ab = θ_a·θ_b / (|θ_a||θ_b|) (docs/papers.md). NaN if either is zero. */
export function parameterOverlap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkSameLength(a, b);
  return cosineRange(a, b, 0, a.length);
}

function cosineRange(a: ArrayLike<number>, b: ArrayLike<number>, start: number, end: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = start; i < end; i++) {
    const x = a[i]!;
    const y = b[i]!;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : NaN;
}

/** q_ab = (1/N) Σ_i s_i^a s_i^b (docs/papers.md); also for spherical σ with Σσ² = N. */
export function isingOverlap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkSameLength(a, b);
  let q = 0;
  for (let i = 0; i < a.length; i++) q += a[i]! * b[i]!;
  return q / a.length;
}

export interface TensorOverlap {
  /** Tensor name from the layout, e.g. "0.weight". */
  name: string;
  /** Cosine overlap of the slice (NaN if either slice is zero). */
  q: number;
}

/** The cosine overlap of every named tensor of the layout (per-layer overlaps). */
export function tensorOverlaps(layout: MlpLayout, a: ArrayLike<number>, b: ArrayLike<number>): TensorOverlap[] {
  if (a.length !== layout.size) throw GlassyError.invalid('a.length', a.length, `${layout.size} (the layout size)`);
  if (b.length !== layout.size) throw GlassyError.invalid('b.length', b.length, `${layout.size} (the layout size)`);
  return layout.tensors.map((t) => ({ name: t.name, q: cosineRange(a, b, t.offset, t.offset + t.size) }));
}

export interface UnitOverlapOptions {
  /** Append the bias b_l[i] to unit i's incoming weight vector (default true, when the layout has biases). */
  bias?: boolean;
}

/**
 * The hidden-unit overlap matrix of hidden layer h: U[i, j] = cosine between the incoming weight
 * vector of unit i of a (row i of W_h, with b_h[i]) and that of unit j of b. Row-major w × w.
 * After alignment a matched pair sits on the diagonal; the matrix shows which units are shared.
 */
export function unitOverlapMatrix(
  layout: MlpLayout, a: ArrayLike<number>, b: ArrayLike<number>, h: number, options: UnitOverlapOptions = {},
): Float64Array {
  if (a.length !== layout.size) throw GlassyError.invalid('a.length', a.length, `${layout.size} (the layout size)`);
  if (b.length !== layout.size) throw GlassyError.invalid('b.length', b.length, `${layout.size} (the layout size)`);
  const H = layout.layers.length - 1;
  if (!Number.isInteger(h) || h < 0 || h >= H) throw GlassyError.invalid('layer', h, `a hidden layer index in [0, ${H - 1}]`);
  const { weight, bias, in: nin, out: w } = layout.layers[h]!;
  const withBias = (options.bias ?? true) && bias !== null;
  const d = nin + (withBias ? 1 : 0);
  const unitVectors = (x: ArrayLike<number>): Float64Array => {
    const u = new Float64Array(w * d);
    for (let i = 0; i < w; i++) {
      for (let k = 0; k < nin; k++) u[i * d + k] = x[weight.offset + i * nin + k]!;
      if (withBias) u[i * d + nin] = x[bias!.offset + i]!;
    }
    return u;
  };
  const ua = unitVectors(a);
  const ub = unitVectors(b);
  const na = rowNorms(ua, w, d);
  const nb = rowNorms(ub, w, d);
  const U = new Float64Array(w * w);
  for (let i = 0; i < w; i++) {
    for (let j = 0; j < w; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += ua[i * d + k]! * ub[j * d + k]!;
      const den = na[i]! * nb[j]!;
      U[i * w + j] = den > 0 ? s / den : NaN;
    }
  }
  return U;
}

function rowNorms(x: Float64Array, rows: number, d: number): Float64Array {
  const n = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k]! ** 2;
    n[i] = Math.sqrt(s);
  }
  return n;
}

/**
 * Function-space overlap 1: the fraction of inputs on which a and b predict the same class,
 * from output matrices [n × classes] (row-major, logits or probabilities). Ties take the first maximum.
 */
export function predictionAgreement(outA: ArrayLike<number>, outB: ArrayLike<number>, classes: number): number {
  checkSameLength(outA, outB);
  if (!Number.isInteger(classes) || classes < 1 || outA.length % classes !== 0) {
    throw GlassyError.invalid('classes', classes, `a positive divisor of the output length ${outA.length}`);
  }
  const n = outA.length / classes;
  let agree = 0;
  for (let s = 0; s < n; s++) if (argmax(outA, s * classes, classes) === argmax(outB, s * classes, classes)) agree++;
  return agree / n;
}

function argmax(x: ArrayLike<number>, off: number, len: number): number {
  let best = 0;
  let v = x[off]!;
  for (let c = 1; c < len; c++) if (x[off + c]! > v) { v = x[off + c]!; best = c; }
  return best;
}

/**
 * Function-space overlap 2: the Pearson correlation of the two output matrices over all entries
 * (r = Σ(x−x̄)(y−ȳ) / √(Σ(x−x̄)² Σ(y−ȳ)²)). NaN if either output is constant.
 */
export function outputCorrelation(outA: ArrayLike<number>, outB: ArrayLike<number>): number {
  checkSameLength(outA, outB);
  const { sxx, sxy, syy } = pairMoments(outA, outB);
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/** Number of replicas K and dimension P of a replica set (validated). */
export function replicaShape(replicas: ReplicaSet): { count: number; dim: number } {
  if (Array.isArray(replicas)) {
    const list = replicas as ReadonlyArray<Configuration>;
    if (list.length === 0) throw GlassyError.invalid('replicas.length', 0, 'at least one replica');
    const dim = list[0]!.length;
    for (let k = 0; k < list.length; k++) {
      if (list[k]!.length !== dim) throw GlassyError.invalid(`replicas[${k}].length`, list[k]!.length, `${dim} (the length of replicas[0])`);
    }
    if (dim === 0) throw GlassyError.invalid('replicas[0].length', 0, 'a non-empty configuration');
    return { count: list.length, dim };
  }
  const { data, count, dim } = replicas as { data: Configuration; count: number; dim: number };
  if (!Number.isInteger(count) || count < 1) throw GlassyError.invalid('count', count, 'an integer ≥ 1');
  if (!Number.isInteger(dim) || dim < 1) throw GlassyError.invalid('dim', dim, 'an integer ≥ 1');
  if (data.length !== count * dim) throw GlassyError.invalid('data.length', data.length, `count × dim = ${count * dim}`);
  return { count, dim };
}

/** Entry k of replica r of a replica set (used by packers; not for hot loops). */
function rowAccessor(replicas: ReplicaSet): (r: number) => { src: Configuration; offset: number } {
  if (Array.isArray(replicas)) {
    const list = replicas as ReadonlyArray<Configuration>;
    return (r) => ({ src: list[r]!, offset: 0 });
  }
  const { data, dim } = replicas as { data: Configuration; count: number; dim: number };
  return (r) => ({ src: data, offset: r * dim });
}

export interface OverlapMatrixOptions {
  /** Default 'cosine'. */
  normalisation?: OverlapNormalisation;
  /** Columns per packed panel (default 256, or 2048 with a backend): the working set is K × panel float64. */
  panel?: number;
  /**
   * A GEMM backend (core/backends: getBackend()). When given, each packed float64 panel X_p is
   * accumulated as G ← X_p X_pᵀ + G by its dgemm (OpenBLAS: tens of times faster than the JavaScript
   * kernel); otherwise the built-in register-blocked kernel is used. Same result to rounding.
   */
  backend?: Backend;
}

/**
 * The full K × K overlap matrix (row-major, symmetric, float64) of K replicas.
 *
 * Method: the Gram matrix G = X Xᵀ by blocked dot products. The P coordinates are processed in panels
 * of `panel` columns; each panel of all K replicas is packed into a float64 buffer (padding K to a
 * multiple of 4), and the upper triangle of G is accumulated in 4 × 4 register blocks (16 accumulators,
 * 8 loads per 16 multiply-adds). O(K² P / 2) operations, O(K² + K·panel) memory beyond the input.
 * Then q_ab = G_ab/√(G_aa G_bb) ('cosine'), G_ab/P ('per-site') or G_ab ('dot').
 */
export function overlapMatrix(replicas: ReplicaSet, options: OverlapMatrixOptions = {}): Float64Array {
  const { count: K, dim: P } = replicaShape(replicas);
  const normalisation = options.normalisation ?? 'cosine';
  if (normalisation !== 'cosine' && normalisation !== 'per-site' && normalisation !== 'dot') {
    throw GlassyError.invalid('normalisation', normalisation, '"cosine", "per-site" or "dot"');
  }
  const panel = options.panel ?? (options.backend ? 2048 : 256);
  if (!Number.isInteger(panel) || panel < 1) throw GlassyError.invalid('panel', panel, 'an integer ≥ 1');
  const G = options.backend ? gramBackend(replicas, K, P, panel, options.backend) : gram(replicas, K, P, panel);
  const Q = new Float64Array(K * K);
  if (normalisation === 'cosine') {
    const norm = new Float64Array(K);
    for (let a = 0; a < K; a++) norm[a] = Math.sqrt(G[a * K + a]!);
    for (let a = 0; a < K; a++) {
      for (let b = a; b < K; b++) {
        const den = norm[a]! * norm[b]!;
        const q = den > 0 ? G[a * K + b]! / den : NaN;
        Q[a * K + b] = q;
        Q[b * K + a] = q;
      }
    }
  } else {
    const f = normalisation === 'per-site' ? 1 / P : 1;
    for (let a = 0; a < K; a++) {
      for (let b = a; b < K; b++) {
        const q = G[a * K + b]! * f;
        Q[a * K + b] = q;
        Q[b * K + a] = q;
      }
    }
  }
  return Q;
}

/** Columns c0 … c0+w−1 of the K replicas into `pack`, row-major with stride w. */
function packPanel(row: ReturnType<typeof rowAccessor>, K: number, c0: number, w: number, pack: Float64Array): void {
  for (let r = 0; r < K; r++) {
    const { src, offset } = row(r);
    const base = offset + c0;
    const dst = r * w;
    for (let k = 0; k < w; k++) pack[dst + k] = src[base + k]!;
  }
}

/** Upper triangle (b ≥ a) of G = X Xᵀ, stored in a K × K array (lower triangle left at 0). */
function gram(replicas: ReplicaSet, K: number, P: number, panel: number): Float64Array {
  const K4 = (K + 3) & ~3;
  const pc = Math.min(panel, P);
  const pack = new Float64Array(K4 * pc); // padding rows stay 0
  const G4 = new Float64Array(K4 * K4);
  const row = rowAccessor(replicas);
  for (let c0 = 0; c0 < P; c0 += pc) {
    const w = Math.min(pc, P - c0);
    packPanel(row, K, c0, w, pack);
    pack.fill(0, K * w, K4 * w); // padding rows (the last panel is narrower, so the stride changes)
    accumulateUpper(pack, K4, w, G4);
  }
  const G = new Float64Array(K * K);
  for (let a = 0; a < K; a++) for (let b = a; b < K; b++) G[a * K + b] = G4[a * K4 + b]!;
  return G;
}

/** G = X Xᵀ through a backend's dgemm on float64 panels (full square; the upper triangle is read). */
function gramBackend(replicas: ReplicaSet, K: number, P: number, panel: number, backend: Backend): Float64Array {
  const pc = Math.min(panel, P);
  // Buffers from the backend, so that a WebAssembly backend needs no copies.
  const pack = backend.allocF64(K * pc);
  const G = backend.allocF64(K * K);
  const row = rowAccessor(replicas);
  for (let c0 = 0; c0 < P; c0 += pc) {
    const w = Math.min(pc, P - c0);
    packPanel(row, K, c0, w, pack);
    // β = 0 on the first panel overwrites whatever the fresh buffer held (BLAS semantics).
    backend.dgemm(false, true, K, K, w, 1, pack, w, pack, w, c0 === 0 ? 0 : 1, G, K);
  }
  return Float64Array.from(G);
}

/** G4[i, j] += Σ_k X[i, k] X[j, k] for 4 × 4 blocks with j-block ≥ i-block; X is K4 × w, row stride w. */
function accumulateUpper(X: Float64Array, K4: number, w: number, G4: Float64Array): void {
  for (let ib = 0; ib < K4; ib += 4) {
    const i0 = ib * w, i1 = i0 + w, i2 = i1 + w, i3 = i2 + w;
    for (let jb = ib; jb < K4; jb += 4) {
      const j0 = jb * w, j1 = j0 + w, j2 = j1 + w, j3 = j2 + w;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = 0; k < w; k++) {
        const a0 = X[i0 + k]!, a1 = X[i1 + k]!, a2 = X[i2 + k]!, a3 = X[i3 + k]!;
        const b0 = X[j0 + k]!, b1 = X[j1 + k]!, b2 = X[j2 + k]!, b3 = X[j3 + k]!;
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      }
      let r = ib * K4 + jb;
      G4[r] += c00; G4[r + 1] += c01; G4[r + 2] += c02; G4[r + 3] += c03; r += K4;
      G4[r] += c10; G4[r + 1] += c11; G4[r + 2] += c12; G4[r + 3] += c13; r += K4;
      G4[r] += c20; G4[r + 1] += c21; G4[r + 2] += c22; G4[r + 3] += c23; r += K4;
      G4[r] += c30; G4[r + 1] += c31; G4[r + 2] += c32; G4[r + 3] += c33;
    }
  }
}
