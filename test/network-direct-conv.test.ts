/**
 * The direct convolution (Backend.convForward / convWeightGrad, the BLAS addon on CPUs with AVX2 and
 * FMA) that layers with few input channels take instead of im2col + GEMM: exact gradient and exact
 * HVP against central differences in float64 through first and inner layers, padding, no bias, odd
 * widths and channel counts that do not fill the kernel's blocks; agreement with the im2col + GEMM
 * path to rounding in f64 and f32; the same bits run to run; bad extents refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, Float } from '../src/core/backend.js';
import { availableBackends, getBackend } from '../src/core/backends/index.js';
import { Rng } from '../src/core/rng.js';
import { createNetwork, type Network } from '../src/landscapes/network/index.js';
import { relErr } from './network-helpers.js';

/** The backends with the direct kernels, each with a twin that lacks them (im2col + GEMM). */
function direct(): Array<{ name: string; fast: Backend; gemm: Backend }> {
  return availableBackends().filter((b) => b.available).map((b) => getBackend(b.name)).filter((be) => be.convForward).map((fast) => {
    const gemm: Backend = { ...fast };
    delete gemm.convForward;
    delete gemm.convWeightGrad;
    return { name: fast.name, fast, gemm };
  });
}

const specs: Array<{ spec: string; input: number[]; bias?: boolean }> = [
  // first layer (no input gradient), 7 output channels, a 9-wide output row
  { spec: 'conv(7,3)-maxpool(2)-relu-flatten-dense(3)', input: [1, 11, 11] },
  // padding, an inner direct layer (input gradient, R{x}) after a strided GEMM layer, 3 taps × 3 channels
  { spec: 'conv(3,3,1,1)-tanh-conv(4,2,2)-sigmoid-conv(5,1)-flatten-dense(3)', input: [2, 9, 7] },
  // no biases, C_in = 3 (RGB-like), 5×5 kernel with padding 2
  { spec: 'conv(6,5,1,2)-relu-avgpool(2)-flatten-dense(3)', input: [3, 8, 10], bias: false },
];

function build(be: Backend, spec: string, input: number[], precision: 'f32' | 'f64', bias = true, n = 9) {
  const rng = Rng.stream(31, 1);
  const d = input.reduce((a, b) => a * b, 1);
  const x = new Float64Array(n * d);
  rng.fillNormal(x);
  const y = Int32Array.from({ length: n }, () => rng.int(3));
  const land = createNetwork({ model: spec, inputShape: input, loss: 'ce', precision, chunk: 4, backend: be, bias }, { x, y, targets: null, n });
  const theta = land.newConfig();
  land.initialise(theta, Rng.stream(31, 2));
  const noise = new Float64Array(land.dim);
  rng.fillNormal(noise, 0.1);
  for (let i = 0; i < land.dim; i++) theta[i] = theta[i]! + noise[i]!;
  const v = land.newConfig();
  rng.fillNormal(v);
  return { land, theta, v };
}

test('direct convolution: gradient and HVP = central differences (f64)', (t) => {
  const pairs = direct();
  if (pairs.length === 0) t.skip('no backend with the direct convolution (BLAS addon not built, or a CPU without AVX2/FMA)');
  for (const { name, fast } of pairs) {
    for (const { spec, input, bias } of specs) {
      const { land, theta, v } = build(fast, spec, input, 'f64', bias);
      const net = land as Network<Float64Array>;
      const g = land.newConfig(), hv = land.newConfig();
      land.gradient(theta, g);
      land.hvp(theta, v, hv);
      const fd = new Float64Array(land.dim), eps = 1e-6;
      for (let i = 0; i < land.dim; i++) {
        const t0 = theta[i]!;
        theta[i] = t0 + eps;
        const ep = net.energy(theta as Float64Array);
        theta[i] = t0 - eps;
        const em = net.energy(theta as Float64Array);
        theta[i] = t0;
        fd[i] = (ep - em) / (2 * eps);
      }
      assert.ok(relErr(g, fd) < 1e-6, `${name} ${spec}: gradient, relative error ${relErr(g, fd)}`);
      const e2 = 1e-5, tp = land.newConfig(), tm = land.newConfig(), gp = land.newConfig(), gm = land.newConfig();
      for (let i = 0; i < land.dim; i++) {
        tp[i] = theta[i]! + e2 * v[i]!;
        tm[i] = theta[i]! - e2 * v[i]!;
      }
      land.gradient(tp, gp);
      land.gradient(tm, gm);
      const fh = Array.from({ length: land.dim }, (_, i) => (gp[i]! - gm[i]!) / (2 * e2));
      assert.ok(relErr(hv, fh) < 1e-6, `${name} ${spec}: HVP, relative error ${relErr(hv, fh)}`);
    }
  }
});

