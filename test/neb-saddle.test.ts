/**
 * The nudged elastic band on an analytic landscape with known saddles: the Müller–Brown potential
 * (Müller & Brown, Theor. Chim. Acta 53, 75 (1979)). Between its deepest minimum A and minimum B the
 * minimum-energy path crosses the intermediate minimum C; its highest saddle is at
 * (−0.82200, 0.62431) with V = −40.6648 (the standard values quoted e.g. by Bonfanti & Kob, and in
 * ASE's NEB tutorial). FIRE with the climbing image converges onto it; a band restored from its state
 * mid-way ends bit-identically; a band capped too early says it did not converge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/core/rng.js';
import { NudgedElasticBand, nudgedElasticBand, type NebOptions } from '../src/dynamics/neb.js';
import type { SampledLandscape } from '../src/landscapes/landscape.js';

const A = [-200, -100, -170, 15], a = [-1, -1, -6.5, 0.7], b = [0, 0, 11, 0.6], c = [-10, -10, -6.5, 0.7];
const X0 = [1, 0, -0.5, -1], Y0 = [0, 0.5, 1.5, 1];

function mb(p: Float64Array, g: Float64Array | null): number {
  const x = p[0]!, y = p[1]!;
  let v = 0, gx = 0, gy = 0;
  for (let k = 0; k < 4; k++) {
    const dx = x - X0[k]!, dy = y - Y0[k]!;
    const e = A[k]! * Math.exp(a[k]! * dx * dx + b[k]! * dx * dy + c[k]! * dy * dy);
    v += e;
    gx += e * (2 * a[k]! * dx + b[k]! * dy);
    gy += e * (b[k]! * dx + 2 * c[k]! * dy);
  }
  if (g) { g[0] = gx; g[1] = gy; }
  return v;
}

const mullerBrown: SampledLandscape<Float64Array> = {
  name: 'muller-brown', dim: 2, geometry: 'euclidean', nSamples: 1,
  newConfig: () => new Float64Array(2),
  energy: (x) => mb(x, null),
  gradient: (x, g) => mb(x, g),
  batchGradient: (x, _batch, g) => mb(x, g),
  hvp: () => { throw new Error('not needed'); },
};

const MIN_A = Float64Array.from([-0.55822363, 1.44172584]);
const MIN_B = Float64Array.from([0.62349942, 0.02803776]);
const SADDLE = [-0.82200156, 0.6243128], V_SADDLE = -40.66484;

const options = (over: Partial<NebOptions> = {}): NebOptions => ({
  images: 11, maxIterations: 20000, optimizer: 'fire', lr: 1e-3, spring: 10, climbFrom: 50, batch: null,
  tolerance: 1e-3, maxMove: 0.05, rng: Rng.stream(0, 1), ...over,
});

test('Müller–Brown: climbing-image NEB with FIRE converges onto the saddle (V within 1e-4, position within 1e-4)', () => {
  const r = nudgedElasticBand(mullerBrown, MIN_A, MIN_B, options());
  assert.ok(r.converged, `converged: max force ${r.maxForce} after ${r.iterations} iterations`);
  assert.ok(r.maxForce < 1e-3);
  const top = r.climbingImage!;
  assert.ok(top >= 1 && top <= 11, `a climbing image: ${top}`);
  const p = r.points[top]!;
  assert.ok(Math.abs(r.energies[top]! - V_SADDLE) < 1e-4, `saddle energy ${r.energies[top]} vs ${V_SADDLE}`);
  assert.ok(Math.hypot(p[0]! - SADDLE[0]!, p[1]! - SADDLE[1]!) < 1e-4, `saddle at ${Array.from(p)}`);
  // The barrier from A: 146.6995 − 40.6648 = 106.03.
  assert.ok(Math.abs(r.energies[top]! - r.energies[0]! - 106.0347) < 1e-3, `barrier ${r.energies[top]! - r.energies[0]!}`);
});

test('Müller–Brown: a band restored from its state mid-way ends bit-identically', () => {
  const ref = new NudgedElasticBand(mullerBrown, MIN_A, MIN_B, options());
  while (!ref.done) ref.step();
  const first = new NudgedElasticBand(mullerBrown, MIN_A, MIN_B, options());
  for (let i = 0; i < 137; i++) first.step();
  const st = first.state();
  const second = new NudgedElasticBand(mullerBrown, MIN_A, MIN_B, options());
  second.restore(st);
  while (!second.done) second.step();
  assert.equal(second.iteration, ref.iteration);
  assert.deepEqual(second.result().points.map((x) => Array.from(x)), ref.result().points.map((x) => Array.from(x)));
});

test('Müller–Brown: a band stopped by the iteration cap reports converged = false with its force', () => {
  const r = nudgedElasticBand(mullerBrown, MIN_A, MIN_B, options({ maxIterations: 30 }));
  assert.equal(r.converged, false);
  assert.equal(r.iterations, 30);
  assert.ok(r.maxForce > 1e-3, `force ${r.maxForce}`);
});
