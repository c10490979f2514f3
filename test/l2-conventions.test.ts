/**
 * The two L2 conventions of Ersoy et al. (arXiv:2512.11866): their main sweep runs
 * torch.optim.Adam(weight_decay=β) — βθ added to the gradient before the moments (coupled, not
 * AdamW) — and their path finder adds β‖θ − θ_ref‖² to the loss. One Adam step in the
 * weight-decay form must equal one step with the penalty β/2, and torch's update computed by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../src/core/backends/index.js';
import { Rng } from '../src/core/rng.js';
import { createOptimizer } from '../src/dynamics/optimizers.js';
import { penaltyCoefficient } from '../src/landscapes/l2form.js';
import { MlpLandscape } from '../src/landscapes/mlp/network.js';
import { replicaSetup } from '../src/landscapes/from-config.js';
import { parseTrainConfig } from '../src/protocols/train.js';
import { parseL2SweepConfig } from '../src/protocols/l2sweep.js';

const arch = { sizes: [5, 4, 3], activation: 'sigmoid' as const, bias: true, output: 'linear' as const };

function landscape(l2: number): MlpLandscape<Float64Array> {
  const rng = Rng.stream(11);
  const n = 16;
  const x = Float64Array.from({ length: n * 5 }, () => rng.normal());
  const y = Int32Array.from({ length: n }, (_, i) => i % 3);
  return new MlpLandscape<Float64Array>({ arch, loss: 'ce', precision: 'f64', backend: getBackend('reference'), l2 }, { x, y, n });
}

test('one Adam step with weight decay β = one step with the penalty β/2 = torch.optim.Adam by hand (f64)', () => {
  const beta = 0.3, lr = 1.5e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const plain = landscape(0);
  const theta0 = plain.newConfig();
  plain.initialise(theta0, Rng.stream(3), 'pytorch');
  const batch = Int32Array.from({ length: 16 }, (_, i) => i);

  const step = (l2: number): Float64Array => {
    const land = landscape(l2);
    const theta = Float64Array.from(theta0);
    const g = land.newConfig();
    land.batchGradient(theta, batch, g);
    createOptimizer({ kind: 'adam', lr, beta1: b1, beta2: b2, eps }, land.dim, theta, Rng.stream(0)).step(theta, g);
    return theta;
  };
  const wd = step(penaltyCoefficient(beta, 'weight-decay'));
  const half = step(beta / 2);

  // torch.optim.Adam, weight_decay=β, first step: g ← ∇CE + βθ; m = (1−β1)g; v = (1−β2)g²;
  // θ ← θ − lr/(1−β1) · m / (√v/√(1−β2) + ε).
  const g = plain.newConfig();
  plain.batchGradient(theta0, batch, g);
  const hand = new Float64Array(theta0.length);
  for (let i = 0; i < hand.length; i++) {
    const gi = g[i]! + beta * theta0[i]!;
    const m = (1 - b1) * gi, v = (1 - b2) * gi * gi;
    hand[i] = theta0[i]! - (lr / (1 - b1)) * m / (Math.sqrt(v) / Math.sqrt(1 - b2) + eps);
  }
  for (let i = 0; i < hand.length; i++) {
    assert.ok(Math.abs(wd[i]! - half[i]!) <= 1e-15, `weight decay vs penalty β/2 at ${i}`);
    assert.ok(Math.abs(wd[i]! - hand[i]!) <= 1e-12, `weight decay vs torch by hand at ${i}: ${wd[i]} vs ${hand[i]}`);
  }
  // The penalty form with the same β is a different dynamics (twice the pull).
  const pen = step(penaltyCoefficient(beta, 'penalty'));
  assert.ok(pen.some((v, i) => Math.abs(v - wd[i]!) > 1e-9));
});

test('train and l2sweep carry the form: the landscape holds β/2 for weight decay, β for the penalty', () => {
  const data = { source: 'gaussian-mixture', d: 5, nClasses: 3, nTrain: 30, nTest: 30 } as const;
  const model = { sizes: [5, 4, 3] };
  assert.equal(replicaSetup(parseTrainConfig({ data, model, l2: 0.02, l2Form: 'weight-decay' }), 0, 0).train.l2, 0.01);
  assert.equal(replicaSetup(parseTrainConfig({ data, model, l2: 0.02 }), 0, 0).train.l2, 0.02);
  // The main sweep's default is the paper's weight-decay axis.
  assert.equal(parseL2SweepConfig({ data, model, betas: [0, 0.01] }).l2Form, 'weight-decay');
});
