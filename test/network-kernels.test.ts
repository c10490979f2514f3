/**
 * The backend's convolution, pooling and ReLU kernels (im2col, col2im, swapAxes, rowSums, maxPool,
 * scatterAdd, reluForward/Backward) reproduce the JavaScript loops of landscapes/network bit for bit:
 * the same network with and without them gives identical losses, gradients and Hessian-vector products
 * in f32 and f64, through padding, strides, odd pool windows and ties; and they refuse bad extents.
 * (The BLAS addon has them all; the WebAssembly backend all but rowSums and the ReLU steps.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, Float } from '../src/core/backend.js';
import { availableBackends, getBackend } from '../src/core/backends/index.js';
import { Rng } from '../src/core/rng.js';
import { createNetwork } from '../src/landscapes/network/index.js';

const KERNELS = ['im2col', 'col2im', 'swapAxes', 'rowSums', 'maxPool', 'scatterAdd', 'reluForward', 'reluBackward'] as const;

/** The backends that have the kernels, each with a twin that lacks them (the JavaScript fallback). */
function withAndWithout(): Array<{ name: string; fast: Backend; plain: Backend }> {
  return availableBackends().filter((b) => b.available).map((b) => getBackend(b.name)).filter((be) => be.im2col).map((fast) => {
    const plain: Backend = { ...fast };
    for (const k of KERNELS) delete (plain as Partial<Backend>)[k];
    return { name: fast.name, fast, plain };
  });
}

const specs: Array<{ spec: string; input: number[] }> = [
  { spec: 'conv(10,5)-maxpool(2)-relu-conv(20,5)-maxpool(2)-relu-flatten-dense(80)-relu-dense(10)', input: [1, 28, 28] },
  { spec: 'conv(3,3,2,1)-maxpool(3,2)-relu-conv(4,2,1,1)-tanh-flatten-dense(10)', input: [2, 11, 9] },
  { spec: 'maxpool(2)-conv(3,3)-relu-maxpool(2,1)-flatten-dense(10)', input: [3, 12, 12] },
];

function run(be: Backend, spec: string, input: number[], precision: 'f32' | 'f64', ties: boolean) {
  const rng = Rng.stream(7, 1);
  const n = 12, d = input.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * d);
  rng.fillNormal(x);
  // Quantised inputs make ties in max-pool windows (the first maximum must win in both paths).
  if (ties) for (let i = 0; i < x.length; i++) x[i] = Math.round(x[i]!);
  const y = Int32Array.from({ length: n }, () => rng.int(10));
  const land = createNetwork({ model: spec, inputShape: input, loss: 'ce', precision, chunk: 5, backend: be }, { x, y, targets: null, n });
  const theta = land.newConfig();
  land.initialise(theta, Rng.stream(7, 2));
  const v = land.newConfig();
  Rng.stream(7, 3).fillNormal(v);
  const g = land.newConfig(), hv = land.newConfig();
  const loss = land.gradient(theta, g);
  land.hvp(theta, v, hv);
  return { loss, g: [...g], hv: [...hv] };
}

test('network passes with the backend kernels are bit-identical to the JavaScript loops (f32, f64, ties)', (t) => {
  const pairs = withAndWithout();
  if (pairs.length === 0) t.skip('no backend with the convolution kernels (BLAS addon not built)');
  for (const { name, fast, plain } of pairs) {
    for (const { spec, input } of specs) {
      for (const precision of ['f32', 'f64'] as const) {
        for (const ties of [false, true]) {
          const a = run(fast, spec, input, precision, ties), b = run(plain, spec, input, precision, ties);
          const what = `${name} ${precision} ${spec}${ties ? ' (ties)' : ''}`;
          assert.ok(Number.isFinite(a.loss), what);
          assert.ok(Object.is(a.loss, b.loss), `${what}: loss`);
          assert.deepEqual(a.g, b.g, `${what}: gradient`);
          assert.deepEqual(a.hv, b.hv, `${what}: HVP`);
        }
      }
    }
  }
});

test('maxPool: NaN wins its window, as the JavaScript loop and PyTorch', (t) => {
  const pairs = withAndWithout();
  if (pairs.length === 0) t.skip('no backend with the convolution kernels (BLAS addon not built)');
  for (const { fast } of pairs.filter((q) => q.fast.maxPool)) {
    for (const Ctor of [Float32Array, Float64Array]) {
      // one 4×4 plane: windows [1,NaN;5,6] [3,3;-Inf,Inf] [NaN,2;NaN,0] [-1,-1;-1,-2]
      const x = new Ctor([1, NaN, 3, 3, 5, 6, -Infinity, Infinity, NaN, 2, -1, -1, NaN, 0, -1, -2]);
      const y = new Ctor(4), idx = new Int32Array(4);
      fast.maxPool!(x, y, idx, { planes: 1, height: 4, width: 4, kernel: 2, stride: 2, outHeight: 2, outWidth: 2 });
      assert.deepEqual([...idx], [1, 7, 8, 10]);
      assert.ok(Number.isNaN(y[0]) && y[1] === Infinity && Number.isNaN(y[2]) && y[3] === -1);
      fast.maxPool!(x, y.subarray(0, 1), idx, { planes: 1, height: 4, width: 4, kernel: 3, stride: 2, outHeight: 1, outWidth: 1 });
      assert.equal(idx[0], 1);
    }
  }
});

