/**
 * Exact equilibrium of small Ising systems (N ≤ 20) by enumerating all 2^N configurations.
 *
 * Energies: a Gray-code walk (state k ↦ g_k = k ⊕ (k >> 1); consecutive states differ by the single
 * spin ctz(k+1)), so each new energy costs one flip with incremental local-field updates
 * (O(N) dense, O(z) lattice) instead of a full O(N²) evaluation. Bit i of a state index set ⇔ s_i = −1.
 *
 * Two independent replicas: the overlap distribution P(q) = Σ_{s,t} p(s) p(t) δ(q − s·t/N) depends on
 * s, t only through u = s ⊕ t, so it is the XOR-autocorrelation A(u) = Σ_s p(s) p(s ⊕ u) binned by
 * popcount(u) (q = (N − 2|u|)/N). A is computed with two Walsh–Hadamard transforms,
 * A = WHT(WHT(p)²) / 2^N (the convolution theorem on the group Z_2^N), in O(N 2^N) instead of O(4^N).
 * ⟨q²⟩ and ⟨q⁴⟩ are then exact moments of P(q).
 */
import { GlassyError } from '../../core/errors.js';
import type { IsingModel } from '../../landscapes/ising/model.js';
import { SpinChain } from './chain.js';

export const EXACT_MAX_N = 20;

export interface ExactResult {
  temperature: number;
  /** ln Z. */
  logZ: number;
  /** ⟨H⟩/N. */
  energy: number;
  /** (⟨H²⟩ − ⟨H⟩²)/(N T²): specific heat per spin. */
  specificHeat: number;
  /** ⟨|m|⟩ with m = (1/N) Σ s_i. */
  absMagnetisation: number;
  /** ⟨q²⟩ and ⟨q⁴⟩ over two independent replicas. */
  q2: number;
  q4: number;
  /** P(q) at q_k = (N − 2k)/N for k = 0..N (so index 0 is q = +1). */
  pq: Float64Array;
  /** ⟨q_link⟩ = (1/N_b) Σ_b ⟨s_i s_j⟩² when bonds are given (NaN otherwise). */
  qLink: number;
}

/** E(s) for every state index (bit i set ⇔ s_i = −1), by a Gray-code walk. */
export function enumerateEnergies(model: IsingModel): Float64Array {
  const n = model.dim;
  if (!Number.isInteger(n) || n < 1 || n > EXACT_MAX_N) throw GlassyError.invalid('n', n, `1 ≤ N ≤ ${EXACT_MAX_N} spins for exact enumeration`);
  const size = 2 ** n;
  const E = new Float64Array(size);
  const chain = new SpinChain(model); // all spins +1 = state 0
  E[0] = chain.energy;
  let g = 0;
  for (let k = 1; k < size; k++) {
    const bit = 31 - Math.clz32(k & -k); // ctz(k): the spin that changes from g_{k−1} to g_k
    chain.flip(bit);
    g ^= 1 << bit;
    E[g] = chain.energy;
    if ((k & 0xffff) === 0) chain.resync(); // bound incremental round-off on long walks
  }
  return E;
}

/** In-place Walsh–Hadamard transform (unnormalised; applying it twice multiplies by the length). */
export function walshHadamard(x: Float64Array): void {
  const size = x.length;
  for (let h = 1; h < size; h <<= 1) {
    for (let i = 0; i < size; i += h << 1) {
      for (let j = i; j < i + h; j++) {
        const a = x[j]!;
        const b = x[j + h]!;
        x[j] = a + b;
        x[j + h] = a - b;
      }
    }
  }
}

function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/**
 * Exact thermodynamics of one disorder sample at each temperature (T > 0). `bonds` (pairs of sites,
 * as EdwardsAnderson.bondSites) adds the exact link overlap.
 */
export function exactThermodynamics(model: IsingModel, temperatures: ArrayLike<number>, bonds?: Int32Array): ExactResult[] {
  for (let k = 0; k < temperatures.length; k++) {
    const T = temperatures[k]!;
    if (!(T > 0) || !Number.isFinite(T)) throw GlassyError.invalid('temperatures', T, 'finite temperatures > 0 for exact enumeration');
  }
  const n = model.dim;
  const E = enumerateEnergies(model);
  const size = E.length;
  let Emin = Infinity;
  for (let s = 0; s < size; s++) if (E[s]! < Emin) Emin = E[s]!;
  const pc = new Uint8Array(size);
  for (let s = 0; s < size; s++) pc[s] = popcount(s);
  const p = new Float64Array(size);
  const out: ExactResult[] = [];
  for (let k = 0; k < temperatures.length; k++) {
    const T = temperatures[k]!;
    const beta = 1 / T;
    // Boltzmann weights shifted by the ground state so that no weight overflows.
    let Z = 0;
    let e1 = 0;
    let e2 = 0;
    let absM = 0;
    for (let s = 0; s < size; s++) {
      const w = Math.exp(-beta * (E[s]! - Emin));
      p[s] = w;
      Z += w;
      const d = E[s]! - Emin;
      e1 += w * d;
      e2 += w * d * d;
      absM += w * Math.abs(n - 2 * pc[s]!);
    }
    e1 /= Z;
    e2 /= Z;
    const meanE = Emin + e1;
    const varE = e2 - e1 * e1;
    let qLink = NaN;
    if (bonds) {
      const nb = bonds.length >> 1;
      const corr = new Float64Array(nb);
      for (let s = 0; s < size; s++) {
        const w = p[s]!;
        for (let b = 0; b < nb; b++) {
          const x = ((s >>> bonds[2 * b]!) ^ (s >>> bonds[2 * b + 1]!)) & 1;
          corr[b] += x ? -w : w;
        }
      }
      qLink = 0;
      for (let b = 0; b < nb; b++) qLink += (corr[b]! / Z) ** 2;
      qLink /= nb;
    }
    for (let s = 0; s < size; s++) p[s] /= Z;
    walshHadamard(p);
    for (let s = 0; s < size; s++) p[s] = p[s]! * p[s]!;
    walshHadamard(p);
    const pq = new Float64Array(n + 1);
    for (let u = 0; u < size; u++) pq[pc[u]!] += p[u]! / size;
    let q2 = 0;
    let q4 = 0;
    for (let c = 0; c <= n; c++) {
      const q = (n - 2 * c) / n;
      q2 += pq[c]! * q * q;
      q4 += pq[c]! * q * q * q * q;
    }
    out.push({
      temperature: T,
      logZ: Math.log(Z) - beta * Emin,
      energy: meanE / n,
      specificHeat: (varE * beta * beta) / n,
      absMagnetisation: absM / Z / n,
      q2,
      q4,
      pq,
      qLink,
    });
  }
  return out;
}
