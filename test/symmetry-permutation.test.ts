/**
 * The hidden-unit permutation group and the alignments that remove it:
 *  - permuting hidden units leaves the network function unchanged (float64 reference forward pass
 *    written here, independent of the landscape code: relu/tanh, biases on/off, 1–3 hidden layers),
 *    outputs equal to 1e-12;
 *  - group laws (composition, inverse, in place) hold exactly; displaced permutations move exactly k units;
 *  - weight matching (Ainsworth et al. 2023, Alg. 1) and activation matching recover a permutation
 *    EXACTLY (perms = π⁻¹, aligned θ bitwise equal, overlap 1 to 1e-15) for 1, 2 and 3 hidden layers;
 *  - with one hidden layer, weight matching equals brute force over all permutations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mlpLayout, type Activation, type MlpLayout } from '../src/landscapes/mlp/layout.js';
import {
  composePermutation, composePermutations, displacedPermutation, displacedUnits, identityPermutations,
  invertPermutation, invertPermutations, permuteParameters, randomPermutations, type HiddenPermutation,
} from '../src/symmetry/permutation.js';
import { weightMatching, matchingObjective } from '../src/symmetry/weight-matching.js';
import { activationMatching } from '../src/symmetry/activation-matching.js';
import { parameterOverlap } from '../src/observables/overlap.js';
import { GlassyError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import type { Float } from '../src/core/backend.js';

/**
 * Reference forward pass, float64, written from the layout's definition (PyTorch nn.Linear order:
 * per layer W [out, in] row-major, then b [out]); hidden activation `act`, linear output.
 * Returns the outputs [n × C] and the hidden activations of every hidden layer [n × width].
 */
function forward(sizes: number[], act: Activation, bias: boolean, theta: Float, x: Float64Array, n: number) {
  let off = 0;
  let h = x;
  const hidden: Float64Array[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const nin = sizes[l]!, nout = sizes[l + 1]!;
    const W = off;
    off += nin * nout;
    const B = off;
    if (bias) off += nout;
    const z = new Float64Array(n * nout);
    for (let s = 0; s < n; s++) {
      for (let o = 0; o < nout; o++) {
        let a = bias ? theta[B + o]! : 0;
        for (let i = 0; i < nin; i++) a += theta[W + o * nin + i]! * h[s * nin + i]!;
        const last = l + 2 === sizes.length;
        z[s * nout + o] = last ? a : act === 'relu' ? Math.max(0, a) : act === 'tanh' ? Math.tanh(a) : act === 'sigmoid' ? 1 / (1 + Math.exp(-a)) : a;
      }
    }
    if (l + 2 < sizes.length) hidden.push(z);
    h = z;
  }
  assert.equal(off, theta.length, 'reference layout size');
  return { out: h, hidden };
}

interface Net { sizes: number[]; act: Activation; bias: boolean }
const nets: Net[] = [
  { sizes: [5, 7, 3], act: 'relu', bias: true },
  { sizes: [5, 7, 3], act: 'tanh', bias: false },
  { sizes: [4, 6, 8, 2], act: 'tanh', bias: true },
  { sizes: [4, 6, 8, 2], act: 'relu', bias: false },
  { sizes: [3, 5, 6, 4, 2], act: 'relu', bias: true },
  { sizes: [3, 5, 6, 4, 2], act: 'tanh', bias: false },
];

