/**
 * Overlaps: the blocked K × K overlap matrix equals naive dot products (float64, float32, int8, row-major
 * and list inputs; K not a multiple of the block, P not a multiple of the panel) to 1e-13; Ising overlaps
 * exactly; per-tensor, hidden-unit and function-space overlaps against hand values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isingOverlap, outputCorrelation, overlapMatrix, parameterOverlap, predictionAgreement, tensorOverlaps,
  unitOverlapMatrix, type Configuration,
} from '../src/observables/overlap.js';
import { mlpLayout } from '../src/landscapes/mlp/layout.js';
import { invertPermutation, permuteParameters, randomPermutations } from '../src/symmetry/permutation.js';
import { GlassyError } from '../src/core/errors.js';
import { getBackend } from '../src/core/backends/index.js';
import { Rng } from '../src/core/rng.js';

function naiveCosine(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let xy = 0, xx = 0, yy = 0;
  for (let i = 0; i < x.length; i++) { xy += x[i]! * y[i]!; xx += x[i]! * x[i]!; yy += y[i]! * y[i]!; }
  return xy / Math.sqrt(xx * yy);
}

test('blocked overlap matrix = naive cosines for K ∈ {1,2,5,13}, P ∈ {1,7,300}, several panels (1e-13)', () => {
  const rng = Rng.stream(41, 1);
  for (const K of [1, 2, 5, 13]) {
    for (const P of [1, 7, 300]) {
      const X = new Float64Array(K * P);
      rng.fillNormal(X, 1, 0.3);
      const rows = Array.from({ length: K }, (_, k) => X.subarray(k * P, (k + 1) * P));
      const X32 = Float32Array.from(X);
      const rows32 = Array.from({ length: K }, (_, k) => X32.subarray(k * P, (k + 1) * P));
      for (const panel of [64, 256]) {
        const Q = overlapMatrix({ data: X, count: K, dim: P }, { panel });
        const Ql = overlapMatrix(rows, { panel });
        const Q32 = overlapMatrix({ data: X32, count: K, dim: P }, { panel });
        for (let a = 0; a < K; a++) {
          for (let b = 0; b < K; b++) {
            const q = naiveCosine(rows[a]!, rows[b]!);
            assert.ok(Math.abs(Q[a * K + b]! - q) <= 1e-13, `K=${K} P=${P}: ${Q[a * K + b]} vs ${q}`);
            assert.equal(Q[a * K + b], Q[b * K + a]);
            assert.equal(Ql[a * K + b], Q[a * K + b]);
            // float32 input: accumulated in float64 from the float32 values.
            assert.ok(Math.abs(Q32[a * K + b]! - naiveCosine(rows32[a]!, rows32[b]!)) <= 1e-13);
          }
          assert.ok(Math.abs(Q[a * K + a]! - 1) <= 1e-15);
        }
      }
      const D = overlapMatrix(rows, { normalisation: 'dot' });
      let d01 = 0;
      for (let i = 0; i < P; i++) d01 += X[i]! * X[(K > 1 ? P : 0) + i]!;
      assert.ok(Math.abs(D[K > 1 ? 1 : 0]! - d01) <= 1e-12 * (1 + Math.abs(d01)));
    }
  }
});

test('through a GEMM backend (reference dgemm): the same matrix to 1e-13, panels of any width', () => {
  const rng = Rng.stream(45, 1);
  const K = 11, P = 203;
  const X = new Float32Array(K * P);
  rng.fillNormal(X);
  const Q = overlapMatrix({ data: X, count: K, dim: P });
  for (const panel of [50, 203, 4096]) {
    const B = overlapMatrix({ data: X, count: K, dim: P }, { backend: getBackend('reference'), panel });
    for (let i = 0; i < K * K; i++) assert.ok(Math.abs(B[i]! - Q[i]!) <= 1e-13);
  }
});

test('Ising replicas (int8): per-site overlap matrix equals (1/N) Σ s^a s^b exactly', () => {
  const rng = Rng.stream(42, 1);
  const K = 9, N = 101;
  const reps: Configuration[] = [];
  for (let k = 0; k < K; k++) {
    const s = new Int8Array(N);
    for (let i = 0; i < N; i++) s[i] = rng.int(2) ? 1 : -1;
    reps.push(s);
  }
  const Q = overlapMatrix(reps, { normalisation: 'per-site', panel: 32 });
  const C = overlapMatrix(reps);
  for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) {
    assert.equal(Q[a * K + b], isingOverlap(reps[a]!, reps[b]!));
    assert.ok(Math.abs(C[a * K + b]! - Q[a * K + b]!) <= 1e-15, 'for ±1 spins the cosine is the Ising overlap');
  }
  assert.equal(isingOverlap([1, 1, -1, 1], [1, -1, -1, -1]), 0);
  assert.equal(isingOverlap([1, 1, -1, 1], [1, 1, -1, -1]), 0.5);
});

test('parameter and per-tensor overlaps by hand', () => {
  assert.ok(Math.abs(parameterOverlap([1, 0], [1, 1]) - Math.SQRT1_2) <= 1e-15);
  assert.equal(parameterOverlap([3, 4], [-6, -8]), -1);
  assert.ok(Number.isNaN(parameterOverlap([0, 0], [1, 1])));
  const layout = mlpLayout({ sizes: [3, 4, 2], activation: 'relu', bias: true });
  const rng = Rng.stream(43, 1);
  const a = new Float64Array(layout.size);
  rng.fillNormal(a);
  const b = a.slice();
  const w1 = layout.layers[1]!.weight;
  for (let i = w1.offset; i < w1.offset + w1.size; i++) b[i] = -2 * b[i]!;
  const t = tensorOverlaps(layout, a, b);
  assert.deepEqual(t.map((x) => x.name), ['0.weight', '0.bias', '2.weight', '2.bias']);
  assert.ok(Math.abs(t[0]!.q - 1) <= 1e-15 && Math.abs(t[1]!.q - 1) <= 1e-15 && Math.abs(t[3]!.q - 1) <= 1e-15);
  assert.ok(Math.abs(t[2]!.q + 1) <= 1e-15);
});

test('hidden-unit overlap matrix: a permuted copy puts cosine 1 exactly where the units moved', () => {
  const rng = Rng.stream(44, 1);
  const layout = mlpLayout({ sizes: [5, 6, 7, 3], activation: 'tanh', bias: true });
  const a = new Float64Array(layout.size);
  rng.fillNormal(a);
  const perms = randomPermutations(layout, rng);
  const b = permuteParameters(layout, a, perms);
  // Layer 0: unit i of b is unit π0[i] of a. Layer 1: unit i of b is unit π1[i] of a (inputs permuted
  // too), so compare against b's layer with layer 0 unpermuted: use a with only π1 applied.
  const U0 = unitOverlapMatrix(layout, a, b, 0);
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 6; j++) {
      if (j === perms[0]![i]!) assert.ok(Math.abs(U0[j * 6 + i]! - 1) <= 1e-15);
      else assert.ok(U0[j * 6 + i]! < 0.999);
    }
  }
  const b1 = permuteParameters(layout, a, [Int32Array.from([0, 1, 2, 3, 4, 5]), perms[1]!]);
  const U1 = unitOverlapMatrix(layout, a, b1, 1, { bias: false });
  const inv = invertPermutation(perms[1]!);
  for (let j = 0; j < 7; j++) assert.ok(Math.abs(U1[j * 7 + inv[j]!]! - 1) <= 1e-15);
  assert.throws(() => unitOverlapMatrix(layout, a, b, 2), (e: unknown) => e instanceof GlassyError && e.field === 'layer');
});

test('function-space overlaps by hand: argmax agreement and Pearson correlation of outputs', () => {
  // 4 inputs × 3 classes; predictions a: 0,1,2,2  b: 0,2,2,1 → agreement 2/4.
  const A = [5, 1, 0, 0, 3, 1, 0, 0, 9, 1, 2, 3];
  const B = [2, 1, 1, 0, 1, 4, 0, 0, 1, 0, 7, 3];
  assert.equal(predictionAgreement(A, B, 3), 0.5);
  assert.equal(predictionAgreement(A, A, 3), 1);
  assert.ok(Math.abs(outputCorrelation([1, 2, 3], [2, 4, 6]) - 1) <= 1e-15);
  assert.ok(Math.abs(outputCorrelation([1, 2, 3], [3, 2, 1]) + 1) <= 1e-15);
  // x = (1,2,3,4), y = (1,3,2,4): Σdxdy = 4, Σdx² = Σdy² = 5 → r = 0.8.
  assert.ok(Math.abs(outputCorrelation([1, 2, 3, 4], [1, 3, 2, 4]) - 0.8) <= 1e-15);
  assert.throws(() => predictionAgreement(A, B, 5), (e: unknown) => e instanceof GlassyError && e.field === 'classes');
});

test('bad replica sets are GlassyErrors naming the field', () => {
  assert.throws(() => overlapMatrix({ data: new Float64Array(10), count: 3, dim: 4 }), (e: unknown) => e instanceof GlassyError && e.field === 'data.length');
  assert.throws(() => overlapMatrix([new Float64Array(3), new Float64Array(4)]), (e: unknown) => e instanceof GlassyError && e.field === 'replicas[1].length');
  assert.throws(() => overlapMatrix([]), GlassyError);
  assert.throws(() => overlapMatrix([new Float64Array(3)], { normalisation: 'l2' as never }), (e: unknown) => e instanceof GlassyError && e.field === 'normalisation');
});
