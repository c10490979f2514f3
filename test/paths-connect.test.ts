/**
 * `connect`: on a convex landscape (linear regression with MSE) no path rises above the chord of its
 * end losses and the nudged elastic band relaxes onto the straight minimum-energy path; on a
 * non-convex network the trained Bézier control point lowers the mean loss along the curve, and the
 * NEB finds a lower path than the straight line. Same seed → identical arrays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runEnsemble } from '../src/executor/ensemble.js';
import type { ConnectSummary } from '../src/protocols/connect.js';
import { parseConnectConfig, type ConnectConfig } from '../src/protocols/connect/protocol.js';
import { nudgedElasticBand } from '../src/dynamics/neb.js';
import { openTrainSource, pathLandscapes } from '../src/observables/network-source.js';
import { runAnalysis } from './analysis-helpers.js';
import { parseTrainConfig } from '../src/protocols/train.js';
import { registry } from '../src/registry.js';
import { readReplicaWeights } from '../src/landscapes/weights.js';
import { Rng } from '../src/core/rng.js';
import { barrier, distanceToSegment } from '../src/observables/path.js';
import { Run } from '../src/store/run.js';
import { arrayDiff, removeDir, tempDir } from './executor-helpers.js';

async function runConnect(config: ConnectConfig, out: string, opts: { seed?: number } = {}): Promise<ConnectSummary> {
  return await runAnalysis('connect', config, out, opts.seed ?? 1) as unknown as ConnectSummary;
}

async function trainRun(dir: string, raw: Record<string, unknown>, replicas: number, seed: number): Promise<void> {
  const run = Run.create(dir, { protocol: 'train', config: parseTrainConfig(raw), seed });
  const r = await runEnsemble(run, registry, { replicas, executor: 'inprocess', progress: 'none', handleSignals: false });
  assert.equal(r.status, 'complete');
}

const regression = {
  data: { source: 'linear-regression', d: 8, nTrain: 200, nTest: 100, noise: 0.3 },
  model: { sizes: [8, 1], activation: 'linear' },
  loss: 'mse',
  optimizer: { kind: 'gd', lr: 0.05 },
  // Few steps: the two replicas stop at different, non-minimal points of the convex bowl.
  epochs: 8,
  precision: 'f64',
  measurePoints: 3,
};

test('convex landscape: every path lies on or below the chord of its end losses (≤ 1e-12)', async () => {
  const root = tempDir('paths-convex');
  try {
    const src = `${root}/lr`;
    await trainRun(src, regression, 2, 4);
    const config = parseConnectConfig({
      source: src, a: 0, b: 1, methods: ['linear', 'bezier', 'neb'], points: 21,
      bezier: { epochs: 20, batch: 20 }, neb: { images: 5, steps: 300, batch: 'full' },
    });
    const s = await runConnect(config, `${root}/out`);
    const run = Run.open(`${root}/out`);
    const t = run.readArray('path_t').data as Float64Array;
    const L = run.readArray('path_train_loss');
    assert.deepEqual(L.shape, [3, 21]);
    const ends = [(L.data as Float64Array)[0]!, (L.data as Float64Array)[20]!];
    assert.ok(Math.abs(ends[0]! - ends[1]!) > 1e-3, `ends must differ for the test to bite: ${ends}`);
    for (let p = 0; p < 3; p++) {
      const row = (L.data as Float64Array).subarray(p * 21, (p + 1) * 21);
      const b = barrier(t, row);
      // Convexity: L((1−t)a + tb) ≤ (1−t)L(a) + tL(b); for curves below the straight line, lower still.
      assert.ok(b.heightAboveChord <= 1e-12, `${s.paths[p]}: above chord by ${b.heightAboveChord}`);
      assert.ok(b.max <= Math.max(...ends) + 1e-12, `${s.paths[p]}: max ${b.max} above the ends ${ends}`);
    }
    assert.deepEqual(s.paths, ['linear', 'bezier', 'neb']);
    assert.deepEqual(run.manifest.summary?.['paths'], ['linear', 'bezier', 'neb']);
    for (const name of ['path_test_loss', 'path_test_error', 'path_arc_length', 'path_barrier', 'neb_image_train_loss']) assert.ok(run.hasArray(name), name);
  } finally {
    removeDir(root);
  }
});

test('convex landscape: the NEB relaxes from a bent chain onto the straight minimum-energy path', async () => {
  const root = tempDir('paths-neb');
  try {
    const src = `${root}/lr`;
    await trainRun(src, { ...regression, epochs: 400 }, 1, 2);
    const source = openTrainSource(src);
    const { train } = pathLandscapes(source, 0, null);
    const star = readReplicaWeights(source.run, 0).theta; // converged: the bottom of the bowl
    const g = new Float64Array(star.length);
    train.gradient(star, g);
    assert.ok(Math.hypot(...g) < 1e-8, `|∇L(θ*)| = ${Math.hypot(...g)}`);
    // Top Hessian eigenvector by power iteration: the line θ* ± s·v is a gradient line of the
    // quadratic, hence the minimum-energy path between its two points; any other direction is not.
    let v = new Float64Array(star.length);
    Rng.stream(1, 1).fillNormal(v);
    const hv = new Float64Array(star.length);
    for (let it = 0; it < 300; it++) {
      train.hvp(star, v, hv);
      const n = Math.hypot(...hv);
      v = hv.map((x) => x / n);
    }
    const a = star.map((x, i) => x + 2 * v[i]!), b = star.map((x, i) => x - 2 * v[i]!);
    const M = 5;
    const rng = Rng.stream(1, 2);
    const init: Float64Array[] = [];
    for (let i = 1; i <= M; i++) {
      const u = i / (M + 1);
      const x = a.map((ai, j) => ai + u * (b[j]! - ai));
      for (let j = 0; j < x.length; j++) x[j] = x[j]! + 0.5 * rng.normal();
      init.push(x);
    }
    const before = Math.max(...init.map((x) => distanceToSegment(x, a, b)));
    assert.ok(before > 0.5, `the initial chain is bent: ${before}`);
    const r = nudgedElasticBand(train, a, b, {
      images: M, maxIterations: 3000, optimizer: 'fire', lr: 0.05, spring: 1, climbFrom: null, batch: null, tolerance: 1e-10, maxMove: 1, rng: Rng.stream(1, 3), init,
    });
    // |b − a| = 4: after relaxation the images are within 1e-6 of the segment (FIRE to force 1e-10).
    const far = Math.max(...r.points.map((x) => distanceToSegment(x, a, b)));
    assert.ok(r.converged, `converged: force ${r.maxForce} after ${r.iterations} iterations`);
    assert.ok(far < 1e-6, `max distance from the segment ${far} after ${r.iterations} iterations (force ${r.maxForce})`);
    assert.ok(r.maxForce < 1e-9, `converged: ${r.maxForce}`);
  } finally {
    removeDir(root);
  }
});

const teacherStudent = {
  data: { source: 'teacher-student', d: 20, nTrain: 1000, nTest: 500, hidden: 8, nClasses: 2 },
  model: { sizes: [20, 16, 2], activation: 'relu' },
  loss: 'ce',
  optimizer: { kind: 'momentum', lr: 0.1, momentum: 0.9 },
  batch: 50,
  epochs: 10,
  measurePoints: 4,
};

test('non-convex network: Bézier training lowers the mean loss along the curve; NEB beats the straight line; deterministic', async () => {
  const root = tempDir('paths-bezier');
  try {
    const src = `${root}/ts`;
    await trainRun(src, teacherStudent, 2, 1);
    const config = parseConnectConfig({
      source: src, a: 0, b: 1, methods: ['linear', 'bezier', 'neb'], points: 21,
      bezier: { epochs: 10 }, neb: { images: 6, steps: 300 },
    });
    const s = await runConnect(config, `${root}/c1`);
    const before = s['bezier_mean_loss_before'] as number, after = s['bezier_mean_loss_after'] as number;
    // Measured: 0.108 → ≈ 0.07; asserting a drop of at least 20 %.
    assert.ok(after < 0.8 * before, `mean loss along the curve ${before} → ${after}`);
    assert.ok(s.barriers['linear']! > 0.05, `the straight path has a barrier: ${s.barriers['linear']}`);
    assert.ok(s.barriers['bezier']! < s.barriers['linear']!, `bezier ${s.barriers['bezier']} < linear ${s.barriers['linear']}`);
    assert.ok(s.barriers['neb']! < 0.5 * s.barriers['linear']!, `neb ${s.barriers['neb']} < ½ linear ${s.barriers['linear']}`);
    await runConnect(config, `${root}/c2`);
    assert.deepEqual(arrayDiff(`${root}/c1`, `${root}/c2`), []);
    await runConnect(config, `${root}/c3`, { seed: 99 });
    const d13 = arrayDiff(`${root}/c1`, `${root}/c3`);
    assert.ok(d13.includes('path_train_loss.npy'), `another seed, other mini-batches: ${d13}`);
  } finally {
    removeDir(root);
  }
});
