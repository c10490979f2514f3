/**
 * Dynamics of the spherical p = 3 spin glass (dynamics/sphere.ts on landscapes/pspin.ts):
 * high-temperature equilibrium, aging below T_d versus time-translation invariance above it,
 * gradient descent stuck near the threshold energy, checkpoint/resume, bad input.
 *
 * Sizes are chosen for a 2-core machine: N = 64–200 (gradient 0.1–3 ms). The N = 1000 check
 * the issue asks for is a script in docs/pspin.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GlassyError } from '../src/core/errors.js';
import { Rng, Stream } from '../src/core/rng.js';
import { PSpin, randomSpherePoint } from '../src/landscapes/pspin.js';
import { flat } from '../src/landscapes/flat.js';
import { gradientDescentSphere, langevinSphere, restoreSphere, sphereCheckpoint } from '../src/dynamics/sphere.js';
import { TimeSeriesRecorder, TwoTimeRecorder, averageTwoTime, replicaMean } from '../src/observables/aging.js';
import { agingCollapse } from '../src/observables/scaling.js';

const E_TH = -Math.sqrt(4 / 3); // threshold energy of p = 3 (Cugliandolo–Kurchan 1993), our convention
const E_GS = -1.1717; // ground state, p = 3 (Crisanti–Sommers 1992), our convention

test('Langevin at T = 2 (p = 3) equilibrates to the paramagnetic energy −1/(2T) with its finite-N factor', () => {
  // High-temperature expansion to first order in β (annealed; exact as N → ∞):
  //   [⟨H⟩] = −β E_σ Var_J H(σ) = −β (N/2) (N−1)(N−2)/((N+2)(N+4)),
  // using E[σ_i²σ_j²σ_k²] = N³/(N(N+2)(N+4)) for σ uniform on |σ|² = N (distinct i, j, k).
  // → e = −1/(2T) at N = ∞; at N = 64 the factor is 0.8703, e = −0.2176. The next correction is
  // O(β³/N). Measured: time average over t ∈ [5, 80] (energy autocorrelation time ~1 at T = 2),
  // 6 disorder samples, dt = 0.01. Found −0.2155 with a standard error of 0.0018 over samples;
  // the Euler bias is ≈ +0.003 at this dt (measured: e shifts by +0.0045 from dt = 0.005 to 0.02).
  // Tolerance 0.01 (≈ 4 SE + bias) excludes the uncorrected −0.25 and any √2 error in the noise
  // or the coupling variance (which would move e by ≥ 0.06).
  const N = 64;
  const T = 2;
  const dt = 0.01;
  const burn = Math.round(5 / dt);
  const steps = Math.round(80 / dt);
  const per: number[] = [];
  for (let s = 0; s < 6; s++) {
    const L = new PSpin({ n: N, p: 3, seed: 31, sample: s });
    const sigma = randomSpherePoint(N, Rng.stream(31, Stream.init, s));
    let sum = 0;
    let cnt = 0;
    langevinSphere(L, sigma, {
      temperature: T, dt, steps, rng: Rng.stream(31, Stream.noise, s),
      onStep: (k, _x, e) => {
        if (k >= burn) {
          sum += e / N;
          cnt++;
        }
      },
    });
    per.push(sum / cnt);
  }
  const mean = per.reduce((a, b) => a + b) / per.length;
  const expected = (-1 / (2 * T)) * (((N - 1) * (N - 2)) / ((N + 2) * (N + 4)));
  assert.ok(Math.abs(mean - expected) <= 0.01, `e = ${mean} (samples ${per.map((v) => v.toFixed(4))}), expected ${expected.toFixed(4)} ± 0.01`);
});

/** C(tw, tw+t) and e(t) over S disorder samples, one trajectory each, dt = 0.1. */
function agingRun(T: number, N: number, S: number, seed: number, keep?: (s: number, L: PSpin, sigma: Float64Array) => void) {
  const dt = 0.1;
  const tw = [2, 4, 8, 16];
  const t = [0, 1, 2, 4, 8, 16];
  const eT = [1, 2, 4, 8, 16, 32];
  const toSteps = (x: number): number => Math.round(x / dt);
  const results = [];
  const energies = [];
  for (let s = 0; s < S; s++) {
    const L = new PSpin({ n: N, p: 3, seed, sample: s });
    const sigma = randomSpherePoint(N, Rng.stream(seed, Stream.init, s));
    const rec = new TwoTimeRecorder({ tw: tw.map(toSteps), t: t.map(toSteps), n: N });
    const ser = new TimeSeriesRecorder(eT.map(toSteps));
    langevinSphere(L, sigma, {
      temperature: T, dt, steps: Math.max(rec.lastNeededTime, toSteps(32)) + 1, rng: Rng.stream(seed, Stream.noise, s),
      onStep: (k, x, e) => {
        rec.observe(k, x);
        ser.observe(k, e / N);
      },
    });
    results.push(rec.result());
    energies.push(ser.values);
    keep?.(s, L, sigma);
  }
  return { ...averageTwoTime(results), tw, t, eT, energy: replicaMean(energies) };
}

