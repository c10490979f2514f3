/**
 * `surface`: Li et al.'s filter normalisation (every row of a direction has its weights' norm,
 * biases unmoved); Garipov et al.'s plane holds its three points at the expected coordinates and a
 * quadratic Bézier curve exactly; the p-spin plane stays on the sphere; the run's centre value is the
 * loss at the minimum; the bytes do not depend on how the grid is cut into replicas or on workers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/core/rng.js';
import { runEnsemble } from '../src/executor/ensemble.js';
import { mlpLayout } from '../src/landscapes/mlp/layout.js';
import { normaliseDirection, planePoint, planeThrough, projectOntoPlane, randomPlane } from '../src/observables/surface.js';
import { parseTrainConfig } from '../src/protocols/train.js';
import { pathLandscapes, openTrainSource } from '../src/observables/network-source.js';
import { readReplicaWeights } from '../src/landscapes/weights.js';
import { parseSurfaceConfig } from '../src/protocols/surface/protocol.js';
import { registry } from '../src/registry.js';
import { Run } from '../src/store/run.js';
import { arrayDiff, removeDir, tempDir } from './executor-helpers.js';

const norm = (a: ArrayLike<number>, from = 0, to = a.length): number => {
  let s = 0;
  for (let i = from; i < to; i++) s += (a[i] as number) ** 2;
  return Math.sqrt(s);
};

test('filter normalisation: each row of the direction has the norm of the same row of θ; biases 0', () => {
  const layout = mlpLayout({ sizes: [5, 4, 3], activation: 'relu', bias: true, output: 'linear' });
  const theta = new Float64Array(layout.size);
  Rng.stream(1, 1, 0).fillNormal(theta);
  const d = new Float64Array(layout.size);
  Rng.stream(1, 1, 1).fillNormal(d);
  normaliseDirection(d, theta, layout, 'filter');
  for (const L of layout.layers) {
    for (let o = 0; o < L.out; o++) {
      const off = L.weight.offset + o * L.in;
      assert.ok(Math.abs(norm(d, off, off + L.in) - norm(theta, off, off + L.in)) < 1e-12);
    }
    if (L.bias) assert.equal(norm(d, L.bias.offset, L.bias.offset + L.bias.size), 0);
  }
  const g = new Float64Array(layout.size);
  Rng.stream(1, 1, 2).fillNormal(g);
  normaliseDirection(g, theta, layout, 'none');
  assert.ok(Math.abs(norm(g) - norm(theta)) < 1e-12);
});

test('plane through three points: coordinates are distances, off-plane 0, a Bézier curve lies in it', () => {
  const n = 50;
  const pts = [0, 1, 2].map((k) => {
    const x = new Float64Array(n);
    Rng.stream(7, 1, k).fillNormal(x);
    return x;
  });
  const [a, b, c] = pts as [Float64Array, Float64Array, Float64Array];
  const plane = planeThrough(a, b, c);
  const dab = norm(a.map((v, i) => b[i]! - v));
  const pb = projectOntoPlane(plane, b);
  assert.ok(Math.abs(pb.alpha - dab) < 1e-10 && Math.abs(pb.beta) < 1e-10 && pb.offPlane < 1e-10);
  const pc = projectOntoPlane(plane, c);
  assert.ok(pc.offPlane < 1e-10 && pc.beta > 0);
  // |c − a|² = α² + β² in the orthonormal frame
  assert.ok(Math.abs(pc.alpha ** 2 + pc.beta ** 2 - norm(c.map((v, i) => v - a[i]!)) ** 2) < 1e-9);
  for (const t of [0.1, 0.5, 0.9]) {
    const x = a.map((v, i) => (1 - t) ** 2 * v + 2 * t * (1 - t) * c[i]! + t * t * b[i]!);
    assert.ok(projectOntoPlane(plane, x).offPlane < 1e-10);
  }
  assert.throws(() => planeThrough(a, b, a.map((v, i) => 2 * b[i]! - v)), /collinear/);
});

test('p-spin plane: tangent directions of norm √N, every grid point on the sphere', () => {
  const N = 40;
  const sigma = new Float64Array(N);
  Rng.stream(3, 1, 0).fillNormal(sigma);
  const s = Math.sqrt(N) / norm(sigma);
  for (let i = 0; i < N; i++) sigma[i] = sigma[i]! * s;
  const plane = randomPlane(sigma, Rng.stream(3, 1, 1), { layout: null, normalisation: 'none', tangent: true });
  let du = 0;
  let uv = 0;
  for (let i = 0; i < N; i++) { du += plane.u[i]! * sigma[i]!; uv += plane.u[i]! * plane.v[i]!; }
  assert.ok(Math.abs(du) < 1e-9 && Math.abs(uv) < 1e-9);
  assert.ok(Math.abs(norm(plane.u) - Math.sqrt(N)) < 1e-9);
  const x = new Float64Array(N);
  for (const [al, be] of [[0.3, -0.7], [1, 1], [-0.5, 0.2]] as const) assert.ok(Math.abs(norm(planePoint(plane, al, be, x, true)) ** 2 - N) < 1e-9);
});

async function trainRun(dir: string): Promise<void> {
  const raw = {
    data: { source: 'teacher-student', d: 10, nTrain: 200, nTest: 100, hidden: 4, nClasses: 2 },
    model: { sizes: [10, 8, 2], activation: 'relu' },
    loss: 'ce',
    optimizer: { kind: 'sgd', lr: 0.1 },
    batch: 20,
    epochs: 2,
    measurePoints: 2,
  };
  const run = Run.create(dir, { protocol: 'train', config: parseTrainConfig(raw), seed: 2 });
  const r = await runEnsemble(run, registry, { replicas: 3, executor: 'inprocess', progress: 'none', handleSignals: false });
  assert.equal(r.status, 'complete');
}

async function surface(dir: string, raw: Record<string, unknown>, opts: { workers?: number } = {}): Promise<Run> {
  const config = parseSurfaceConfig(raw);
  const run = Run.create(dir, { protocol: 'surface', config, seed: 5 });
  const K = Math.ceil(config.grid / config.rowsPerReplica);
  const r = await runEnsemble(run, registry, { replicas: K, executor: (opts.workers ?? 1) > 1 ? 'local' : 'inprocess', workers: opts.workers ?? 1, progress: 'none', handleSignals: false });
  assert.equal(r.status, 'complete', JSON.stringify(r.failed));
  return Run.open(dir);
}

test('a surface run: the centre is the loss at the minimum; same bytes whatever the row blocks and workers', async () => {
  const root = tempDir('surface');
  try {
    const src = `${root}/train`;
    await trainRun(src);
    const a = await surface(`${root}/a`, { source: src, grid: 5, rowsPerReplica: 1, loss: 'both' });
    await surface(`${root}/b`, { source: src, grid: 5, rowsPerReplica: 3, loss: 'both' }, { workers: 2 });
    // Every array byte for byte (the per-block files differ by design: their blocks are cut differently).
    assert.deepEqual(arrayDiff(`${root}/a`, `${root}/b`).filter((n) => !n.includes('per-block')), []);
    const G = 5;
    const centre = (a.readArray('surface_train_loss').data as Float64Array)[2 * G + 2]!;
    const s = openTrainSource(src);
    const land = pathLandscapes(s, 0, 2000);
    const at = land.evalTrain.evaluate(Float64Array.from(readReplicaWeights(s.run, 0).theta)).loss;
    assert.ok(Math.abs(centre - at) < 1e-12, `${centre} vs ${at}`);
    // Garipov's plane through replicas 0, 1, 2: each lies on the plane, replica 1 on the α axis.
    const t = await surface(`${root}/t`, { source: src, grid: 4, through: [0, 1, 2] });
    const marks = t.manifest.summary!['marks'] as { alpha: number; beta: number; off_plane: number }[];
    assert.equal(marks.length, 3);
    for (const m of marks) assert.ok(m.off_plane < 1e-9);
    assert.ok(Math.abs(marks[1]!.beta) < 1e-9 && marks[1]!.alpha > 0);
    assert.throws(() => parseSurfaceConfig({ source: src, pspin: { n: 10 } }), /source/);
    assert.throws(() => parseSurfaceConfig({ pspin: { n: 10 }, loss: 'test' }), /loss/);
  } finally {
    removeDir(root);
  }
});
