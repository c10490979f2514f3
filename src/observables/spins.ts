/**
 * Observables of Ising configurations and their disorder averages (docs/papers.md):
 * energy per spin, magnetisation, the replica overlap q_ab = (1/N) Σ_i s_i^a s_i^b, the link overlap,
 * P(q) histograms, the moments ⟨q²⟩, ⟨q⁴⟩ (their Binder ratio and disorder averages: statistics.ts)
 * and the spin two-time correlation C(tw, tw+t) = (1/N) Σ_i s_i(tw) s_i(tw+t).
 *
 * Notation: ⟨·⟩ is the thermal (Monte Carlo time / replica) average for one disorder sample, [·] the
 * average over disorder samples.
 */
import { GlassyError } from '../core/errors.js';
import { equalEdges, findBin } from './histogram.js';
import { isingOverlap } from './overlap.js';

type Spins = ArrayLike<number>;

/** m = (1/N) Σ_i s_i. */
export function magnetisation(s: Spins): number {
  let m = 0;
  for (let i = 0; i < s.length; i++) m += s[i]!;
  return m / s.length;
}

/**
 * Link overlap q_link = (1/N_b) Σ_{(ij) bonds} s_i^a s_j^a s_i^b s_j^b over a list of bonds
 * (bondSites[2b], bondSites[2b+1]). Its thermal average enters the lattice identity
 * [⟨H⟩]/N = −(βz/2)(1 − [⟨q_link⟩]) for Gaussian couplings (Katzgraber, Palassini & Young, PRB 63,
 * 184422 (2001), eq. 6).
 */
export function linkOverlap(bondSites: Int32Array, a: Spins, b: Spins): number {
  const nb = bondSites.length >> 1;
  let acc = 0;
  for (let k = 0; k < nb; k++) {
    const i = bondSites[2 * k]!;
    const j = bondSites[2 * k + 1]!;
    acc += a[i]! * a[j]! * b[i]! * b[j]!;
  }
  return acc / nb;
}

/** C(tw, tw+t) = (1/N) Σ_i s_i(tw) s_i(tw+t): the overlap of a chain with its own past. */
export const twoTimeCorrelation = isingOverlap;

/**
 * Histogram of q over [−1, 1]. For Ising replicas q takes the N+1 values (N − 2k)/N; with the default
 * bins = N + 1 each value has its own bin (edges at q ± 1/N), so the histogram is the exact P(q) of the
 * samples with no aliasing. Fewer bins (large N) merge neighbouring values.
 */
export class OverlapHistogram {
  readonly edges: Float64Array;
  readonly counts: Float64Array;
  total = 0;

  constructor(n: number, bins: number = n + 1) {
    if (!Number.isInteger(bins) || bins < 1) throw GlassyError.invalid('bins', bins, 'an integer ≥ 1');
    const half = 1 / n;
    this.edges = equalEdges(-1 - half, 1 + half, bins);
    this.counts = new Float64Array(bins);
  }

  add(q: number, weight = 1): void {
    // q ∈ [−1, 1] lies inside the edges; the clamp only guards against rounding at ±1.
    let k = findBin(this.edges, q);
    if (k < 0) k = q < 0 ? 0 : this.counts.length - 1;
    this.counts[k] += weight;
    this.total += weight;
  }

  /** Continue from a checkpoint's counts. */
  restore(counts: ArrayLike<number>, total: number): this {
    this.counts.set(counts);
    this.total = total;
    return this;
  }

  /** Probability per bin (sums to 1; zeros when empty). */
  probabilities(): Float64Array {
    const out = new Float64Array(this.counts.length);
    if (this.total > 0) for (let k = 0; k < out.length; k++) out[k] = this.counts[k]! / this.total;
    return out;
  }

  /** Bin centres. */
  centres(): Float64Array {
    const out = new Float64Array(this.counts.length);
    for (let k = 0; k < out.length; k++) out[k] = 0.5 * (this.edges[k]! + this.edges[k + 1]!);
    return out;
  }
}

/** Running thermal averages of one disorder sample at one temperature. */
export class ThermalAverages {
  private n = 0;
  private sums = new Map<string, number>();

  add(name: string, value: number): void {
    this.sums.set(name, (this.sums.get(name) ?? 0) + value);
  }

  /** Call once per measurement (after adding every observable of that measurement). */
  tick(): void {
    this.n++;
  }

  get count(): number {
    return this.n;
  }

  mean(name: string): number {
    const s = this.sums.get(name);
    if (s === undefined || this.n === 0) return NaN;
    return s / this.n;
  }

  /** The running sums and count, for a checkpoint (finite doubles survive JSON exactly). */
  state(): { n: number; sums: Record<string, number> } {
    return { n: this.n, sums: Object.fromEntries(this.sums) };
  }

  static fromState(st: { n: number; sums: Record<string, number> }): ThermalAverages {
    const a = new ThermalAverages();
    a.n = st.n;
    for (const [k, v] of Object.entries(st.sums)) a.sums.set(k, v);
    return a;
  }
}

/**
 * Moments of the overlap over all replica pairs a < b of one measurement: adds q², q⁴ (and q into a
 * histogram if given) to the thermal averages, each pair with equal weight. Returns the number of pairs.
 */
export function accumulateOverlaps(replicas: ArrayLike<Int8Array>, avg: ThermalAverages, hist?: OverlapHistogram): number {
  const R = replicas.length;
  let q2 = 0;
  let q4 = 0;
  let pairs = 0;
  for (let a = 0; a < R; a++) {
    for (let b = a + 1; b < R; b++) {
      const q = isingOverlap(replicas[a]!, replicas[b]!);
      const qq = q * q;
      q2 += qq;
      q4 += qq * qq;
      pairs++;
      hist?.add(q);
    }
  }
  if (pairs > 0) {
    avg.add('q2', q2 / pairs);
    avg.add('q4', q4 / pairs);
  }
  return pairs;
}

/**
 * Spin two-time correlation C(tw, tw+t) recorded on the fly at given waiting times and lags: the
 * configuration at each tw is stored, and C is computed when tw + t is reached (as DEEP-GLASS does
 * for Δ; docs/papers.md). Call `observe(time, spins)` at every integer time (sweep) in order.
 */
export class SpinCorrelation {
  /** values[a·nLags + b] = C(tw_a, tw_a + t_b) (NaN until reached). */
  readonly values: Float64Array;
  private readonly saved: Array<Int8Array | null>;

  constructor(
    readonly waitingTimes: Int32Array,
    readonly lags: Int32Array,
  ) {
    this.values = new Float64Array(waitingTimes.length * lags.length).fill(NaN);
    this.saved = Array.from(waitingTimes, () => null);
  }

  observe(time: number, spins: Int8Array): void {
    const W = this.waitingTimes.length;
    const T = this.lags.length;
    for (let a = 0; a < W; a++) {
      const tw = this.waitingTimes[a]!;
      if (tw === time) this.saved[a] = Int8Array.from(spins);
      const ref = this.saved[a];
      if (!ref) continue;
      for (let b = 0; b < T; b++) if (tw + this.lags[b]! === time) this.values[a * T + b] = isingOverlap(ref, spins);
    }
  }
}
