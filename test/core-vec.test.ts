/** The level-1 vector kernels against exact small cases and float64 sums. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axpy, copy, dot, nrm2, scal } from '../src/core/vec.js';
import { GlassyError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';

test('dot: exact on small integers, float64 accumulation on Float32Array, n prefix, mixed precision', () => {
  assert.equal(dot(new Float32Array([1, 2, 3, 4, 5]), new Float64Array([5, 4, 3, 2, 1])), 35);
  assert.equal(dot(new Float64Array([1, 2, 3]), new Float64Array([1, 1, 1]), 2), 3);
  assert.equal(dot(new Float32Array(0), new Float32Array(0)), 0);
  // 2^24 + 1 is not representable in float32; a float32 accumulator would stall at 2^24
  const n = 2 ** 24 + 8;
  const ones = new Float32Array(n).fill(1);
  assert.equal(dot(ones, ones), n);
  // random: |dot − Σ in order| ≤ n·2^-53·Σ|x y| (four partial sums, both in float64)
  const rng = Rng.stream(3, 0);
  const x = new Float64Array(1001), y = new Float64Array(1001);
  rng.fillNormal(x);
  rng.fillNormal(y);
  let s = 0, sa = 0;
  for (let i = 0; i < x.length; i++) { s += x[i]! * y[i]!; sa += Math.abs(x[i]! * y[i]!); }
  assert.ok(Math.abs(dot(x, y) - s) <= 1001 * 2 ** -53 * sa);
});

test('axpy and scal: exact values, α = 0 cases, prefix n', () => {
  const y = new Float64Array([1, 2, 3, 4]);
  axpy(2, new Float32Array([1, 1, 1, 1]), y, 3);
  assert.deepEqual([...y], [3, 4, 5, 4]);
  const z = new Float32Array([1, NaN, 3]);
  axpy(0, new Float32Array([NaN, NaN, NaN]), z);
  assert.deepEqual([...z], [1, NaN, 3]); // α = 0: y untouched, x not read
  scal(0.5, y);
  assert.deepEqual([...y], [1.5, 2, 2.5, 2]);
  scal(0, z);
  assert.deepEqual([...z], [0, 0, 0]);
});

test('nrm2: exact Pythagorean cases, no overflow or underflow, NaN and Inf', () => {
  assert.equal(nrm2(new Float32Array([3, 4])), 5);
  assert.equal(nrm2(new Float64Array([1e200, 1e200])), Math.SQRT2 * 1e200); // plain sum of squares overflows
  const tiny = nrm2(new Float64Array([3e-200, 4e-200]));
  assert.ok(Math.abs(tiny - 5e-200) <= 4 * 2 ** -53 * 5e-200, `${tiny}`); // plain sum underflows to 0
  assert.equal(nrm2(new Float64Array(5)), 0);
  assert.ok(Number.isNaN(nrm2(new Float64Array([1, NaN]))));
  assert.equal(nrm2(new Float64Array([1, Infinity])), Infinity);
});

test('copy: same and mixed precision, prefix n', () => {
  const y = new Float64Array(4);
  copy(new Float32Array([0.1, 0.2, 0.3, 0.4]), y, 3);
  assert.deepEqual([...y], [Math.fround(0.1), Math.fround(0.2), Math.fround(0.3), 0]);
  const z = new Float32Array(3);
  copy(new Float32Array([1, 2, 3]), z);
  assert.deepEqual([...z], [1, 2, 3]);
});

test('bad lengths are GlassyErrors naming the argument', () => {
  assert.throws(() => dot(new Float32Array(3), new Float32Array(2)), (e: unknown) => e instanceof GlassyError && e.field === 'dot.y.length');
  assert.throws(() => axpy(1, new Float32Array(3), new Float32Array(3), 4), (e: unknown) => e instanceof GlassyError && e.field === 'axpy.x.length');
  assert.throws(() => scal(1, new Float32Array(3), -1), (e: unknown) => e instanceof GlassyError && e.field === 'scal.n');
});