function randomTheta(layout: MlpLayout, rng: Rng): Float64Array {
  const t = new Float64Array(layout.size);
  rng.fillNormal(t);
  return t;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('permuting hidden units leaves the network function unchanged (1e-12)', () => {
  const rng = Rng.stream(21, 1);
  for (const net of nets) {
    const layout = mlpLayout({ sizes: net.sizes, activation: net.act, bias: net.bias });
    const n = 9;
    const x = new Float64Array(n * net.sizes[0]!);
    rng.fillNormal(x);
    for (let rep = 0; rep < 5; rep++) {
      const theta = randomTheta(layout, rng);
      const perms = randomPermutations(layout, rng);
      const moved = permuteParameters(layout, theta, perms);
      if (displacedUnits(perms) > 0) assert.ok(maxAbsDiff(moved, theta) > 0.1, 'θ itself changed');
      const f0 = forward(net.sizes, net.act, net.bias, theta, x, n);
      const f1 = forward(net.sizes, net.act, net.bias, moved, x, n);
      assert.ok(maxAbsDiff(f0.out, f1.out) <= 1e-12, `${JSON.stringify(net)}: outputs differ by ${maxAbsDiff(f0.out, f1.out)}`);
      // Hidden activations are permuted exactly as the units: h'[:, i] = h[:, π(i)].
      for (let l = 0; l < perms.length; l++) {
        const w = net.sizes[l + 1]!;
        for (let s = 0; s < n; s++) for (let i = 0; i < w; i++) {
          assert.ok(Math.abs(f1.hidden[l]![s * w + i]! - f0.hidden[l]![s * w + perms[l]![i]!]!) <= 1e-12);
        }
      }
    }
  }
});

test('the layout convention by hand: rows of W_l, entries of b_l, columns of W_{l+1}', () => {
  const layout = mlpLayout({ sizes: [2, 3, 1], activation: 'relu', bias: true });
  // θ = W0 (3×2) | b0 (3) | W1 (1×3) | b1 (1)
  const theta = Float64Array.from([1, 2, 3, 4, 5, 6, 10, 20, 30, 100, 200, 300, 7]);
  const out = permuteParameters(layout, theta, [Int32Array.from([2, 0, 1])]);
  assert.deepEqual(Array.from(out), [5, 6, 1, 2, 3, 4, 30, 10, 20, 300, 100, 200, 7]);
  // Perceptron: no hidden layer, nothing to permute.
  const p = mlpLayout({ sizes: [3, 2], activation: 'relu', bias: true });
  const tp = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(Array.from(permuteParameters(p, tp, [])), Array.from(tp));
});

test('group laws hold exactly: composition, inverse, in place, float32', () => {
  const rng = Rng.stream(22, 1);
  const layout = mlpLayout({ sizes: [4, 6, 8, 5, 2], activation: 'tanh', bias: true });
  const theta = randomTheta(layout, rng);
  const p = randomPermutations(layout, rng);
  const q = randomPermutations(layout, rng);
  const pq = permuteParameters(layout, permuteParameters(layout, theta, p), q);
  assert.deepEqual(Array.from(permuteParameters(layout, theta, composePermutations(p, q))), Array.from(pq));
  assert.deepEqual(Array.from(permuteParameters(layout, permuteParameters(layout, theta, p), invertPermutations(p))), Array.from(theta));
  for (const perm of p) {
    assert.deepEqual(Array.from(composePermutation(perm, invertPermutation(perm))), Array.from({ length: perm.length }, (_, i) => i));
  }
  const inPlace = theta.slice();
  const ret = permuteParameters(layout, inPlace, p, inPlace);
  assert.equal(ret, inPlace);
  assert.deepEqual(Array.from(inPlace), Array.from(permuteParameters(layout, theta, p)));
  const t32 = Float32Array.from(theta);
  const m32 = permuteParameters(layout, t32, p);
  assert.ok(m32 instanceof Float32Array);
  assert.deepEqual(Array.from(m32), Array.from(Float32Array.from(permuteParameters(layout, theta, p))));
  assert.equal(displacedUnits(identityPermutations(layout)), 0);
});

test('displaced permutations move exactly k units (one k-cycle, or k/2 swaps)', () => {
  const rng = Rng.stream(23, 1);
  for (let rep = 0; rep < 50; rep++) {
    const n = 2 + rng.int(30);
    const k = 2 + rng.int(n - 1);
    const c = displacedPermutation(n, k, rng, 'cycle');
    assert.equal(displacedUnits([c]), k);
    // One cycle: starting from any moved unit, following π visits all k moved units before returning.
    let start = 0;
    while (c[start] === start) start++;
    let len = 0, i = start;
    do { i = c[i]!; len++; } while (i !== start);
    assert.equal(len, k);
    const ke = 2 * Math.floor(k / 2);
    const t = displacedPermutation(n, ke, rng, 'transpositions');
    assert.equal(displacedUnits([t]), ke);
    assert.deepEqual(Array.from(composePermutation(t, t)), Array.from({ length: n }, (_, j) => j), 'an involution');
  }
  assert.equal(displacedUnits([displacedPermutation(5, 0, rng)]), 0);
  assert.throws(() => displacedPermutation(5, 1, rng), (e: unknown) => e instanceof GlassyError && e.field === 'k');
  assert.throws(() => displacedPermutation(5, 3, rng, 'transpositions'), GlassyError);
  assert.throws(() => displacedPermutation(5, 6, rng), GlassyError);
});

test('bad permutations and θ are GlassyErrors naming the field', () => {
  const layout = mlpLayout({ sizes: [2, 3, 1], activation: 'relu', bias: true });
  const theta = new Float64Array(layout.size);
  assert.throws(() => permuteParameters(layout, theta, [Int32Array.from([0, 0, 1])]), (e: unknown) => e instanceof GlassyError && e.field === 'permutations[0][1]');
  assert.throws(() => permuteParameters(layout, theta, []), (e: unknown) => e instanceof GlassyError && e.field === 'permutations.length');
  assert.throws(() => permuteParameters(layout, new Float64Array(3), [Int32Array.from([0, 1, 2])]), (e: unknown) => e instanceof GlassyError && e.field === 'theta.length');
});

/** A network whose hidden units are all nearly alike: a rank-one pattern plus small noise (cosine ≈ 0.99). */
function structuredTheta(layout: MlpLayout, rng: Rng): Float64Array {
  const theta = new Float64Array(layout.size);
  for (const { weight, bias, in: nin, out } of layout.layers) {
    const u = new Float64Array(nin);
    rng.fillNormal(u);
    for (let o = 0; o < out; o++) {
      const s = 1 + 0.1 * o;
      for (let i = 0; i < nin; i++) theta[weight.offset + o * nin + i] = s * u[i]! + 0.05 * rng.normal();
      if (bias) theta[bias.offset + o] = 0.3 + 0.01 * rng.normal();
    }
  }
  return theta;
}

function recovers(thetaA: Float64Array, perms: HiddenPermutation, found: HiddenPermutation, aligned: Float): void {
  const expected = invertPermutations(perms);
  for (let l = 0; l < perms.length; l++) assert.deepEqual(Array.from(found[l]!), Array.from(expected[l]!), `layer ${l}: π⁻¹ recovered`);
  assert.deepEqual(Array.from(aligned), Array.from(thetaA), 'aligned θ_b equals θ_a exactly');
  assert.ok(Math.abs(parameterOverlap(thetaA, aligned) - 1) <= 1e-15);
}

test('weight matching recovers a permutation exactly (1, 2, 3 hidden layers; random and structured θ)', () => {
  const rng = Rng.stream(24, 1);
  for (const net of nets) {
    const layout = mlpLayout({ sizes: net.sizes, activation: net.act, bias: net.bias });
    for (let rep = 0; rep < 4; rep++) {
      const thetaA = rep % 2 === 0 ? randomTheta(layout, rng) : structuredTheta(layout, rng);
      const perms = randomPermutations(layout, rng);
      const thetaB = permuteParameters(layout, thetaA, perms);
      const before = parameterOverlap(thetaA, thetaB);
      const res = weightMatching(layout, thetaA, thetaB, { rng: Rng.stream(rep, 99) });
      recovers(thetaA, perms, res.perms, res.aligned);
      assert.ok(res.converged);
      assert.ok(res.sweeps >= 1 && res.sweeps <= 10, `sweeps ${res.sweeps}`);
      if (displacedUnits(perms) > 0 && rep % 2 === 0) assert.ok(before < 0.9, `unaligned overlap ${before} is well below 1`);
      let dot = 0;
      for (let i = 0; i < thetaA.length; i++) dot += thetaA[i]! * thetaA[i]!;
      assert.ok(Math.abs(res.objective - dot) <= 1e-12 * dot);
    }
  }
});

test("init 'identity' (Ainsworth et al.'s start) also recovers the permutation on a wider net", () => {
  const rng = Rng.stream(29, 1);
  const layout = mlpLayout({ sizes: [20, 30, 30, 5], activation: 'relu', bias: true });
  for (let rep = 0; rep < 5; rep++) {
    const thetaA = randomTheta(layout, rng);
    const perms = randomPermutations(layout, rng);
    const res = weightMatching(layout, thetaA, permuteParameters(layout, thetaA, perms), { init: 'identity', rng: Rng.stream(rep, 98) });
    recovers(thetaA, perms, res.perms, res.aligned);
    assert.ok(res.sweeps >= 2, 'the identity start needs at least one improving sweep and one confirming sweep');
  }
  assert.throws(() => weightMatching(layout, new Float64Array(layout.size), new Float64Array(layout.size), { maxSweeps: 0 }), GlassyError);
});

test('weight matching with duplicated units (exact ties): aligned θ still equals θ_a exactly', () => {
  const rng = Rng.stream(25, 1);
  const layout = mlpLayout({ sizes: [4, 6, 5, 2], activation: 'relu', bias: true });
  const thetaA = randomTheta(layout, rng);
  // Make units 0 and 1 of hidden layer 0 identical (incoming and outgoing weights, bias).
  const [l0, l1] = layout.layers;
  for (let i = 0; i < 4; i++) thetaA[l0!.weight.offset + 4 + i] = thetaA[l0!.weight.offset + i]!;
  thetaA[l0!.bias!.offset + 1] = thetaA[l0!.bias!.offset]!;
  for (let o = 0; o < 5; o++) thetaA[l1!.weight.offset + o * 6 + 1] = thetaA[l1!.weight.offset + o * 6]!;
  const perms = randomPermutations(layout, rng);
  const res = weightMatching(layout, thetaA, permuteParameters(layout, thetaA, perms));
  assert.deepEqual(Array.from(res.aligned), Array.from(thetaA));
});

test('one hidden layer: weight matching of independent networks equals brute force over all 6! permutations', () => {
  const rng = Rng.stream(26, 1);
  const layout = mlpLayout({ sizes: [3, 6, 2], activation: 'relu', bias: true });
  const all: Int32Array[] = [];
  const rec = (prefix: number[]): void => {
    if (prefix.length === 6) { all.push(Int32Array.from(prefix)); return; }
    for (let j = 0; j < 6; j++) if (!prefix.includes(j)) rec([...prefix, j]);
  };
  rec([]);
  for (let rep = 0; rep < 5; rep++) {
    const a = randomTheta(layout, rng);
    const b = randomTheta(layout, rng);
    const res = weightMatching(layout, a, b);
    let best = -Infinity;
    for (const p of all) best = Math.max(best, matchingObjective(layout, a, b, [p]));
    assert.ok(Math.abs(res.objective - best) <= 1e-12 * Math.abs(best), `${res.objective} vs ${best}`);
    assert.equal(res.sweeps, 1);
  }
});

test('deep nets: weight matching never lowers ⟨θ_a, Pθ_b⟩ below the identity or a warm start', () => {
  const rng = Rng.stream(27, 1);
  const layout = mlpLayout({ sizes: [6, 10, 9, 8, 3], activation: 'tanh', bias: true });
  for (let rep = 0; rep < 5; rep++) {
    const a = randomTheta(layout, rng);
    const b = randomTheta(layout, rng);
    const init = randomPermutations(layout, rng);
    const res = weightMatching(layout, a, b, { init });
    assert.ok(res.objective >= matchingObjective(layout, a, b, init) - 1e-12);
    const fromId = weightMatching(layout, a, b);
    assert.ok(fromId.objective >= matchingObjective(layout, a, b, identityPermutations(layout)) - 1e-12);
    assert.ok(res.converged && fromId.converged);
  }
});

test('activation matching recovers a permutation exactly (tanh, 1, 2, 3 hidden layers)', () => {
  const rng = Rng.stream(28, 1);
  for (const net of nets.filter((x) => x.act === 'tanh')) {
    const layout = mlpLayout({ sizes: net.sizes, activation: net.act, bias: net.bias });
    const n = 32;
    const x = new Float64Array(n * net.sizes[0]!);
    rng.fillNormal(x);
    const probe = (theta: Float, layer: number): Float64Array => forward(net.sizes, net.act, net.bias, theta, x, n).hidden[layer]!;
    for (let rep = 0; rep < 3; rep++) {
      const thetaA = randomTheta(layout, rng);
      const perms = randomPermutations(layout, rng);
      const thetaB = permuteParameters(layout, thetaA, perms);
      for (const similarity of ['correlation', 'inner'] as const) {
        const res = activationMatching(layout, thetaA, thetaB, probe, { similarity });
        recovers(thetaA, perms, res.perms, res.aligned);
        if (similarity === 'correlation') for (const m of res.matched) assert.ok(Math.abs(m - 1) <= 1e-12, `matched correlation ${m}`);
      }
    }
  }
});
