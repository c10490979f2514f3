/**
 * The network landscape: exact gradient and exact Hessian-vector product (Pearlmutter's R-operator)
 * against central finite differences in float64, for every activation, loss and depth.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MlpLandscape, type MlpData } from '../src/landscapes/mlp/network.js';
import type { Activation } from '../src/landscapes/mlp/layout.js';
import type { LossKind } from '../src/landscapes/mlp/loss.js';
import { getBackend } from '../src/core/backends/index.js';
import { Rng } from '../src/core/rng.js';

function randomData(rng: Rng, n: number, d: number, C: number, withTargets = false): MlpData {
  const x = new Float64Array(n * d);
  rng.fillNormal(x);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = rng.int(C);
  let targets: Float64Array | null = null;
  if (withTargets) {
    targets = new Float64Array(n * C);
    rng.fillNormal(targets);
  }
  return { x, y, targets, n };
}

interface Case { sizes: number[]; activation: Activation; loss: LossKind; bias: boolean; output?: 'linear' | 'sigmoid'; targets?: boolean; l2?: number }

const cases: Case[] = [
  { sizes: [5, 3], activation: 'relu', loss: 'ce', bias: true }, // perceptron
  { sizes: [5, 4, 3], activation: 'tanh', loss: 'ce', bias: true },
  { sizes: [5, 4, 3], activation: 'relu', loss: 'ce', bias: false },
  { sizes: [5, 4, 6, 3], activation: 'sigmoid', loss: 'mse', bias: true, output: 'sigmoid' },
  { sizes: [5, 4, 6, 3], activation: 'tanh', loss: 'mse', bias: true, targets: true },
  { sizes: [5, 6, 4, 4, 3], activation: 'relu', loss: 'ce', bias: true, l2: 0.03 },
  { sizes: [5, 4, 3], activation: 'linear', loss: 'hinge', bias: true },
  { sizes: [5, 4, 3], activation: 'tanh', loss: 'mse', bias: true, output: 'sigmoid', l2: 0.1 },
];

function build(c: Case, seed: number) {
  const rng = Rng.stream(seed, 1);
  const data = randomData(rng, 11, c.sizes[0]!, c.sizes[c.sizes.length - 1]!, c.targets);
  const land = new MlpLandscape<Float64Array>(
    {
      arch: { sizes: c.sizes, activation: c.activation, bias: c.bias, output: c.output ?? 'linear' },
      loss: c.loss, precision: 'f64', l2: c.l2 ?? 0, chunk: 4, backend: getBackend('reference'),
    },
    data,
  );
  const theta = land.newConfig();
  rng.fillNormal(theta, 0.7);
  return { land, theta, rng };
}

for (const [k, c] of cases.entries()) {
  const label = `${c.sizes.join('-')} ${c.activation} ${c.loss}${c.bias ? '' : ' no-bias'}${c.output === 'sigmoid' ? ' sigmoid-out' : ''}${c.l2 ? ` l2=${c.l2}` : ''}`;

  test(`gradient matches central differences: ${label}`, () => {
    const { land, theta } = build(c, 100 + k);
    const g = land.newConfig();
    const e = land.gradient(theta, g);
    assert.ok(Math.abs(e - land.energy(theta)) < 1e-12, 'gradient() returns E(θ)');
    const h = 1e-6;
    let maxErr = 0, scale = 0;
    for (let i = 0; i < land.dim; i++) {
      const t0 = theta[i]!;
      theta[i] = t0 + h; const ep = land.energy(theta);
      theta[i] = t0 - h; const em = land.energy(theta);
      theta[i] = t0;
      const fd = (ep - em) / (2 * h);
      maxErr = Math.max(maxErr, Math.abs(fd - g[i]!));
      scale = Math.max(scale, Math.abs(g[i]!));
    }
    // Central differences: truncation O(h²)·E''' ≈ 1e-12 and rounding ε/h ≈ 1e-10; ReLU kinks are
    // hit with probability ~0 for Gaussian data at h = 1e-6.
    assert.ok(maxErr <= 1e-7 * Math.max(1, scale), `max |fd − g| = ${maxErr} (|g|∞ = ${scale})`);
  });

  test(`Hessian-vector product matches differences of gradients: ${label}`, () => {
    const { land, theta, rng } = build(c, 200 + k);
    const v = land.newConfig();
    rng.fillNormal(v);
    const hv = land.newConfig();
    land.hvp(theta, v, hv);
    const h = 1e-5;
    const gp = land.newConfig(), gm = land.newConfig();
    const tp = theta.slice(), tm = theta.slice();
    for (let i = 0; i < land.dim; i++) { tp[i] = theta[i]! + h * v[i]!; tm[i] = theta[i]! - h * v[i]!; }
    land.gradient(tp, gp);
    land.gradient(tm, gm);
    let maxErr = 0, scale = 0;
    for (let i = 0; i < land.dim; i++) {
      const fd = (gp[i]! - gm[i]!) / (2 * h);
      maxErr = Math.max(maxErr, Math.abs(fd - hv[i]!));
      scale = Math.max(scale, Math.abs(hv[i]!));
    }
    assert.ok(maxErr <= 1e-6 * Math.max(1, scale), `max |fd − Hv| = ${maxErr} (|Hv|∞ = ${scale})`);
    // The Hessian is symmetric: u·Hv = v·Hu.
    const u = land.newConfig();
    rng.fillNormal(u);
    const hu = land.newConfig();
    land.hvp(theta, u, hu);
    let uHv = 0, vHu = 0;
    for (let i = 0; i < land.dim; i++) { uHv += u[i]! * hv[i]!; vHu += v[i]! * hu[i]!; }
    assert.ok(Math.abs(uHv - vHu) <= 1e-10 * Math.max(1, Math.abs(uHv)), `u·Hv = ${uHv}, v·Hu = ${vHu}`);
  });
}

test('a batch of every sample gives the full-data gradient; f32 agrees with f64', () => {
  const c = cases[1]!;
  const { land, theta } = build(c, 7);
  const g = land.newConfig(), gb = land.newConfig();
  const e = land.gradient(theta, g);
  const all = new Int32Array(land.nSamples).map((_, i) => i);
  const eb = land.batchGradient(theta, all, gb);
  assert.ok(Math.abs(e - eb) < 1e-12);
  for (let i = 0; i < land.dim; i++) assert.ok(Math.abs(g[i]! - gb[i]!) < 1e-12);

  const rng = Rng.stream(7, 1);
  const data = randomData(rng, 11, 5, 3);
  const f32 = new MlpLandscape<Float32Array>(
    { arch: { sizes: c.sizes, activation: c.activation, bias: true }, loss: 'ce', precision: 'f32', backend: getBackend('reference') },
    { ...data, x: Float32Array.from(data.x) },
  );
  const t32 = Float32Array.from(theta);
  const t64 = Float64Array.from(t32);
  const f64 = new MlpLandscape<Float64Array>(
    { arch: { sizes: c.sizes, activation: c.activation, bias: true }, loss: 'ce', precision: 'f64', backend: getBackend('reference') },
    { ...data, x: Float64Array.from(Float32Array.from(data.x)) },
  );
  assert.ok(Math.abs(f32.energy(t32) - f64.energy(t64)) < 1e-5);
});

test('byte inputs: mini-batches gathered from the bytes give the gradients of the float32 inputs bit for bit, and training never converts the set', (t) => {
  const be = getBackend('auto');
  if (!be.gatherBytes) return t.skip('no backend with gatherBytes (the BLAS addon) here');
  const rng = Rng.stream(11, 2);
  const d = 20, n = 50, N = 70;
  const pool = Uint8Array.from({ length: N * d }, () => rng.int(256));
  const rows = Int32Array.from({ length: n }, (_, i) => (i * 3) % N);
  const a = 1 / (255 * 0.3081), b = -0.1307 / 0.3081;
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = pool[rows[i]! * d + j]! * a + b;
  const y = Int32Array.from({ length: n }, () => rng.int(4));
  let reads = 0;
  const lazy: MlpData = {
    get x() {
      reads++;
      return x;
    },
    bytes: { x: pool, d, rows, a, b },
    y, n,
  };
  const opts = { arch: { sizes: [d, 8, 4], activation: 'relu' as const, bias: true }, loss: 'ce' as const, precision: 'f32' as const, backend: be };
  const fromBytes = new MlpLandscape<Float32Array>(opts, lazy);
  const fromFloats = new MlpLandscape<Float32Array>(opts, { x: Float32Array.from(x), y, n });
  const theta = fromFloats.newConfig();
  fromFloats.initialise(theta, Rng.stream(11, 3));
  const g1 = fromBytes.newConfig(), g2 = fromFloats.newConfig();
  for (const batch of [Int32Array.from([4, 0, 49, 17, 17]), Int32Array.from([9, 31, 2])]) {
    assert.equal(fromBytes.batchGradient(theta, batch, g1), fromFloats.batchGradient(theta, batch, g2));
    assert.deepEqual(g1, g2);
  }
  assert.equal(reads, 0, 'shuffled mini-batches never read x');
  assert.throws(() => fromBytes.batchGradient(theta, Int32Array.from([50]), g1), RangeError);
  // Contiguous passes (evaluations, a measurement subset) convert the bytes they need.
  assert.deepEqual(fromBytes.evaluate(theta), fromFloats.evaluate(theta));
  assert.deepEqual(fromBytes.firstSamples(13).evaluate(theta), fromFloats.firstSamples(13).evaluate(theta));
  assert.equal(reads, 0, 'converted from the bytes, not read from x');
});

test('error rate counts argmax mistakes', () => {
  // Perceptron with W = identity-like weights: predicted class = argmax of the first C inputs.
  const x = new Float64Array([3, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0, 5]);
  const y = new Int32Array([0, 1, 2, 1]); // sample 2 predicts 0 (wrong), sample 3 predicts 2 (wrong)
  const land = new MlpLandscape<Float64Array>(
    { arch: { sizes: [3, 3], activation: 'linear', bias: false }, loss: 'ce', precision: 'f64', backend: getBackend('reference') },
    { x, y, n: 4 },
  );
  const theta = land.newConfig();
  theta.set([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const ev = land.evaluate(theta);
  assert.equal(ev.error, 0.5);
  // CE of row (3,0,0) with label 0: log(e^3 + 2) − 3
  const expected = (Math.log(Math.exp(3) + 2) - 3 + (Math.log(2 + Math.exp(2)) - 2) + (Math.log(Math.exp(1) + 2) - 0) + (Math.log(2 + Math.exp(5)) - 0)) / 4;
  assert.ok(Math.abs(ev.loss - expected) < 1e-12);
});

test('bad input names the field', () => {
  const data = randomData(Rng.stream(1), 4, 5, 3);
  assert.throws(
    () => new MlpLandscape({ arch: { sizes: [6, 3], activation: 'relu', bias: true }, loss: 'ce', precision: 'f64', backend: getBackend('reference') }, data),
    /data: got .* expected n × 6 values/,
  );
  const bad = { ...data, y: new Int32Array([0, 1, 7, 0]) };
  assert.throws(
    () => new MlpLandscape({ arch: { sizes: [5, 3], activation: 'relu', bias: true }, loss: 'ce', precision: 'f64', backend: getBackend('reference') }, bad),
    /label of sample 2: got 7/,
  );
  assert.throws(
    () => new MlpLandscape({ arch: { sizes: [5, 0, 3], activation: 'relu', bias: true }, loss: 'ce', precision: 'f64', backend: getBackend('reference') }, data),
    /model: got "5-0-3"/,
  );
});
