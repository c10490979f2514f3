/**
 * The overlap distribution P(q) (Parisi 1983; Mézard, Parisi & Virasoro, "Spin Glass Theory and Beyond",
 * 1987, ch. III and IV): for one disorder sample J, P_J(q) is the distribution of q_ab over pairs of
 * replicas a < b; the physical P(q) = [P_J(q)] is its average over disorder samples (docs/papers.md,
 * "P(q)"). For networks a "disorder sample" is a data set / teacher, and the replicas are networks
 * trained on it.
 *
 * Conventions:
 *  - Pairs a < b only (the diagonal q_aa is excluded).
 *  - weighting 'sample' (default): each disorder sample has total weight 1/M, shared equally by its
 *    pairs, so P(q) = (1/M) Σ_J P_J(q) exactly as defined above; 'pair': every pair of every sample
 *    weighs the same (pooled histogram).
 *  - Histograms follow numpy.histogram: bins [e_k, e_{k+1}) with the last bin closed; values outside
 *    the edges are not binned and reported as the weight `outside`; `probability` sums to 1 over the
 *    binned weight and `density` = probability / width integrates to 1 (numpy's density=True).
 *  - Moments are those of the (weighted) distribution: ⟨q⟩, var = ⟨(q − ⟨q⟩)²⟩, ⟨q²⟩, ⟨q⁴⟩,
 *    skewness μ₃/μ₂^{3/2}, kurtosis μ₄/μ₂² (3 for a Gaussian; `excessKurtosis` = kurtosis − 3), the
 *    Binder ratio ½(3 − ⟨q⁴⟩/⟨q²⟩²) (Binder 1981) and ⟨|q|⟩.
 */
import { GlassyError } from '../core/errors.js';
import { histogram, type BinningOptions } from './histogram.js';

/** The pair overlaps of one sample. */
export type PairOverlaps = ArrayLike<number>;

/** The overlaps q_ab, a < b, of a K × K overlap matrix (row-major), in the order (0,1), (0,2), …, (K−2,K−1). */
export function pairOverlaps(matrix: ArrayLike<number>, K?: number): Float64Array {
  const k = K ?? Math.round(Math.sqrt(matrix.length));
  if (!Number.isInteger(k) || k < 1 || k * k !== matrix.length) {
    throw GlassyError.invalid('matrix.length', matrix.length, K === undefined ? 'a square number K²' : `K² = ${k * k}`);
  }
  const out = new Float64Array((k * (k - 1)) / 2);
  let p = 0;
  for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) out[p++] = matrix[a * k + b]!;
  return out;
}

export type PqWeighting = 'sample' | 'pair';

/** Weighted values pooled over samples; weights sum to 1. */
interface Pooled {
  values: Float64Array;
  weights: Float64Array;
  pairs: number;
  samples: number;
}

function pool(samples: ReadonlyArray<PairOverlaps>, weighting: PqWeighting): Pooled {
  if (!Array.isArray(samples) || samples.length === 0) {
    throw GlassyError.invalid('samples', Array.isArray(samples) ? 'an empty list' : typeof samples, 'a non-empty list of per-sample pair overlaps');
  }
  if (weighting !== 'sample' && weighting !== 'pair') throw GlassyError.invalid('weighting', weighting, '"sample" or "pair"');
  let total = 0;
  for (let s = 0; s < samples.length; s++) {
    const n = samples[s]!.length;
    if (n === 0) throw GlassyError.invalid(`samples[${s}].length`, 0, 'at least one pair (K ≥ 2 replicas)');
    total += n;
  }
  const values = new Float64Array(total);
  const weights = new Float64Array(total);
  let p = 0;
  for (let s = 0; s < samples.length; s++) {
    const q = samples[s]!;
    const w = weighting === 'sample' ? 1 / (samples.length * q.length) : 1 / total;
    for (let i = 0; i < q.length; i++) {
      const x = q[i]!;
      if (!Number.isFinite(x)) throw GlassyError.invalid(`samples[${s}][${i}]`, x, 'a finite overlap');
      values[p] = x;
      weights[p++] = w;
    }
  }
  return { values, weights, pairs: total, samples: samples.length };
}