test('p = 3 above T_d (T = 1): C(tw, tw+t) depends on t only (time-translation invariance)', () => {
  // N = 200, 6 samples, dt = 0.1 (time unit t = steps·dt). One trajectory's C has noise ~N^{−1/2};
  // the difference of the tw = 4 and tw = 16 curves must vanish within 4 standard errors (of the
  // difference) + 0.03 (found 0.055, −0.004, −0.072, 0.040 at t = 1, 2, 4, 8, SE 0.03–0.06), and
  // the collapse exponent — the decisive contrast with T = 0 below (μ = 1.0) — must be near 0
  // (found 0.04; bound 0.35).
  const r = agingRun(1.0, 200, 6, 41);
  const nt = r.t.length;
  const i4 = r.tw.indexOf(4);
  const i16 = r.tw.indexOf(16);
  for (let j = 1; j < nt - 1; j++) {
    const a = r.corr.mean[i4 * nt + j]!;
    const b = r.corr.mean[i16 * nt + j]!;
    const se = Math.hypot(r.corr.se[i4 * nt + j]!, r.corr.se[i16 * nt + j]!);
    assert.ok(Math.abs(a - b) <= 4 * se + 0.03, `t=${r.t[j]}: C(4,4+t) = ${a}, C(16,16+t) = ${b} (±${4 * se + 0.03})`);
  }
  // C has decayed: the system is ergodic on these times (C(16, 32) < 0.25).
  assert.ok(r.corr.mean[i16 * nt + nt - 1]! < 0.25);
  const col = agingCollapse(r.tw, r.t, r.corr.mean, { twMin: 2 });
  assert.ok(col.mu < 0.35, `μ = ${col.mu} (expected ≈ 0)`);
});

test('p = 3 gradient descent after a quench: aging, then stuck near the threshold energy E_th = −√(4/3)', () => {
  // Below T_d (here T = 0) the dynamics ages: at fixed lag, C(tw, tw+t) grows with tw, and the
  // curves collapse in t/tw^μ with μ near 1 (found 1.0; bound μ > 0.6), unlike T = 1 above.
  const finals: number[] = [];
  const r = agingRun(0, 200, 6, 43, (s, L, sigma) => {
    if (s >= 3) return;
    // Continue descending to a critical point (|P∇H|/√N < 1e-5, or 1500 more steps at dt = 0.2:
    // stable since the Riemannian Hessian near E_th has spectrum in [0, ~7] and 7·0.2 < 2).
    gradientDescentSphere(L, sigma, { dt: 0.2, steps: 1500, gradTol: 1e-5 });
    finals.push(L.energy(sigma) / L.dim);
  });
  const nt = r.t.length;
  for (let j = 2; j < nt; j++) {
    for (let i = 1; i < r.tw.length; i++) {
      assert.ok(r.corr.mean[i * nt + j]! > r.corr.mean[(i - 1) * nt + j]!, `t=${r.t[j]}: C grows with tw`);
    }
  }
  const i4 = r.tw.indexOf(4);
  const i16 = r.tw.indexOf(16);
  // The tw = 16 curve lies above the tw = 4 one by more than 3 SE at t = 2, 4, 8 (found 0.034,
  // 0.081, 0.117 with SE 0.004, 0.011, 0.026) and by > 0.05 at t = 16 (0.171, SE 0.058).
  for (const t of [2, 4, 8, 16]) {
    const j = r.t.indexOf(t);
    const d = r.corr.mean[i16 * nt + j]! - r.corr.mean[i4 * nt + j]!;
    const se = Math.hypot(r.corr.se[i4 * nt + j]!, r.corr.se[i16 * nt + j]!);
    assert.ok(t === 16 ? d > 0.05 : d > 3 * se, `t=${t}: C(16,16+t) − C(4,4+t) = ${d} (SE ${se})`);
  }
  const col = agingCollapse(r.tw, r.t, r.corr.mean, { twMin: 2 });
  assert.ok(col.mu > 0.6, `μ = ${col.mu} (aging expected)`);
  // Energy approaches E_th from above: decreasing in t, above E_th at t = 32, within 0.15 of it.
  const e = r.energy.mean;
  for (let i = 1; i < e.length; i++) assert.ok(e[i]! < e[i - 1]!, `e decreases: ${Array.from(e)}`);
  assert.ok(e[e.length - 1]! > E_TH && e[e.length - 1]! - E_TH < 0.15, `e(32) = ${e[e.length - 1]}`);
  // Final energies of GD run to a critical point. Window [−1.19, −1.05]: at N = 200 the end points
  // lie above E_th by a finite-N shift ≈ 10/N (measured means −1.058, −1.092, −1.117 at N = 100,
  // 200, 400), with a spread of ±0.02 between starts; every run must stay above the ground state
  // (GD does not find it), and the mean must be within 0.08 of E_th.
  for (const ef of finals) {
    assert.ok(ef >= -1.19 && ef <= -1.05, `e_final = ${ef} outside [−1.19, −1.05]`);
    assert.ok(ef > E_GS, `e_final = ${ef} above the ground state ${E_GS}`);
  }
  const mean = finals.reduce((a, b) => a + b) / finals.length;
  assert.ok(Math.abs(mean - E_TH) < 0.08, `mean e_final = ${mean} vs E_th = ${E_TH}`);
});

