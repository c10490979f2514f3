/**
 * Ultrametricity statistic K = (d1 − d2)/scale over triangles (d1 ≥ d2 ≥ d3):
 *  - an exactly ultrametric distance matrix (random tree) gives exactly 0, exhaustive and sampled;
 *  - the cophenetic distances of any linkage give exactly 0;
 *  - independent Gaussian directions in dimension P = 20 000 give the value predicted for three
 *    independent Gaussian sides: E[K_std] = 3/(2√π) ≈ 0.8463 (tolerance 0.05, ~4σ over seeds) and
 *    E[K_range] = 1/2 (tolerance 0.03);
 *  - hierarchical (tree-structured) replicas give a small K while both null models give ≈ 0.85;
 *  - summaries by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summariseUltrametricity, ultrametricNull, ultrametricity } from '../src/observables/ultrametric.js';
import { condensedIndex, cophenetic, distancesFromOverlaps, linkage, type LinkageMethod } from '../src/observables/clustering.js';
import { overlapMatrix } from '../src/observables/overlap.js';
import { GlassyError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';

/** Distances of a random tree: merge two random clusters at a growing height; d(i, j) = the height joining them. */
function randomTreeDistances(K: number, rng: Rng): Float64Array {
  const d = new Float64Array((K * (K - 1)) / 2);
  let clusters: number[][] = Array.from({ length: K }, (_, i) => [i]);
  let h = 0;
  while (clusters.length > 1) {
    h += rng.uniform() < 0.3 ? 0 : rng.uniform(); // some equal heights (multifurcations) too
    const a = rng.int(clusters.length);
    let b = rng.int(clusters.length - 1);
    if (b >= a) b++;
    for (const i of clusters[a]!) for (const j of clusters[b]!) d[condensedIndex(K, i, j)] = h;
    const merged = clusters[a]!.concat(clusters[b]!);
    clusters = clusters.filter((_, k) => k !== a && k !== b);
    clusters.push(merged);
  }
  return d;
}

test('an exactly ultrametric matrix (random tree) gives 0 for every triple, exhaustive and sampled', () => {
  const rng = Rng.stream(71, 1);
  for (const K of [3, 17, 60, 230]) {
    const d = randomTreeDistances(K, rng);
    for (const scale of ['std', 'mean', 'range', 'none'] as const) {
      const r = ultrametricity(d, { scale, samples: 20000 });
      assert.equal(r.exhaustive, K <= 200);
      assert.equal(r.triples, K <= 200 ? (K * (K - 1) * (K - 2)) / 6 : 20000);
      assert.equal(Math.max(...r.values), 0, `K=${K} ${scale}`);
      assert.equal(r.summary.mean, 0);
      assert.equal(r.summary.fractionBelow[0], 1);
    }
  }
});

test('cophenetic distances of any linkage are ultrametric (statistic exactly 0)', () => {
  const rng = Rng.stream(72, 1);
  const K = 50;
  const d = new Float64Array((K * (K - 1)) / 2);
  rng.fillUniform(d);
  for (const m of ['single', 'complete', 'average', 'ward'] as LinkageMethod[]) {
    const r = ultrametricity(cophenetic(linkage(d, m)));
    assert.equal(Math.max(...r.values), 0, m);
  }
  // The raw random distances are not ultrametric.
  assert.ok(ultrametricity(d).summary.mean > 0.1);
});