export interface HistogramOptions extends BinningOptions {
  /** Default 'sample' (see module comment). */
  weighting?: PqWeighting;
}

export interface PqHistogram {
  edges: Float64Array;
  centres: Float64Array;
  /** Binned weight per bin: with 'pair' weighting, pair counts; with 'sample', the average over samples of the per-sample fraction. */
  counts: Float64Array;
  /** counts normalised to sum 1 over the bins. */
  probability: Float64Array;
  /** probability / bin width: integrates to 1. */
  density: Float64Array;
  /** Weight (fraction of the total, in [0, 1]) of the overlaps outside the edges. */
  outside: number;
  pairs: number;
  samples: number;
}

/** P(q) as a histogram over pairs a < b, averaged over disorder samples. */
export function overlapHistogram(samples: ReadonlyArray<PairOverlaps>, options: HistogramOptions = {}): PqHistogram {
  const weighting = options.weighting ?? 'sample';
  const pooled = pool(samples, weighting);
  const { edges, counts: raw, outside } = histogram(pooled.values, options, pooled.weights);
  const nb = edges.length - 1;
  // With 'pair' weighting report integer pair counts.
  const counts = weighting === 'pair' ? raw.map((x) => Math.round(x * pooled.pairs)) : raw;
  let binned = 0;
  for (let k = 0; k < nb; k++) binned += raw[k]!;
  const probability = new Float64Array(nb);
  const density = new Float64Array(nb);
  const centres = new Float64Array(nb);
  for (let k = 0; k < nb; k++) {
    probability[k] = binned > 0 ? raw[k]! / binned : 0;
    density[k] = probability[k]! / (edges[k + 1]! - edges[k]!);
    centres[k] = 0.5 * (edges[k]! + edges[k + 1]!);
  }
  return { edges, centres, counts, probability, density, outside, pairs: pooled.pairs, samples: pooled.samples };
}

export interface OverlapMoments {
  mean: number;
  variance: number;
  /** ⟨q²⟩ and ⟨q⁴⟩ (raw moments). */
  q2: number;
  q4: number;
  absMean: number;
  skewness: number;
  kurtosis: number;
  excessKurtosis: number;
  /** ½(3 − ⟨q⁴⟩/⟨q²⟩²). */
  binder: number;
  pairs: number;
  samples: number;
}

/** Moments of P(q) (module comment), with the same weighting as the histogram. */
export function overlapMoments(samples: ReadonlyArray<PairOverlaps>, weighting: PqWeighting = 'sample'): OverlapMoments {
  const { values, weights, pairs, samples: M } = pool(samples, weighting);
  let mean = 0, q2 = 0, q4 = 0, abs = 0;
  for (let i = 0; i < values.length; i++) {
    const q = values[i]!, w = weights[i]!;
    const qq = q * q;
    mean += w * q;
    q2 += w * qq;
    q4 += w * qq * qq;
    abs += w * Math.abs(q);
  }
  // Central moments in a second pass (no cancellation from raw moments).
  let m2 = 0, m3 = 0, m4 = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - mean, w = weights[i]!;
    const dd = d * d;
    m2 += w * dd;
    m3 += w * dd * d;
    m4 += w * dd * dd;
  }
  const kurtosis = m4 / (m2 * m2);
  return {
    mean, variance: m2, q2, q4, absMean: abs,
    skewness: m3 / Math.pow(m2, 1.5), kurtosis, excessKurtosis: kurtosis - 3,
    binder: 0.5 * (3 - q4 / (q2 * q2)), pairs, samples: M,
  };
}

