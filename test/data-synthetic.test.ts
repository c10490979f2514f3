import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GlassyError } from '../src/core/errors.js';
import { loadDataset } from '../src/data/load.js';
import { argmaxRows, teacherForward } from '../src/data/synthetic.js';
import type { Dataset } from '../src/data/dataset.js';

function throwsGlassy(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GlassyError, `expected a GlassyError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

/** Labels the teacher itself gives to a split's inputs. */
function teacherLabels(ds: Dataset, split: 'train' | 'test'): Int32Array {
  const s = ds[split];
  return argmaxRows(teacherForward(ds.teacher!, s.x, s.n), s.n, ds.nClasses);
}

function disagreements(a: Int32Array, b: Int32Array): number {
  let k = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) k++;
  return k;
}

test('teacher-student: reproducible by seed, independent streams, perfect teacher at ε = 0', () => {
  const spec = { source: 'teacher-student', d: 20, hidden: 8, nClasses: 3, activation: 'tanh', nTrain: 400, nTest: 100 } as const;
  const a = loadDataset(spec, 5);
  const b = loadDataset(spec, 5);
  const c = loadDataset(spec, 6);
  assert.deepEqual(a.train.x, b.train.x);
  assert.deepEqual(a.train.y, b.train.y);
  assert.deepEqual(a.teacher!.theta, b.teacher!.theta);
  assert.notDeepEqual(a.train.x, c.train.x);
  assert.notDeepEqual(a.teacher!.theta, c.teacher!.theta);
  // Changing nTest leaves the training set alone.
  assert.deepEqual(loadDataset({ ...spec, nTest: 7 }, 5).train.x, a.train.x);
  assert.deepEqual(a.teacher!.sizes, [20, 8, 3]);
  assert.equal(a.teacher!.theta.length, 20 * 8 + 8 * 3);
  assert.equal(a.nTargets, 3);
  assert.equal(a.train.targets!.length, 400 * 3);
  assert.equal(disagreements(teacherLabels(a, 'train'), a.train.y), 0);
  assert.equal(disagreements(teacherLabels(a, 'test'), a.test.y), 0);
  // The targets are the teacher outputs.
  const f = teacherForward(a.teacher!, a.train.x, a.train.n);
  for (let i = 0; i < 30; i++) assert.ok(Math.abs(a.train.targets![i]! - f[i]!) < 1e-5);
  // Every class occurs (a degenerate teacher would make the task trivial).
  const seen = new Set(a.train.y);
  assert.equal(seen.size, 3);
  // Weights have variance 1/fan_in: first layer 1/20.
  let v = 0;
  for (let i = 0; i < 160; i++) v += a.teacher!.theta[i]! ** 2;
  assert.ok(Math.abs(v / 160 - 1 / 20) < 0.02, `first-layer variance ${v / 160}`);
});

test('teacher-student: label noise ε flips the expected fraction to other classes, nested in ε', () => {
  const base = { source: 'teacher-student', d: 10, nClasses: 4, nTrain: 5000, nTest: 500 } as const;
  const noisy = loadDataset({ ...base, labelNoise: 0.2 }, 3);
  const wrong = disagreements(teacherLabels(noisy, 'train'), noisy.train.y);
  assert.equal(wrong, noisy.description['labelsFlipped']);
  // Binomial(5000, 0.2): mean 1000, σ ≈ 28; allow 4σ.
  assert.ok(Math.abs(wrong - 1000) < 115, `flipped ${wrong}`);
  assert.equal(disagreements(teacherLabels(noisy, 'test'), noisy.test.y), 0); // test labels stay clean
  assert.deepEqual(noisy.teacher!.sizes, [10, 4]); // hidden = 0: a perceptron teacher
  const low = loadDataset({ ...base, labelNoise: 0.05 }, 3);
  const clean = teacherLabels(low, 'train');
  for (let i = 0; i < clean.length; i++) {
    if (low.train.y[i] !== clean[i]) assert.notEqual(noisy.train.y[i], clean[i], `sample ${i} flipped at ε=0.05 but not at 0.2`);
  }
  const all = loadDataset({ ...base, labelNoise: 1 }, 3);
  assert.equal(disagreements(teacherLabels(all, 'train'), all.train.y), 5000);
});

test('gaussian-mixture: balanced classes, unit within-class variance, |μ| ≈ separation', () => {
  const d = 50, n = 3000, C = 3;
  const ds = loadDataset({ source: 'gaussian-mixture', d, nClasses: C, separation: 3, nTrain: n, nTest: 30 }, 11);
  const count = [0, 0, 0];
  for (const y of ds.train.y) count[y]!++;
  assert.deepEqual(count, [1000, 1000, 1000]);
  const mean = new Float64Array(C * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[ds.train.y[i]! * d + j]! += ds.train.x[i * d + j]! / 1000;
  let within = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) within += (ds.train.x[i * d + j]! - mean[ds.train.y[i]! * d + j]!) ** 2;
  assert.ok(Math.abs(within / (n * d) - 1) < 0.03, `within-class variance ${within / (n * d)}`);
  for (let c = 0; c < C; c++) {
    let m2 = 0;
    for (let j = 0; j < d; j++) m2 += mean[c * d + j]! ** 2;
    // E|μ̂|² = sep² + d/1000; χ²_50 fluctuations of sep² are ±20 % (1σ), so a loose window.
    assert.ok(m2 > 9 * 0.35 && m2 < 9 * 1.8, `|mean ${c}|² = ${m2}`);
  }
  assert.equal(ds.test.n, 30);
});

test('linear-regression: residuals have the noise level; no classes', () => {
  const ds = loadDataset({ source: 'linear-regression', d: 30, nTrain: 4000, nTest: 10, noise: 0.1 }, 2);
  assert.equal(ds.nClasses, 0);
  assert.equal(ds.nTargets, 1);
  const f = teacherForward(ds.teacher!, ds.train.x, ds.train.n);
  let r2 = 0, t2 = 0;
  for (let i = 0; i < ds.train.n; i++) {
    r2 += (ds.train.targets![i]! - f[i]!) ** 2;
    t2 += ds.train.targets![i]! ** 2;
  }
  const sigma = Math.sqrt(r2 / ds.train.n);
  assert.ok(Math.abs(sigma - 0.1) < 0.005, `residual σ ${sigma}`);
  // w* ~ N(0, 1/d) makes Var(x·w*) ≈ 1.
  assert.ok(t2 / ds.train.n > 0.5 && t2 / ds.train.n < 1.6);
});

test('random-labels: a fraction of training labels is redrawn uniformly; test labels stay', () => {
  const base = { source: 'gaussian-mixture', d: 5, nClasses: 4, nTrain: 4000, nTest: 200 } as const;
  const truth = loadDataset(base, 1);
  const rnd = loadDataset({ source: 'random-labels', base }, 1);
  assert.equal(rnd.name, 'random-labels(gaussian-mixture)');
  assert.deepEqual(rnd.train.x, truth.train.x);
  assert.deepEqual(rnd.test.y, truth.test.y);
  const agree = 4000 - disagreements(rnd.train.y, truth.train.y);
  // Uniform labels agree with the truth 1/4 of the time: 1000 ± 4σ (σ ≈ 27).
  assert.ok(Math.abs(agree - 1000) < 110, `agreement ${agree}`);
  const half = loadDataset({ source: 'random-labels', base, fraction: 0.5 }, 1);
  // Half redrawn, of which 3/4 change: 1500 changed.
  const changed = disagreements(half.train.y, truth.train.y);
  assert.equal(changed, half.description['labelsChanged']);
  assert.ok(Math.abs(changed - 1500) < 130, `changed ${changed}`);
  assert.deepEqual(loadDataset({ source: 'random-labels', base, fraction: 0 }, 1).train.y, truth.train.y);
});

test('data specs are validated with one-line errors naming the field', () => {
  throwsGlassy(() => loadDataset({ source: 'teacher-student' } as never, 0), /^data\.d: got undefined, expected a number$/);
  throwsGlassy(() => loadDataset({ source: 'teacher-student', d: 3, nClasses: 1 }, 0), /^data\.nClasses: got 1, expected a number ≥ 2$/);
  throwsGlassy(() => loadDataset({ source: 'teacher-student', d: 3, labelNoise: 1.5 }, 0), /^data\.labelNoise: got 1\.5/);
  throwsGlassy(() => loadDataset({ source: 'mnist', ntrain: 5 } as never, 0), /^data\.ntrain: got 5, expected no such field/);
  throwsGlassy(() => loadDataset({ source: 'cifar' } as never, 0), /^data\.source: got "cifar", expected one of "mnist", "fashion-mnist"/);
  throwsGlassy(() => loadDataset({ source: 'gaussian-mixture', d: 2, normalise: 'unit' } as never, 0), /^data\.normalise: got "unit"/);
  throwsGlassy(() => loadDataset({ source: 'mnist', classes: [1, 1] }, 0), /^data\.classes: got \[1,1\], expected classes must be distinct/);
  throwsGlassy(() => loadDataset({ source: 'random-labels', base: { source: 'linear-regression', d: 2 } } as never, 0), /^data\.base\.source: got "linear-regression"/);
  throwsGlassy(() => loadDataset({ source: 'mnist' }, -1), /^seed: got -1/);
});
