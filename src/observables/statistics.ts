/**
 * Estimators shared by every protocol: the mean with its standard error, the Binder ratio of the
 * overlap with a jackknife error, and the normalised autocorrelation of a series. One of each, so that
 * networks and glasses are summarised by the same numbers.
 */
import { GlassyError } from '../core/errors.js';

export interface MeanSE {
  mean: number;
  /** Standard error of the mean, s/√n with the unbiased sample standard deviation s (NaN for n < 2). */
  se: number;
}

/** Sample mean and its standard error, e.g. the disorder average [x] over M samples. */
export function meanSE(values: ArrayLike<number>): MeanSE {
  const n = values.length;
  if (n === 0) return { mean: NaN, se: NaN };
  let s = 0;
  for (let k = 0; k < n; k++) s += values[k]!;
  const mean = s / n;
  if (n < 2) return { mean, se: NaN };
  let v = 0;
  for (let k = 0; k < n; k++) v += (values[k]! - mean) ** 2;
  return { mean, se: Math.sqrt(v / (n - 1) / n) };
}

/** Binder ratio g = ½(3 − ⟨q⁴⟩/⟨q²⟩²) (Binder, Z. Phys. B 43, 119 (1981); Bhatt & Young, PRL 54, 924 (1985)). */
export function binder(q2: number, q4: number): number {
  return 0.5 * (3 - q4 / (q2 * q2));
}

/**
 * Disorder-averaged Binder ratio g = ½(3 − [⟨q⁴⟩]/[⟨q²⟩]²) with a delete-one jackknife standard error
 * over the M samples (Efron 1982; the ratio of averages is biased, so the error of g needs the jackknife,
 * not a naive propagation): se² = (M−1)/M Σ_k (g_(k) − ḡ_(·))².
 */
export function binderJackknife(q2: ArrayLike<number>, q4: ArrayLike<number>): MeanSE {
  const M = q2.length;
  if (M !== q4.length) throw GlassyError.invalid('binder', [q2.length, q4.length], 'equally many ⟨q²⟩ and ⟨q⁴⟩ samples');
  if (M === 0) return { mean: NaN, se: NaN };
  let s2 = 0;
  let s4 = 0;
  for (let k = 0; k < M; k++) {
    s2 += q2[k]!;
    s4 += q4[k]!;
  }
  const g = binder(s2 / M, s4 / M);
  if (M < 2) return { mean: g, se: NaN };
  const gk = new Float64Array(M);
  let gbar = 0;
  for (let k = 0; k < M; k++) {
    gk[k] = binder((s2 - q2[k]!) / (M - 1), (s4 - q4[k]!) / (M - 1));
    gbar += gk[k]!;
  }
  gbar /= M;
  let v = 0;
  for (let k = 0; k < M; k++) v += (gk[k]! - gbar) ** 2;
  return { mean: g, se: Math.sqrt(((M - 1) / M) * v) };
}

/**
 * Normalised autocorrelation of a series x_t, c(τ) = Σ_t δx_t δx_{t+τ} / Σ_t δx_t² with δx = x − mean
 * (the standard biased estimator, so c(0) = 1 and |c| ≤ 1), for τ = 0..maxLag; NaN for a constant
 * series. For the increments of a walk, c(1) near 0 means uncorrelated increments (a rugged,
 * "random-energy" landscape), near 1 a smooth one.
 */
export function autocorrelation(x: ArrayLike<number>, maxLag: number): Float64Array {
  const n = x.length;
  let mean = 0;
  for (let t = 0; t < n; t++) mean += x[t]!;
  mean /= n;
  let c0 = 0;
  for (let t = 0; t < n; t++) c0 += (x[t]! - mean) ** 2;
  const out = new Float64Array(maxLag + 1);
  for (let tau = 0; tau <= maxLag; tau++) {
    let c = 0;
    for (let t = 0; t + tau < n; t++) c += (x[t]! - mean) * (x[t + tau]! - mean);
    out[tau] = c0 > 0 ? c / c0 : NaN;
  }
  return out;
}