export interface KdeOptions {
  /** Evaluation points; default: `points` equally spaced points on `range`. */
  grid?: ArrayLike<number>;
  /** Number of grid points if no grid is given (default 201). */
  points?: number;
  /** Grid range if no grid is given (default 'symmetric' = [−1, 1]; 'data' = [min − 3h, max + 3h]). */
  range?: 'symmetric' | 'data' | readonly [number, number];
  /** Kernel bandwidth h; default: Silverman's rule of thumb (silvermanBandwidth). */
  bandwidth?: number;
  weighting?: PqWeighting;
}

export interface OverlapKde {
  grid: Float64Array;
  density: Float64Array;
  bandwidth: number;
  /** ∫ density over the grid (trapezoid rule): ≈ 1 when the grid covers the data with a few h to spare. */
  mass: number;
}

/**
 * Silverman's rule of thumb h = 0.9 · min(σ̂, IQR/1.34) · n^(−1/5) (B. W. Silverman, "Density Estimation
 * for Statistics and Data Analysis", 1986, eq. 3.31; R's bw.nrd0), with weighted σ̂ and quantiles and
 * Kish's effective sample size n = (Σw)²/Σw² (= the number of values for equal weights). If the
 * minimum is 0 it falls back to σ̂, then |first value|, then 1 (as bw.nrd0).
 */
export function silvermanBandwidth(values: ArrayLike<number>, weights?: ArrayLike<number>): number {
  const n = values.length;
  if (n < 1) throw GlassyError.invalid('values.length', n, 'at least one value');
  const w = weights ?? new Float64Array(n).fill(1 / n);
  if (w.length !== n) throw GlassyError.invalid('weights.length', w.length, `${n}`);
  let sw = 0, sw2 = 0, mean = 0;
  for (let i = 0; i < n; i++) { sw += w[i]!; sw2 += w[i]! * w[i]!; mean += w[i]! * values[i]!; }
  mean /= sw;
  let v = 0;
  for (let i = 0; i < n; i++) v += w[i]! * (values[i]! - mean) ** 2;
  const nEff = (sw * sw) / sw2;
  // Unbiased (n − 1) normalisation like bw.nrd0's var(); for weights use the effective n.
  const sd = nEff > 1 ? Math.sqrt((v / sw) * (nEff / (nEff - 1))) : 0;
  const [q25, q75] = weightedQuantiles(values, w, [0.25, 0.75]);
  const iqr = q75! - q25!;
  let lo = Math.min(sd, iqr / 1.34);
  if (!(lo > 0)) lo = sd > 0 ? sd : Math.abs(values[0]!) > 0 ? Math.abs(values[0]!) : 1;
  return 0.9 * lo * Math.pow(nEff, -0.2);
}

/** Weighted quantiles with linear interpolation between order statistics (R's type 7 for equal weights). */
function weightedQuantiles(values: ArrayLike<number>, weights: ArrayLike<number>, ps: readonly number[]): number[] {
  const n = values.length;
  if (n === 1) return ps.map(() => values[0]!);
  const idx = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  // Position of order statistic r on [0, 1]: its cumulative-weight midpoint, rescaled so the first is
  // at 0 and the last at 1; for equal weights this is r/(n − 1), i.e. type 7.
  const pos = new Float64Array(n);
  let c = 0;
  for (let r = 0; r < n; r++) {
    const wi = weights[idx[r]!]!;
    pos[r] = c + 0.5 * wi;
    c += wi;
  }
  const first = pos[0]!, span = pos[n - 1]! - pos[0]!;
  for (let r = 0; r < n; r++) pos[r] = span > 0 ? (pos[r]! - first) / span : r / (n - 1);
  return ps.map((p) => {
    if (p <= 0) return values[idx[0]!]!;
    if (p >= 1) return values[idx[n - 1]!]!;
    let lo = 0, hi = n - 1; // pos[lo] ≤ p ≤ pos[hi]
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (pos[mid]! <= p) lo = mid;
      else hi = mid;
    }
    const t = (p - pos[lo]!) / (pos[hi]! - pos[lo]! || 1);
    const a = values[idx[lo]!]!, b = values[idx[hi]!]!;
    return a + Math.min(1, Math.max(0, t)) * (b - a);
  });
}

