/**
 * Networks as sequences of layers: exact gradient and exact Hessian-vector product (R-operator through
 * conv, pools, flatten, activations) against central finite differences in float64 for every layer
 * type and a full conv1020relu net; float32 against float64; the dense fast path against the general
 * engine; the forward pass against a hand-computed case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as backends from '../src/core/backends/index.js';
import { getBackend } from '../src/core/backends/index.js';
import { Rng } from '../src/core/rng.js';
import type { LossKind } from '../src/landscapes/mlp/loss.js';
import type { MlpData } from '../src/landscapes/mlp/network.js';
import { createNetwork, SequentialLandscape, parseSpec, type Network } from '../src/landscapes/network/index.js';
import { relErr } from './network-helpers.js';

function randomData(rng: Rng, n: number, d: number, C: number, withTargets = false): MlpData {
  const x = new Float64Array(n * d);
  rng.fillNormal(x);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = rng.int(C);
  let targets: Float64Array | null = null;
  if (withTargets) {
    targets = new Float64Array(n * C);
    rng.fillNormal(targets);
  }
  return { x, y, targets, n };
}

interface Case { spec: string; input: number[]; loss: LossKind; classes: number; l2?: number; targets?: boolean }

const cases: Case[] = [
  { spec: 'dense(4)-tanh-dense(3)', input: [6], loss: 'ce', classes: 3 },
  { spec: 'conv(3,3)-flatten-dense(3)', input: [2, 6, 6], loss: 'ce', classes: 3 },
  { spec: 'conv(3,3,2,1)-tanh-flatten-dense(3)', input: [2, 7, 6], loss: 'ce', classes: 3 },
  { spec: 'conv(2,3)-maxpool(2)-flatten-dense(3)', input: [1, 7, 7], loss: 'ce', classes: 3 },
  { spec: 'maxpool(3,2)-conv(2,2)-relu-flatten-dense(3)', input: [2, 8, 7], loss: 'mse', classes: 3 },
  { spec: 'conv(2,3)-avgpool(2)-sigmoid-flatten-dense(3)', input: [1, 7, 7], loss: 'mse', classes: 3, targets: true },
  { spec: 'avgpool(2,1)-conv(2,2,1,1)-linear-flatten-dense(3)-sigmoid', input: [2, 5, 5], loss: 'mse', classes: 3 },
  { spec: 'conv(3,3)-maxpool(2)-relu-conv(4,2)-relu-flatten-dense(5)-relu-dense(3)', input: [1, 9, 9], loss: 'ce', classes: 3, l2: 0.05 },
  { spec: 'conv(3,3,1,1)-tanh-conv(2,3)-flatten-dense(3)', input: [1, 5, 5], loss: 'hinge', classes: 3 },
];

function build(c: Case, seed: number, precision: 'f32' | 'f64' = 'f64', general = true, n = 7) {
  const rng = Rng.stream(seed, 1);
  const d = c.input.reduce((a, b) => a * b, 1);
  const data = randomData(rng, n, d, c.classes, c.targets);
  const land = createNetwork({
    model: c.spec, inputShape: c.input, loss: c.loss, precision, l2: c.l2 ?? 0, chunk: 3,
    backend: getBackend('reference'), general,
  }, data);
  const theta = land.newConfig();
  land.initialise(theta, Rng.stream(seed, 2));
  // Move off the initialisation a bit so biases and weights are all generic.
  const noise = new Float64Array(land.dim);
  rng.fillNormal(noise, 0.1);
  for (let i = 0; i < land.dim; i++) theta[i] = theta[i]! + noise[i]!;
  return { land, theta, rng };
}

/** Central differences of E along each coordinate in `coords`. */
function fdGradient(land: Network<Float64Array>, theta: Float64Array, coords: number[], eps = 1e-6): Float64Array {
  const g = new Float64Array(coords.length);
  coords.forEach((i, k) => {
    const t0 = theta[i]!;
    theta[i] = t0 + eps;
    const ep = land.energy(theta);
    theta[i] = t0 - eps;
    const em = land.energy(theta);
    theta[i] = t0;
    g[k] = (ep - em) / (2 * eps);
  });
  return g;
}