test('independent Gaussian directions in high dimension: E[K_std] = 3/(2√π), E[K_range] = 1/2', () => {
  const K = 40, P = 20000;
  const X = new Float64Array(K * P);
  Rng.stream(73, 1).fillNormal(X);
  const d = distancesFromOverlaps(overlapMatrix({ data: X, count: K, dim: P }), K);
  const s = ultrametricity(d).summary.mean;
  const r = ultrametricity(d, { scale: 'range' }).summary.mean;
  assert.ok(Math.abs(s - 3 / (2 * Math.sqrt(Math.PI))) < 0.05, `K_std = ${s}`);
  assert.ok(Math.abs(r - 0.5) < 0.03, `K_range = ${r}`);
  // With the mean distance (≈ 1) as scale the triangles look nearly equilateral: K ≈ 0.85/√P.
  const m = ultrametricity(d, { scale: 'mean' }).summary.mean;
  assert.ok(Math.abs(m * Math.sqrt(P) - 3 / (2 * Math.sqrt(Math.PI))) < 0.06, `K_mean·√P = ${m * Math.sqrt(P)}`);
});

test('tree-structured replicas: small statistic, while both null models give ≈ 3/(2√π)', () => {
  const rng = Rng.stream(74, 1);
  const K = 40, P = 20000;
  const X = new Float64Array(K * P);
  const g = new Float64Array(P), s = new Float64Array(P), e = new Float64Array(P);
  // 4 groups of 2 subgroups of 5 replicas: x = group + 0.7·subgroup + 0.5·own noise.
  for (let a = 0; a < K; a++) {
    if (a % 10 === 0) rng.fillNormal(g);
    if (a % 5 === 0) rng.fillNormal(s, 0.7);
    rng.fillNormal(e, 0.5);
    for (let i = 0; i < P; i++) X[a * P + i] = g[i]! + s[i]! + e[i]!;
  }
  const reps = { data: X, count: K, dim: P };
  const obs = ultrametricity(distancesFromOverlaps(overlapMatrix(reps), K)).summary;
  assert.ok(obs.mean < 0.05, `observed ${obs.mean}`);
  for (const model of ['gaussian', 'shuffle'] as const) {
    const nul = ultrametricNull(reps, { model, nullRng: Rng.stream(74, 2) }).summary;
    assert.ok(Math.abs(nul.mean - 3 / (2 * Math.sqrt(Math.PI))) < 0.05, `${model} null ${nul.mean}`);
  }
});

test('summary by hand', () => {
  const s = summariseUltrametricity(Float64Array.from([0, 0.1, 0.3, 0.6]), { thresholds: [0.1, 0.5], bins: 2, histogramRange: [0, 1] });
  assert.ok(Math.abs(s.mean - 0.25) < 1e-15);
  assert.ok(Math.abs(s.median - 0.2) < 1e-15);
  assert.deepEqual(Array.from(s.fractionBelow), [0.5, 0.75]);
  assert.deepEqual(Array.from(s.counts), [3, 1]);
  // One triangle by hand: sides 3, 2, 1.5 → d1 − d2 = 1; 'range' → 1/1.5; 'none' → 1.
  const d = [3, 2, 1.5]; // d(0,1), d(0,2), d(1,2)
  assert.equal(ultrametricity(d, { scale: 'none' }).values[0], 1);
  assert.ok(Math.abs(ultrametricity(d, { scale: 'range' }).values[0]! - 1 / 1.5) < 1e-15);
  assert.ok(Math.abs(ultrametricity(d, { scale: 'mean' }).values[0]! - 1 / (6.5 / 3)) < 1e-15);
});

test('bad input is a GlassyError naming the field', () => {
  assert.throws(() => ultrametricity([1]), (e: unknown) => e instanceof GlassyError && e.field === 'distances.length');
  assert.throws(() => ultrametricity([1, 2]), (e: unknown) => e instanceof GlassyError && e.field === 'distances.length');
  assert.throws(() => ultrametricity([1, 2, 3], { scale: 'max' as never }), (e: unknown) => e instanceof GlassyError && e.field === 'scale');
  assert.throws(() => ultrametricity([1, NaN, 3]), (e: unknown) => e instanceof GlassyError && e.field === 'distances[1]');
  assert.throws(() => ultrametricNull([new Float64Array(3)], { model: 'uniform' as never }), (e: unknown) => e instanceof GlassyError && e.field === 'model');
});
