/**
 * The generalised Gauss–Newton product of layer-spec networks, G·v = J_fᵀ H_ℓ J_f v: against the
 * matrix built explicitly from a Jacobian J_f of the network outputs by central differences (f64) on
 * small conv nets with max- and average-pool, dense layers and ReLU/tanh/sigmoid; G = H for MSE at
 * zero residual; the layer engine against the MLP engine on an MLP spec; f32 against f64; vᵀGv ≥ 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../src/core/backends/index.js';
import { Rng } from '../src/core/rng.js';
import type { LossKind } from '../src/landscapes/mlp/loss.js';
import type { MlpData } from '../src/landscapes/mlp/network.js';
import { createNetwork, SequentialLandscape, type Network } from '../src/landscapes/network/index.js';
import { relErr } from './network-helpers.js';

interface Case { spec: string; input: number[]; loss: LossKind; classes: number; targets?: boolean; l2?: number }

const cases: Case[] = [
  { spec: 'conv(2,3)-maxpool(2)-relu-conv(3,2)-avgpool(2)-tanh-flatten-dense(4)-sigmoid-dense(3)', input: [1, 9, 9], loss: 'ce', classes: 3 },
  { spec: 'conv(2,2,1,1)-avgpool(2)-sigmoid-flatten-dense(5)-relu-dense(3)', input: [2, 6, 5], loss: 'mse', classes: 3, targets: true, l2: 0.03 },
  { spec: 'maxpool(2,1)-conv(2,3)-tanh-flatten-dense(3)-sigmoid', input: [1, 6, 6], loss: 'mse', classes: 3 },
];

function data(rng: Rng, n: number, d: number, C: number, targets: boolean): MlpData {
  const x = new Float64Array(n * d);
  rng.fillNormal(x);
  const y = Int32Array.from({ length: n }, () => rng.int(C));
  let t: Float64Array | null = null;
  if (targets) {
    t = new Float64Array(n * C);
    rng.fillNormal(t);
  }
  return { x, y, targets: t, n };
}

function build(c: Case, seed: number, precision: 'f32' | 'f64' = 'f64', d?: MlpData) {
  const rng = Rng.stream(seed, 1);
  const samples = d ?? data(rng, 6, c.input.reduce((a, b) => a * b, 1), c.classes, !!c.targets);
  const land = createNetwork({ model: c.spec, inputShape: c.input, loss: c.loss, precision, l2: c.l2 ?? 0, chunk: 4, backend: getBackend('reference') }, samples);
  const theta = land.newConfig();
  land.initialise(theta, Rng.stream(seed, 2));
  const noise = new Float64Array(land.dim);
  Rng.stream(seed, 3).fillNormal(noise, 0.1);
  for (let i = 0; i < land.dim; i++) theta[i] = theta[i]! + noise[i]!;
  return { land, theta, samples };
}

/** J_f v by central differences of the outputs: column j of J_f is (f(θ + εe_j) − f(θ − εe_j))/2ε. */
function fdJacobian(land: Network<Float64Array>, theta: Float64Array, eps = 1e-5): Float64Array[] {
  const cols: Float64Array[] = [];
  for (let j = 0; j < land.dim; j++) {
    const t0 = theta[j]!;
    theta[j] = t0 + eps;
    const fp = land.outputs(theta);
    theta[j] = t0 - eps;
    const fm = land.outputs(theta);
    theta[j] = t0;
    cols.push(fp.map((v, i) => (v - fm[i]!) / (2 * eps)));
  }
  return cols;
}

/** (1/n) Σ_μ J_μᵀ H_μ J_μ v (+ 2λv) from explicit Jacobian columns: softmax CE diag p − ppᵀ, MSE (2/C)·I. */
function explicitGv(land: Network<Float64Array>, theta: Float64Array, J: Float64Array[], v: Float64Array, c: Case): Float64Array {
  const f = land.outputs(theta);
  const n = land.nSamples, C = c.classes, P = land.dim;
  const jv = new Float64Array(n * C);
  for (let j = 0; j < P; j++) for (let i = 0; i < n * C; i++) jv[i] = jv[i]! + J[j]![i]! * v[j]!;
  const hjv = new Float64Array(n * C);
  for (let s = 0; s < n; s++) {
    const o = s * C;
    if (c.loss === 'mse') {
      for (let k = 0; k < C; k++) hjv[o + k] = (2 / C) * jv[o + k]! / n;
      continue;
    }
    let m = -Infinity;
    for (let k = 0; k < C; k++) m = Math.max(m, f[o + k]!);
    const e = Array.from({ length: C }, (_, k) => Math.exp(f[o + k]! - m));
    const z = e.reduce((a, b) => a + b, 0);
    const p = e.map((x) => x / z);
    const pv = p.reduce((a, pk, k) => a + pk * jv[o + k]!, 0);
    for (let k = 0; k < C; k++) hjv[o + k] = (p[k]! * jv[o + k]! - p[k]! * pv) / n;
  }
  const out = new Float64Array(P);
  for (let j = 0; j < P; j++) {
    let s = 0;
    for (let i = 0; i < n * C; i++) s += J[j]![i]! * hjv[i]!;
    out[j] = s + 2 * (c.l2 ?? 0) * v[j]!;
  }
  return out;
}

