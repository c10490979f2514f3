/**
 * Scaling analysis of aging data (Baity-Jesi et al., ICML 2018 / arXiv:1803.06969: Δ ∝ t^α at the
 * bottom of the landscape, and Δ, C as functions of t/tw):
 *
 * - `fitPowerLaw`: y = A x^α by ordinary least squares on (ln x, ln y) over a window, with the
 *   textbook standard errors of slope and intercept (e.g. Press et al., Numerical Recipes, 3rd ed.,
 *   §15.2, eqs. 15.2.9 with σ² estimated from the residuals, n − 2 degrees of freedom).
 * - `agingCollapse`: the exponent μ for which the curves y(tw, tw+t) of different tw fall on one
 *   master curve when plotted against t/tw^μ. μ = 1 is simple aging, 0 < μ < 1 subaging, μ > 1
 *   superaging, μ = 0 time-translation invariance (Struik 1978; Bouchaud, Cugliandolo, Kurchan &
 *   Mézard 1998, "Out of equilibrium dynamics in spin-glasses and other glassy systems", §2.3).
 *   The collapse quality is the mean squared distance between each curve's points and the other
 *   curves, linearly interpolated in ln(t/tw^μ) on their common range — the measure of
 *   Bhattacharjee & Seno 2001, J. Phys. A 34, 6375 (their P_b with b = 2) — minimised over μ by a
 *   grid search then golden-section refinement.
 */
import { GlassyError } from '../core/errors.js';
import { pairMoments } from '../core/moments.js';

export interface PowerLawFit {
  /** Exponent α (slope of ln y versus ln x). */
  alpha: number;
  /** Standard error of α (NaN with fewer than 3 points). */
  alphaSE: number;
  /** ln A (intercept). */
  logPrefactor: number;
  logPrefactorSE: number;
  /** A = exp(ln A). */
  prefactor: number;
  /** Number of points used (x, y > 0, finite, inside the window). */
  points: number;
  /** Coefficient of determination of the log–log fit. */
  r2: number;
}

export interface FitWindow {
  /** Use only points with xMin ≤ x ≤ xMax. */
  xMin?: number;
  xMax?: number;
}

/** Least-squares fit of y = A x^α in log–log over a window; points with x ≤ 0, y ≤ 0 or NaN are skipped. */
export function fitPowerLaw(x: ArrayLike<number>, y: ArrayLike<number>, window: FitWindow = {}): PowerLawFit {
  if (!x || !y || x.length !== y.length) throw GlassyError.invalid('y.length', y?.length, `x.length = ${x?.length}`);
  const lo = window.xMin ?? -Infinity;
  const hi = window.xMax ?? Infinity;
  const lx: number[] = [];
  const ly: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const a = x[i]!;
    const b = y[i]!;
    if (a > 0 && b > 0 && Number.isFinite(a) && Number.isFinite(b) && a >= lo && a <= hi) {
      lx.push(Math.log(a));
      ly.push(Math.log(b));
    }
  }
  const n = lx.length;
  if (n < 2) throw GlassyError.invalid('points', n, 'at least 2 points with x, y > 0 inside the window');
  const { mx, my, sxx, sxy, syy } = pairMoments(lx, ly);
  if (!(sxx > 0)) throw GlassyError.invalid('x', 'a single distinct x value', 'at least 2 distinct x values');
  const alpha = sxy / sxx;
  const b = my - alpha * mx;
  let rss = 0;
  for (let i = 0; i < n; i++) {
    const r = ly[i]! - b - alpha * lx[i]!;
    rss += r * r;
  }
  const s2 = n > 2 ? rss / (n - 2) : NaN;
  let sumx2 = 0;
  for (let i = 0; i < n; i++) sumx2 += lx[i]! * lx[i]!;
  return {
    alpha,
    alphaSE: Math.sqrt(s2 / sxx),
    logPrefactor: b,
    logPrefactorSE: Math.sqrt((s2 * sumx2) / (n * sxx)),
    prefactor: Math.exp(b),
    points: n,
    r2: syy > 0 ? 1 - rss / syy : 1,
  };
}

