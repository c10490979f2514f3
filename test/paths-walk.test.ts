/**
 * `walk`: step size 0 leaves the loss exactly constant; S unconditional isotropic steps of norm h
 * end at distance ≈ h√S; Metropolis rejections leave the state unchanged; the escape distance is
 * read off the recorded profile; same seed → identical arrays whatever the executor; a run killed
 * after a checkpoint resumes to the same arrays; re-training reports distances and overlaps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runEnsemble } from '../src/executor/ensemble.js';
import { parseTrainConfig } from '../src/protocols/train.js';
import { parseWalkConfig, task as walkTask, type WalkConfig } from '../src/protocols/walk.js';
import { Run } from '../src/store/run.js';
import type { Checkpoint, ReplicaContext } from '../src/executor/replica.js';
import { arrayDiff, removeDir, tempDir } from './executor-helpers.js';
import { registry } from '../src/registry.js';

async function trainRun(dir: string, replicas: number, seed: number): Promise<void> {
  const raw = {
    data: { source: 'teacher-student', d: 20, nTrain: 500, nTest: 300, hidden: 8, nClasses: 2 },
    model: { sizes: [20, 64, 2], activation: 'relu' },
    loss: 'ce',
    optimizer: { kind: 'momentum', lr: 0.1, momentum: 0.9 },
    batch: 50,
    epochs: 5,
    measurePoints: 3,
  };
  const run = Run.create(dir, { protocol: 'train', config: parseTrainConfig(raw), seed });
  const r = await runEnsemble(run, registry, { replicas, executor: 'inprocess', progress: 'none', handleSignals: false });
  assert.equal(r.status, 'complete');
}

async function walk(dir: string, raw: Partial<WalkConfig> & { source: string; stepSize: number }, opts: { seed?: number; workers?: number; checkpointEvery?: number } = {}) {
  const config = parseWalkConfig(raw);
  const run = Run.create(dir, { protocol: 'walk', config, seed: opts.seed ?? 1 });
  const r = await runEnsemble(run, registry, {
    replicas: config.walkers, executor: (opts.workers ?? 1) > 1 ? 'local' : 'inprocess', workers: opts.workers ?? 1,
    progress: 'none', handleSignals: false, ...(opts.checkpointEvery ? { checkpointEvery: opts.checkpointEvery } : {}),
  });
  assert.equal(r.status, 'complete', JSON.stringify(r.failed));
  return { run: Run.open(dir), summary: r.summary! };
}

test('step size 0: the loss is exactly constant and the distance 0', async () => {
  const root = tempDir('walk-zero');
  try {
    await trainRun(`${root}/ts`, 1, 1);
    const { run, summary } = await walk(`${root}/w`, { source: `${root}/ts`, stepSize: 0, steps: 30, walkers: 2, temperature: 0.01 });
    const L = run.readArray('walk_train_loss').data as Float64Array;
    assert.deepEqual(run.readArray('walk_train_loss').shape, [2, 31]);
    for (const v of L) assert.equal(v, L[0]);
    for (const d of run.readArray('walk_distance').data as Float64Array) assert.equal(d, 0);
    assert.equal(summary['increment_variance'], 0);
    assert.equal(summary['escaped_fraction'], 0);
    const te = run.readArray('walk_test_loss').data as Float64Array;
    for (const v of te) assert.equal(v, te[0]);
  } finally {
    removeDir(root);
  }
});

test('S isotropic steps of norm h at T = 0 end at distance h√S (random walk; 3 % on the rms over 8 walkers)', async () => {
  const root = tempDir('walk-rw');
  try {
    await trainRun(`${root}/ts`, 1, 1);
    const S = 100, h = 0.1, W = 8;
    const { run, summary } = await walk(`${root}/w`, { source: `${root}/ts`, stepSize: h, steps: S, walkers: W, threshold: 1e-4 });
    const D = run.readArray('walk_distance').data as Float64Array;
    let ms = 0;
    for (let w = 0; w < W; w++) ms += D[w * (S + 1) + S]! ** 2 / W;
    // E|θ_S − θ_0|² = S h² exactly; its relative std per walker is √(2S(S−1)/N)/S ≈ 0.037 for
    // N = 1474 parameters, so the mean over 8 walkers is within 1.3 % (1σ) and the rms within 0.7 %.
    const rms = Math.sqrt(ms);
    assert.ok(Math.abs(rms / (h * Math.sqrt(S)) - 1) < 0.03, `rms distance ${rms} vs h√S = ${h * Math.sqrt(S)}`);
    // After one step the distance is h exactly (up to rounding).
    for (let w = 0; w < W; w++) assert.ok(Math.abs(D[w * (S + 1) + 1]! - h) < 1e-12);
    assert.equal(summary['acceptance_mean'], 1);
    // The escape distance is the distance at the first step where L > L(θ0) + threshold.
    const L = run.readArray('walk_train_loss').data as Float64Array;
    const esc = run.readArray('escape_distance').data as Float64Array;
    for (let w = 0; w < W; w++) {
      let expect = NaN;
      for (let t = 0; t <= S; t++) if (L[w * (S + 1) + t]! > L[w * (S + 1)]! + 1e-4) { expect = D[w * (S + 1) + t]!; break; }
      if (Number.isNaN(expect)) assert.ok(Number.isNaN(esc[w]!));
      else assert.equal(esc[w], expect);
    }
    assert.ok((summary['escaped_fraction'] as number) > 0, 'some walker escapes at this threshold');
    const hist = run.readArray('walk_increments_hist').data as Float64Array;
    assert.equal(hist.reduce((a, b) => a + b, 0), W * S);
    assert.equal((run.readArray('walk_increment_autocorr').data as Float64Array)[0], 1);
  } finally {
    removeDir(root);
  }
});

test('Metropolis walk: rejected steps keep θ; big uphill steps at low T are mostly rejected', async () => {
  const root = tempDir('walk-mc');
  try {
    await trainRun(`${root}/ts`, 1, 1);
    const S = 60;
    const { run, summary } = await walk(`${root}/w`, { source: `${root}/ts`, stepSize: 1, steps: S, walkers: 2, temperature: 1e-3 });
    const acc = run.readArray('walk_accepted').data as Float64Array;
    const L = run.readArray('walk_train_loss').data as Float64Array;
    const D = run.readArray('walk_distance').data as Float64Array;
    let rejected = 0;
    for (let w = 0; w < 2; w++) {
      for (let t = 0; t < S; t++) {
        if (acc[w * S + t] === 0) {
          rejected++;
          assert.equal(L[w * (S + 1) + t + 1], L[w * (S + 1) + t]);
          assert.equal(D[w * (S + 1) + t + 1], D[w * (S + 1) + t]);
        }
      }
    }
    assert.ok(rejected > 0.5 * 2 * S, `rejected ${rejected} of ${2 * S}`);
    assert.ok((summary['acceptance_mean'] as number) < 0.5);
  } finally {
    removeDir(root);
  }
});

test('determinism: same seed → identical arrays on 1 or 2 workers, and after a resume; filter steps; re-training', async () => {
  const root = tempDir('walk-det');
  try {
    await trainRun(`${root}/ts`, 2, 1);
    const raw = { source: `${root}/ts`, replica: 1, stepSize: 0.02, steps: 40, walkers: 2, directions: 'filter' as const, retrainEpochs: 1, testEvery: 10 };
    const a = await walk(`${root}/a`, raw);
    await walk(`${root}/b`, raw, { workers: 2, checkpointEvery: 7 });
    assert.deepEqual(arrayDiff(`${root}/a`, `${root}/b`), []);
    assert.deepEqual(Array.from(a.run.readArray('walk_test_steps').data as Int32Array), [0, 10, 20, 30, 40]);
    for (const k of ['retrain_distance', 'retrain_aligned_distance', 'retrain_overlap', 'retrain_aligned_overlap']) assert.ok(a.run.hasArray(k), k);
    const q = a.run.readArray('retrain_aligned_overlap').data as Float64Array;
    const q0 = a.run.readArray('retrain_overlap').data as Float64Array;
    const dA = a.run.readArray('retrain_aligned_distance').data as Float64Array;
    const d0 = a.run.readArray('retrain_distance').data as Float64Array;
    for (let w = 0; w < 2; w++) {
      // Weight matching maximises the overlap over permutations that include the identity.
      assert.ok(q[w]! >= q0[w]! - 1e-12 && q[w]! <= 1 + 1e-12, `overlaps ${q0[w]} → ${q[w]}`);
      assert.ok(dA[w]! <= d0[w]! + 1e-12);
    }
    // Resume: a walker killed after its checkpoint at step 21 and restarted from it writes the same arrays.
    const config = parseWalkConfig({ ...raw, retrainEpochs: 0 });
    const direct = async (dir: string, killAt: number | null) => {
      const run = Run.create(dir, { protocol: 'walk', config, seed: 1 });
      let saved: Checkpoint | null = null;
      const ctx = (kill: number | null): ReplicaContext => ({
        runDir: run.dir, index: 1, seed: 1, replicas: 2, checkpointEvery: 7, run,
        progress() {}, warn() {},
        saveCheckpoint(cp) {
          saved = { meta: JSON.parse(JSON.stringify(cp.meta)) as Checkpoint['meta'], arrays: Object.fromEntries(Object.entries(cp.arrays).map(([k, v]) => [k, v.slice()])) };
          if (kill !== null && cp.meta.step >= kill) throw new Error('killed');
        },
        loadCheckpoint: () => saved,
      });
      if (killAt !== null) await assert.rejects(walkTask.run(config, ctx(killAt)), /killed/);
      assert.equal(killAt === null ? saved : (saved as Checkpoint | null)?.meta.step, killAt === null ? null : 21);
      return walkTask.run(config, ctx(null));
    };
    const s1 = await direct(`${root}/c`, null);
    const s2 = await direct(`${root}/d`, 21);
    assert.deepEqual(s1, s2);
    assert.deepEqual(arrayDiff(`${root}/c`, `${root}/d`), []);
    assert.ok(Run.open(`${root}/d`).hasArray('per-walker/walker-0001/train_loss'));
    const other = await walk(`${root}/e`, raw, { seed: 2 });
    assert.ok(arrayDiff(`${root}/a`, `${root}/e`).includes('walk_train_loss.npy'));
    void other;
  } finally {
    removeDir(root);
  }
});
