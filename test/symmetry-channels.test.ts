/**
 * Channel permutations of convolutional networks: a permuted net computes the same function, weight
 * matching and activation matching recover a planted channel permutation, and on a dense network the
 * channel group is the hidden-unit group of permutation.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../src/core/backends/index.js';
import { Rng } from '../src/core/rng.js';
import { mlpLayout } from '../src/landscapes/mlp/layout.js';
import { createNetwork } from '../src/landscapes/network/index.js';
import {
  activationMatchingNetwork, channelLayers, channelWidths, invertPermutations, permuteNetwork, permuteParameters,
  randomChannelPermutations, weightMatchingNetwork,
} from '../src/symmetry/index.js';

function net(spec: string, input: number[], seed = 1, n = 6) {
  const rng = Rng.stream(seed, 1);
  const d = input.reduce((a, b) => a * b, 1);
  const x = new Float64Array(n * d);
  rng.fillNormal(x);
  const y = Int32Array.from({ length: n }, (_, i) => i % 3);
  const land = createNetwork<Float64Array>({ model: spec, inputShape: input, loss: 'ce', precision: 'f64', backend: getBackend('reference'), general: true }, { x, y, targets: null, n });
  const theta = land.newConfig();
  land.initialise(theta, Rng.stream(seed, 2));
  return { land, theta };
}

const SPEC = 'conv(4,3)-maxpool(2)-relu-conv(5,2)-relu-flatten-dense(6)-tanh-dense(3)';
const INPUT = [2, 10, 10];

test('channel groups: conv filters, conv input channels, the flatten blocks of the dense layer after it', () => {
  const { land } = net(SPEC, INPUT);
  const layers = channelLayers(land.layout);
  assert.deepEqual(layers.map((c) => [c.token, c.out, c.inGroups, c.block]), [[0, 4, 2, 9], [3, 5, 4, 4], [6, 6, 5, 9], [8, 3, 6, 1]]);
  assert.deepEqual(channelWidths(land.layout), [4, 5, 6]);
  assert.deepEqual(layers.map((c) => c.probeToken), [2, 4, 7, 8]);
});

test('a randomly channel-permuted network has identical outputs and loss', () => {
  const { land, theta } = net(SPEC, INPUT);
  const perms = randomChannelPermutations(land.layout, Rng.stream(5, 5));
  const p = permuteNetwork(land.layout, theta, perms);
  assert.ok(p.some((v, i) => v !== theta[i]), 'the permutation moved parameters');
  const a = land.outputs(theta), b = land.outputs(p);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-12);
  assert.ok(Math.abs(land.energy(theta) - land.energy(p)) < 1e-12);
  // Undoing it restores θ exactly.
  assert.deepEqual([...permuteNetwork(land.layout, p, invertPermutations(perms))], [...theta]);
});

test('weight matching recovers a planted channel permutation', () => {
  const { land, theta } = net(SPEC, INPUT, 3);
  const perms = randomChannelPermutations(land.layout, Rng.stream(7, 7));
  const thetaB = permuteNetwork(land.layout, theta, perms);
  const r = weightMatchingNetwork(land.layout, theta, thetaB);
  assert.ok(r.converged);
  assert.deepEqual([...r.aligned], [...theta]);
  r.perms.forEach((p, h) => assert.deepEqual([...p], [...invertPermutations(perms)[h]!]));
});

test('activation matching recovers a planted channel permutation', () => {
  const { land, theta } = net(SPEC, INPUT, 4, 20);
  const perms = randomChannelPermutations(land.layout, Rng.stream(8, 8));
  const thetaB = permuteNetwork(land.layout, theta, perms);
  const groups = channelLayers(land.layout);
  const r = activationMatchingNetwork(land.layout, theta, thetaB, (t, h) => land.outputs(t as Float64Array, groups[h]!.probeToken));
  assert.deepEqual([...r.aligned], [...theta]);
  // Matched correlations are 1, except for channels dead on the whole probe (correlation 0 by convention).
  for (const m of r.matched) assert.ok(m > 0.5, `matched ${m}`);
});

test('on a dense network the channel group is the hidden-unit group (same θ layout as the MLP)', () => {
  const { land, theta } = net('dense(5)-relu-dense(4)-relu-dense(3)', [6]);
  const perms = randomChannelPermutations(land.layout, Rng.stream(2, 2));
  const mlp = mlpLayout({ sizes: [6, 5, 4, 3], activation: 'relu', bias: true });
  assert.deepEqual([...permuteNetwork(land.layout, theta, perms)], [...permuteParameters(mlp, theta, perms)]);
});
