/**
 * Flatness measures on a landscape whose answers are known in closed form (a quadratic bowl),
 * and the rank correlations on hand-computed data (ties included; SciPy's kendalltau / spearmanr
 * give the same numbers).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GlassyError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import type { TwiceDifferentiable } from '../src/landscapes/landscape.js';
import { averageRanks, bootstrapCi, kendallTauB, quantileSorted, spearman } from '../src/observables/correlation.js';
import { epsilonSharpness, hessianTrace, localEntropy, logSumExp, logVolume, topEigenvalues } from '../src/observables/flatness.js';

/** E(θ) = ½ Σ a_i θ_i²: H = diag(a). */
class Bowl implements TwiceDifferentiable<Float64Array> {
  readonly name = 'bowl';
  readonly geometry = 'euclidean' as const;
  readonly dim: number;
  constructor(readonly a: Float64Array) { this.dim = a.length; }
  newConfig(): Float64Array { return new Float64Array(this.dim); }
  energy(x: Float64Array): number { let s = 0; for (let i = 0; i < this.dim; i++) s += 0.5 * this.a[i]! * x[i]! ** 2; return s; }
  gradient(x: Float64Array, g: Float64Array): number { for (let i = 0; i < this.dim; i++) g[i] = this.a[i]! * x[i]!; return this.energy(x); }
  hvp(_x: Float64Array, v: Float64Array, out: Float64Array): void { for (let i = 0; i < this.dim; i++) out[i] = this.a[i]! * v[i]!; }
}

test('λ_max, Hutchinson trace (exact for a diagonal H with Rademacher probes) and log-volume of a quadratic bowl', () => {
  const a = Float64Array.from([5, 3, 1, 0.5, 0.25, 0]);
  const bowl = new Bowl(a);
  const theta = bowl.newConfig();
  const top = topEigenvalues(bowl, theta, { k: 2, tol: 1e-12 });
  assert.ok(Math.abs(top.values[0]! - 5) < 1e-12 && Math.abs(top.values[1]! - 3) < 1e-12);
  const tr = hessianTrace(bowl, theta, 10);
  // vᵀ diag(a) v = Σ a_i v_i² = Σ a_i for every Rademacher v: zero variance.
  assert.ok(Math.abs(tr.trace - 9.75) < 1e-12 && tr.se < 1e-12);
  assert.ok(Math.abs(logVolume([5, 3, -2], 1) - (Math.log(6) + Math.log(4))) < 1e-14, 'negative curvature clipped');
  assert.throws(() => logVolume([1], 0), GlassyError);
});

test("Keskar et al.'s ε-sharpness of a bowl: the ascent reaches the box corner, 100·(max L − L)/(1 + L)", () => {
  const a = Float64Array.from([4, 2, 1]);
  const bowl = new Bowl(a);
  const theta = Float64Array.from([1, -1, 0.5]);
  const eps = 1e-2;
  const s = epsilonSharpness(bowl, theta, { epsilon: eps, steps: 10 });
  // The maximum over the box |y_i| ≤ ε(|θ_i| + 1) is at y_i = sign(θ_i)·ε(|θ_i| + 1).
  const x = theta.map((t) => t + Math.sign(t) * eps * (Math.abs(t) + 1));
  const L = bowl.energy(theta), M = bowl.energy(Float64Array.from(x));
  assert.ok(Math.abs(s.loss - L) < 1e-15);
  assert.ok(Math.abs(s.maxLoss - M) < 1e-12, `max ${s.maxLoss} vs ${M}`);
  assert.ok(Math.abs(s.sharpness - (100 * (M - L)) / (1 + L)) < 1e-10);
  assert.throws(() => epsilonSharpness(bowl, theta, { epsilon: -1 }), (e: unknown) => e instanceof GlassyError && e.field === 'epsilon');
});

test('local entropy of a bowl: log E exp(−βL(θ+δ)), δ ~ N(0, 1/γ), equals −½ Σ log(1 + βa_i/γ) (±0.02 with 20 000 samples)', () => {
  const a = Float64Array.from([4, 2, 1, 0.5]);
  const bowl = new Bowl(a);
  const gamma = 2, beta = 1;
  const le = localEntropy(bowl, bowl.newConfig(), { gamma, beta, samples: 20000, rng: Rng.stream(1, 1) });
  let exact = 0;
  for (const ai of a) exact -= 0.5 * Math.log(1 + (beta * ai) / gamma);
  assert.ok(Math.abs(le.entropy - exact) < 0.02, `F̂ ${le.entropy} vs ${exact}`);
  assert.equal(le.entropyGap, le.entropy); // L(θ) = 0 at the bottom
  // ⟨L(θ+δ)⟩ − L(θ) = ½ Σ a_i/γ exactly in expectation.
  assert.ok(Math.abs(le.meanRise - 0.5 * 7.5 / gamma) < 0.05, `mean rise ${le.meanRise}`);
  assert.ok(Math.abs(logSumExp([1000, 1000]) - (1000 + Math.LN2)) < 1e-12, 'log-sum-exp does not overflow');
});

test('Spearman and Kendall τ-b with ties against hand-computed values', () => {
  // x = [1,2,2,3], y = [1,3,2,2]: pairs C C C (x-tie) D (y-tie): τ_b = (3 − 1)/√((6 − 1)(6 − 1)) = 0.4;
  // ranks x [1, 2.5, 2.5, 4], y [1, 4, 2.5, 2.5]: ρ = 2.25/4.5 = 0.5.
  assert.deepEqual(Array.from(averageRanks([1, 2, 2, 3])), [1, 2.5, 2.5, 4]);
  assert.ok(Math.abs(kendallTauB([1, 2, 2, 3], [1, 3, 2, 2]) - 0.4) < 1e-15);
  assert.ok(Math.abs(spearman([1, 2, 2, 3], [1, 3, 2, 2]) - 0.5) < 1e-15);
  // SciPy: kendalltau = 0.16051447078102563, spearmanr = 0.19885368120992467.
  const x = [3, 1, 4, 1, 5, 9, 2, 6], y = [2, 7, 1, 8, 2, 8, 1, 8];
  assert.ok(Math.abs(kendallTauB(x, y) - 0.16051447078102563) < 1e-14);
  assert.ok(Math.abs(spearman(x, y) - 0.19885368120992467) < 1e-14);
  assert.equal(kendallTauB([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  assert.ok(Number.isNaN(kendallTauB([1, 1, 1], [1, 2, 3])), 'undefined when one variable is constant');
  assert.throws(() => spearman([1, 2], [1]), GlassyError);
  assert.throws(() => kendallTauB([1, NaN], [1, 2]), GlassyError);
});

test('percentile bootstrap: deterministic by seed, brackets the estimate, and is narrow for a strong monotone relation', () => {
  const r = Rng.stream(3, 1);
  const x = Float64Array.from({ length: 40 }, () => r.normal());
  const y = x.map((v) => v + 0.3 * r.normal());
  const a = bootstrapCi(x, y, kendallTauB, { resamples: 500, rng: Rng.stream(9, 1) });
  const b = bootstrapCi(x, y, kendallTauB, { resamples: 500, rng: Rng.stream(9, 1) });
  assert.deepEqual(a, b);
  assert.ok(a.lo <= a.estimate && a.estimate <= a.hi && a.lo > 0.5 && a.hi <= 1, JSON.stringify(a));
  assert.equal(quantileSorted([0, 1, 2, 3], 0.5), 1.5);
  assert.throws(() => bootstrapCi(x, y, spearman, { level: 1 }), (e: unknown) => e instanceof GlassyError && e.field === 'level');
});
