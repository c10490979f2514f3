/**
 * The path observables (observables/path.ts) and the walk's building blocks (protocols/walk/) on
 * cases with known answers: barriers of known profiles, arc lengths of known polygons, the
 * Metropolis acceptance probability, step norms, increment statistics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/core/rng.js';
import { mlpLayout } from '../src/landscapes/mlp/layout.js';
import {
  barrier, bezierPath, distance, distanceToSegment, linearPath, polylinePath, profilePath, uniformGrid,
} from '../src/observables/path.js';
import { improvedTangent } from '../src/dynamics/neb.js';
import { randomStep, testSteps } from '../src/protocols/walk/network.js';
import { metropolisAccept } from '../src/dynamics/metropolis.js';
import { histogram } from '../src/observables/histogram.js';
import { autocorrelation } from '../src/observables/statistics.js';

const vec = (...x: number[]) => Float64Array.from(x);

test('barrier: the two definitions on known profiles, and 0 for a constant path', () => {
  const t = uniformGrid(5); // 0, .25, .5, .75, 1
  assert.deepEqual(Array.from(t), [0, 0.25, 0.5, 0.75, 1]);
  // A bump of height 3 above ends 1 and 2: above the mean 1.5 → 1.5; above the chord (1.5 at t=.5) → 1.5.
  const b = barrier(t, vec(1, 2, 3, 2.5, 2));
  assert.equal(b.max, 3);
  assert.equal(b.position, 0.5);
  assert.equal(b.index, 2);
  assert.equal(b.height, 1.5);
  assert.equal(b.heightAboveChord, 1.5);
  // Monotone profile 0 → 4: max − mean = 2, above the chord 0.
  const m = barrier(t, vec(0, 1, 2, 3, 4));
  assert.equal(m.height, 2);
  assert.equal(m.heightAboveChord, 0);
  assert.equal(m.position, 1);
  const c = barrier(t, vec(7, 7, 7, 7, 7));
  assert.equal(c.height, 0);
  assert.equal(c.heightAboveChord, 0);
});

test('the straight path from θ to itself is θ at every t (barrier exactly 0)', () => {
  const rng = Rng.stream(1, 99);
  const a = new Float64Array(257);
  rng.fillNormal(a);
  const p = linearPath(a, a);
  const x = new Float64Array(a.length);
  for (const t of uniformGrid(41)) {
    p.at(t, x);
    assert.deepEqual(x, a);
  }
  const ev = { evaluate: (y: Float64Array) => ({ loss: y.reduce((s, v) => s + Math.sin(v), 0), error: 0 }) };
  const prof = profilePath(p, { e: ev }, uniformGrid(41));
  assert.equal(barrier(prof.t, prof.series['e']!.loss).height, 0);
  assert.equal(prof.arcLength[40], 0);
});

test('arc lengths: straight segment, polyline by arc length, Bézier with the control at the midpoint', () => {
  const a = vec(0, 0), b = vec(3, 4), c = vec(3, 0);
  const ev = { evaluate: (y: Float64Array) => ({ loss: y[0]!, error: NaN }) };
  const seg = profilePath(linearPath(a, b), { e: ev }, uniformGrid(11));
  assert.ok(Math.abs(seg.arcLength[10]! - 5) < 1e-12);
  // The polyline a → c → b has length 3 + 4 = 7; t = 3/7 is the corner.
  const poly = polylinePath([a, c, b]);
  const x = new Float64Array(2);
  poly.at(3 / 7, x);
  assert.ok(distance(x, c) < 1e-12, `corner at t = 3/7, got ${x}`);
  poly.at(0.5, x); // 3.5 along: half a unit up from the corner
  assert.ok(distance(x, vec(3, 0.5)) < 1e-12);
  const pp = profilePath(poly, { e: ev }, Float64Array.from([0, 3 / 7, 1]));
  assert.ok(Math.abs(pp.arcLength[2]! - 7) < 1e-12);
  // A Bézier curve with its control at the midpoint is the segment (with a non-uniform speed).
  const bz = bezierPath(a, vec(1.5, 2), b);
  bz.at(0.3, x);
  assert.ok(distanceToSegment(x, a, b) < 1e-12);
  // A bent Bézier leaves the segment: at t = ½ it is ½(mid) + ½ control.
  const bent = bezierPath(a, vec(3, 0), b);
  bent.at(0.5, x);
  assert.ok(distance(x, vec(2.25, 1)) < 1e-12, `got ${x}`);
});

test('distance from a segment: perpendicular inside, to the nearest end outside', () => {
  const a = vec(0, 0), b = vec(2, 0);
  assert.equal(distanceToSegment(vec(1, 3), a, b), 3);
  assert.equal(distanceToSegment(vec(5, 4), a, b), 5);
  assert.equal(distanceToSegment(vec(-3, 4), a, b), 5);
});

test('improved tangent (Henkelman & Jónsson 2000): uphill neighbour on monotone energies, weighted at extrema', () => {
  const prev = vec(0, 0), cur = vec(1, 0), next = vec(1, 1);
  const tau = new Float64Array(2);
  improvedTangent(prev, cur, next, 0, 1, 2, tau); // rising: τ = R_{i+1} − R_i
  assert.deepEqual(Array.from(tau), [0, 1]);
  improvedTangent(prev, cur, next, 2, 1, 0, tau); // falling: τ = R_i − R_{i−1}
  assert.deepEqual(Array.from(tau), [1, 0]);
  // A maximum with V_{i+1} > V_{i−1}: τ ∝ τ+ ΔV_max + τ− ΔV_min = (0,1)·2 + (1,0)·1.
  improvedTangent(prev, cur, next, 1, 3, 2, tau);
  assert.ok(Math.abs(tau[0]! - 1 / Math.sqrt(5)) < 1e-15 && Math.abs(tau[1]! - 2 / Math.sqrt(5)) < 1e-15, `${tau}`);
});

test('Metropolis accepts an uphill move ΔE with probability exp(−ΔE/T) (4σ), downhill always, T = 0 always', () => {
  const rng = Rng.stream(3, 7);
  const n = 40000;
  for (const [dE, T] of [[Math.LN2, 1], [0.5, 0.5], [3, 1.5]] as const) {
    let acc = 0;
    for (let i = 0; i < n; i++) if (metropolisAccept(dE, T, rng)) acc++;
    const p = Math.exp(-dE / T);
    const sigma = Math.sqrt((p * (1 - p)) / n);
    assert.ok(Math.abs(acc / n - p) < 4 * sigma, `ΔE=${dE}, T=${T}: rate ${acc / n} vs ${p} ± ${sigma}`);
  }
  for (let i = 0; i < 100; i++) assert.equal(metropolisAccept(-0.1, 0.01, rng), true);
  for (let i = 0; i < 100; i++) assert.equal(metropolisAccept(1e6, 0, rng), true);
  assert.equal(metropolisAccept(Infinity, 1, rng), false);
});

test('random steps: isotropic steps have norm h exactly; filter steps give every row h × its norm in θ, biases fixed', () => {
  const layout = mlpLayout({ sizes: [5, 4, 3], activation: 'relu', bias: true });
  const theta = new Float64Array(layout.size);
  Rng.stream(1, 2).fillNormal(theta);
  const step = new Float64Array(layout.size);
  const rng = Rng.stream(1, 3);
  randomStep('isotropic', 0.3, layout, theta, rng, step);
  assert.ok(Math.abs(Math.hypot(...step) - 0.3) < 1e-15);
  randomStep('filter', 0.1, layout, theta, rng, step);
  for (const L of layout.layers) {
    for (let o = 0; o < L.out; o++) {
      const off = L.weight.offset + o * L.in;
      const dn = Math.hypot(...step.subarray(off, off + L.in));
      const tn = Math.hypot(...theta.subarray(off, off + L.in));
      assert.ok(Math.abs(dn - 0.1 * tn) < 1e-14, `row ${o}: ${dn} vs ${0.1 * tn}`);
    }
    for (let i = 0; i < L.out; i++) assert.equal(step[L.bias!.offset + i], 0);
  }
  randomStep('isotropic', 0, layout, theta, rng, step);
  assert.ok(step.every((v) => v === 0));
});

test('increment statistics: histogram counts, autocorrelation of white noise and of a smooth series', () => {
  const h = histogram(vec(0, 0.1, 0.5, 0.9, 1), { bins: 2, range: 'data' });
  assert.deepEqual(Array.from(h.edges), [0, 0.5, 1]);
  assert.deepEqual(Array.from(h.counts), [2, 3]);
  const rng = Rng.stream(5, 5);
  const white = new Float64Array(20000);
  rng.fillNormal(white);
  const cw = autocorrelation(white, 3);
  assert.equal(cw[0], 1);
  // Estimator noise ≈ 1/√n = 0.007: 0.03 is over 4σ.
  for (let l = 1; l <= 3; l++) assert.ok(Math.abs(cw[l]!) < 0.03, `white lag ${l}: ${cw[l]}`);
  // AR(1) with coefficient 0.9: c(τ) ≈ 0.9^τ.
  const ar = new Float64Array(20000);
  for (let i = 1; i < ar.length; i++) ar[i] = 0.9 * ar[i - 1]! + rng.normal();
  const ca = autocorrelation(ar, 2);
  assert.ok(Math.abs(ca[1]! - 0.9) < 0.02 && Math.abs(ca[2]! - 0.81) < 0.03, `AR(1): ${ca}`);
  assert.ok(Number.isNaN(autocorrelation(vec(1, 1, 1), 1)[1]!));
  assert.deepEqual(Array.from(testSteps(10, 4)), [0, 4, 8, 10]);
  assert.deepEqual(Array.from(testSteps(10, 5)), [0, 5, 10]);
});
