/**
 * Ensembles in lockstep (dynamics/lockstep.ts, MlpLandscape.groupGradient): K replicas stepped
 * as one batched computation end where K ordinary trainers end.
 * - the fused gradient equals each replica's batchGradient to float rounding (in f64 to 1e-12
 *   relative, any backend); with OpenBLAS in f32, bit for bit when every GEMM takes the blocked
 *   kernels (full batches of 128 rows at 784→10→10), to f32 rounding when the one-replica GEMM is
 *   small enough for OpenBLAS's small-matrix kernel (a partial last batch);
 * - with independent data orders each replica takes its own ordinary step: bit-identical always.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../src/core/backends/index.js';
import { Rng } from '../src/core/rng.js';
import { BatchSchedule } from '../src/dynamics/batches.js';
import { Lockstep } from '../src/dynamics/lockstep.js';
import { createOptimizer } from '../src/dynamics/optimizers.js';
import { Trainer } from '../src/dynamics/trainer.js';
import { MlpLandscape } from '../src/landscapes/mlp/network.js';
import type { Float } from '../src/core/backend.js';

function data(n: number, d: number, C: number) {
  const rng = Rng.stream(3, 1);
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform() < 0.8 ? 0 : rng.uniform(); // sparse, MNIST-like
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = rng.int(C);
  return { x, y, n };
}

type Prec = 'f32' | 'f64';

type Rule = 'momentum' | 'adam' | 'langevin';

function ensemble(sizes: number[], K: number, prec: Prec, sharedOrder: boolean, backend: 'blas' | 'reference', l2 = 0, n = 300, rule: Rule = 'momentum') {
  const land = new MlpLandscape<Float>({ arch: { sizes, activation: 'relu', bias: true }, loss: 'ce', precision: prec, l2, backend: getBackend(backend) }, data(n, sizes[0]!, sizes[sizes.length - 1]!));
  const trainers = [];
  for (let k = 0; k < K; k++) {
    const theta = land.newConfig();
    land.initialise(theta, Rng.stream(5, 2, k));
    const opt = createOptimizer({ kind: rule, lr: rule === 'adam' ? 1e-3 : 0.05, momentum: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8, temperature: 1e-4 }, land.dim, theta, Rng.stream(5, 3, k));
    // 128 rows per batch; with n = 300 a partial last batch (300 = 2·128 + 44).
    const sched = new BatchSchedule(n, 128, 'shuffle', Rng.stream(5, 4, sharedOrder ? 0 : k));
    trainers.push(new Trainer(land, theta, opt, sched, { replica: k, lr: 0.05 }));
  }
  return { land, trainers };
}

function maxRelDiff(a: Float, b: Float): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(1e-30, Math.abs(b[i]!)));
  return m;
}

function runBoth(sizes: number[], K: number, prec: Prec, shared: boolean, backend: 'blas' | 'reference', steps: number, l2 = 0, n = 300, rule: Rule = 'momentum') {
  const lock = ensemble(sizes, K, prec, shared, backend, l2, n, rule);
  const plain = ensemble(sizes, K, prec, shared, backend, l2, n, rule);
  const ls = new Lockstep(lock.land, lock.trainers);
  const lossesLock: number[] = [], lossesPlain: number[] = [];
  for (let s = 0; s < steps; s++) {
    lossesLock.push(...ls.advance());
    for (const t of plain.trainers) lossesPlain.push(t.advance());
  }
  ls.sync();
  return { lock, plain, ls, lossesLock, lossesPlain };
}

test('lockstep, shared order, f64: every replica matches its own trainer to rounding (reference and BLAS backends)', () => {
  for (const backend of ['reference', 'blas'] as const) {
    for (const sizes of [[20, 7, 4], [20, 6, 5, 4]]) {
      const r = runBoth(sizes, 5, 'f64', true, backend, 7, 0.01);
      assert.equal(r.ls.counts.fused, 7);
      for (let k = 0; k < 5; k++) {
        const d = maxRelDiff(r.lock.trainers[k]!.theta, r.plain.trainers[k]!.theta);
        assert.ok(d < 1e-12, `${backend} ${sizes.join('-')} replica ${k}: relative difference ${d}`);
      }
      for (let i = 0; i < r.lossesLock.length; i++) assert.ok(Math.abs(r.lossesLock[i]! - r.lossesPlain[i]!) <= 1e-12 * Math.abs(r.lossesPlain[i]!));
    }
  }
});

test('lockstep, shared order, f32 with BLAS: bit-identical on full batches of 128 rows, rounding-close on partial ones', () => {
  // 256 = 2 full batches per epoch: no GEMM falls below OpenBLAS's small-matrix threshold (M·N·K ≤ 10⁶).
  const full = runBoth([784, 10, 10], 6, 'f32', true, 'blas', 5, 0, 256);
  for (let k = 0; k < 6; k++) assert.deepEqual(full.lock.trainers[k]!.theta, full.plain.trainers[k]!.theta, `replica ${k}`);
  assert.deepEqual(full.lossesLock, full.lossesPlain);
  // A 44-row batch sends the one-replica GEMM 44×784×10 to the small-matrix kernel, whose summation
  // order differs from the blocked kernel's: the replicas then agree to f32 rounding only.
  const part = runBoth([784, 10, 10], 6, 'f32', true, 'blas', 6);
  for (let k = 0; k < 6; k++) {
    const d = maxRelDiff(part.lock.trainers[k]!.theta, part.plain.trainers[k]!.theta);
    assert.ok(d < 1e-3, `replica ${k}: relative difference ${d}`);
  }
  for (let i = 0; i < part.lossesLock.length; i++) assert.ok(Math.abs(part.lossesLock[i]! - part.lossesPlain[i]!) <= 1e-5 * Math.abs(part.lossesPlain[i]!));
});

test('lockstep, independent orders: each replica takes its ordinary step, bit-identical', () => {
  const r = runBoth([20, 7, 4], 3, 'f32', false, 'blas', 5);
  assert.equal(r.ls.counts.fused, 0);
  for (let k = 0; k < 3; k++) assert.deepEqual(r.lock.trainers[k]!.theta, r.plain.trainers[k]!.theta);
  // A trainer of another landscape is refused.
  const other = ensemble([20, 7, 4], 1, 'f32', true, 'blas');
  assert.throws(() => new Lockstep(r.lock.land, [other.trainers[0]!]), /one landscape/);
});

test('lockstepEvaluate: every replica\'s loss, error and outputs equal evaluate()/outputs() (f64 to 1e-12; chunks of 7 rows)', () => {
  const land = new MlpLandscape<Float>({ arch: { sizes: [20, 7, 4], activation: 'relu', bias: true }, loss: 'ce', precision: 'f64', backend: getBackend('blas'), chunk: 7 }, data(30, 20, 4));
  const thetas = [0, 1, 2].map((k) => { const t = land.newConfig(); land.initialise(t, Rng.stream(9, 2, k)); return t; });
  const seen = thetas.map(() => new Float64Array(30 * 4));
  const ev = land.lockstepEvaluate(thetas, (k, start, B, f) => seen[k]!.set(f.subarray(0, B * 4), start * 4));
  thetas.forEach((t, k) => {
    const e = land.evaluate(t);
    assert.ok(Math.abs(ev[k]!.loss - e.loss) <= 1e-12 * e.loss);
    assert.equal(ev[k]!.error, e.error);
    assert.ok(maxRelDiff(seen[k]!, land.outputs(t)) < 1e-12);
  });
});

test('lockstep in blocks (first layers wider than one GEMM block): every replica matches its own trainer', () => {
  // 700 hidden units: one replica per block of ≤ 1280 units, so 3 blocks (and the stats stitched back).
  const r = runBoth([20, 700, 4], 3, 'f64', true, 'blas', 3);
  for (let k = 0; k < 3; k++) assert.ok(maxRelDiff(r.lock.trainers[k]!.theta, r.plain.trainers[k]!.theta) < 1e-12, `replica ${k}`);
  for (let i = 0; i < r.lossesLock.length; i++) assert.ok(Math.abs(r.lossesLock[i]! - r.lossesPlain[i]!) <= 1e-12 * Math.abs(r.lossesPlain[i]!));
  assert.ok(r.ls.lastBatch.size > 0 && r.ls.lastBatch.errors.every((e) => e >= 0 && e <= r.ls.lastBatch.size));
});

test('lockstep group: Adam and momentum with L2 step the group as one vector, Langevin each member on its own stream — bit-identical (f32, full batches)', () => {
  for (const [rule, l2] of [['adam', 0], ['momentum', 0.01], ['langevin', 0]] as const) {
    const r = runBoth([784, 10, 10], 4, 'f32', true, 'blas', 5, l2, 256, rule);
    for (let k = 0; k < 4; k++) assert.deepEqual(r.lock.trainers[k]!.theta, r.plain.trainers[k]!.theta, `${rule} replica ${k}`);
    assert.deepEqual(r.lossesLock, r.lossesPlain, rule);
    // sync() hands each trainer its optimiser state and the shared schedule's position.
    r.lock.trainers.forEach((t, k) => assert.deepEqual(t.state(), r.plain.trainers[k]!.state(), `${rule} state of replica ${k}`));
  }
});

test('lockstep group: members checkpointed after sync and loaded into a new Lockstep continue as if never stopped', () => {
  const whole = ensemble([784, 10, 10], 3, 'f32', true, 'blas', 0, 256);
  const ls = new Lockstep(whole.land, whole.trainers);
  for (let s = 0; s < 7; s++) ls.advance();
  ls.sync();
  const first = ensemble([784, 10, 10], 3, 'f32', true, 'blas', 0, 256);
  const a = new Lockstep(first.land, first.trainers);
  for (let s = 0; s < 3; s++) a.advance();
  a.sync();
  const states = first.trainers.map((t) => t.state());
  const second = ensemble([784, 10, 10], 3, 'f32', true, 'blas', 0, 256);
  second.trainers.forEach((t, k) => t.restore(states[k]!));
  const b = new Lockstep(second.land, second.trainers);
  for (let s = 0; s < 4; s++) b.advance();
  b.sync();
  second.trainers.forEach((t, k) => assert.deepEqual(t.state(), whole.trainers[k]!.state(), `replica ${k}`));
  assert.equal(b.counts.separate, 0);
});
