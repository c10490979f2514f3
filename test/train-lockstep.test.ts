/**
 * `glassy train --lockstep G`: replicas trained in fixed groups of G as one batched computation.
 * - a lockstep run's replicas equal the unbatched run's (variant 'init', same seed): the same bytes
 *   where every mini-batch is full, to f32 rounding where a partial last batch sends the
 *   one-replica first-layer GEMM to OpenBLAS's small-matrix kernel (docs/networks.md);
 * - the grouping is the config's: same bytes for any worker count and after a kill and resume;
 * - K not a multiple of G: the last group holds the rest; finalize stacks by replica index;
 * - a variant other than 'init', a layer spec or a flatness rule gets one line naming the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runEnsemble } from '../src/executor/ensemble.js';
import { parseTrainConfig } from '../src/protocols/train.js';
import { readReplicaWeights } from '../src/landscapes/weights.js';
import { Run } from '../src/store/run.js';
import { registry } from '../src/registry.js';
import { killAfterCheckpoints } from './analysis-helpers.js';
import { arrayDiff, glassy, removeDir, tempDir } from './executor-helpers.js';

const quiet = { progress: 'none', handleSignals: false } as const;

/** MNIST-shaped synthetic data (784 inputs, 10 classes), small enough for a test. */
function raw(nTrain: number, extra: Record<string, unknown> = {}) {
  return {
    data: { source: 'teacher-student', d: 784, nTrain, nTest: 200, hidden: 0, nClasses: 10 },
    model: { sizes: [784, 10, 10] }, optimizer: { kind: 'sgd', lr: 0.1 }, batch: 128, epochs: 2, measurePoints: 4,
    // Fewer measurement samples than training rows: the first point evaluates a training subset.
    measureSamples: 200, variant: 'init', ...extra,
  };
}

async function train(dir: string, config: Record<string, unknown>, K: number, workers = 1) {
  const run = Run.create(dir, { protocol: 'train', config: parseTrainConfig(config), seed: 5 });
  const r = await runEnsemble(run, registry, { replicas: K, executor: workers > 1 ? 'local' : 'inprocess', workers, ...quiet });
  assert.equal(r.status, 'complete', JSON.stringify(r.failed));
  assert.equal(r.replicas, K, 'the result (and --json) counts replicas, not lockstep groups');
  return Run.open(dir);
}

function thetas(run: Run): Float64Array[] {
  const K = run.readArray('final_test_error').data.length;
  return Array.from({ length: K }, (_, i) => readReplicaWeights(run, i).theta);
}

test('lockstep replicas equal unbatched ones: same bytes on full batches, f32 rounding with a partial last batch', async () => {
  const root = tempDir('lockstep-eq');
  try {
    // 256 rows = 2 full batches per epoch; K = 5 in groups of 2 (the last group holds one replica).
    const plain = join(root, 'plain'), lock = join(root, 'lock');
    await train(plain, raw(256), 5);
    const r = await train(lock, raw(256, { replicas: 5, lockstep: 2 }), 5);
    assert.equal(JSON.parse(JSON.stringify(r.manifest.config)).lockstep, 2);
    assert.deepEqual(arrayDiff(plain, lock), [], 'full batches: identical bytes');
    const summary = (dir: string) => (Run.open(dir).manifest as unknown as { summary: Record<string, unknown> }).summary;
    assert.equal(typeof summary(lock)['ensemble_test_error'], 'number');
    assert.equal(summary(lock)['ensemble_test_error'], summary(plain)['ensemble_test_error']);
    // 300 rows: a partial batch of 44 each epoch.
    const plainP = join(root, 'plain-p'), lockP = join(root, 'lock-p');
    await train(plainP, raw(300), 3);
    await train(lockP, raw(300, { replicas: 3, lockstep: 3 }), 3);
    const a = Run.open(plainP), b = Run.open(lockP);
    for (const name of ['train_loss', 'test_loss', 'final_test_loss']) {
      const x = a.readArray(name).data as Float64Array, y = b.readArray(name).data as Float64Array;
      assert.equal(x.length, y.length);
      for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i]! - y[i]!) <= 1e-5 * Math.abs(x[i]!), `${name}[${i}]: ${x[i]} vs ${y[i]}`);
    }
    const wa = thetas(a), wb = thetas(b);
    assert.equal(wb.length, 3);
    for (let k = 0; k < 3; k++) {
      let d = 0, n = 0;
      wa[k]!.forEach((v, i) => { d = Math.max(d, Math.abs(v - wb[k]![i]!)); n = Math.max(n, Math.abs(v)); });
      assert.ok(d <= 1e-5 * n, `replica ${k}: max |Δθ| ${d}, max |θ| ${n}`);
    }
  } finally {
    removeDir(root);
  }
});

test('lockstep: same bytes for any worker count and after a kill and resume', async () => {
  const root = tempDir('lockstep-resume');
  try {
    const config = raw(300, { replicas: 5, lockstep: 2 });
    const one = join(root, 'one'), two = join(root, 'two'), killed = join(root, 'killed');
    await train(one, config, 5);
    await train(two, config, 5, 2);
    assert.deepEqual(arrayDiff(one, two), []);
    Run.create(killed, { protocol: 'train', config: parseTrainConfig(config), seed: 5 });
    assert.equal(await killAfterCheckpoints(killed, 1, 1, 3), 1);
    const r = await runEnsemble(Run.open(killed), registry, { executor: 'inprocess', ...quiet });
    assert.equal(r.status, 'complete');
    assert.deepEqual(arrayDiff(one, killed), []);
  } finally {
    removeDir(root);
  }
});

test('lockstep refuses what its shared batch cannot serve, in one line', async () => {
  assert.throws(() => parseTrainConfig(raw(256, { replicas: 4, lockstep: 2, variant: 'both' })), /variant: got "both", expected 'init' with lockstep 2/);
  assert.throws(() => parseTrainConfig(raw(256, { lockstep: 2 })), /replicas: .*with lockstep 2/);
  assert.throws(() => parseTrainConfig(raw(256, { replicas: 4, lockstep: 2, flatten: { kind: 'sam' } })), /flatten: /);
  const dir = tempDir('lockstep-cli');
  try {
    const r = await glassy(['train', '--model', '784-10-10', '--replicas', '4', '--lockstep', '2', '--executor', 'inprocess', '--out', join(dir, 'x')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /variant.*both.*'init' with lockstep 2/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  } finally {
    removeDir(dir);
  }
});
