/**
 * Flatness end to end: SAM finds flatter minima than SGD on the same seeds (λ_max lower for every
 * paired replica), Entropy-SGD resumes bit-identically, the `hessian` and `flatness` protocols write
 * the documented arrays, and bad CLI input is refused before any run directory exists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runEnsemble } from '../src/executor/ensemble.js';
import type { Checkpoint, ReplicaContext } from '../src/executor/replica.js';
import { topEigenvalues } from '../src/observables/flatness.js';
import { parseFlatnessConfig, resolveSources, MEASURES } from '../src/protocols/flatness.js';
import { registry } from '../src/registry.js';
import { parseHessianConfig } from '../src/protocols/hessian/protocol.js';
import { replicaLandscape } from '../src/observables/network-source.js';
import { runAnalysis } from './analysis-helpers.js';
import { parseTrainConfig, task as trainTask } from '../src/protocols/train.js';
import { readReplicaWeights } from '../src/landscapes/weights.js';
import { Run } from '../src/store/run.js';
import { GLASSY, removeDir, tempDir } from './executor-helpers.js';

const mixture = {
  data: { source: 'gaussian-mixture', d: 10, nTrain: 300, nTest: 1000, nClasses: 3, separation: 2 },
  model: { sizes: [10, 16, 3], activation: 'tanh' },
  loss: 'ce',
  optimizer: { kind: 'sgd', lr: 0.1 },
  batch: 20,
  epochs: 30,
  precision: 'f64',
  measurePoints: 4,
};

async function train(dir: string, raw: Record<string, unknown>, replicas: number, seed: number) {
  const run = Run.create(dir, { protocol: 'train', config: parseTrainConfig(raw), seed });
  const r = await runEnsemble(run, registry, { replicas, executor: 'inprocess', progress: 'none', handleSignals: false });
  assert.equal(r.status, 'complete');
}

test('SAM (ρ = 0.1) ends in flatter minima than SGD from the same seeds; the flatness protocol correlates the measures', async () => {
  const root = tempDir('flat');
  try {
    const sgd = join(root, 'sgd'), sam = join(root, 'sam');
    await train(sgd, mixture, 4, 5);
    await train(sam, { ...mixture, flatten: { kind: 'sam', rho: 0.1 } }, 4, 5);
    const lmax = (dir: string, i: number) => {
      const { landscape, theta } = replicaLandscape(Run.open(dir), i);
      return topEigenvalues(landscape, theta, { tol: 1e-8 }).values[0]!;
    };
    const a = [0, 1, 2, 3].map((i) => lmax(sgd, i)), b = [0, 1, 2, 3].map((i) => lmax(sam, i));
    // Measured (docs/curvature.md): SGD λ_max ≈ 1.28–1.40, SAM ≈ 1.09–1.19, every pair lower by > 10 %.
    for (let i = 0; i < 4; i++) assert.ok(b[i]! < 0.95 * a[i]!, `replica ${i}: SAM λ_max ${b[i]} vs SGD ${a[i]}`);

    const { sources, counts } = resolveSources([sgd, sam]);
    assert.deepEqual(counts, [4, 4]);
    const config = parseFlatnessConfig({ sources, counts, traceSamples: 10, entropySamples: 8, bootstrap: 200 });
    const out = join(root, 'flatness');
    const run = Run.create(out, { protocol: 'flatness', config, seed: 1 });
    const res = await runEnsemble(run, registry, { replicas: 8, executor: 'inprocess', progress: 'none', handleSignals: false });
    assert.equal(res.status, 'complete');
    const done = Run.open(out);
    const lm = done.readArray('lambda_max').data as Float64Array;
    assert.equal(lm.length, 8);
    for (let i = 0; i < 4; i++) {
      assert.ok(Math.abs(lm[i]! - a[i]!) < 1e-4 * a[i]!, 'λ_max of the protocol = λ_max of the library');
      assert.ok(Math.abs(lm[4 + i]! - b[i]!) < 1e-4 * b[i]!);
    }
    const corr = done.readArray('correlations');
    assert.deepEqual(corr.shape, [MEASURES.length, 6]);
    const c = corr.data as Float64Array;
    for (let m = 0; m < MEASURES.length - 1; m++) { // the last (walk ruggedness) is NaN without walks
      const [sp, slo, shi, kt, klo, khi] = Array.from(c.subarray(m * 6, m * 6 + 6));
      assert.ok(Math.abs(sp!) <= 1 && Math.abs(kt!) <= 1, MEASURES[m]);
      assert.ok(slo! <= sp! + 1e-12 && sp! <= shi! + 1e-12 && klo! <= kt! + 1e-12 && kt! <= khi! + 1e-12, `${MEASURES[m]} CI brackets the estimate`);
    }
    assert.ok(Number.isNaN(c[(MEASURES.length - 1) * 6]!));
    for (const k of ['trace', 'sharpness', 'local_entropy_gap', 'test_error', 'source_index']) assert.equal(done.readArray(k).data.length, 8, k);
    assert.deepEqual(Array.from(done.readArray('source_index').data as Int32Array), [0, 0, 0, 0, 1, 1, 1, 1]);
    const s = done.manifest.summary as Record<string, unknown>;
    assert.equal(s['replicas'], 8);
    assert.match(String(s['walk_ruggedness_note']), /no walk runs/);

    // The hessian protocol on one replica: eigenvalues sorted, = the dense spectrum's top, counts add up.
    const hc = parseHessianConfig({ source: sgd, replica: 1, top: 4, bottom: 2, dense: true, trace: true, samples: 20, tol: 1e-10 });
    const h = await runAnalysis('hessian', hc, join(root, 'h'), 0);
    const hr = Run.open(join(root, 'h'));
    const ev = hr.readArray('eigenvalues').data as Float64Array;
    const dense = hr.readArray('dense_eigenvalues').data as Float64Array;
    const P = h['dim'] as number;
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(ev[i]! - dense[P - 1 - i]!) < 1e-6 * dense[P - 1]!);
    assert.ok(Math.abs(ev[0]! - a[1]!) < 1e-6 * a[1]!);
    const vecs = hr.readArray('eigenvectors');
    assert.deepEqual(vecs.shape, [4, P]);
    assert.equal(vecs.dtype, 'float32');
    assert.equal((h['dense_negative'] as number) + (h['dense_near_zero'] as number) + (h['dense_positive'] as number), P);
    assert.equal(hr.readArray('trace_samples').data.length, 20);
    assert.equal(hr.manifest.status, 'complete');
  } finally {
    removeDir(root);
  }
});

test('Entropy-SGD: a run resumed from a mid-training checkpoint ends with bit-identical weights', async () => {
  const root = tempDir('esgd');
  try {
    const config = parseTrainConfig({ ...mixture, epochs: 2, optimizer: { kind: 'sgd', lr: 1 }, flatten: { kind: 'entropy-sgd', innerSteps: 4 } });
    const ctxFor = (dir: string, saved: Checkpoint[], load: Checkpoint | null): ReplicaContext => {
      const run = Run.create(dir, { protocol: 'train', config, seed: 3 });
      return {
        runDir: dir, index: 0, seed: 3, replicas: 1, checkpointEvery: 7, run,
        progress: () => {}, warn: () => {},
        saveCheckpoint: (cp) => { saved.push(structuredClone(cp)); },
        loadCheckpoint: () => load,
      };
    };
    const saved: Checkpoint[] = [];
    await trainTask.run(config, ctxFor(join(root, 'a'), saved, null));
    assert.ok(saved.length >= 2);
    await trainTask.run(config, ctxFor(join(root, 'b'), [], saved[1]!));
    const wa = readReplicaWeights(Run.open(join(root, 'a')), 0).theta, wb = readReplicaWeights(Run.open(join(root, 'b')), 0).theta;
    assert.deepEqual(wb, wa);
    const loss = Run.open(join(root, 'a')).readArray('per-replica/replica-0000/train_loss').data as Float64Array;
    assert.ok(loss[loss.length - 1]! < loss[0]!, 'Entropy-SGD lowers the training loss');
  } finally {
    removeDir(root);
  }
});

test('CLI: hessian on a p-spin; bad input exits non-zero with one error line and no run directory', () => {
  const root = tempDir('hcli');
  try {
    const cli = (...args: string[]) => spawnSync(process.execPath, [GLASSY, ...args], { encoding: 'utf8' });
    const ok = cli('hessian', '--pspin-n', '24', '--p', '3', '--top', '2', '--bottom', '2', '--trace', '--samples', '5', '--out', join(root, 'ps'), '--json');
    assert.equal(ok.status, 0, ok.stderr);
    const s = (JSON.parse(ok.stdout) as { summary: Record<string, number> }).summary;
    assert.equal(s['dim'], 24);
    assert.ok(s['lambda_max']! > 0 && s['lambda_min']! < 0, 'a random point of the p-spin sphere is a saddle-rich place');
    const bad: Array<[string[], RegExp]> = [
      [['hessian', join(root, 'nope')], /no glassy run/],
      [['hessian', '--pspin-n', '24', '--top', '0'], /something to compute/],
      [['hessian', '--pspin-n', '24', '--dense', '--dense-max', '10'], /dense/],
      [['hessian', '--pspin-n', '24', '--gauss-newton'], /network/],
      [['hessian', '--pspin-n', '24', '--top', '-3'], /top: got -3/],
      [['hessian', '--pspin-n', '24', '--top', '30'], /top/],
      [['hessian', join(root, 'ps'), '--pspin-n', '24'], /not both/],
      [['flatness', join(root, 'ps')], /train or import run/],
    ];
    for (const [args, msg] of bad) {
      const out = join(root, 'bad');
      const r = cli(...args, '--out', out);
      assert.notEqual(r.status, 0, args.join(' '));
      assert.match(r.stderr, msg, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.ok(!existsSync(out), `no run directory for ${args.join(' ')}`);
    }
  } finally {
    removeDir(root);
  }
});
