/**
 * Spectra through the real code paths: linear regression (H = 2XᵀX/n exactly, Marchenko–Pastur for
 * Gaussian X), the Wigner semicircle, SLQ against the dense spectrum of a network, Hutchinson's trace
 * against the exact one, the C − 1 outliers of a softmax network (Papyan 2019; Sagun et al. 2017),
 * and the Gauss–Newton product against J_fᵀ H_ℓ J_f from finite-difference Jacobians.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/core/rng.js';
import { loadDataset } from '../src/data/index.js';
import { BatchSchedule } from '../src/dynamics/batches.js';
import { createOptimizer } from '../src/dynamics/optimizers.js';
import { Trainer } from '../src/dynamics/trainer.js';
import { MlpLandscape } from '../src/landscapes/mlp/network.js';
import { denseMatrix, denseSpectrum } from '../src/observables/hessian/dense.js';
import { hutchinsonTrace } from '../src/observables/hessian/hutchinson.js';
import { lanczos, type Hvp } from '../src/observables/hessian/lanczos.js';
import { slq, slqDensity, slqTrace, trapezoid, type Density } from '../src/observables/hessian/slq.js';
import { symmetricEigen } from '../src/observables/hessian/symeig.js';
import { hvpAt } from '../src/observables/flatness.js';
import { smallNet } from './hessian-helpers.js';

/** Linear regression y = Xw through glassy's MSE (one output, no bias): H = 2XᵀX/n. */
function linearRegression(n: number, d: number, seed: number) {
  const r = Rng.stream(seed, 1);
  const x = new Float64Array(n * d);
  r.fillNormal(x);
  const targets = new Float64Array(n);
  r.fillNormal(targets);
  const land = new MlpLandscape<Float64Array>(
    { arch: { sizes: [d, 1], activation: 'linear', bias: false }, loss: 'mse', precision: 'f64' },
    { x, y: new Int32Array(n), targets, n },
  );
  const theta = land.newConfig();
  r.fillNormal(theta);
  return { land, theta, x };
}

/** sup_x |F_density(x) − F(x)| over the density grid (Kolmogorov distance). */
function ksDistance(d: Density, cdf: (x: number) => number): number {
  let acc = 0, worst = 0;
  const dx = d.x[1]! - d.x[0]!;
  for (let g = 0; g < d.x.length; g++) {
    if (g > 0) acc += 0.5 * (d.y[g]! + d.y[g - 1]!) * dx;
    worst = Math.max(worst, Math.abs(acc - cdf(d.x[g]!)));
  }
  return worst;
}

/** CDF of a density given pointwise, by the trapezoid rule on a fine grid. */
function numericCdf(pdf: (x: number) => number, lo: number, hi: number, points = 20000): (x: number) => number {
  const h = (hi - lo) / points;
  const F = new Float64Array(points + 1);
  for (let i = 1; i <= points; i++) F[i] = F[i - 1]! + 0.5 * h * (pdf(lo + (i - 1) * h) + pdf(lo + i * h));
  const total = F[points]!;
  return (x) => (x <= lo ? 0 : x >= hi ? 1 : F[Math.floor((x - lo) / h)]! / total);
}

test('linear regression with MSE: the Hessian is exactly 2XᵀX/n, and Lanczos finds its extreme eigenvalues', () => {
  const n = 50, d = 12;
  const { land, theta, x } = linearRegression(n, d, 1);
  const H = denseMatrix(hvpAt(land, theta), d);
  const ref = new Float64Array(d * d);
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i * d + a]! * x[i * d + b]!;
    ref[a * d + b] = (2 * s) / n;
  }
  for (let i = 0; i < d * d; i++) assert.ok(Math.abs(H[i]! - ref[i]!) < 1e-12, `H[${i}] ${H[i]} vs ${ref[i]}`);
  const exact = symmetricEigen(ref, d, false).values;
  const top = lanczos(hvpAt(land, theta), d, { k: 2, which: 'both', tol: 1e-12 });
  assert.ok(Math.abs(top.largest![0]! - exact[d - 1]!) < 1e-12 * exact[d - 1]!);
  assert.ok(Math.abs(top.smallest![0]! - exact[0]!) < 1e-10 * exact[d - 1]!);
});