export interface CollapseOptions {
  /** Search interval for μ (default [0, 1.5]). */
  muMin?: number;
  muMax?: number;
  /** Grid points of the coarse search (default 151, i.e. steps of 0.01 on [0, 1.5]). */
  gridPoints?: number;
  /** Compare ln y instead of y (use for Δ, which spans decades; default false, right for C). */
  logY?: boolean;
  /** Use only lags with tMin ≤ t ≤ tMax (e.g. drop the short-time, stationary part). */
  tMin?: number;
  tMax?: number;
  /** Use only waiting times ≥ twMin (default: all tw > 0; tw = 0 has no scaling variable). */
  twMin?: number;
  /** μ interval reported where spread ≤ (1 + eta)·minimum (default 1, a heuristic, see docs/aging.md). */
  eta?: number;
}

export type AgingRegime = 'time-translation invariant' | 'subaging' | 'simple aging' | 'superaging';

export interface CollapseResult {
  /** The minimising exponent. */
  mu: number;
  /** Mean squared distance between curves at μ, divided by the variance of all y used (dimensionless). */
  spread: number;
  /** Where spread ≤ (1 + eta)·spread(μ) on the grid: a rough uncertainty of μ. */
  muLow: number;
  muHigh: number;
  /** The coarse scan, for plotting S(μ). */
  scan: { mu: Float64Array; spread: Float64Array };
  /** Label of μ: < 0.1 time-translation invariant, [0.1, 0.9) subaging, [0.9, 1.1] simple aging, > 1.1 superaging. */
  regime: AgingRegime;
  /** Number of curves (tw values) used. */
  curves: number;
}

interface Curve {
  lnTw: number;
  lnT: number[];
  y: number[];
}

/**
 * Finds μ such that y(tw, tw+t) versus t/tw^μ collapses. `values` is the [ntw, nt] row-major
 * matrix of TwoTimeRecorder (NaN entries are skipped).
 */
