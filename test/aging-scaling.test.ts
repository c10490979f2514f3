/**
 * Scaling analysis (observables/scaling.ts) on synthetic data with known exponents.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GlassyError } from '../src/core/errors.js';
import { Rng, Stream } from '../src/core/rng.js';
import { logList } from '../src/observables/aging.js';
import { agingCollapse, fitPowerLaw } from '../src/observables/scaling.js';

test('fitPowerLaw recovers α and A exactly without noise, and within its error bar with noise', () => {
  const x = logList(1, 1e4, 30).slice(1);
  const exact = fitPowerLaw(x, x.map((v) => 3 * v ** 0.7));
  assert.ok(Math.abs(exact.alpha - 0.7) < 1e-12);
  assert.ok(Math.abs(exact.prefactor - 3) < 1e-10);
  assert.ok(exact.alphaSE < 1e-12 && exact.r2 > 1 - 1e-12);
  // Log-normal noise of 5%: the OLS slope's standard error is σ/√Sxx; over 40 noise draws the
  // estimate must scatter around 0.7 with that spread. Checks: each |α − 0.7| < 4·SE, the mean
  // is within 4·SE/√40, and the reported SE agrees with the observed scatter within 35%.
  const rng = Rng.stream(1, Stream.probe, 0);
  const alphas: number[] = [];
  let seSum = 0;
  for (let r = 0; r < 40; r++) {
    const f = fitPowerLaw(x, x.map((v) => 3 * v ** 0.7 * Math.exp(0.05 * rng.normal())));
    assert.ok(Math.abs(f.alpha - 0.7) < 4 * f.alphaSE, `α = ${f.alpha} ± ${f.alphaSE}`);
    alphas.push(f.alpha);
    seSum += f.alphaSE;
  }
  const m = alphas.reduce((a, b) => a + b) / alphas.length;
  const sd = Math.sqrt(alphas.reduce((a, b) => a + (b - m) ** 2, 0) / (alphas.length - 1));
  const se = seSum / alphas.length;
  assert.ok(Math.abs(m - 0.7) < (4 * se) / Math.sqrt(40));
  assert.ok(Math.abs(sd / se - 1) < 0.35, `observed scatter ${sd} vs reported SE ${se}`);
});

test('fitPowerLaw uses only the window: a crossover from t^0.5 to t^1 gives α = 1 beyond it', () => {
  const x = logList(1, 1e5, 60).slice(1);
  const y = x.map((v) => (v < 100 ? v ** 0.5 * 10 : v));
  const f = fitPowerLaw(x, y, { xMin: 200, xMax: 1e5 });
  assert.ok(Math.abs(f.alpha - 1) < 1e-12);
  const g = fitPowerLaw(x, y, { xMax: 90 });
  assert.ok(Math.abs(g.alpha - 0.5) < 1e-12);
  assert.throws(() => fitPowerLaw([1, 2], [1, 2], { xMin: 5 }), (e: unknown) => e instanceof GlassyError && /^points: got 0/.test(e.message));
});

/** A [ntw, nt] matrix y(tw, tw+t) = f(t/tw^μ) (times a tw-dependent factor for Δ-like data). */
function synthetic(tw: number[], t: number[], f: (x: number, tw: number) => number, mu: number, noise = 0, seed = 0): Float64Array {
  const rng = Rng.stream(seed, Stream.probe, 1);
  const out = new Float64Array(tw.length * t.length);
  tw.forEach((w, i) => t.forEach((s, j) => {
    out[i * t.length + j] = f(s / Math.pow(w, mu), w) * (1 + noise * rng.normal());
  }));
  return out;
}

test('agingCollapse recovers μ of C(tw, tw+t) = f(t/tw^μ): TTI, subaging, simple aging, superaging', () => {
  // Exact data: the only error is linear interpolation between grid points in ln(t/tw^μ), which
  // biases μ by < 0.01 on this grid (40 lags over 5 decades); tolerance 0.02.
  const tw = logList(10, 1e4, 6).slice(1);
  const t = logList(1, 1e6, 40);
  const f = (x: number): number => Math.pow(1 + x, -0.6);
  for (const [mu, regime] of [[0, 'time-translation invariant'], [0.5, 'subaging'], [0.8, 'subaging'], [1, 'simple aging'], [1.3, 'superaging']] as const) {
    const c = agingCollapse(tw, t, synthetic(tw, t, f, mu));
    assert.ok(Math.abs(c.mu - mu) < 0.02, `μ = ${c.mu}, true ${mu}`);
    assert.equal(c.regime, regime);
    assert.equal(c.curves, tw.length);
    assert.ok(c.muLow <= c.mu + 0.01 && c.muHigh >= c.mu - 0.01);
  }
  // 2% multiplicative noise: μ within 0.05.
  const noisy = agingCollapse(tw, t, synthetic(tw, t, f, 0.7, 0.02, 3));
  assert.ok(Math.abs(noisy.mu - 0.7) < 0.05, `noisy μ = ${noisy.mu}`);
  assert.ok(noisy.muLow < 0.7 && noisy.muHigh > 0.7, `interval [${noisy.muLow}, ${noisy.muHigh}] contains 0.7`);
});

test('agingCollapse on Δ-like data (log y): Δ = (t/tw^μ)^0.8/(1 + …) and with a stationary short-time part cut by tMin', () => {
  const tw = logList(10, 1e4, 6).slice(1);
  const t = logList(1, 1e6, 40);
  const g = (x: number): number => Math.pow(x, 0.8) / (1 + Math.pow(x, 0.5));
  const d = agingCollapse(tw, t, synthetic(tw, t, g, 0.6), { logY: true });
  assert.ok(Math.abs(d.mu - 0.6) < 0.02, `μ(Δ) = ${d.mu}`);
  // A tw-independent short-time part (as from the stationary/vibrational regime) spoils the
  // collapse at small t; restricting to t ≥ 1000 recovers μ.
  const mixed = synthetic(tw, t, (x) => g(x), 0.9).map((v, k) => v + 50 * Math.min(1, t[k % t.length]! / 100));
  const cut = agingCollapse(tw, t, mixed, { logY: true, tMin: 1e4 });
  assert.ok(Math.abs(cut.mu - 0.9) < 0.05, `μ with tMin = ${cut.mu}`);
  assert.throws(() => agingCollapse([0, 5], t, new Float64Array(2 * t.length)), (e: unknown) => e instanceof GlassyError && /^values: got "1 usable curve\(s\)"/.test(e.message));
  assert.throws(() => agingCollapse(tw, t, new Float64Array(3)), (e: unknown) => e instanceof GlassyError && /^values\.length: got 3/.test(e.message));
});