for (const [k, c] of cases.entries()) {
  const label = `${c.spec} ${c.loss}${c.l2 ? ` l2=${c.l2}` : ''}`;

  test(`G·v = J_fᵀ H_ℓ J_f v with J_f by central differences (f64): ${label}`, () => {
    const { land, theta } = build(c, 40 + k);
    assert.ok(land instanceof SequentialLandscape);
    const J = fdJacobian(land as Network<Float64Array>, theta as Float64Array);
    for (let r = 0; r < 3; r++) {
      const v = land.newConfig() as Float64Array;
      Rng.stream(50 + k, r).fillNormal(v);
      const gv = land.newConfig();
      land.gnvp(theta, v, gv);
      const err = relErr(gv, explicitGv(land as Network<Float64Array>, theta as Float64Array, J, v, c));
      assert.ok(err <= 1e-6, `relative error ${err}`);
      // Positive semi-definite (λ‖v‖² ≥ 0 added with L2).
      let vgv = 0;
      for (let i = 0; i < land.dim; i++) vgv += v[i]! * gv[i]!;
      assert.ok(vgv >= 0, `vᵀGv = ${vgv}`);
    }
  });

  test(`G·v in f32 agrees with f64: ${label}`, () => {
    const a = build(c, 40 + k, 'f64');
    const b = build(c, 40 + k, 'f32');
    const va = a.land.newConfig(), vb = b.land.newConfig();
    Rng.stream(60, k).fillNormal(va);
    vb.set(va);
    const ga = a.land.newConfig(), gb = b.land.newConfig();
    a.land.gnvp(a.theta, va, ga);
    b.land.gnvp(b.theta, vb, gb);
    const err = relErr(gb, ga);
    assert.ok(err < 1e-4, `relative error ${err}`);
  });
}

test('MSE at zero residual: G = H (the residual term Σ r ∂²f vanishes), conv net with a linear output', () => {
  const c: Case = { spec: 'conv(2,3)-maxpool(2)-tanh-flatten-dense(4)-relu-dense(3)', input: [1, 8, 8], loss: 'mse', classes: 3, targets: true };
  const first = build(c, 70);
  // Targets = the network's own outputs at θ: zero residual.
  const targets = first.land.outputs(first.theta);
  const { land, theta } = build(c, 70, 'f64', { ...first.samples, targets });
  assert.ok(land.energy(theta) < 1e-28);
  for (let r = 0; r < 3; r++) {
    const v = land.newConfig();
    Rng.stream(71, r).fillNormal(v);
    const hv = land.newConfig(), gv = land.newConfig();
    land.hvp(theta, v, hv);
    land.gnvp(theta, v, gv);
    const err = relErr(gv, hv);
    assert.ok(err < 1e-12, `relative difference ${err}`);
  }
});

test('an MLP spec: the layer engine\'s G·v equals the MLP engine\'s to 1e-12 (CE and MSE, with L2)', () => {
  for (const loss of ['ce', 'mse'] as const) {
    const rng = Rng.stream(80, 1);
    const d = data(rng, 9, 6, 4, false);
    const opts = { model: 'dense(5)-tanh-dense(4)', inputShape: [6], loss, precision: 'f64' as const, l2: 0.02, chunk: 4, backend: getBackend('reference') };
    const mlp = createNetwork<Float64Array>(opts, d);
    const seq = createNetwork<Float64Array>({ ...opts, general: true }, d);
    assert.ok(seq instanceof SequentialLandscape && !(mlp instanceof SequentialLandscape));
    const theta = mlp.newConfig();
    mlp.initialise(theta, Rng.stream(80, 2));
    const v = mlp.newConfig();
    rng.fillNormal(v);
    const a = mlp.newConfig(), b = seq.newConfig();
    mlp.gnvp(theta, v, a);
    seq.gnvp(theta, v, b);
    const err = relErr(b, a);
    assert.ok(err < 1e-12, `${loss}: relative difference ${err}`);
  }
});

test('hinge loss: G = 0 (piecewise-linear loss, no output curvature)', () => {
  const c: Case = { spec: 'conv(2,3)-relu-flatten-dense(3)', input: [1, 5, 5], loss: 'hinge', classes: 3 };
  const { land, theta } = build(c, 90);
  const v = land.newConfig();
  Rng.stream(91, 0).fillNormal(v);
  const gv = land.newConfig();
  gv.fill(1);
  land.gnvp(theta, v, gv);
  assert.ok(gv.every((x) => x === 0));
});
