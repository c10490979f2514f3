/**
 * What both trajectories of the walk share: per-walker file names and the statistics of the
 * increments ΔE_t = E_t − E_{t−1} of the loss (network) or energy per spin (glass) — their mean,
 * variance and histogram over all walkers, and their autocorrelation averaged over walkers (a
 * measure of ruggedness: c(1) ≈ 0 for a rugged landscape, near 1 for a smooth one).
 */
import { histogram } from '../../observables/histogram.js';
import { autocorrelation } from '../../observables/statistics.js';
import type { Run } from '../../store/run.js';
import { replicaTag } from '../../executor/checkpoint.js';

export function walkerName(w: number): string {
  return `walker-${replicaTag(w)}`;
}

export interface IncrementStatistics {
  mean: number;
  variance: number;
  /** c(τ), τ = 0..maxLag, averaged over walkers. */
  autocorr: Float64Array;
}

/**
 * From W series of S + 1 values each ([W, S+1] row-major): writes walk_increments_hist/_edges,
 * walk_increment_autocorr and walk_lags, and returns the moments.
 */
export function writeIncrementStatistics(run: Run, series: Float64Array, W: number, S: number, bins: number, maxLagWanted: number): IncrementStatistics {
  const inc = new Float64Array(W * S);
  for (let r = 0; r < W; r++) for (let t = 0; t < S; t++) inc[r * S + t] = series[r * (S + 1) + t + 1]! - series[r * (S + 1) + t]!;
  let mean = 0;
  for (const v of inc) mean += v;
  mean /= inc.length;
  let variance = 0;
  for (const v of inc) variance += (v - mean) ** 2;
  variance /= Math.max(1, inc.length - 1);
  const h = histogram(inc, { bins, range: 'data' });
  run.writeArray('walk_increments_hist', h.counts);
  run.writeArray('walk_increments_edges', h.edges);
  const maxLag = Math.max(0, Math.min(maxLagWanted, S - 1));
  const ac = new Float64Array(maxLag + 1);
  for (let r = 0; r < W; r++) {
    const c = autocorrelation(inc.subarray(r * S, (r + 1) * S), maxLag);
    for (let l = 0; l <= maxLag; l++) ac[l] = ac[l]! + c[l]! / W;
  }
  run.writeArray('walk_increment_autocorr', ac);
  run.writeArray('walk_lags', Int32Array.from({ length: maxLag + 1 }, (_, i) => i));
  return { mean, variance, autocorr: ac };
}

/** Mean of the finite values, or null when there are none. */
export function finiteMean(xs: ArrayLike<number>): number | null {
  let s = 0, n = 0;
  for (let i = 0; i < xs.length; i++) if (Number.isFinite(xs[i]!)) { s += xs[i]!; n++; }
  return n > 0 ? s / n : null;
}
