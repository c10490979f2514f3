/**
 * The one histogram of glassy, with numpy.histogram's conventions (so a Python user gets the same
 * counts from the same values): bins [e_k, e_{k+1}) with the last bin closed, values outside the edges
 * not binned (their weight is reported as `outside`), a 'data' range of [min, max] widened by ±0.5 when
 * degenerate. Used for P(q), the walk increments and the Ising overlap histogram.
 */
import { GlassyError } from '../core/errors.js';

export interface BinningOptions {
  /** Explicit increasing bin edges (overrides bins and range). */
  edges?: ArrayLike<number>;
  /** Number of equal bins (default 50). */
  bins?: number;
  /** 'symmetric' = [−1, 1] (default), 'data' = [min, max] of the finite values, or an explicit [lo, hi]. */
  range?: 'symmetric' | 'data' | readonly [number, number];
}

/** The bin edges for `values` (numpy.histogram_bin_edges for equal bins). */
export function histogramEdges(values: ArrayLike<number>, options: BinningOptions = {}): Float64Array {
  if (options.edges !== undefined) {
    const e = Float64Array.from(options.edges);
    if (e.length < 2) throw GlassyError.invalid('edges.length', e.length, 'at least 2 edges');
    for (let k = 0; k < e.length; k++) {
      if (!Number.isFinite(e[k]!)) throw GlassyError.invalid(`edges[${k}]`, e[k], 'a finite number');
      if (k > 0 && !(e[k]! > e[k - 1]!)) throw GlassyError.invalid(`edges[${k}]`, e[k], `> edges[${k - 1}] = ${e[k - 1]} (increasing edges)`);
    }
    return e;
  }
  const bins = options.bins ?? 50;
  if (!Number.isInteger(bins) || bins < 1) throw GlassyError.invalid('bins', bins, 'an integer ≥ 1');
  const range = options.range ?? 'symmetric';
  let lo: number;
  let hi: number;
  if (range === 'symmetric') { lo = -1; hi = 1; }
  else if (range === 'data') {
    lo = Infinity; hi = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (lo > hi) { lo = 0; hi = 0; }
    // numpy widens a degenerate range by ±0.5.
    if (lo === hi) { lo -= 0.5; hi += 0.5; }
  } else if (Array.isArray(range) && range.length === 2 && Number.isFinite(range[0]) && Number.isFinite(range[1]) && range[1] > range[0]) {
    [lo, hi] = range as readonly [number, number];
  } else {
    throw GlassyError.invalid('range', range, '"symmetric", "data" or [lo, hi] with lo < hi');
  }
  return equalEdges(lo, hi, bins);
}

/** bins + 1 equally spaced edges from lo to hi (the last one exactly hi). */
export function equalEdges(lo: number, hi: number, bins: number): Float64Array {
  const e = new Float64Array(bins + 1);
  for (let k = 0; k <= bins; k++) e[k] = lo + ((hi - lo) * k) / bins;
  e[bins] = hi;
  return e;
}

/** Bin index of x ([e_k, e_{k+1}), last bin closed), or −1 outside (NaN is outside). */
export function findBin(edges: ArrayLike<number>, x: number): number {
  const nb = edges.length - 1;
  if (!(x >= edges[0]! && x <= edges[nb]!)) return -1;
  if (x === edges[nb]) return nb - 1;
  let lo = 0;
  let hi = nb; // edges[lo] ≤ x < edges[hi]
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x >= edges[mid]!) lo = mid;
    else hi = mid;
  }
  return lo;
}

export interface Histogram {
  edges: Float64Array;
  /** Binned weight per bin (counts when no weights are given). */
  counts: Float64Array;
  /** Weight of the values outside the edges, non-finite values included. */
  outside: number;
}

/** numpy.histogram(values, bins, range, weights): the binned weights and what fell outside. */
export function histogram(values: ArrayLike<number>, options: BinningOptions = {}, weights?: ArrayLike<number>): Histogram {
  if (weights !== undefined && weights.length !== values.length) throw GlassyError.invalid('weights.length', weights.length, `${values.length} (one weight per value)`);
  const edges = histogramEdges(values, options);
  const counts = new Float64Array(edges.length - 1);
  let outside = 0;
  for (let i = 0; i < values.length; i++) {
    const w = weights ? weights[i]! : 1;
    const k = findBin(edges, values[i]!);
    if (k < 0) outside += w;
    else counts[k] += w;
  }
  return { edges, counts, outside };
}
