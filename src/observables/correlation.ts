/**
 * Rank correlations between a flatness measure and generalisation, with bootstrap confidence
 * intervals — the statistics of the flatness-vs-generalisation literature (Keskar et al. 2017;
 * Jiang et al. 2020, "Fantastic generalization measures and where to find them", ICLR, which uses
 * Kendall's τ for exactly this question).
 *
 * - Spearman's ρ: Pearson's correlation of the ranks, ties given their average rank (the standard
 *   tie correction; Kendall & Gibbons, "Rank Correlation Methods", 5th ed., ch. 3).
 * - Kendall's τ-b (Kendall 1945, Biometrika 33, 239):
 *     τ_b = (n_c − n_d) / √((n₀ − n₁)(n₀ − n₂)),  n₀ = n(n−1)/2,
 *   n_c / n_d the concordant / discordant pairs, n₁ = Σ t(t−1)/2 over tie groups of x, n₂ of y.
 *   Pairs tied in x or y count in neither n_c nor n_d. O(n²): fine for the n ≤ few thousand
 *   replicas a study has.
 * - Percentile bootstrap (Efron & Tibshirani 1993, ch. 13): resample the (x, y) pairs with
 *   replacement B times from a seeded stream, recompute the statistic, and take the 2.5 % and
 *   97.5 % quantiles (linear interpolation); resamples where the statistic is undefined (all x or
 *   all y tied) are skipped and counted.
 */
import { GlassyError } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';

/** Ranks 1..n with ties given the average of the ranks they span. */
export function averageRanks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a]! - x[b]!);
  const r = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && x[order[j + 1]!]! === x[order[i]!]!) j++;
    const avg = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) r[order[t]!] = avg;
    i = j + 1;
  }
  return r;
}

/** Pearson's correlation coefficient (NaN when either variable is constant). */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) { mx += x[i]!; my += y[i]!; }
  mx /= n; my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i]! - mx, b = y[i]! - my;
    sxy += a * b; sxx += a * a; syy += b * b;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return sxy / Math.sqrt(sxx * syy);
}

function check(x: ArrayLike<number>, y: ArrayLike<number>): void {
  if (x.length !== y.length) throw GlassyError.invalid('correlation', `${x.length} and ${y.length} values`, 'two series of equal length');
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!) || !Number.isFinite(y[i]!)) throw GlassyError.invalid(`correlation value ${i}`, [x[i], y[i]], 'finite numbers');
  }
}

/** Spearman's ρ with average ranks for ties. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  check(x, y);
  if (x.length < 2) return NaN;
  return pearson(averageRanks(x), averageRanks(y));
}

/** Kendall's τ-b (tie-corrected). */
export function kendallTauB(x: ArrayLike<number>, y: ArrayLike<number>): number {
  check(x, y);
  const n = x.length;
  if (n < 2) return NaN;
  let nc = 0, nd = 0, tx = 0, ty = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i]! - x[j]!), dy = Math.sign(y[i]! - y[j]!);
      if (dx === 0) tx++;
      if (dy === 0) ty++;
      if (dx === 0 || dy === 0) continue;
      if (dx === dy) nc++;
      else nd++;
    }
  }
  const n0 = (n * (n - 1)) / 2;
  const den = Math.sqrt((n0 - tx) * (n0 - ty));
  return den === 0 ? NaN : (nc - nd) / den;
}

export interface BootstrapCi {
  estimate: number;
  lo: number;
  hi: number;
  /** Confidence level (default 0.95). */
  level: number;
  resamples: number;
  /** Resamples whose statistic was undefined (skipped). */
  undefinedResamples: number;
}

export interface BootstrapOptions {
  resamples?: number;
  level?: number;
  rng?: Rng;
}

/** Linear-interpolation quantile of sorted data (NumPy's default 'linear' method). */
export function quantileSorted(s: ArrayLike<number>, q: number): number {
  const n = s.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h), hi = Math.min(n - 1, lo + 1);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}

/** Percentile bootstrap CI of a paired statistic. */
export function bootstrapCi(
  x: ArrayLike<number>, y: ArrayLike<number>,
  statistic: (x: Float64Array, y: Float64Array) => number,
  opts: BootstrapOptions = {},
): BootstrapCi {
  check(x, y);
  const B = opts.resamples ?? 2000;
  const level = opts.level ?? 0.95;
  if (!Number.isInteger(B) || B < 1) throw GlassyError.invalid('resamples', B, 'a positive integer');
  if (!(level > 0 && level < 1)) throw GlassyError.invalid('level', level, 'a number in (0, 1)');
  const rng = opts.rng ?? Rng.stream(0, Stream.probe, 4);
  const n = x.length;
  const estimate = statistic(Float64Array.from(x), Float64Array.from(y));
  const bx = new Float64Array(n), by = new Float64Array(n);
  const stats: number[] = [];
  let undef = 0;
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n; i++) {
      const j = rng.int(n);
      bx[i] = x[j]!;
      by[i] = y[j]!;
    }
    const s = statistic(bx, by);
    if (Number.isFinite(s)) stats.push(s);
    else undef++;
  }
  stats.sort((a, b) => a - b);
  const a = (1 - level) / 2;
  return { estimate, lo: quantileSorted(stats, a), hi: quantileSorted(stats, 1 - a), level, resamples: B, undefinedResamples: undef };
}
