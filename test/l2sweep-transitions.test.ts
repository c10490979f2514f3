/**
 * Transitions of the L2 sweep must be jumps beyond the noise, not every grid step of a smooth
 * decline. Synthetic sweeps on Ersoy et al.'s grid (β step 2e-4 up to 0.1): a training CE that
 * rises smoothly (and faster at small β) with Gaussian noise, plus five jumps at their published
 * β (0.025, 0.0372, 0.059, 0.0744, 0.0845; one spread over two grid points), and per-class test
 * accuracies that fall below 50 % in their groups 5,9,8 → — → 2,4,6,3,7 → 1 → 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/core/rng.js';
import { runningMedian, significantJumps } from '../src/observables/transitions.js';
import { parseL2SweepConfig, replicaSpread, transitions } from '../src/protocols/l2sweep.js';

const JUMPS = [0.025, 0.0372, 0.059, 0.0744, 0.0845];
const SIZES = [0.045, 0.08, 0.12, 0.06, 0.15];
const LOST = [[5, 9, 8], [], [2, 4, 6, 3, 7], [1], [0]];

function sweep(seed: number, jumps: boolean) {
  const rng = Rng.stream(seed);
  const betas = Array.from({ length: 500 }, (_, i) => Number(((i + 1) * 2e-4).toFixed(6)));
  return betas.map((beta) => {
    let ce = 0.05 + 1.5 * beta + 0.2 * (1 - Math.exp(-beta / 0.003)) + 0.0023 * rng.normal();
    const acc = new Float64Array(10).fill(0.95);
    JUMPS.forEach((b, t) => {
      if (!jumps) return;
      // The fourth jump is resolved over two grid points.
      if (t === 3) ce += beta >= b ? SIZES[t]! : beta >= b - 2e-4 ? SIZES[t]! / 2 : 0;
      else if (beta >= b) ce += SIZES[t]!;
      if (beta >= b) for (const c of LOST[t]!) acc[c] = 0.1;
    });
    for (let c = 0; c < 10; c++) acc[c] = Math.min(1, Math.max(0, acc[c]! + 0.03 * rng.normal()));
    // The end-point CE carries the last steps' Adam noise (σ ≈ 0.015 measured at the paper's
    // settings); the last-epoch mean, the authors' Train_Loss, does not.
    const end = ce + 0.015 * rng.normal();
    return {
      beta, direction: 1 as const, refined: 0 as const, trainLoss: end, epochLoss: ce, objective: ce, testLoss: ce,
      testError: 1 - acc.reduce((s, a) => s + a, 0) / 10, r: 10 * Math.exp(-beta / 0.03), epochs: 5,
      lambdaMin: NaN, lambdaMaxAbs: NaN, classAccuracy: acc,
    };
  });
}

const config = parseL2SweepConfig({
  data: { source: 'gaussian-mixture', d: 2, nClasses: 10 }, model: { sizes: [2, 10] }, betas: [0.1],
});
const classes = Array.from({ length: 10 }, (_, i) => i);

test('five jumps over a noisy smooth rise: exactly five transitions at the right β, with the classes lost', () => {
  for (const seed of [1, 2, 3]) {
    const tr = transitions(sweep(seed, true), config, classes);
    assert.equal(tr.length, 5, `seed ${seed}: ${tr.map((t) => t.beta_c.toFixed(4)).join(', ')}`);
    tr.forEach((t, i) => {
      assert.ok(Math.abs(t.beta_c - JUMPS[i]!) <= 0.004, `seed ${seed}: β_c ${t.beta_c} vs ${JUMPS[i]}`);
      assert.ok(t.z >= 10 && t.ci[0] > 0, `seed ${seed}: z ${t.z}, CI ${t.ci}`);
      assert.ok(Math.abs(t.size - SIZES[i]!) < 0.02, `size ${t.size} vs ${SIZES[i]}`);
      assert.deepEqual([...t.classes_lost].sort(), [...LOST[i]!].sort());
      assert.deepEqual([...t.classes_lost_since_previous].sort(), [...LOST[i]!].sort());
    });
  }
});

test('the end-point CE, 6× noisier, does not resolve the five jumps at z = 10: the order parameter is the epoch mean', () => {
  const end = parseL2SweepConfig({ ...config, orderParameter: 'end' });
  assert.equal(config.orderParameter, 'epoch');
  for (const seed of [1, 2, 3]) assert.ok(transitions(sweep(seed, true), end, classes).length < 5);
});

test('a smooth decline with noise has no transition (every grid step used to count)', () => {
  for (const seed of [1, 2, 3, 4]) assert.deepEqual(transitions(sweep(seed, false), config, classes), []);
  // A steep noisy ramp has none either; one step of 12 σ on it is one transition.
  const rng = Rng.stream(9);
  const ramp = Array.from({ length: 100 }, (_, i) => 3 * i + 0.01 * rng.normal());
  assert.deepEqual(significantJumps(ramp), []);
  ramp.forEach((_, i) => { if (i >= 50) ramp[i]! += 0.012 * 12 * Math.SQRT2; });
  const one = significantJumps(ramp);
  assert.equal(one.length, 1);
  assert.equal(one[0]!.first, 50);
});

test('replica spread: mean ± sd of β_c when replicas agree; no power from one replica', () => {
  assert.equal(replicaSpread([[0.025]])['power'], 'none');
  const s = replicaSpread([[0.025, 0.037], [0.026, 0.038], [0.024, 0.036]]);
  assert.deepEqual((s['beta_c_mean'] as number[]).map((v) => Number(v.toFixed(6))), [0.025, 0.037]);
  assert.ok(Math.abs((s['beta_c_sd'] as number[])[0]! - 0.001) < 1e-12);
  assert.equal(replicaSpread([[0.025], [0.025, 0.03]])['agree'], false);
});

test('running median (the report\'s class-accuracy lines on long ladders): keeps a step, drops a one-point flicker', () => {
  const q = [0.9, 0.9, 0.1, 0.9, 0.9, 0.9, 0, 0, 0, 0, 1, 0, 0];
  assert.deepEqual([...runningMedian(q, 2)], [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...runningMedian([3, 1, 2], 0)], [3, 1, 2]);
});