/** (∇E(θ + εv) − ∇E(θ − εv)) / 2ε. */
function fdHvp(land: Network<Float64Array>, theta: Float64Array, v: Float64Array, eps = 1e-5): Float64Array {
  const tp = land.newConfig(), tm = land.newConfig(), gp = land.newConfig(), gm = land.newConfig();
  for (let i = 0; i < land.dim; i++) {
    tp[i] = theta[i]! + eps * v[i]!;
    tm[i] = theta[i]! - eps * v[i]!;
  }
  land.gradient(tp, gp);
  land.gradient(tm, gm);
  const out = new Float64Array(land.dim);
  for (let i = 0; i < land.dim; i++) out[i] = (gp[i]! - gm[i]!) / (2 * eps);
  return out;
}

for (const [k, c] of cases.entries()) {
  const label = `${c.spec} on [${c.input.join(',')}] ${c.loss}${c.l2 ? ` l2=${c.l2}` : ''}`;

  test(`gradient = central differences (f64): ${label}`, () => {
    const { land, theta } = build(c, 10 + k);
    assert.ok(land instanceof SequentialLandscape);
    const g = land.newConfig();
    const e = land.gradient(theta, g);
    assert.ok(Math.abs(e - land.energy(theta)) < 1e-12 * Math.max(1, Math.abs(e)));
    const all = Array.from({ length: land.dim }, (_, i) => i);
    const fd = fdGradient(land as Network<Float64Array>, theta as Float64Array, all);
    const err = relErr(g, fd);
    assert.ok(err < 1e-6, `relative error ${err}`);
  });

  test(`mini-batch gradient = gradient of the batch's mean loss: ${label}`, () => {
    const { land, theta } = build(c, 10 + k);
    const g = land.newConfig();
    const batch = Int32Array.from([5, 1, 3]);
    const eb = land.batchGradient(theta, batch, g);
    // The same three samples as a landscape of their own.
    const rng = Rng.stream(10 + k, 1);
    const d = c.input.reduce((a, b) => a * b, 1);
    const data = randomData(rng, 7, d, c.classes, c.targets);
    const sub: MlpData = {
      x: Float64Array.from([...batch].flatMap((i) => [...data.x.subarray(i * d, (i + 1) * d)])),
      y: Int32Array.from([...batch].map((i) => data.y[i]!)),
      targets: data.targets ? Float64Array.from([...batch].flatMap((i) => [...data.targets!.subarray(i * c.classes, (i + 1) * c.classes)])) : null,
      n: 3,
    };
    const small = createNetwork<Float64Array>({ model: c.spec, inputShape: c.input, loss: c.loss, precision: 'f64', l2: c.l2 ?? 0, backend: getBackend('reference'), general: true }, sub);
    const g2 = small.newConfig();
    const e2 = small.gradient(theta as Float64Array, g2);
    assert.ok(Math.abs(eb - e2) < 1e-12 * Math.max(1, Math.abs(e2)));
    assert.ok(relErr(g, g2) < 1e-12);
  });

  test(`HVP (R-operator) = central differences of the gradient (f64): ${label}`, () => {
    const { land, theta, rng } = build(c, 10 + k);
    const v = land.newConfig();
    rng.fillNormal(v);
    const hv = land.newConfig();
    land.hvp(theta, v, hv);
    const fd = fdHvp(land as Network<Float64Array>, theta as Float64Array, v as Float64Array);
    const err = relErr(hv, fd);
    assert.ok(err < 1e-6, `relative error ${err}`);
  });

  test(`f32 agrees with f64: ${label}`, () => {
    const a = build(c, 10 + k, 'f64');
    const b = build(c, 10 + k, 'f32');
    const ea = a.land.energy(a.theta), eb = b.land.energy(b.theta);
    assert.ok(Math.abs(ea - eb) < 1e-5 * Math.max(1, Math.abs(ea)), `${ea} vs ${eb}`);
    const ga = a.land.newConfig(), gb = b.land.newConfig();
    a.land.gradient(a.theta, ga);
    b.land.gradient(b.theta, gb);
    assert.ok(relErr(gb, ga) < 1e-4, `gradient ${relErr(gb, ga)}`);
    const va = a.land.newConfig(), vb = b.land.newConfig();
    Rng.stream(3, k).fillNormal(va);
    vb.set(va);
    const ha = a.land.newConfig(), hb = b.land.newConfig();
    a.land.hvp(a.theta, va, ha);
    b.land.hvp(b.theta, vb, hb);
    assert.ok(relErr(hb, ha) < 1e-3, `hvp ${relErr(hb, ha)}`);
  });
}

