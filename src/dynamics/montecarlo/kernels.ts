/**
 * Single-spin-flip Monte Carlo sweeps: the hot loops of glassy's spin-glass side.
 *
 * One sweep = N attempted flips. Sites are visited in sequential order 0..N−1 (the default: it is
 * cache-friendly and, being a valid composition of detailed-balance-satisfying single-site updates,
 * leaves the Boltzmann distribution stationary — Newman & Barkema, "Monte Carlo Methods in Statistical
 * Physics", §3.1) or at uniformly random sites (which satisfies detailed balance step by step).
 *
 * Metropolis (Metropolis et al., J. Chem. Phys. 21, 1087 (1953)): accept a flip with probability
 * min(1, e^{−βΔE}), ΔE = 2 s_i h_i. To keep Math.exp out of most attempts the test u < e^{−x}
 * (x = βΔE > 0) is decided first by two exact bounds: e^{−x} > 1 − x (so u < 1 − x accepts) and
 * e^{−x} < 1/(1 + x + x²/2) (so u·(1 + x + x²/2) ≥ 1 rejects); only the remaining band calls exp.
 * The decision is identical to u < e^{−x}. For ±J couplings at h = 0 the local field is an integer
 * in [−z, z] and min(1, e^{−2β s_i h_i}) comes from a table of 2z + 1 entries.
 *
 * Heat bath (Glauber): set s_i = +1 with probability 1/(1 + e^{−2βh_i}), independent of its old value.
 *
 * These JavaScript loops are the specification and the fallback: asm/spinflip.ts implements the same
 * sweeps in WebAssembly SIMD with bit-identical results and is used whenever it loads
 * (src/dynamics/montecarlo/wasm.ts; GLASSY_SPINFLIP=js|wasm forces one).
 *
 * Every kernel is allocation-free, uses only typed arrays and the chain's own fields, and returns the
 * number of accepted flips (for acceptance rates). The chain's energy is updated incrementally.
 */
import type { Rng } from '../../core/rng.js';
import type { SpinChain } from './chain.js';
import { spinFlipKernel, wasmSweep } from './wasm.js';

export type SiteOrder = 'sequential' | 'random';
export type SingleFlipRule = 'metropolis' | 'heatbath';

/** One Metropolis sweep at inverse temperature β. Returns the number of accepted flips. */
export function metropolisSweep(chain: SpinChain, beta: number, rng: Rng, order: SiteOrder = 'sequential'): number {
  if (spinFlipKernel() === 'wasm') {
    const k = wasmSweep(chain, false, beta, rng, order === 'random');
    if (k >= 0) return k;
  }
  const c = chain.model.couplings;
  if (c.kind === 'dense') return metropolisDense(chain, c.J, beta, rng, order === 'random');
  if (c.integer && chain.model.field === 0) return metropolisSparseTable(chain, c.z, c.neighbours, c.J, beta, rng, order === 'random');
  return metropolisSparse(chain, c.z, c.neighbours, c.J, beta, rng, order === 'random');
}

/** One heat-bath sweep at inverse temperature β. Returns the number of spins that changed. */
export function heatBathSweep(chain: SpinChain, beta: number, rng: Rng, order: SiteOrder = 'sequential'): number {
  if (spinFlipKernel() === 'wasm') {
    const k = wasmSweep(chain, true, beta, rng, order === 'random');
    if (k >= 0) return k;
  }
  const c = chain.model.couplings;
  if (c.kind === 'dense') return heatBathDense(chain, c.J, beta, rng, order === 'random');
  return heatBathSparse(chain, c.z, c.neighbours, c.J, beta, rng, order === 'random');
}

export function sweep(rule: SingleFlipRule, chain: SpinChain, beta: number, rng: Rng, order: SiteOrder = 'sequential'): number {
  return rule === 'heatbath' ? heatBathSweep(chain, beta, rng, order) : metropolisSweep(chain, beta, rng, order);
}

/**
 * The Metropolis test for x = βΔE > 0 given a uniform u in [0, 1): u < e^{−x}, decided by the
 * bounds 1 − x < e^{−x} < 1/(1 + x + x²/2) before calling exp (see the module comment).
 */
function acceptUphill(x: number, u: number): boolean {
  if (u < 1 - x) return true;
  if (u * (1 + x + 0.5 * x * x) >= 1) return false;
  return u < Math.exp(-x);
}

function metropolisDense(chain: SpinChain, J: Float64Array, beta: number, rng: Rng, random: boolean): number {
  const n = chain.n;
  const s = chain.spins;
  const h = chain.fields;
  let accepted = 0;
  let dEsum = 0;
  for (let t = 0; t < n; t++) {
    const i = random ? rng.int(n) : t;
    const si = s[i]!;
    const dE = 2 * si * h[i]!;
    if (dE > 0 && !acceptUphill(beta * dE, rng.uniform32())) continue;
    // accepted: s_i → −s_i, every field h_j gains J_ij·(s_i,new − s_i,old) = −2 s_i,old J_ij.
    s[i] = -si;
    dEsum += dE;
    accepted++;
    addRow(h, J, i * n, -2 * si, n);
  }
  chain.energy += dEsum;
  return accepted;
}

/**
 * h_j += c·J[row + j] for j < n: the O(N) update after an accepted flip on dense couplings, unrolled by 8
 * (V8 does not vectorise; unrolling amortises the loop and bounds-check overhead — measured ≈1.3–1.6×
 * faster than the plain loop for N = 1024, see docs/spinglass.md).
 */