test('a run resumed from a checkpoint is bit-for-bit the uninterrupted run', () => {
  const N = 30;
  const L = new PSpin({ n: N, p: 3, seed: 8 });
  const a = randomSpherePoint(N, Rng.stream(8, Stream.init, 0));
  const b = a.slice();
  const ea: number[] = [];
  const eb: number[] = [];
  const rngA = Rng.stream(8, Stream.noise, 0);
  const endA = langevinSphere(L, a, { temperature: 0.7, dt: 0.05, steps: 100, rng: rngA, onStep: (_k, _x, e) => { ea.push(e); } });
  assert.equal(endA.step, 100);
  let rngB = Rng.stream(8, Stream.noise, 0);
  const mid = langevinSphere(L, b, { temperature: 0.7, dt: 0.05, steps: 40, rng: rngB, onStep: (_k, _x, e) => { eb.push(e); } });
  const cp = JSON.parse(JSON.stringify({ meta: sphereCheckpoint(b, mid.step, rngB).meta }));
  const restored = restoreSphere({ meta: cp.meta, arrays: { sigma: b.slice() } });
  rngB = restored.rng!;
  langevinSphere(L, restored.sigma, {
    temperature: 0.7, dt: 0.05, steps: 60, rng: rngB, startStep: restored.step, onStep: (k, _x, e) => { eb.push(e); assert.ok(k >= 40); },
  });
  assert.deepEqual(eb, ea);
  assert.deepEqual(Array.from(restored.sigma), Array.from(a));
});

test('sphere dynamics keep |σ|² = N and reject bad input with GlassyErrors', () => {
  const N = 20;
  const L = new PSpin({ n: N, p: 3, seed: 1 });
  const s = randomSpherePoint(N, Rng.stream(1, Stream.init, 0));
  langevinSphere(L, s, { temperature: 1, dt: 0.1, steps: 50, rng: Rng.stream(1, Stream.noise, 0) });
  let s2 = 0;
  for (const v of s) s2 += v * v;
  assert.ok(Math.abs(s2 - N) < 1e-10 * N);
  const bad = (f: () => unknown, re: RegExp): void => {
    assert.throws(f, (e: unknown) => e instanceof GlassyError && re.test(e.message), String(re));
  };
  bad(() => langevinSphere(L, s, { temperature: 1, dt: 0.1, steps: 5 }), /^rng: got undefined, expected an Rng/);
  bad(() => langevinSphere(L, s, { temperature: -1, dt: 0.1, steps: 5 }), /^temperature: got -1, expected a finite number ≥ 0/);
  bad(() => langevinSphere(L, s, { temperature: 0, dt: 0, steps: 5 }), /^dt: got 0/);
  bad(() => langevinSphere(L, s, { temperature: 0, dt: 0.1, steps: 2.5 }), /^steps: got 2\.5/);
  bad(() => langevinSphere(L, new Float64Array(N), { temperature: 0, dt: 0.1, steps: 1 }), /^sigma: /);
  bad(() => gradientDescentSphere(flat(N) as never, s, { dt: 0.1, steps: 1 }), /^landscape\.geometry: got "euclidean", expected 'sphere'/);
});