test('conv1020relu on MNIST-shaped inputs: gradient (sampled coordinates) and HVP = central differences', () => {
  const c: Case = { spec: 'deepglass-conv1020relu', input: [1, 28, 28], loss: 'ce', classes: 10 };
  const { land, theta, rng } = build(c, 77, 'f64', true, 4);
  assert.equal(land.dim, 10 * 25 + 10 + 20 * 250 + 20 + 80 * 320 + 80 + 10 * 80 + 10);
  const g = land.newConfig();
  land.gradient(theta, g);
  // Every tensor's first and last entries, and random others.
  const coords = new Set<number>();
  for (const t of land.layout.tensors) { coords.add(t.offset); coords.add(t.offset + t.size - 1); }
  for (let i = 0; i < 40; i++) coords.add(rng.int(land.dim));
  const list = [...coords];
  const fd = fdGradient(land as Network<Float64Array>, theta as Float64Array, list);
  const err = relErr(list.map((i) => g[i]!), fd);
  assert.ok(err < 1e-6, `gradient relative error ${err}`);
  // A unit direction, so the differences stay within one linear piece of ReLU and max-pool.
  const v = land.newConfig();
  rng.fillNormal(v, 1 / Math.sqrt(land.dim));
  const hv = land.newConfig();
  land.hvp(theta, v, hv);
  const err2 = relErr(hv, fdHvp(land as Network<Float64Array>, theta as Float64Array, v as Float64Array, 1e-6));
  assert.ok(err2 < 1e-6, `HVP relative error ${err2}`);
});

test('dense-only specs take the MLP fast path and agree with the general engine', () => {
  for (const c of [
    { spec: 'flatten-dense(5)-relu-dense(4)-relu-dense(3)', input: [1, 3, 3], loss: 'ce' as const, classes: 3 },
    { spec: 'dense(5)-tanh-dense(3)-sigmoid', input: [6], loss: 'mse' as const, classes: 3 },
  ]) {
    const fast = build(c, 5, 'f64', false);
    const gen = build(c, 5, 'f64', true);
    assert.ok(!(fast.land instanceof SequentialLandscape));
    assert.deepEqual(fast.land.layout.tensors.map((t) => t.name), gen.land.layout.tensors.map((t) => t.name));
    assert.deepEqual([...fast.theta], [...gen.theta], 'same initialisation');
    assert.ok(Math.abs(fast.land.energy(fast.theta) - gen.land.energy(gen.theta)) < 1e-12);
    const ga = fast.land.newConfig(), gb = gen.land.newConfig();
    fast.land.gradient(fast.theta, ga);
    gen.land.gradient(gen.theta, gb);
    assert.ok(relErr(ga, gb) < 1e-12);
    const v = fast.land.newConfig();
    Rng.stream(1, 1).fillNormal(v);
    const ha = fast.land.newConfig(), hb = gen.land.newConfig();
    fast.land.hvp(fast.theta, v, ha);
    gen.land.hvp(gen.theta, v, hb);
    assert.ok(relErr(ha, hb) < 1e-12);
    const last = fast.land.layout.layers.length - 1;
    assert.ok(relErr(fast.land.outputs(fast.theta, last), gen.land.outputs(gen.theta, last)) < 1e-12);
  }
});

test('forward pass equals a hand-computed case (conv, padding, max- and average-pool, dense)', () => {
  // x = 1..9 on a 3×3 image; conv(1,2) with W = [[1,2],[3,4]], b = 0.5:
  //   y = [[1+4+12+20, 2+6+15+24], [4+10+21+32, 5+12+24+36]] + 0.5 = [[37.5, 47.5], [67.5, 77.5]]
  // maxpool(2) → 77.5; avgpool(2) → 57.5; dense(2) with W = [[1], [−1]], b = [0, 1] → [77.5, −76.5].
  const x = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const data: MlpData = { x, y: Int32Array.from([0]), targets: null, n: 1 };
  const theta = Float64Array.from([1, 2, 3, 4, 0.5, 1, -1, 0, 1]);
  for (const [pool, expected] of [['maxpool', 77.5], ['avgpool', 57.5]] as const) {
    const land = new SequentialLandscape<Float64Array>({ layers: parseSpec(`conv(1,2)-${pool}(2)-flatten-dense(2)`), inputShape: [1, 3, 3], loss: 'ce', precision: 'f64', backend: getBackend('reference') }, data);
    assert.deepEqual([...land.outputs(theta, 0)], [37.5, 47.5, 67.5, 77.5]);
    assert.deepEqual([...land.outputs(theta, 1)], [expected]);
    assert.deepEqual([...land.outputs(theta)], [expected, -expected + 1]);
  }
  // conv(1,2,2,1): padding 1, stride 2 on 3×3 → 2×2 outputs at input rows/cols −1 and 1.
  //   (0,0): only x[0,0]·W[1,1] = 1·4; (0,1): x[0,1]·W[1,0] + x[0,2]·W[1,1] = 2·3 + 3·4 = 18;
  //   (1,0): x[1,0]·W[0,1] + x[2,0]·W[1,1] = 4·2 + 7·4 = 36; (1,1): 5·1 + 6·2 + 8·3 + 9·4 = 77.
  const padded = new SequentialLandscape<Float64Array>({ layers: parseSpec('conv(1,2,2,1)-flatten-dense(2)'), inputShape: [1, 3, 3], loss: 'ce', precision: 'f64', backend: getBackend('reference') }, data);
  assert.deepEqual([...padded.outputs(Float64Array.from([1, 2, 3, 4, 0, ...new Array(10).fill(0)]), 0)], [4, 18, 36, 77]);
});

