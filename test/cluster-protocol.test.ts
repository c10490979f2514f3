/**
 * `glassy cluster` end to end on a network run whose replicas are hidden-unit permutations of one
 * network: before alignment they look different (q < 1); weight matching and activation matching
 * both recover the symmetry (aligned q = 1 to rounding), and the arrays have SciPy's shapes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runEnsemble } from '../src/executor/ensemble.js';
import { parseTrainConfig } from '../src/protocols/train.js';
import { parseClusterConfig, type ClusterSummary } from '../src/protocols/cluster.js';
import { runAnalysis } from './analysis-helpers.js';
import { readReplicaWeights, writeReplicaWeights } from '../src/landscapes/weights.js';
import { applyGroupElement, randomGroupElement } from '../src/symmetry/group.js';
import { Rng } from '../src/core/rng.js';
import { Run } from '../src/store/run.js';
import { removeDir, tempDir } from './executor-helpers.js';
import { registry } from '../src/registry.js';

test('cluster recovers hidden-unit permutations by weights and by activations', async () => {
  const dir = tempDir('cluster');
  try {
    const config = parseTrainConfig({
      data: { source: 'gaussian-mixture', d: 12, nClasses: 3, nTrain: 300, nTest: 200 },
      model: { sizes: [12, 10, 3], activation: 'tanh' }, optimizer: { kind: 'sgd', lr: 0.1 }, epochs: 2,
    });
    const run = Run.create(`${dir}/train`, { protocol: 'train', config, seed: 3 });
    await runEnsemble(run, registry, { replicas: 4, executor: 'inprocess', progress: 'none', handleSignals: false });
    const r0 = readReplicaWeights(run, 0);
    for (let i = 1; i < 4; i++) {
      const p = applyGroupElement(r0.layout, r0.theta, randomGroupElement(r0.layout, Rng.stream(5, i)));
      writeReplicaWeights(run, i, r0.layout, p, 3);
    }
    for (const alignMethod of ['weights', 'activations'] as const) {
      const s = await runAnalysis('cluster', parseClusterConfig({ source: `${dir}/train`, overlap: 'aligned', alignMethod }), `${dir}/c-${alignMethod}`, 0) as unknown as ClusterSummary;
      assert.ok(Math.abs(s.q_mean - 1) < 1e-12, `${alignMethod}: aligned ⟨q⟩ = ${s.q_mean}`);
      assert.ok(s.q_mean_unaligned! < 0.9, `unaligned ⟨q⟩ = ${s.q_mean_unaligned}`);
      // Permuted copies of one network: after alignment every triangle has a zero side — said, and no p-value claimed.
      assert.equal(s.ultrametric_has_power, false);
      assert.equal(s.ultrametric_degenerate_triangles, s.ultrametric_triples);
      assert.match(s.ultrametric_note, /degenerate .* no power/);
    }
    const out = Run.open(`${dir}/c-weights`);
    assert.deepEqual(out.readArray('linkage').shape, [3, 4]);
    assert.deepEqual(out.readArray('overlap').shape, [4, 4]);
    assert.equal(out.readArray('leaf_order').data.length, 4);
  } finally {
    removeDir(dir);
  }
});
