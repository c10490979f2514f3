/**
 * P(q): histograms (numpy conventions), disorder-sample weighting, moments, Silverman's bandwidth and
 * the Gaussian KDE, against hand values (1e-12 unless stated) and normalisation checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkHistogram, overlapHistogram, overlapKde, overlapMoments, pairOverlaps, silvermanBandwidth, trapezoid,
} from '../src/observables/pq.js';
import { GlassyError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';

const close = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b} (tol ${tol})`);

test('pair overlaps a < b in row order', () => {
  const Q = [1, 0.1, 0.2, 0.1, 1, 0.3, 0.2, 0.3, 1];
  assert.deepEqual(Array.from(pairOverlaps(Q)), [0.1, 0.2, 0.3]);
  assert.throws(() => pairOverlaps([1, 2, 3]), (e: unknown) => e instanceof GlassyError && e.field === 'matrix.length');
});

test('histogram by hand: half-open bins, last bin closed, values outside reported', () => {
  const q = [-1, -0.5, 0, 0.5, 1, 1, 1.5];
  const h = overlapHistogram([q], { edges: [-1, 0, 1], weighting: 'pair' });
  assert.deepEqual(Array.from(h.counts), [2, 4]);
  close(h.probability[0]!, 1 / 3);
  close(h.probability[1]!, 2 / 3);
  close(h.density[0]!, 1 / 3);
  close(h.outside, 1 / 7);
  assert.equal(h.pairs, 7);
  const c = checkHistogram(h);
  close(c.probabilitySum, 1);
  close(c.densityIntegral, 1);
  // Automatic edges on [−1, 1] with 4 bins of width 0.5.
  const h4 = overlapHistogram([[-0.9, -0.1, 0.1, 0.2, 0.99]], { bins: 4, weighting: 'pair' });
  assert.deepEqual(Array.from(h4.edges), [-1, -0.5, 0, 0.5, 1]);
  assert.deepEqual(Array.from(h4.counts), [1, 1, 2, 1]);
  close(h4.density[2]!, 0.4 / 0.5);
  // 'data' range = [min, max].
  const hd = overlapHistogram([[0.2, 0.4, 0.6]], { bins: 2, range: 'data', weighting: 'pair' });
  assert.deepEqual(Array.from(hd.edges), [0.2, 0.4, 0.6]);
  assert.deepEqual(Array.from(hd.counts), [1, 2]);
});

test('disorder average: each sample weighs 1/M ("sample") or each pair weighs the same ("pair")', () => {
  const samples = [[0.9], [-0.9, -0.9, -0.9]];
  const s = overlapHistogram(samples, { edges: [-1, 0, 1] });
  close(s.probability[1]!, 0.5);
  const p = overlapHistogram(samples, { edges: [-1, 0, 1], weighting: 'pair' });
  close(p.probability[1]!, 0.25);
  assert.equal(s.samples, 2);
  close(overlapMoments(samples).mean, 0);
  close(overlapMoments(samples, 'pair').mean, (0.9 - 2.7) / 4);
});

test('moments by hand: {0.2, −0.2, 0.6}', () => {
  const m = overlapMoments([[0.2, -0.2, 0.6]]);
  close(m.mean, 0.2);
  close(m.variance, 0.32 / 3);
  close(m.q2, 0.44 / 3);
  close(m.q4, (2 * 0.0016 + 0.1296) / 3);
  close(m.skewness, 0);
  close(m.kurtosis, 1.5);
  close(m.excessKurtosis, -1.5);
  close(m.absMean, 1 / 3);
  close(m.binder, 0.5 * (3 - m.q4 / (m.q2 * m.q2)));
});

test('moments of a large Gaussian sample: skewness ≈ 0, kurtosis ≈ 3 (5σ tolerances)', () => {
  const rng = Rng.stream(51, 1);
  const n = 40000;
  const q = new Float64Array(n);
  rng.fillNormal(q, 0.1, 0.3);
  const m = overlapMoments([q]);
  close(m.mean, 0.3, 5 * 0.1 / Math.sqrt(n));
  close(m.variance, 0.01, 5 * 0.01 * Math.sqrt(2 / n));
  close(m.skewness, 0, 5 * Math.sqrt(6 / n));
  close(m.kurtosis, 3, 5 * Math.sqrt(24 / n));
});

test("Silverman's bandwidth equals R's bw.nrd0 (1:10 → 0.9·√(55/6)·10^(−1/5)) and the IQR branch", () => {
  const x = Array.from({ length: 10 }, (_, i) => i + 1);
  close(silvermanBandwidth(x), 0.9 * Math.sqrt(55 / 6) * 10 ** -0.2);
  // IQR branch: 1, 2, 3, 4, 100 → sd ≫ IQR/1.34; type-7 quartiles 2 and 4 → h = 0.9·(2/1.34)·5^(−1/5).
  close(silvermanBandwidth([1, 2, 3, 4, 100]), 0.9 * (2 / 1.34) * 5 ** -0.2);
});

test('KDE: the exact kernel sum, unit mass, and a single point', () => {
  const h = overlapKde([[0.25]], { bandwidth: 0.1, grid: [0.25, 0.35] });
  close(h.density[0]!, 1 / (0.1 * Math.sqrt(2 * Math.PI)), 1e-12);
  close(h.density[1]!, Math.exp(-0.5) / (0.1 * Math.sqrt(2 * Math.PI)), 1e-12);
  const rng = Rng.stream(52, 1);
  const q = new Float64Array(3000);
  rng.fillNormal(q, 0.12, 0.2);
  const k = overlapKde([q], { points: 801 });
  // Bandwidth from Silverman; the grid [−1, 1] covers the data with > 5σ to spare.
  close(k.bandwidth, silvermanBandwidth(q));
  close(k.mass, 1, 1e-5);
  close(trapezoid(k.grid, k.density), k.mass);
  // Direct evaluation at a few grid points (the 9h truncation changes nothing at 1e-12).
  for (const g of [100, 400, 555]) {
    const x = k.grid[g]!;
    let s = 0;
    for (const v of q) s += Math.exp(-0.5 * ((x - v) / k.bandwidth) ** 2);
    close(k.density[g]!, s / (q.length * k.bandwidth * Math.sqrt(2 * Math.PI)), 1e-12);
  }
});

test('bad input is a GlassyError naming the field', () => {
  assert.throws(() => overlapHistogram([]), (e: unknown) => e instanceof GlassyError && e.field === 'samples');
  assert.throws(() => overlapHistogram([[0.1]], { bins: 0 }), (e: unknown) => e instanceof GlassyError && e.field === 'bins');
  assert.throws(() => overlapHistogram([[0.1]], { edges: [0, 0.5, 0.2] }), (e: unknown) => e instanceof GlassyError && e.field === 'edges[2]');
  assert.throws(() => overlapHistogram([[NaN]]), (e: unknown) => e instanceof GlassyError && e.field === 'samples[0][0]');
  assert.throws(() => overlapHistogram([[]]), GlassyError);
  assert.throws(() => overlapKde([[0.1]], { bandwidth: -1 }), (e: unknown) => e instanceof GlassyError && e.field === 'bandwidth');
});