test('the convolution kernels refuse extents outside their arrays and mixed precisions with a RangeError', (t) => {
  const pairs = withAndWithout();
  if (pairs.length === 0) t.skip('no backend with the convolution kernels (BLAS addon not built)');
  for (const { fast: be } of pairs) {
    const g = { batch: 2, channels: 1, height: 5, width: 5, kernel: 3, stride: 1, padding: 0, outHeight: 3, outWidth: 3 };
    const x = new Float32Array(50), col = new Float32Array(9 * 18);
    be.im2col!(x, col, g);
    assert.throws(() => be.im2col!(x, new Float32Array(9 * 18 - 1), g), RangeError);
    assert.throws(() => be.im2col!(x.subarray(1), col, g), RangeError);
    assert.throws(() => be.im2col!(x, new Float64Array(9 * 18) as Float, g), RangeError);
    assert.throws(() => be.im2col!(x, col, { ...g, outHeight: 4 }), RangeError);
    assert.throws(() => be.col2im!(col, new Float32Array(49), g), RangeError);
    assert.throws(() => be.swapAxes!(x, new Float32Array(49), 2, 5, 5, null), RangeError);
    assert.throws(() => be.swapAxes!(x, x.slice(), 2, 5, 5, new Float32Array(1)), RangeError);
    if (be.rowSums) assert.throws(() => be.rowSums!(x, 2, 26, new Float32Array(2), 0), RangeError);
    if (!be.maxPool) continue;
    const pg = { planes: 2, height: 5, width: 5, kernel: 2, stride: 2, outHeight: 2, outWidth: 2 };
    assert.throws(() => be.maxPool!(x, new Float32Array(8), new Int32Array(7), pg), RangeError);
    assert.throws(() => be.maxPool!(x, new Float32Array(8), new Int32Array(8), { ...pg, outWidth: 3 }), RangeError);
    const dx = new Float32Array(4).fill(9);
    assert.throws(() => be.scatterAdd!(new Float32Array(2), Int32Array.from([0, 4]), 2, dx, 4), RangeError);
    assert.deepEqual([...dx], [9, 9, 9, 9], 'nothing written before the refusal');
    be.scatterAdd!(Float32Array.from([1, 2, 3]), Int32Array.from([3, 0, 3]), 3, dx, 4);
    assert.deepEqual([...dx], [2, 0, 0, 4]);
  }
});

test('the kernels give the same bits on the backend\'s own arrays and on ordinary typed arrays (copied in and out)', (t) => {
  const pairs = withAndWithout();
  if (pairs.length === 0) t.skip('no backend with the convolution kernels (BLAS addon not built)');
  for (const { fast: be } of pairs) {
    const g = { batch: 3, channels: 2, height: 7, width: 6, kernel: 3, stride: 2, padding: 1, outHeight: 4, outWidth: 3 };
    const nx = 3 * 2 * 7 * 6, nc = 2 * 9 * 3 * 12;
    const rng = Rng.stream(9, 1);
    const own = { x: be.allocF64(nx), col: be.allocF64(nc), dx: be.allocF64(nx), t: be.allocF64(nx), bias: be.allocF64(6) };
    rng.fillNormal(own.x);
    rng.fillNormal(own.bias);
    const foreign = { x: Float64Array.from(own.x), col: new Float64Array(nc), dx: new Float64Array(nx), t: new Float64Array(nx), bias: Float64Array.from(own.bias) };
    for (const a of [own, foreign]) {
      be.im2col!(a.x, a.col, g);
      be.col2im!(a.col, a.dx, g);
      be.swapAxes!(a.x, a.t, 6, 3, 14, a.bias);
    }
    assert.deepEqual([...foreign.col], [...own.col], `${be.name} im2col`);
    assert.deepEqual([...foreign.dx], [...own.dx], `${be.name} col2im`);
    assert.deepEqual([...foreign.t], [...own.t], `${be.name} swapAxes`);
  }
});

test('maxPool 2×2 stride 2 (vectorised rows with an overlapping last group): every width, ties and NaNs as the plain rule', (t) => {
  const pairs = withAndWithout().filter((q) => q.fast.maxPool);
  if (pairs.length === 0) t.skip('no backend with the pooling kernels (BLAS addon not built)');
  const rng = Rng.stream(12, 1);
  for (const { name, fast } of pairs) {
    for (const Ctor of [Float32Array, Float64Array]) {
      for (let wo = 1; wo <= 21; wo++) {
        const planes = 3, ho = 3, h = 2 * ho + 1, w = 2 * wo + (wo % 2);
        const x = new Ctor(planes * h * w);
        // few distinct values (ties), a NaN in about one window in forty
        for (let i = 0; i < x.length; i++) x[i] = rng.uniform() < 0.01 ? NaN : Math.round(rng.uniform() * 4) - 2;
        const y = new Ctor(planes * ho * wo), idx = new Int32Array(planes * ho * wo);
        fast.maxPool!(x, y, idx, { planes, height: h, width: w, kernel: 2, stride: 2, outHeight: ho, outWidth: wo });
        for (let p = 0, o = 0; p < planes; p++) {
          for (let oh = 0; oh < ho; oh++) {
            for (let ow = 0; ow < wo; ow++, o++) {
              const win = [0, 1, w, w + 1].map((d) => p * h * w + 2 * oh * w + 2 * ow + d);
              let best = win.find((i) => Number.isNaN(x[i]!)) ?? win[0]!;
              if (!Number.isNaN(x[best]!)) for (const i of win) if (x[i]! > x[best]!) best = i;
              assert.equal(idx[o], best, `${name} ${Ctor.name} W_out=${wo} window ${o}`);
              assert.ok(Object.is(y[o], x[best]), `${name} ${Ctor.name} W_out=${wo} value ${o}`);
            }
          }
        }
      }
    }
  }
});
