/**
 * Exact enumeration (src/dynamics/montecarlo/exact.ts) against brute force, and the observables' algebra.
 * Brute force is O(4^N) over replica pairs, so N ≤ 10 here; agreement is to round-off (1e-9 relative).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SherringtonKirkpatrick } from '../src/landscapes/ising/sk.js';
import { EdwardsAnderson } from '../src/landscapes/ising/ea.js';
import { Hopfield } from '../src/landscapes/ising/hopfield.js';
import type { IsingModel } from '../src/landscapes/ising/model.js';
import { enumerateEnergies, exactThermodynamics } from '../src/dynamics/montecarlo/exact.js';
import { OverlapHistogram, SpinCorrelation } from '../src/observables/spins.js';
import { binderJackknife, meanSE as disorderMean, binder } from '../src/observables/statistics.js';
import { isingOverlap as overlap } from '../src/observables/overlap.js';
import { logList } from '../src/observables/aging.js';

function spinsOf(state: number, n: number): Float64Array {
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) s[i] = (state >>> i) & 1 ? -1 : 1;
  return s;
}

/** Direct O(4^N) averages: Z, ⟨E⟩, ⟨|m|⟩, ⟨q²⟩, ⟨q⁴⟩ over two independent replicas, ⟨q_link⟩. */
function bruteForce(model: IsingModel, T: number, bonds?: Int32Array) {
  const n = model.dim;
  const size = 2 ** n;
  const E = new Float64Array(size);
  const S: Float64Array[] = [];
  for (let s = 0; s < size; s++) {
    S.push(spinsOf(s, n));
    E[s] = model.energy(S[s]!);
  }
  const w = Array.from(E, (e) => Math.exp(-e / T));
  const Z = w.reduce((a, b) => a + b, 0);
  let e = 0, am = 0;
  for (let s = 0; s < size; s++) {
    e += (w[s]! * E[s]!) / Z;
    am += (w[s]! * Math.abs(S[s]!.reduce((a, b) => a + b, 0) / n)) / Z;
  }
  let q2 = 0, q4 = 0;
  for (let a = 0; a < size; a++) {
    for (let b = 0; b < size; b++) {
      const q = overlap(S[a]!, S[b]!);
      const p = (w[a]! * w[b]!) / (Z * Z);
      q2 += p * q * q;
      q4 += p * q ** 4;
    }
  }
  let ql = NaN;
  if (bonds) {
    ql = 0;
    const nb = bonds.length / 2;
    for (let k = 0; k < nb; k++) {
      let c = 0;
      for (let s = 0; s < size; s++) c += (w[s]! * S[s]![bonds[2 * k]!]! * S[s]![bonds[2 * k + 1]!]!) / Z;
      ql += (c * c) / nb;
    }
  }
  return { logZ: Math.log(Z), energy: e / n, absM: am, q2, q4, ql };
}

const close = (a: number, b: number, rel = 1e-9) => assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test('Gray-code energies equal direct energies for every state (SK N=10 with field, EA 2D L=3)', () => {
  for (const model of [
    new SherringtonKirkpatrick({ n: 10, field: 0.3, seed: 3 }),
    new EdwardsAnderson({ dimension: 2, l: 3, couplings: 'pm1', seed: 4 }),
  ] as IsingModel[]) {
    const E = enumerateEnergies(model);
    for (let s = 0; s < E.length; s++) close(E[s]!, model.energy(spinsOf(s, model.dim)), 1e-12);
  }
});