/**
 * Gaussian kernel density estimate of P(q): f(x) = Σ_i w_i φ((x − q_i)/h)/h, Σ_i w_i = 1
 * (Silverman 1986, eq. 2.2a with weights). Kernels are truncated at |x − q_i| > 9h (φ(9) < 1e-17, so
 * the relative error is below 1e-15), which with sorted values makes the cost O(n log n + grid · window).
 */
export function overlapKde(samples: ReadonlyArray<PairOverlaps>, options: KdeOptions = {}): OverlapKde {
  const pooled = pool(samples, options.weighting ?? 'sample');
  const h = options.bandwidth ?? silvermanBandwidth(pooled.values, pooled.weights);
  if (!(Number.isFinite(h) && h > 0)) throw GlassyError.invalid('bandwidth', h, 'a positive finite number');
  let grid: Float64Array;
  if (options.grid !== undefined) {
    grid = Float64Array.from(options.grid);
    if (grid.length < 1) throw GlassyError.invalid('grid.length', 0, 'at least one point');
  } else {
    const m = options.points ?? 201;
    if (!Number.isInteger(m) || m < 2) throw GlassyError.invalid('points', m, 'an integer ≥ 2');
    const range = options.range ?? 'symmetric';
    let lo: number, hi: number;
    if (range === 'symmetric') { lo = -1; hi = 1; }
    else if (range === 'data') {
      lo = Infinity; hi = -Infinity;
      for (const q of pooled.values) { lo = Math.min(lo, q); hi = Math.max(hi, q); }
      lo -= 3 * h; hi += 3 * h;
    } else if (Array.isArray(range) && range.length === 2 && range[1] > range[0]) { [lo, hi] = range as readonly [number, number]; }
    else throw GlassyError.invalid('range', range, '"symmetric", "data" or [lo, hi] with lo < hi');
    grid = new Float64Array(m);
    for (let k = 0; k < m; k++) grid[k] = lo + ((hi - lo) * k) / (m - 1);
  }
  // Sort values (with their weights) so each grid point only visits the values within 9h.
  const n = pooled.values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => pooled.values[a]! - pooled.values[b]!);
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  for (let r = 0; r < n; r++) { v[r] = pooled.values[order[r]!]!; w[r] = pooled.weights[order[r]!]!; }
  const cut = 9 * h;
  const norm = 1 / (h * Math.sqrt(2 * Math.PI));
  const density = new Float64Array(grid.length);
  for (let g = 0; g < grid.length; g++) {
    const x = grid[g]!;
    let s = 0;
    for (let r = lowerBound(v, x - cut); r < n && v[r]! <= x + cut; r++) {
      const z = (x - v[r]!) / h;
      s += w[r]! * Math.exp(-0.5 * z * z);
    }
    density[g] = s * norm;
  }
  return { grid, density, bandwidth: h, mass: grid.length > 1 ? trapezoid(grid, density) : NaN };
}

function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** ∫ y dx by the trapezoid rule over increasing x. */
export function trapezoid(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw GlassyError.invalid('y.length', y.length, `${x.length} (the length of x)`);
  let s = 0;
  for (let i = 1; i < x.length; i++) s += 0.5 * (x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!);
  return s;
}

export interface NormalisationCheck {
  /** Σ probability (1 when anything was binned). */
  probabilitySum: number;
  /** Σ density · width (1 when anything was binned). */
  densityIntegral: number;
  /** Fraction of the weight outside the edges (0 when the edges cover all overlaps). */
  outside: number;
}

/** Normalisation checks of a histogram: both sums should be 1 to rounding. */
export function checkHistogram(h: PqHistogram): NormalisationCheck {
  let p = 0, d = 0;
  for (let k = 0; k < h.probability.length; k++) {
    p += h.probability[k]!;
    d += h.density[k]! * (h.edges[k + 1]! - h.edges[k]!);
  }
  return { probabilitySum: p, densityIntegral: d, outside: h.outside };
}