test('layout: nn.Sequential names, OIHW shapes, floor output sizes', () => {
  const land = build({ spec: 'deepglass-conv1020relu', input: [1, 28, 28], loss: 'ce', classes: 10 }, 1, 'f64', true, 2).land;
  assert.deepEqual(land.layout.tensors.map((t) => `${t.name}:${t.shape.join('x')}`), [
    '0.weight:10x1x5x5', '0.bias:10', '3.weight:20x10x5x5', '3.bias:20', '7.weight:80x320', '7.bias:80', '9.weight:10x80', '9.bias:10',
  ]);
  assert.deepEqual(land.layout.layers.map((l) => l.outShape.join('x')), ['10x24x24', '10x12x12', '10x12x12', '20x8x8', '20x4x4', '20x4x4', '320', '80', '80', '10']);
  const odd = build({ spec: 'maxpool(2)-avgpool(2)-flatten-dense(2)', input: [1, 7, 9], loss: 'ce', classes: 2 }, 1).land;
  assert.deepEqual(odd.layout.layers.map((l) => l.outShape.join('x')), ['1x3x4', '1x1x2', '2', '2']);
});

test('every available backend gives the same gradient and HVP through conv and pools (chunked)', () => {
  const { availableBackends } = backends;
  const c: Case = { spec: 'conv(3,3)-maxpool(2)-tanh-conv(4,2,1,1)-avgpool(2)-relu-flatten-dense(3)', input: [2, 10, 10], loss: 'ce', classes: 3 };
  const results = availableBackends().filter((b) => b.available).map((b) => {
    const rng = Rng.stream(21, 1);
    const data = randomData(rng, 9, 200, 3);
    const land = createNetwork<Float64Array>({ model: c.spec, inputShape: c.input, loss: c.loss, precision: 'f64', chunk: 4, backend: getBackend(b.name) }, data);
    const theta = land.newConfig();
    land.initialise(theta, Rng.stream(21, 2));
    const v = land.newConfig();
    rng.fillNormal(v);
    const g = land.newConfig(), hv = land.newConfig();
    land.gradient(theta, g);
    land.hvp(theta, v, hv);
    return { name: b.name, g: [...g], hv: [...hv] };
  });
  for (const r of results.slice(1)) {
    assert.ok(relErr(r.g, results[0]!.g) < 1e-12, `${r.name} gradient`);
    assert.ok(relErr(r.hv, results[0]!.hv) < 1e-12, `${r.name} HVP`);
  }
});

test('without biases (bias=False): no bias tensors, gradient and HVP = central differences', () => {
  const rng = Rng.stream(31, 1);
  const data = randomData(rng, 5, 2 * 36, 3);
  const land = createNetwork<Float64Array>({ model: 'conv(3,3)-relu-flatten-dense(4)-tanh-dense(3)', inputShape: [2, 6, 6], loss: 'ce', precision: 'f64', bias: false, backend: getBackend('reference') }, data);
  assert.deepEqual(land.layout.tensors.map((t) => t.name), ['0.weight', '3.weight', '5.weight']);
  const theta = land.newConfig();
  land.initialise(theta, Rng.stream(31, 2));
  const g = land.newConfig();
  land.gradient(theta, g);
  assert.ok(relErr(g, fdGradient(land, theta, Array.from({ length: land.dim }, (_, i) => i))) < 1e-6);
  const v = land.newConfig();
  rng.fillNormal(v);
  const hv = land.newConfig();
  land.hvp(theta, v, hv);
  assert.ok(relErr(hv, fdHvp(land, theta, v)) < 1e-6);
});
