/**
 * The shared shape of the Ising reference spin glasses (SK, Edwards–Anderson, Hopfield).
 *
 *   H(s) = −Σ_{i<j} J_ij s_i s_j − h Σ_i s_i,   s_i ∈ {−1, +1}.
 *
 * A model is a `Landscape<Float64Array>` with geometry 'ising' (configurations stored as ±1 in a
 * Float64Array, so protocols written against the Landscape interface can call `energy(x)`), plus the
 * coupling structure the Monte Carlo kernels need. The kernels themselves keep spins as Int8Array
 * (±1): one byte per spin keeps a chain's state small and is exactly the on-disk `configurations`
 * format (docs/RUN-FORMAT.md: "Ising configurations: int8 ±1").
 *
 * Two coupling structures, because the hot loops differ (see src/dynamics/montecarlo/chain.ts):
 *   dense   — full symmetric N×N Float64Array, row-major, zero diagonal (SK, Hopfield): a flip of s_i
 *             updates all N local fields from the contiguous row i.
 *   sparse  — z neighbours per site (EA lattices): neighbours[i·z + k] and the matching couplings
 *             J[i·z + k]; each bond appears twice (once from each end).
 */
import type { Landscape } from '../landscape.js';

export interface DenseCouplings {
  readonly kind: 'dense';
  /** J[i·N + j] = J_ij = J_ji, J_ii = 0. */
  readonly J: Float64Array;
}

export interface SparseCouplings {
  readonly kind: 'sparse';
  /** Coordination number z (4 on the square lattice, 6 on the cubic). */
  readonly z: number;
  /** neighbours[i·z + k]: the k-th neighbour of site i. */
  readonly neighbours: Int32Array;
  /** J[i·z + k]: coupling between i and neighbours[i·z + k]. */
  readonly J: Float64Array;
  /** True when every coupling is an integer (±J): local fields are then integers when h = 0,
   *  and Metropolis can use a precomputed acceptance table instead of Math.exp. */
  readonly integer: boolean;
}

export type Couplings = DenseCouplings | SparseCouplings;

export interface IsingModel extends Landscape<Float64Array> {
  readonly geometry: 'ising';
  /** Uniform external field h. */
  readonly field: number;
  readonly couplings: Couplings;
  /** Number of bonds (pairs i<j with J_ij possibly non-zero): N(N−1)/2 dense, zN/2 on a lattice. */
  readonly nBonds: number;
  /** H(s) for an Int8Array ±1 configuration. */
  spinEnergy(s: Int8Array): number;
  /** out[i] = Σ_j J_ij s_j + h (the local field on spin i). */
  localFields(s: Int8Array, out: Float64Array): void;
}

/** Local fields h_i = Σ_j J_ij s_j + h for either coupling structure. */
export function computeLocalFields(c: Couplings, n: number, field: number, s: ArrayLike<number>, out: Float64Array): void {
  if (c.kind === 'dense') {
    const J = c.J;
    for (let i = 0; i < n; i++) {
      let acc = 0;
      const row = i * n;
      for (let j = 0; j < n; j++) acc += J[row + j]! * s[j]!;
      out[i] = acc + field;
    }
  } else {
    const { z, neighbours, J } = c;
    for (let i = 0; i < n; i++) {
      let acc = 0;
      const b = i * z;
      for (let k = 0; k < z; k++) acc += J[b + k]! * s[neighbours[b + k]!]!;
      out[i] = acc + field;
    }
  }
}

/**
 * H = −Σ_{i<j} J_ij s_i s_j − h Σ s_i = −½ Σ_i s_i (h_i + h), with h_i the local field
 * (each pair is counted twice in Σ_i s_i Σ_j J_ij s_j, the field term once).
 */
export function isingEnergy(c: Couplings, n: number, field: number, s: ArrayLike<number>): number {
  let pair = 0;
  let m = 0;
  if (c.kind === 'dense') {
    const J = c.J;
    for (let i = 0; i < n; i++) {
      let acc = 0;
      const row = i * n;
      for (let j = i + 1; j < n; j++) acc += J[row + j]! * s[j]!;
      pair += acc * s[i]!;
      m += s[i]!;
    }
  } else {
    const { z, neighbours, J } = c;
    let twice = 0;
    for (let i = 0; i < n; i++) {
      let acc = 0;
      const b = i * z;
      for (let k = 0; k < z; k++) acc += J[b + k]! * s[neighbours[b + k]!]!;
      twice += acc * s[i]!;
      m += s[i]!;
    }
    pair = twice / 2;
  }
  return -pair - field * m;
}

/** Checks that x holds only ±1 (the landscape's energy(x) contract for geometry 'ising'). */
export function isSpinConfiguration(x: ArrayLike<number>): boolean {
  for (let i = 0; i < x.length; i++) if (x[i] !== 1 && x[i] !== -1) return false;
  return true;
}

/**
 * Shared implementation of the Landscape side of every Ising model. Subclasses supply the couplings.
 */
export abstract class IsingBase implements IsingModel {
  readonly geometry = 'ising' as const;
  abstract readonly name: string;
  abstract readonly couplings: Couplings;
  abstract readonly nBonds: number;

  constructor(
    readonly dim: number,
    readonly field: number,
  ) {}

  newConfig(): Float64Array {
    return new Float64Array(this.dim);
  }

  energy(x: Float64Array): number {
    return isingEnergy(this.couplings, this.dim, this.field, x);
  }

  spinEnergy(s: Int8Array): number {
    return isingEnergy(this.couplings, this.dim, this.field, s);
  }

  localFields(s: Int8Array, out: Float64Array): void {
    computeLocalFields(this.couplings, this.dim, this.field, s, out);
  }
}

/** ±1 Float64Array view of an Int8Array configuration (for `Landscape.energy`). */
export function toFloatSpins(s: Int8Array, out: Float64Array = new Float64Array(s.length)): Float64Array {
  for (let i = 0; i < s.length; i++) out[i] = s[i]!;
  return out;
}

/** Int8Array ±1 configuration from a float one (sign; 0 maps to +1). */
export function toInt8Spins(x: ArrayLike<number>, out: Int8Array = new Int8Array(x.length)): Int8Array {
  for (let i = 0; i < x.length; i++) out[i] = x[i]! < 0 ? -1 : 1;
  return out;
}
