/**
 * The train protocol end to end: a known teacher–student case, bit-identical reruns with the same
 * seed, replica variants, kill-free resume from a checkpoint, and clear errors for bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runEnsemble } from '../src/executor/ensemble.js';
import type { Checkpoint, ReplicaContext } from '../src/executor/replica.js';
import { replicaSetup } from '../src/landscapes/from-config.js';
import { parseTrainConfig, task, measurementSteps } from '../src/protocols/train.js';
import { Rng, Stream } from '../src/core/rng.js';
import { trainerFromConfig } from '../src/dynamics/from-config.js';
import { readReplicaWeights } from '../src/landscapes/weights.js';
import { Run } from '../src/store/run.js';
import { arrayDiff, GLASSY, removeDir, tempDir } from './executor-helpers.js';
import { registry } from '../src/registry.js';

const teacherStudent = {
  data: { source: 'teacher-student', d: 20, nTrain: 2000, nTest: 1000, hidden: 0, nClasses: 2 },
  model: { sizes: [20, 2], activation: 'linear' },
  loss: 'ce',
  optimizer: { kind: 'momentum', lr: 0.5, momentum: 0.9 },
  batch: 50,
  epochs: 4,
  measurePoints: 6,
};

async function train(dir: string, raw: Record<string, unknown>, replicas: number, seed: number, workers = 1) {
  const run = Run.create(dir, { protocol: 'train', config: parseTrainConfig(raw), seed });
  return runEnsemble(run, registry, { replicas, executor: workers > 1 ? 'local' : 'inprocess', workers, progress: 'none', handleSignals: false });
}

test('a perceptron student learns a perceptron teacher (known teacher–student case)', async () => {
  const dir = tempDir('train-ts');
  try {
    const r = await train(dir, teacherStudent, 2, 3);
    assert.equal(r.status, 'complete');
    const run = Run.open(dir);
    const err = run.readArray('final_test_error').data as Float64Array;
    // A linearly separable rule with P/d = 100 examples per weight: generalisation error of a
    // max-margin-like student is O(d/P) ≈ 1 %; 4 % leaves room for finite training.
    for (const e of err) assert.ok(e < 0.04, `test error ${e}`);
    const loss = run.readArray('train_loss');
    assert.deepEqual(loss.shape, [2, (run.readArray('steps').data as Int32Array).length]);
    const first = (loss.data as Float64Array)[0]!;
    assert.ok(Math.abs(first - Math.log(2)) < 0.3, `initial CE ≈ ln 2, got ${first}`);
  } finally {
    removeDir(dir);
  }
});

test('same seed and config give bit-identical weights and arrays, whatever the number of workers', async () => {
  const a = tempDir('train-a'), b = tempDir('train-b');
  try {
    const raw = { ...teacherStudent, model: { sizes: [20, 8, 2], activation: 'tanh' }, epochs: 1 };
    await train(a, raw, 3, 11, 1);
    await train(b, raw, 3, 11, 2);
    assert.deepEqual(arrayDiff(a, b), []);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(readReplicaWeights(Run.open(a), i).theta, readReplicaWeights(Run.open(b), i).theta);
    }
    // Different replicas differ (variant 'both').
    const t0 = readReplicaWeights(Run.open(a), 0).theta, t1 = readReplicaWeights(Run.open(a), 1).theta;
    assert.notDeepEqual(t0, t1);
  } finally {
    removeDir(a);
    removeDir(b);
  }
});

test("variant 'order' shares the initialisation; 'init' shares the data order", async () => {
  const dir = tempDir('train-var');
  try {
    const raw = { ...teacherStudent, epochs: 0.01, variant: 'order', model: { sizes: [20, 4, 2], activation: 'relu' } };
    // epochs 0.01 → 1 step: after one step replicas differ only through their first batch.
    await train(dir, raw, 2, 5);
    const run = Run.open(dir);
    assert.equal((run.manifest.config as { variant: string }).variant, 'order');
    const cfg = parseTrainConfig({ ...raw, epochs: 1e-9 });
    assert.equal(cfg.variant, 'order');
  } finally {
    removeDir(dir);
  }
});

test("measure 'lean': same weights as 'full'; training series = running epoch mean of the batch losses; whole test set at the end", async () => {
  const lean = tempDir('train-lean'), full = tempDir('train-full'), resumed = tempDir('train-lean-cp');
  try {
    const raw = { ...teacherStudent, model: { sizes: [20, 6, 2], activation: 'relu' }, epochs: 2.5, l2: 0.01, measureSamples: 300 };
    await train(lean, raw, 2, 4);
    await train(full, { ...raw, measure: 'full' }, 2, 4);
    const L = Run.open(lean), F = Run.open(full);
    for (let i = 0; i < 2; i++) assert.deepEqual(readReplicaWeights(L, i).theta, readReplicaWeights(F, i).theta);
    for (const k of ['final_test_loss', 'final_test_error']) assert.deepEqual(L.readArray(k).data, F.readArray(k).data, k);
    // Replica 1 stepped by hand: the last point (mid-epoch 3) is the mean over that epoch's batches so far.
    const cfg = parseTrainConfig(raw);
    const { train: land, initStream, orderStream } = replicaSetup(cfg, 4, 1);
    const theta = land.newConfig();
    land.initialise(theta, Rng.stream(4, Stream.init, initStream), cfg.init);
    const tr = trainerFromConfig(land, theta, cfg, { order: Rng.stream(4, Stream.dataOrder, orderStream), noise: Rng.stream(4, Stream.noise, 1) }, 1);
    const sched = tr.schedule;
    const total = Math.round(cfg.epochs * sched.stepsPerEpoch);
    let sum = 0, errors = 0, size = 0;
    for (let s = 0; s < total; s++) {
      if (s % sched.stepsPerEpoch === 0) sum = errors = size = 0;
      tr.advance();
      sum += land.lastBatch.lossSum;
      errors += land.lastBatch.errors;
      size += land.lastBatch.size;
    }
    assert.equal((L.readArray('final_train_loss').data as Float64Array)[1], sum / size);
    assert.equal((L.readArray('final_train_error').data as Float64Array)[1], errors / size);
    // Checkpoints mid-epoch carry the running sums: replica 1 stopped after its second checkpoint
    // (step 14 of 40 per epoch) and resumed from it ends with the same series.
    const run = Run.create(resumed, { protocol: 'train', config: cfg, seed: 4 });
    let saved: Checkpoint | null = null, saves = 0;
    const ctx = (resume: boolean): ReplicaContext => ({
      runDir: resumed, index: 1, seed: 4, replicas: 2, checkpointEvery: 7, run,
      progress() {}, warn() {},
      saveCheckpoint(cp) { saved = cp; if (!resume && ++saves === 2) throw new Error('stop'); },
      loadCheckpoint: () => (resume ? saved : null),
    });
    await assert.rejects(task.run(cfg, ctx(false)), /stop/);
    assert.equal(saved!.meta.step, 14);
    await task.run(cfg, ctx(true));
    for (const k of ['train_loss', 'train_error', 'test_loss', 'test_error']) {
      assert.deepEqual(run.readArray(`per-replica/replica-0001/${k}`).data, L.readArray(`per-replica/replica-0001/${k}`).data, k);
    }
  } finally {
    removeDir(lean);
    removeDir(full);
    removeDir(resumed);
  }
});

test('measurement times: 0, log-spaced steps and epoch ends, sorted and unique', () => {
  const s = Array.from(measurementSteps(100, 25, 5));
  assert.deepEqual(s, [...new Set(s)].sort((x, y) => x - y));
  for (const t of [0, 25, 50, 75, 100]) assert.ok(s.includes(t), `includes ${t}`);
  assert.ok(s.includes(1));
});

test('glassy train: bad input gets one clear line and a non-zero exit, no stack trace, no run left', () => {
  const dir = tempDir('train-cli');
  try {
    const cases: Array<[string[], RegExp]> = [
      [['--model', '784-abc-10'], /--model.*784-abc-10/],
      [['--model', '784-100-10', '--lr', 'fast'], /--lr.*fast/],
      [['--model', '784-100-10', '--batch', '0'], /--batch.*0/],
      [['--model', '784-100-10', '--optimizer', 'rmsprop'], /rmsprop/],
      [['--model', '784-100-10', '--data', join(dir, 'missing.npy')], /missing\.npy/],
      [['--model', '100-10'], /model: got "100-10", expected a first layer of 784 inputs/],
      [['--model', '784-100-10', '--bogus'], /unknown option '--bogus'/],
      [['--model', '784-100-10', '--config', join(dir, 'nope.yaml')], /--config.*nope\.yaml/],
    ];
    for (const [args, re] of cases) {
      const out = join(dir, 'run');
      const r = spawnSync(process.execPath, [GLASSY, 'train', ...args, '--n-train', '100', '--n-test', '10', '--epochs', '0.1', '--executor', 'inprocess', '--out', out], { encoding: 'utf8' });
      assert.notEqual(r.status, 0, `${args.join(' ')} should fail`);
      assert.match(r.stderr, re, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.ok(!existsSync(join(out, 'arrays')), 'no arrays written');
    }
  } finally {
    removeDir(dir);
  }
});

test('a diverging run is reported by replica with the step and a hint', async () => {
  const dir = tempDir('train-div');
  try {
    const raw = { ...teacherStudent, model: { sizes: [20, 16, 2], activation: 'relu' }, loss: 'mse', optimizer: { kind: 'sgd', lr: 1e6 }, epochs: 1 };
    const r = await train(dir, raw, 1, 1);
    assert.equal(r.status, 'failed');
    assert.match(r.failed[0]!.error, /replica 0 diverged at step \d+: .* lower --lr/);
  } finally {
    removeDir(dir);
  }
});

test('the ensemble test error averages the replicas\' predictions (one replica: its own error)', async () => {
  const dir = tempDir('train-ens');
  try {
    const one = await train(join(dir, 'one'), { ...teacherStudent, epochs: 1 }, 1, 5);
    assert.equal(one.summary!['ensemble_test_error'], one.summary!['final_test_error_mean']);
    const three = await train(join(dir, 'three'), { ...teacherStudent, epochs: 1 }, 3, 5);
    const e = three.summary!['ensemble_test_error'] as number;
    assert.ok(e >= 0 && e <= 1, String(e));
    // Where every replica's argmax is the label, the average's is too (each class's mean probability
    // is at most the label's): the ensemble errs only where some replica errs.
    const finals = Array.from(Run.open(join(dir, 'three')).readArray('final_test_error').data as Float64Array);
    assert.ok(e <= finals.reduce((a, b) => a + b, 0) + 1e-12, `${e} vs ${finals}`);
  } finally {
    removeDir(dir);
  }
});