test('Gaussian X: the SLQ density of 2XᵀX/n follows Marchenko–Pastur (Kolmogorov distance < 0.04)', () => {
  const n = 1200, d = 300, c = d / n; // ratio 1/4: support 2·[(1−√c)², (1+√c)²] = [0.5, 4.5]
  const { land, theta } = linearRegression(n, d, 2);
  const q = slq(hvpAt(land, theta), d, { runs: 8, steps: 50, rng: Rng.stream(2, 3) });
  const dens = slqDensity(q, { sigma: 0.02, points: 800 });
  assert.ok(Math.abs(trapezoid(dens.y, dens.x[1]! - dens.x[0]!) - 1) < 1e-12, 'density integrates to 1');
  const a = (1 - Math.sqrt(c)) ** 2, b = (1 + Math.sqrt(c)) ** 2;
  // λ = 2μ, μ ~ MP(c): ρ(λ) = √((2b − λ)(λ − 2a)) / (2π c λ) (the factor 2 cancels in the normalisation).
  const mp = numericCdf((l) => (l > 2 * a && l < 2 * b ? Math.sqrt((2 * b - l) * (l - 2 * a)) / (2 * Math.PI * c * l) : 0), 2 * a, 2 * b);
  const ks = ksDistance(dens, mp);
  assert.ok(ks < 0.04, `KS distance to Marchenko–Pastur ${ks}`);
  // The quadrature also gives the trace: tr H = 2‖X‖_F²/n ≈ 2d within a few per cent.
  assert.ok(Math.abs(slqTrace(q, (l) => l) / (2 * d) - 1) < 0.05);
});

test('Wigner matrix through the same SLQ code: the semicircle of radius 2 (Kolmogorov distance < 0.03)', () => {
  const N = 800;
  const r = Rng.stream(5, 1);
  const A = new Float64Array(N * N);
  for (let i = 0; i < N; i++) for (let j = i; j < N; j++) {
    const v = r.normal() * Math.sqrt((i === j ? 2 : 1) / N);
    A[i * N + j] = v;
    A[j * N + i] = v;
  }
  const hvp: Hvp = (v, o) => {
    for (let i = 0; i < N; i++) {
      let s = 0;
      const row = i * N;
      for (let j = 0; j < N; j++) s += A[row + j]! * v[j]!;
      o[i] = s;
    }
  };
  const q = slq(hvp, N, { runs: 6, steps: 50, rng: Rng.stream(5, 2) });
  const dens = slqDensity(q, { sigma: 0.02 });
  const semicircle = numericCdf((x) => (Math.abs(x) < 2 ? Math.sqrt(4 - x * x) / (2 * Math.PI) : 0), -2, 2);
  const ks = ksDistance(dens, semicircle);
  assert.ok(ks < 0.03, `KS distance to the semicircle ${ks}`);
});

test('SLQ density of a network Hessian matches its dense spectrum (same broadening; Kolmogorov distance < 0.06)', () => {
  const { land, theta } = smallNet(11, { sizes: [6, 16, 4] });
  const hvp = hvpAt(land, theta);
  const P = land.dim;
  const exact = denseSpectrum(hvp, P).values;
  const width = exact[P - 1]! - exact[0]!;
  const sigma = 0.01 * width;
  const dens = slqDensity(slq(hvp, P, { runs: 30, steps: 60, rng: Rng.stream(11, 1) }), { sigma, points: 600 });
  assert.ok(Math.abs(trapezoid(dens.y, dens.x[1]! - dens.x[0]!) - 1) < 1e-12);
  const phi = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));
  const cdf = (x: number) => { let s = 0; for (const l of exact) s += phi((x - l) / sigma); return s / P; };
  const ks = ksDistance(dens, cdf);
  assert.ok(ks < 0.06, `KS distance SLQ vs dense ${ks}`);
});

test("Hutchinson's trace is within 3 standard errors of the exact trace", () => {
  const { land, theta } = smallNet(12);
  const hvp = hvpAt(land, theta);
  const exact = denseSpectrum(hvp, land.dim).trace;
  const est = hutchinsonTrace(hvp, land.dim, { samples: 200, rng: Rng.stream(12, 1) });
  assert.equal(est.samples.length, 200);
  assert.ok(est.se > 0 && Math.abs(est.trace - exact) < 3 * est.se, `trace ${est.trace} ± ${est.se} vs ${exact}`);
});

test('softmax CE with C = 10 classes: after training, the largest eigenvalue gap is after C − 1 outliers', () => {
  const C = 10, d = 30;
  const ds = loadDataset({ source: 'gaussian-mixture', d, nTrain: 2000, nTest: 10, nClasses: C, separation: 6 }, 2);
  const land = new MlpLandscape<Float64Array>(
    { arch: { sizes: [d, 40, C], activation: 'relu', bias: true }, loss: 'ce', precision: 'f64' },
    { x: ds.train.x, y: ds.train.y, n: ds.train.n },
  );
  const theta = land.newConfig();
  land.initialise(theta, Rng.stream(2, 1));
  const schedule = new BatchSchedule(land.nSamples, 50, 'shuffle', Rng.stream(2, 2));
  const opt = createOptimizer({ kind: 'sgd', lr: 0.1 }, land.dim, theta, Rng.stream(2, 3));
  const trainer = new Trainer(land, theta, opt, schedule, { replica: 0, lr: 0.1 });
  for (let s = 0; s < 10 * schedule.stepsPerEpoch; s++) trainer.advance();
  assert.ok(land.evaluate(theta).error < 0.02, 'the mixture is learned');
  const top = lanczos(hvpAt(land, theta), land.dim, { k: 2 * C, tol: 1e-6, rng: Rng.stream(2, 4) }).values;
  const ratios = Array.from({ length: 2 * C - 1 }, (_, i) => top[i]! / top[i + 1]!);
  const gapAt = ratios.indexOf(Math.max(...ratios)) + 1; // number of eigenvalues above the largest gap
  assert.equal(gapAt, C - 1, `ratios ${ratios.map((r) => r.toFixed(2)).join(' ')}`);
});

