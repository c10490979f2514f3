/**
 * The ultrametricity permutation test (observables/ultrametric.ts): on a planted hierarchy (three
 * levels, exactly ultrametric) the observed arrangement is far below every permutation (p = 1/(B+1),
 * large effect); on random high-dimensional replicas (no hierarchy: the overlaps are i.i.d. noise) the
 * observed arrangement is a typical permutation (p not small); identical replicas are reported as
 * degenerate and without power instead of "perfectly ultrametric".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/core/rng.js';
import { condensedIndex, distancesFromOverlaps } from '../src/observables/clustering.js';
import { overlapMatrix } from '../src/observables/overlap.js';
import { ultrametricPermutationTest } from '../src/observables/ultrametric.js';

/** 3 clusters × 2 sub-clusters × 4 leaves = 24 replicas; d = 0.2 within a sub-cluster, 0.5 within a cluster, 0.9 across. */
function planted(): Float64Array {
  const K = 24;
  const d = new Float64Array((K * (K - 1)) / 2);
  for (let i = 0; i < K; i++) for (let j = i + 1; j < K; j++) {
    d[condensedIndex(K, i, j)] = Math.floor(i / 8) !== Math.floor(j / 8) ? 0.9 : Math.floor(i / 4) !== Math.floor(j / 4) ? 0.5 : 0.2;
  }
  return d;
}

test('planted hierarchy: p = 1/(B+1) and a large effect size', () => {
  const t = ultrametricPermutationTest(planted(), { permutations: 199, permutationRng: Rng.stream(3, 1) });
  assert.equal(t.observed, 0);
  assert.equal(t.pValue, 1 / 200);
  assert.ok(t.effectSize > 5, `effect size ${t.effectSize} null SDs`);
  assert.ok(t.hasPower);
  assert.equal(t.degenerate, 0);
});

test('random replicas without hierarchy: over 20 sets, p is not concentrated near 0 and the effect stays small', () => {
  const K = 24, P = 2000;
  const ps: number[] = [];
  for (let seed = 0; seed < 20; seed++) {
    const data = new Float64Array(K * P);
    Rng.stream(seed, 2).fillNormal(data);
    const d = distancesFromOverlaps(overlapMatrix({ data, count: K, dim: P }, { normalisation: 'cosine' }), K);
    const t = ultrametricPermutationTest(d, { permutations: 99, permutationRng: Rng.stream(3, 1) });
    ps.push(t.pValue);
    assert.ok(Math.abs(t.effectSize) < 3, `seed ${seed}: effect size ${t.effectSize}`);
    // Close to the i.i.d. Gaussian value E[K] = 3/(2√π) ≈ 0.846 of the module comment.
    assert.ok(Math.abs(t.observed - 0.846) < 0.1, `seed ${seed}: mean K ${t.observed}`);
  }
  // Measured: median p ≈ 0.25, 2 of 20 at p ≤ 0.01 (a planted hierarchy gives 0.005 with effect > 5).
  const sorted = [...ps].sort((x, y) => x - y);
  assert.ok(sorted[10]! > 0.1, `median p ${sorted[10]} (${sorted.join(', ')})`);
  assert.ok(ps.filter((p) => p <= 0.01).length <= 3, `p ≤ 0.01 in ${ps.filter((p) => p <= 0.01).length} of 20`);
});

test('identical replicas: every triangle degenerate, no power claimed', () => {
  const K = 6;
  const t = ultrametricPermutationTest(new Float64Array((K * (K - 1)) / 2), { permutations: 19 });
  assert.equal(t.degenerate, t.triples);
  assert.equal(t.hasPower, false);
});