test('direct convolution agrees with im2col + GEMM to rounding (f64 1e-12, f32 1e-5) and repeats its bits', (t) => {
  const pairs = direct();
  if (pairs.length === 0) t.skip('no backend with the direct convolution');
  for (const { name, fast, gemm } of pairs) {
    for (const { spec, input, bias } of specs) {
      for (const precision of ['f64', 'f32'] as const) {
        const tol = precision === 'f64' ? 1e-12 : 1e-5;
        const out = [fast, gemm, fast].map((be) => {
          const { land, theta, v } = build(be, spec, input, precision, bias);
          const g = land.newConfig(), hv = land.newConfig();
          const loss = land.gradient(theta, g);
          land.hvp(theta, v, hv);
          return { loss, g: [...g], hv: [...hv] };
        });
        const [a, b, c] = out as [typeof out[0], typeof out[0], typeof out[0]];
        const what = `${name} ${precision} ${spec}`;
        assert.ok(Math.abs(a.loss - b.loss) <= tol * Math.abs(b.loss), `${what}: loss`);
        assert.ok(relErr(a.g, b.g) < tol, `${what}: gradient ${relErr(a.g, b.g)}`);
        assert.ok(relErr(a.hv, b.hv) < tol, `${what}: HVP ${relErr(a.hv, b.hv)}`);
        assert.ok(Object.is(a.loss, c.loss), `${what}: same loss bits twice`);
        assert.deepEqual(a.g, c.g, `${what}: same gradient bits twice`);
        assert.deepEqual(a.hv, c.hv, `${what}: same HVP bits twice`);
      }
    }
  }
});

test('direct convolution refuses extents outside its arrays, mixed precisions and strides with a RangeError', (t) => {
  const pairs = direct();
  if (pairs.length === 0) t.skip('no backend with the direct convolution');
  for (const { fast: be } of pairs) {
    const g = { batch: 2, channels: 1, height: 5, width: 5, kernel: 3, stride: 1, padding: 0, outHeight: 3, outWidth: 3 };
    const x = new Float32Array(50), w = new Float32Array(4 * 9), b = new Float32Array(4), y = new Float32Array(2 * 4 * 9).fill(7);
    be.convForward!(x, w, b, y, 0, g, 4);
    assert.deepEqual([...y], new Array(72).fill(0));
    assert.throws(() => be.convForward!(x, w, b, new Float32Array(71), 0, g, 4), RangeError);
    assert.throws(() => be.convForward!(x.subarray(1), w, b, y, 0, g, 4), RangeError);
    assert.throws(() => be.convForward!(x, w.subarray(1), b, y, 0, g, 4), RangeError);
    assert.throws(() => be.convForward!(x, w, b.subarray(1), y, 0, g, 4), RangeError);
    assert.throws(() => be.convForward!(x, w, b, new Float64Array(72) as Float, 0, g, 4), RangeError);
    assert.throws(() => be.convForward!(x, w, b, y, 0, { ...g, outHeight: 4 }, 4), RangeError);
    const gw = new Float32Array(36).fill(5);
    assert.throws(() => be.convWeightGrad!(x, y, gw, new Float32Array(3), 1, g, 4), RangeError);
    assert.throws(() => be.convWeightGrad!(x, y.subarray(1), gw, null, 1, g, 4), RangeError);
    assert.throws(() => be.convWeightGrad!(x, y, gw, null, 1, { ...g, stride: 2, outHeight: 2, outWidth: 2 }, 4));
    assert.deepEqual([...gw], new Array(36).fill(5), 'nothing written before a refusal');
  }
});
