/**
 * The scalar teacher–student of the statistical physics of learning: a soft committee machine
 * τ(x) = Σ_n g(B_n·x) (Saad & Solla 1995, PRE 52, 4225), learned by regression with MSE; the test
 * error is the generalisation error ⟨(f − τ)²⟩ on fresh inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadDataset } from '../src/data/index.js';
import { GLASSY, removeDir, tempDir } from './executor-helpers.js';

test('nClasses 1 with a hidden layer: τ(x) = Σ_n tanh(B_n·x), unit output weights, no labels', () => {
  const ds = loadDataset({ source: 'teacher-student', d: 6, hidden: 3, nClasses: 1, activation: 'tanh', nTrain: 20, nTest: 10 }, 3);
  assert.equal(ds.nClasses, 0);
  assert.equal(ds.nTargets, 1);
  const B = ds.teacher!.theta;
  assert.deepEqual(Array.from(B.subarray(18)), [1, 1, 1]);
  for (let i = 0; i < 20; i++) {
    let tau = 0;
    for (let n = 0; n < 3; n++) {
      let h = 0;
      for (let k = 0; k < 6; k++) h += B[n * 6 + k]! * ds.train.x[i * 6 + k]!;
      tau += Math.tanh(h);
    }
    assert.ok(Math.abs(ds.train.targets![i]! - tau) < 1e-5, `sample ${i}`);
  }
  assert.throws(() => loadDataset({ source: 'teacher-student', d: 6, nClasses: 1, labelNoise: 0.1 }, 0), /data\.labelNoise: got 0\.1, expected 0 for a scalar teacher/);
});

test('glassy train --data teacher-student --model 50-20-1 --loss mse learns the committee; test error = ε_g', () => {
  const root = tempDir('ts-scalar');
  try {
    const out = join(root, 'r');
    const r = spawnSync(process.execPath, [GLASSY, 'train', '--data', 'teacher-student', '--teacher-hidden', '2', '--activation', 'tanh',
      '--model', '50-20-1', '--loss', 'mse', '--epochs', '20', '--lr', '0.05', '--n-train', '2000', '--seed', '0',
      '--executor', 'inprocess', '--json', '--out', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const js = JSON.parse(r.stdout) as { summary: Record<string, number> };
    const eg = js.summary['final_test_error_mean']!;
    assert.equal(eg, js.summary['final_test_loss_mean'], 'test error is the test MSE');
    // The trivial predictor f = ⟨τ⟩ has ε = Var τ ≈ 2·Var tanh(z), z ~ N(0, 1) (≈ 0.79); a student that
    // learned the rule is far below (measured 0.161 at seed 0).
    const ds = loadDataset({ source: 'teacher-student', d: 50, hidden: 2, nClasses: 1, activation: 'tanh', nTrain: 2000 }, 0);
    const t = ds.test.targets!;
    const mean = t.reduce((s, v) => s + v, 0) / t.length;
    const varTau = t.reduce((s, v) => s + (v - mean) ** 2, 0) / t.length;
    assert.ok(eg < 0.3 * varTau, `ε_g ${eg} vs Var τ ${varTau}`);
  } finally {
    removeDir(root);
  }
});