/** Dense J_fᵀ H_ℓ J_f by central finite differences of the outputs. */
function denseGaussNewton(land: MlpLandscape<Float64Array>, theta: Float64Array, loss: 'ce' | 'mse'): Float64Array {
  const P = land.dim, n = land.nSamples;
  const f0 = land.outputs(theta);
  const C = f0.length / n;
  const J = new Float64Array(n * C * P); // J[(μ·C + k)·P + j]
  const h = 1e-5;
  const t = Float64Array.from(theta);
  for (let j = 0; j < P; j++) {
    t[j] = theta[j]! + h;
    const fp = land.outputs(t);
    t[j] = theta[j]! - h;
    const fm = land.outputs(t);
    t[j] = theta[j]!;
    for (let r = 0; r < n * C; r++) J[r * P + j] = (fp[r]! - fm[r]!) / (2 * h);
  }
  const G = new Float64Array(P * P);
  const Hl = new Float64Array(C * C);
  for (let mu = 0; mu < n; mu++) {
    // Loss curvature per sample, with the 1/n of the mean (loss.ts).
    if (loss === 'mse') for (let a = 0; a < C; a++) for (let b = 0; b < C; b++) Hl[a * C + b] = a === b ? 2 / C / n : 0;
    else {
      let m = -Infinity;
      for (let k = 0; k < C; k++) m = Math.max(m, f0[mu * C + k]!);
      let z = 0;
      const p = new Float64Array(C);
      for (let k = 0; k < C; k++) { p[k] = Math.exp(f0[mu * C + k]! - m); z += p[k]!; }
      for (let k = 0; k < C; k++) p[k] = p[k]! / z;
      for (let a = 0; a < C; a++) for (let b = 0; b < C; b++) Hl[a * C + b] = ((a === b ? p[a]! : 0) - p[a]! * p[b]!) / n;
    }
    for (let a = 0; a < C; a++) for (let b = 0; b < C; b++) {
      const w = Hl[a * C + b]!;
      if (w === 0) continue;
      const ra = (mu * C + a) * P, rb = (mu * C + b) * P;
      for (let i = 0; i < P; i++) {
        const ji = J[ra + i]! * w;
        for (let j = 0; j < P; j++) G[i * P + j] = G[i * P + j]! + ji * J[rb + j]!;
      }
    }
  }
  return G;
}

test('Gauss–Newton product equals J_fᵀ H_ℓ J_f from finite-difference Jacobians (CE; MSE with sigmoid outputs), 1e-6', () => {
  for (const [loss, output] of [['ce', 'linear'], ['mse', 'sigmoid']] as const) {
    const r = Rng.stream(21, 1);
    const n = 12, d = 4, C = 3;
    const x = new Float64Array(n * d);
    r.fillNormal(x);
    const y = Int32Array.from({ length: n }, () => r.int(C));
    const land = new MlpLandscape<Float64Array>({ arch: { sizes: [d, 5, C], activation: 'tanh', bias: true, output }, loss, precision: 'f64' }, { x, y, n });
    const theta = land.newConfig();
    land.initialise(theta, Rng.stream(21, 2));
    const G = denseGaussNewton(land, theta, loss);
    const Gv = denseMatrix((v, o) => land.gnvp(theta, v, o), land.dim);
    let big = 0, diff = 0;
    for (let i = 0; i < G.length; i++) { big = Math.max(big, Math.abs(G[i]!)); diff = Math.max(diff, Math.abs(G[i]! - Gv[i]!)); }
    assert.ok(diff < 1e-6 * big, `${loss}: max |ΔG| ${diff} vs max |G| ${big}`);
    // Positive semi-definite, unlike the Hessian.
    assert.ok(symmetricEigen(Gv, land.dim, false).values[0]! > -1e-12 * big);
  }
  // A linear model with MSE: the Gauss–Newton matrix IS the Hessian.
  const { land, theta } = linearRegression(30, 6, 3);
  const H = denseMatrix(hvpAt(land, theta), 6), G = denseMatrix(hvpAt(land, theta, 'gauss-newton'), 6);
  for (let i = 0; i < 36; i++) assert.ok(Math.abs(H[i]! - G[i]!) < 1e-12);
});

/** Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7: ample for a CDF compared to 0.06). */
function erf(x: number): number {
  const s = Math.sign(x), a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}