function addRow(h: Float64Array, J: Float64Array, row: number, c: number, n: number): void {
  let j = 0;
  let k = row;
  for (; j + 7 < n; j += 8, k += 8) {
    h[j] += c * J[k]!;
    h[j + 1] += c * J[k + 1]!;
    h[j + 2] += c * J[k + 2]!;
    h[j + 3] += c * J[k + 3]!;
    h[j + 4] += c * J[k + 4]!;
    h[j + 5] += c * J[k + 5]!;
    h[j + 6] += c * J[k + 6]!;
    h[j + 7] += c * J[k + 7]!;
  }
  for (; j < n; j++, k++) h[j] += c * J[k]!;
}

function metropolisSparse(chain: SpinChain, z: number, nb: Int32Array, J: Float64Array, beta: number, rng: Rng, random: boolean): number {
  const n = chain.n;
  const s = chain.spins;
  const h = chain.fields;
  let accepted = 0;
  let dEsum = 0;
  for (let t = 0; t < n; t++) {
    const i = random ? rng.int(n) : t;
    const si = s[i]!;
    const dE = 2 * si * h[i]!;
    if (dE > 0 && !acceptUphill(beta * dE, rng.uniform32())) continue;
    s[i] = -si;
    dEsum += dE;
    accepted++;
    const c = -2 * si;
    const b = i * z;
    for (let k = 0; k < z; k++) h[nb[b + k]!] += c * J[b + k]!;
  }
  chain.energy += dEsum;
  return accepted;
}

/** Acceptance tables per β for ±J lattices, cached on the coordination number (tiny: 2z + 1 doubles). */
function acceptanceTable(z: number, beta: number): Float64Array {
  // entry k ↔ s_i h_i = k − z (an integer when the couplings are ±1 and h = 0): min(1, e^{−2β(k−z)}).
  const t = new Float64Array(2 * z + 1);
  for (let k = 0; k <= 2 * z; k++) t[k] = Math.min(1, Math.exp(-2 * beta * (k - z)));
  return t;
}

let tableZ = -1;
let tableBeta = NaN;
let table: Float64Array = new Float64Array(0);

function metropolisSparseTable(chain: SpinChain, z: number, nb: Int32Array, J: Float64Array, beta: number, rng: Rng, random: boolean): number {
  if (z !== tableZ || beta !== tableBeta) {
    table = acceptanceTable(z, beta);
    tableZ = z;
    tableBeta = beta;
  }
  const acc = table;
  const n = chain.n;
  const s = chain.spins;
  const h = chain.fields;
  let accepted = 0;
  let dEsum = 0;
  for (let t = 0; t < n; t++) {
    const i = random ? rng.int(n) : t;
    const si = s[i]!;
    const sh = si * h[i]!; // integer in [−z, z]
    if (sh > 0 && rng.uniform32() >= acc[(sh + z) | 0]!) continue;
    s[i] = -si;
    dEsum += 2 * sh;
    accepted++;
    const c = -2 * si;
    const b = i * z;
    if (z === 6) {
      // the cubic lattice, unrolled (a constant trip count, as the C reference's Z gets from its compiler)
      h[nb[b]!] += c * J[b]!;
      h[nb[b + 1]!] += c * J[b + 1]!;
      h[nb[b + 2]!] += c * J[b + 2]!;
      h[nb[b + 3]!] += c * J[b + 3]!;
      h[nb[b + 4]!] += c * J[b + 4]!;
      h[nb[b + 5]!] += c * J[b + 5]!;
    } else {
      for (let k = 0; k < z; k++) h[nb[b + k]!] += c * J[b + k]!;
    }
  }
  chain.energy += dEsum;
  return accepted;
}

function heatBathDense(chain: SpinChain, J: Float64Array, beta: number, rng: Rng, random: boolean): number {
  const n = chain.n;
  const s = chain.spins;
  const h = chain.fields;
  let changed = 0;
  let dEsum = 0;
  for (let t = 0; t < n; t++) {
    const i = random ? rng.int(n) : t;
    const hi = h[i]!;
    // P(s_i = +1) = e^{βh}/(e^{βh} + e^{−βh}) = 1/(1 + e^{−2βh}).
    const sn = rng.uniform32() * (1 + Math.exp(-2 * beta * hi)) < 1 ? 1 : -1;
    const si = s[i]!;
    if (sn === si) continue;
    s[i] = sn;
    dEsum += 2 * si * hi;
    changed++;
    addRow(h, J, i * n, 2 * sn, n);
  }
  chain.energy += dEsum;
  return changed;
}

function heatBathSparse(chain: SpinChain, z: number, nb: Int32Array, J: Float64Array, beta: number, rng: Rng, random: boolean): number {
  const n = chain.n;
  const s = chain.spins;
  const h = chain.fields;
  let changed = 0;
  let dEsum = 0;
  for (let t = 0; t < n; t++) {
    const i = random ? rng.int(n) : t;
    const hi = h[i]!;
    const sn = rng.uniform32() * (1 + Math.exp(-2 * beta * hi)) < 1 ? 1 : -1;
    const si = s[i]!;
    if (sn === si) continue;
    s[i] = sn;
    dEsum += 2 * si * hi;
    changed++;
    const c = 2 * sn;
    const b = i * z;
    for (let k = 0; k < z; k++) h[nb[b + k]!] += c * J[b + k]!;
  }
  chain.energy += dEsum;
  return changed;
}
