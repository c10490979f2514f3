/**
 * Global spin-flip alignment: the chosen sign maximises the overlap, for Ising (float and int8) and
 * spherical configurations; results checked exactly against hand values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignSpinFlip, spinFlipSign } from '../src/symmetry/spinflip.js';
import { isingOverlap } from '../src/observables/overlap.js';
import { GlassyError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';

test('hand case: q = −0.5 is flipped to +0.5', () => {
  const a = Float64Array.from([1, 1, 1, 1]);
  const b = Float64Array.from([-1, -1, -1, 1]);
  const r = alignSpinFlip(a, b);
  assert.equal(r.sign, -1);
  assert.equal(r.overlap, 0.5);
  assert.deepEqual(Array.from(r.aligned), [1, 1, 1, -1]);
  assert.equal(spinFlipSign(a, a).sign, 1);
  // q = 0 keeps the sign.
  assert.equal(spinFlipSign([1, 1], [1, -1]).sign, 1);
});

test('random Ising (int8) and spherical replicas: aligned overlap = |q| ≥ q, and ε s^b is the better of ±s^b', () => {
  const rng = Rng.stream(31, 1);
  for (let rep = 0; rep < 50; rep++) {
    const N = 1 + rng.int(64);
    const a = new Int8Array(N), b = new Int8Array(N);
    for (let i = 0; i < N; i++) { a[i] = rng.int(2) ? 1 : -1; b[i] = rng.int(2) ? 1 : -1; }
    const r = alignSpinFlip(a, b);
    assert.ok(r.aligned instanceof Int8Array);
    const q = isingOverlap(a, b);
    assert.equal(r.overlap, Math.abs(q));
    assert.equal(isingOverlap(a, r.aligned), Math.abs(q));
    // Spherical: σ with Σσ² = N.
    const s = new Float64Array(N), t = new Float64Array(N);
    rng.fillNormal(s); rng.fillNormal(t);
    const ns = Math.sqrt(N / s.reduce((x, y) => x + y * y, 0)), nt = Math.sqrt(N / t.reduce((x, y) => x + y * y, 0));
    for (let i = 0; i < N; i++) { s[i] *= ns; t[i] *= nt; }
    const out = new Float64Array(N);
    const rs = alignSpinFlip(s, t, out);
    assert.equal(rs.aligned, out);
    assert.ok(Math.abs(isingOverlap(s, out) - Math.abs(isingOverlap(s, t))) <= 1e-15);
    assert.ok(isingOverlap(s, out) >= -1e-15);
  }
});

test('bad input is a GlassyError', () => {
  assert.throws(() => spinFlipSign([1, 1], [1]), (e: unknown) => e instanceof GlassyError && e.field === 'b.length');
  assert.throws(() => spinFlipSign([], []), GlassyError);
});
