/**
 * Non-finite values are refused, not analysed. A NaN weight passes ReLU (`v > 0 ? v : 0`) as 0, so
 * a run with one NaN weight used to give finite Hessians, walks, barriers and overlaps with exit 0.
 * Every command that reads replicas goes through Run.readTensors, which now refuses with one line
 * naming the file, the tensor and the count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { countNonFinite, refuseNonFinite } from '../src/core/finite.js';
import { runEnsemble } from '../src/executor/ensemble.js';
import { decodeCheckpoint, encodeCheckpoint } from '../src/executor/checkpoint.js';
import { loadDataset } from '../src/data/index.js';
import { mlpLayout } from '../src/landscapes/mlp/layout.js';
import { parseTrainConfig } from '../src/protocols/train.js';
import { registry } from '../src/registry.js';
import { writeReplicaWeights } from '../src/landscapes/weights.js';
import { decodeSafetensors, encodeSafetensors } from '../src/store/safetensors.js';
import { encodeNpy } from '../src/store/npy.js';
import { Run } from '../src/store/run.js';
import { GLASSY, removeDir, tempDir } from './executor-helpers.js';

function glassy(args: string[]) {
  return spawnSync(process.execPath, [GLASSY, ...args], { encoding: 'utf8' });
}

test('countNonFinite / refuseNonFinite: counts each kind, one line naming source, key and count', () => {
  assert.deepEqual(countNonFinite(Float64Array.of(1, NaN, Infinity, -Infinity, NaN)), { nan: 2, posInf: 1, negInf: 1 });
  assert.deepEqual(countNonFinite(Int32Array.of(1, 2)), { nan: 0, posInf: 0, negInf: 0 });
  assert.doesNotThrow(() => refuseNonFinite('f', 'k', Float32Array.of(0, 1e30)));
  assert.throws(() => refuseNonFinite('w.safetensors', 'tensor 0.weight', Float32Array.of(NaN, 1, Infinity)),
    (e: Error) => e.message === 'w.safetensors: tensor 0.weight has 2 non-finite values (1 NaN, 1 +Inf) of 3; non-finite values are refused, not analysed');
});

test('a NaN weight in a run: hessian, walk, permute, cluster and connect refuse with one line, exit ≠ 0', async () => {
  const root = tempDir('nonfinite');
  try {
    const src = join(root, 'ts');
    const raw = {
      data: { source: 'teacher-student', d: 10, nTrain: 200, nTest: 50, hidden: 4, nClasses: 2 },
      model: { sizes: [10, 6, 2], activation: 'relu' }, loss: 'ce', optimizer: { kind: 'sgd', lr: 0.1 }, batch: 20, epochs: 1, measurePoints: 3,
    };
    const r0 = await runEnsemble(Run.create(src, { protocol: 'train', config: parseTrainConfig(raw), seed: 1 }), registry, { replicas: 3, executor: 'inprocess', progress: 'none', handleSignals: false });
    assert.equal(r0.status, 'complete');
    const file = join(src, 'replicas', 'replica-0000.safetensors');
    const { tensors, metadata } = decodeSafetensors(readFileSync(file), file);
    const w = tensors['0.weight']!.data as Float32Array;
    w[3] = NaN; w[7] = NaN;
    writeFileSync(file, encodeSafetensors(Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, { data: t.data, shape: t.shape }])), metadata));

    const cases: string[][] = [
      ['hessian', src, '--top', '2'],
      ['walk', src, '--step-size', '0.01', '--steps', '3', '--walkers', '1', '--executor', 'inprocess', '--progress', 'none'],
      ['permute', src],
      ['cluster', src],
      ['connect', src, '0', '1', '--method', 'linear', '--points', '3'],
    ];
    for (const [i, args] of cases.entries()) {
      const r = glassy([...args, '--out', join(root, `out-${i}`)]);
      const line = r.stderr.trim();
      assert.notEqual(r.status, 0, `${args[0]} exited 0: ${r.stdout}`);
      assert.match(line, /replica-0000\.safetensors: tensor 0\.weight has 2 non-finite values \(2 NaN\)/, `${args[0]}: ${line}`);
      assert.ok(!line.includes('\n') && !/\n\s+at /.test(r.stderr), `${args[0]}: not one line: ${r.stderr}`);
    }
  } finally {
    removeDir(root);
  }
});

test('weights that diverged during training are not written; a checkpoint with NaN θ is refused', () => {
  const layout = mlpLayout({ sizes: [2, 3, 2], activation: 'relu', bias: true });
  const theta = new Float32Array(layout.size);
  theta[4] = NaN;
  const run = { writeTensors: () => { throw new Error('must not write'); } } as unknown as Run;
  assert.throws(() => writeReplicaWeights(run, 2, layout, theta, 0), /^Error: replica 2: θ has 1 non-finite value \(1 NaN\) of \d+; the dynamics diverged: lower --lr$|replica 2: θ has 1 non-finite value/);
  const buf = encodeCheckpoint({ meta: { step: 3 }, arrays: { theta: Float64Array.of(1, Infinity), series: Float64Array.of(NaN) } });
  assert.throws(() => decodeCheckpoint(buf, 'cp.safetensors'), /cp\.safetensors: theta has 1 non-finite value \(1 \+Inf\)/);
  const ok = encodeCheckpoint({ meta: { step: 3 }, arrays: { theta: Float64Array.of(1, 2), series: Float64Array.of(NaN) } });
  assert.doesNotThrow(() => decodeCheckpoint(ok, 'cp.safetensors'));
});

test('a user .npy with NaN inputs is refused before anything runs', () => {
  const root = tempDir('nonfinite-npy');
  try {
    const x = join(root, 'x.npy'), y = join(root, 'y.npy');
    writeFileSync(x, encodeNpy(Float32Array.of(1, 2, NaN, 4, 5, 6), [3, 2]));
    writeFileSync(y, encodeNpy(Int32Array.of(0, 1, 0)));
    assert.throws(() => loadDataset({ source: 'files', train: x, labels: y } as never, 0), /x\.npy: NaN at row 1, column 0/);
  } finally {
    removeDir(root);
  }
});