test('exact enumeration equals brute force: Z, <E>, <|m|>, <q²>, <q⁴>, q_link (N ≤ 10)', () => {
  const ea = new EdwardsAnderson({ dimension: 2, l: 3, couplings: 'gauss', seed: 5 });
  const cases: Array<[IsingModel, Int32Array | undefined]> = [
    [new SherringtonKirkpatrick({ n: 8, seed: 1 }), undefined],
    [new SherringtonKirkpatrick({ n: 9, couplings: 'pm1', field: 0.2, seed: 2 }), undefined],
    [ea, ea.bondSites],
    [new Hopfield({ n: 8, patterns: 2, seed: 6 }), undefined],
  ];
  for (const [model, bonds] of cases) {
    const temps = [0.4, 1, 2.5];
    const ex = exactThermodynamics(model, temps, bonds);
    temps.forEach((T, k) => {
      const bf = bruteForce(model, T, bonds);
      const r = ex[k]!;
      close(r.logZ, bf.logZ);
      close(r.energy, bf.energy);
      close(r.absMagnetisation, bf.absM);
      close(r.q2, bf.q2);
      close(r.q4, bf.q4);
      if (bonds) close(r.qLink, bf.ql);
      close(r.pq.reduce((a, b) => a + b, 0), 1, 1e-12);
    });
  }
});

test('exact P(q) is symmetric at h = 0 and <q²> ≥ 1/N', () => {
  const model = new SherringtonKirkpatrick({ n: 12, seed: 7 });
  const [r] = exactThermodynamics(model, [0.7]);
  const n = 12;
  for (let c = 0; c <= n; c++) close(r!.pq[c]!, r!.pq[n - c]!, 1e-10);
  assert.ok(r!.q2 >= 1 / n - 1e-12);
});

test('Binder jackknife: value of the ratio of means, and SE matches the delta method within 15% for many samples', () => {
  // Gaussian q (⟨q⁴⟩ = 3⟨q²⟩²) gives g = 0 exactly.
  assert.equal(binder(2, 12), 0);
  // Synthetic samples: q2 ~ 0.3 ± 0.05, q4 = q2² · 1.5 ± noise.
  const M = 400;
  const q2 = new Float64Array(M), q4 = new Float64Array(M);
  let x = 12345;
  const u = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let m = 0; m < M; m++) {
    q2[m] = 0.3 + 0.05 * (u() - 0.5) * 3.46;
    q4[m] = 1.5 * q2[m]! ** 2 + 0.01 * (u() - 0.5) * 3.46;
  }
  const g = binderJackknife(q2, q4);
  const a = disorderMean(q2).mean, b = disorderMean(q4).mean;
  close(g.mean, 0.5 * (3 - b / (a * a)), 1e-12);
  // delta method: g = ½(3 − B/A²); ∂g/∂A = B/A³, ∂g/∂B = −1/(2A²).
  let v = 0;
  for (let m = 0; m < M; m++) {
    const d = (b / a ** 3) * (q2[m]! - a) - (q4[m]! - b) / (2 * a * a);
    v += d * d;
  }
  const delta = Math.sqrt(v / (M - 1) / M);
  assert.ok(Math.abs(g.se / delta - 1) < 0.15, `jackknife ${g.se} vs delta ${delta}`);
});

test('disorderMean, OverlapHistogram (one bin per q value), SpinCorrelation, logList', () => {
  const d = disorderMean([1, 2, 3, 4]);
  assert.equal(d.mean, 2.5);
  close(d.se, Math.sqrt(5 / 3 / 4), 1e-15);
  const h = new OverlapHistogram(4);
  for (const q of [-1, -0.5, 0, 0.5, 1, 1]) h.add(q);
  assert.deepEqual(Array.from(h.counts), [1, 1, 1, 1, 2]);
  assert.deepEqual(Array.from(h.centres(), (c) => Math.round(c * 1e12) / 1e12), [-1, -0.5, 0, 0.5, 1]);
  const c = new SpinCorrelation(Int32Array.from([1]), Int32Array.from([0, 2]));
  c.observe(1, Int8Array.from([1, 1, 1, 1]));
  c.observe(2, Int8Array.from([1, 1, 1, -1]));
  c.observe(3, Int8Array.from([1, -1, 1, -1]));
  assert.deepEqual(Array.from(c.values), [1, 0]);
  assert.deepEqual(logList(1, 100, 5), [0, 1, 3, 10, 32, 100]);
});