export function agingCollapse(
  tw: ArrayLike<number>, t: ArrayLike<number>, values: ArrayLike<number>, opts: CollapseOptions = {},
): CollapseResult {
  const muMin = opts.muMin ?? 0;
  const muMax = opts.muMax ?? 1.5;
  const grid = opts.gridPoints ?? 151;
  const eta = opts.eta ?? 1;
  if (!(muMax > muMin)) throw GlassyError.invalid('muMax', muMax, `a number > muMin = ${muMin}`);
  if (!Number.isSafeInteger(grid) || grid < 3) throw GlassyError.invalid('gridPoints', grid, 'an integer ≥ 3');
  if (!(eta > 0)) throw GlassyError.invalid('eta', eta, 'a number > 0');
  if (values.length !== tw.length * t.length) {
    throw GlassyError.invalid('values.length', values.length, `tw.length × t.length = ${tw.length * t.length}`);
  }
  const tMin = opts.tMin ?? 0;
  const tMax = opts.tMax ?? Infinity;
  const twMin = opts.twMin ?? 0;
  const curves: Curve[] = [];
  for (let i = 0; i < tw.length; i++) {
    const w = tw[i]!;
    if (!(w > 0) || w < twMin) continue;
    const c: Curve = { lnTw: Math.log(w), lnT: [], y: [] };
    for (let j = 0; j < t.length; j++) {
      const tj = t[j]!;
      let v = values[i * t.length + j]!;
      if (!(tj > 0) || tj < tMin || tj > tMax || !Number.isFinite(v)) continue;
      if (opts.logY) {
        if (!(v > 0)) continue;
        v = Math.log(v);
      }
      c.lnT.push(Math.log(tj));
      c.y.push(v);
    }
    if (c.y.length >= 2) curves.push(c);
  }
  if (curves.length < 2) throw GlassyError.invalid('values', `${curves.length} usable curve(s)`, 'at least 2 waiting times tw > 0 with ≥ 2 finite points each');
  let my = 0;
  let ny = 0;
  for (const c of curves) for (const v of c.y) { my += v; ny++; }
  my /= ny;
  let vy = 0;
  for (const c of curves) for (const v of c.y) vy += (v - my) * (v - my);
  vy /= ny;
  const scale = vy > 0 ? vy : 1;

  const S = (mu: number): number => collapseSpread(curves, mu) / scale;
  const muGrid = new Float64Array(grid);
  const sGrid = new Float64Array(grid);
  let best = -1;
  for (let k = 0; k < grid; k++) {
    const mu = muMin + ((muMax - muMin) * k) / (grid - 1);
    muGrid[k] = mu;
    sGrid[k] = S(mu);
    if (Number.isFinite(sGrid[k]!) && (best < 0 || sGrid[k]! < sGrid[best]!)) best = k;
  }
  if (best < 0) throw GlassyError.invalid('values', 'curves that never overlap', `overlapping curves for some μ in [${muMin}, ${muMax}]`);
  // Golden-section refinement inside the neighbouring grid cells (Press et al. §10.2).
  let a = muGrid[Math.max(0, best - 1)]!;
  let b = muGrid[Math.min(grid - 1, best + 1)]!;
  const gr = (Math.sqrt(5) - 1) / 2;
  let c = b - gr * (b - a);
  let d = a + gr * (b - a);
  let fc = finiteOr(S(c));
  let fd = finiteOr(S(d));
  for (let it = 0; it < 40 && b - a > 1e-6; it++) {
    if (fc < fd) { b = d; d = c; fd = fc; c = b - gr * (b - a); fc = finiteOr(S(c)); }
    else { a = c; c = d; fc = fd; d = a + gr * (b - a); fd = finiteOr(S(d)); }
  }
  let mu = (a + b) / 2;
  let spread = S(mu);
  if (!(spread <= sGrid[best]!)) { mu = muGrid[best]!; spread = sGrid[best]!; }
  const limit = (1 + eta) * spread;
  let lo = best;
  while (lo > 0 && sGrid[lo - 1]! <= limit) lo--;
  let hi = best;
  while (hi < grid - 1 && sGrid[hi + 1]! <= limit) hi++;
  const regime: AgingRegime = mu < 0.1 ? 'time-translation invariant' : mu < 0.9 ? 'subaging' : mu <= 1.1 ? 'simple aging' : 'superaging';
  return { mu, spread, muLow: muGrid[lo]!, muHigh: muGrid[hi]!, scan: { mu: muGrid, spread: sGrid }, regime, curves: curves.length };
}

function finiteOr(v: number): number {
  return Number.isFinite(v) ? v : Infinity;
}

/**
 * Mean over ordered pairs of curves (p, q ≠ p) and over the points of p inside q's range of
 * (y_p − y_q interpolated)², in the scaling variable u = ln t − μ ln tw. NaN if no point overlaps.
 */
function collapseSpread(curves: Curve[], mu: number): number {
  let sum = 0;
  let count = 0;
  for (let p = 0; p < curves.length; p++) {
    const cp = curves[p]!;
    const sp = mu * cp.lnTw;
    for (let q = 0; q < curves.length; q++) {
      if (q === p) continue;
      const cq = curves[q]!;
      const sq = mu * cq.lnTw;
      const uLo = cq.lnT[0]! - sq;
      const uHi = cq.lnT[cq.lnT.length - 1]! - sq;
      let k = 0;
      for (let i = 0; i < cp.lnT.length; i++) {
        const u = cp.lnT[i]! - sp;
        if (u < uLo || u > uHi) continue;
        while (k < cq.lnT.length - 2 && cq.lnT[k + 1]! - sq < u) k++;
        const u0 = cq.lnT[k]! - sq;
        const u1 = cq.lnT[k + 1]! - sq;
        const f = u1 > u0 ? (u - u0) / (u1 - u0) : 0;
        const yq = cq.y[k]! + f * (cq.y[k + 1]! - cq.y[k]!);
        const d = cp.y[i]! - yq;
        sum += d * d;
        count++;
      }
    }
  }
  return count > 0 ? sum / count : NaN;
}
