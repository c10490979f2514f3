/**
 * The aging observables (observables/aging.ts): DEEP-GLASS time grids, the two-time recorder
 * against brute force, checkpoints, bounded memory, replica averages, and pure diffusion.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GlassyError } from '../src/core/errors.js';
import type { Float } from '../src/core/backend.js';
import { Rng, Stream } from '../src/core/rng.js';
import { flat } from '../src/landscapes/flat.js';
import { langevin } from '../src/dynamics/langevin.js';
import {
  type CopyStore, MemoryCopyStore, TWO_TIME_OBSERVABLES, TimeSeriesRecorder, TwoTimeRecorder, averageTwoTime, logList, replicaMean,
} from '../src/observables/aging.js';

test('logList reproduces DEEP-GLASS ListaLogaritmica(x0, xn, n, ints=True, addzero=True)', () => {
  // Reference values printed by numpy 2.4 running the DEEP-GLASS function (source/timelists.py).
  assert.deepEqual(logList(1, 10, 5), [0, 1, 2, 3, 6, 10]);
  assert.deepEqual(logList(1, 100, 10), [0, 1, 2, 3, 5, 8, 13, 22, 36, 60, 100]);
  // Duplicates after rounding are dropped (1.4384 → 1 twice): 19 values, not 20.
  assert.deepEqual(logList(1, 1000, 20), [0, 1, 2, 3, 4, 6, 9, 13, 18, 26, 38, 55, 78, 113, 162, 234, 336, 483, 695, 1000]);
  assert.deepEqual(logList(2, 7, 6), [0, 2, 3, 4, 5, 7]);
  // numpy rounds half to even: exp(ln 6.25/2) = 2.5 → 2, 4.5 → 4, but 3.5 → 4.
  assert.deepEqual(logList(1, 6.25, 3), [0, 1, 2, 6]);
  assert.deepEqual(logList(1, 20.25, 3), [0, 1, 4, 20]);
  assert.deepEqual(logList(1, 12.25, 3), [0, 1, 4, 12]);
  // The DEEP-GLASS default waiting-time grid: total_time = 500000, tw up to T/2 in 50 points.
  assert.deepEqual(logList(1, 250000, 50), [
    0, 1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 21, 27, 35, 45, 58, 75, 96, 124, 160, 206, 265, 342, 440, 568, 731, 943,
    1215, 1566, 2018, 2600, 3351, 4319, 5566, 7173, 9243, 11912, 15352, 19784, 25497, 32858, 42345, 54572,
    70328, 90634, 116803, 150528, 193989, 250000,
  ]);
  const big = logList(1, 250000, 100);
  assert.equal(big.length, 91);
  assert.deepEqual(big.slice(-4), [171540, 194487, 220503, 250000]);
  assert.deepEqual(logList(5, 5, 4), [0, 5]);
  assert.throws(() => logList(0, 10, 5), (e: unknown) => e instanceof GlassyError && /^x0: got 0/.test(e.message));
  assert.throws(() => logList(10, 1, 5), (e: unknown) => e instanceof GlassyError && /^xn: got 1, expected a finite number ≥ x0 = 10/.test(e.message));
  assert.throws(() => logList(1, 10, 0), (e: unknown) => e instanceof GlassyError && /^n: got 0/.test(e.message));
});

/** Direct evaluation of the five observables from two stored configurations. */
function brute(a: Float, b: Float): Record<string, number> {
  const N = a.length;
  let d2 = 0, d4 = 0, c = 0, na = 0, nb = 0;
  for (let i = 0; i < N; i++) {
    const d = b[i]! - a[i]!;
    d2 += d * d;
    d4 += d ** 4;
    c += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return { delta: d2 / N, corr: c / N, corrNorm: c / Math.sqrt(na * nb), d4: d4 / N, y: d2 > 0 ? d4 / (d2 * d2) : NaN };
}

function randomWalk(N: number, steps: number, f32: boolean, seed: number): Float[] {
  const rng = Rng.stream(seed, Stream.walk, 0);
  const x: Float = f32 ? new Float32Array(N) : new Float64Array(N);
  rng.fillNormal(x);
  const traj: Float[] = [];
  for (let s = 0; s <= steps; s++) {
    traj.push(x.slice());
    for (let i = 0; i < N; i++) x[i] = x[i]! + 0.1 * rng.normal() + 0.01; // drift: C, Δ both change
  }
  return traj;
}

test('recorder matrices equal brute force over a stored trajectory (float64 and float32), NaN where not reached', () => {
  // Same arithmetic in a different order: agreement to 1e-12 relative.
  for (const f32 of [false, true]) {
    const N = 37;
    const total = 200;
    const traj = randomWalk(N, total, f32, 5);
    const tw = logList(1, 100, 10);
    const t = logList(1, 150, 12);
    const rec = new TwoTimeRecorder({ tw, t, n: N });
    let maxHeld = 0;
    for (let s = 0; s <= total; s++) {
      rec.observe(s, traj[s]!);
      maxHeld = Math.max(maxHeld, rec.held);
    }
    const r = rec.result();
    for (let i = 0; i < tw.length; i++) {
      for (let j = 0; j < t.length; j++) {
        const k = i * t.length + j;
        if (tw[i]! + t[j]! > total) {
          for (const name of TWO_TIME_OBSERVABLES) assert.ok(Number.isNaN(r[name][k]!), `${name}[${tw[i]},${t[j]}] NaN`);
          continue;
        }
        const b = brute(traj[tw[i]!]!, traj[tw[i]! + t[j]!]!);
        for (const name of TWO_TIME_OBSERVABLES) {
          const want = b[name]!;
          const got = r[name][k]!;
          if (Number.isNaN(want)) assert.ok(Number.isNaN(got), `${name} at t = 0 is NaN`);
          else assert.ok(Math.abs(got - want) <= 1e-12 * Math.max(1e-300, Math.abs(want)), `${name}[${tw[i]},${t[j]}] = ${got} vs ${want}`);
        }
      }
    }
    // Memory bound: a copy of x(tw) lives only while tw ≤ time < tw + max(t), so at most the
    // number of tw's in a window of length max(t) = 150: here all 11 tw's ≤ 100.
    assert.ok(maxHeld <= tw.length);
    assert.equal(rec.held, tw.filter((w) => w + 150 > total).length);
  }
});

test('copies are released once tw + max(t) has passed, through the CopyStore interface', () => {
  class CountingStore implements CopyStore {
    readonly inner = new MemoryCopyStore();
    live = 0;
    maxLive = 0;
    puts = 0;
    put(tw: number, x: Float): void { this.inner.put(tw, x); this.live++; this.puts++; this.maxLive = Math.max(this.maxLive, this.live); }
    get(tw: number): Float { return this.inner.get(tw); }
    delete(tw: number): void { this.inner.delete(tw); this.live--; }
    keys(): number[] { return this.inner.keys(); }
  }
  const store = new CountingStore();
  // Dense waiting times 0..999, lags up to 10: at most 11 copies alive at once, never 1000.
  const tw = Array.from({ length: 1000 }, (_, i) => i);
  const rec = new TwoTimeRecorder({ tw, t: [0, 1, 5, 10], n: 4, store });
  const x = new Float64Array(4);
  for (let s = 0; s < 1100; s++) {
    x[s % 4] = s;
    rec.observe(s, x);
  }
  assert.equal(store.puts, 1000);
  assert.equal(store.maxLive, 11);
  assert.equal(store.live, 0);
  assert.equal(rec.held, 0);
});

test('snapshot → JSON → restore mid-run gives the same matrices as an uninterrupted run', () => {
  const N = 20;
  const total = 120;
  const traj = randomWalk(N, total, false, 9);
  const tw = logList(1, 60, 8);
  const t = logList(1, 60, 8);
  const whole = new TwoTimeRecorder({ tw, t, n: N });
  for (let s = 0; s <= total; s++) whole.observe(s, traj[s]!);
  const first = new TwoTimeRecorder({ tw, t, n: N });
  for (let s = 0; s <= 47; s++) first.observe(s, traj[s]!);
  const snap = first.snapshot();
  assert.ok(snap.meta.held.length > 0, 'the snapshot carries held copies');
  const meta = JSON.parse(JSON.stringify(snap.meta));
  const arrays = Object.fromEntries(Object.entries(snap.arrays).map(([k, v]) => [k, v.slice()]));
  const second = TwoTimeRecorder.restore({ meta, arrays });
  second.observe(47, traj[47]!); // a repeated time is ignored
  for (let s = 48; s <= total; s++) second.observe(s, traj[s]!);
  const a = whole.result();
  const b = second.result();
  for (const name of TWO_TIME_OBSERVABLES) assert.deepEqual(Array.from(b[name]), Array.from(a[name]), name);
  // Time series too.
  const ts = new TimeSeriesRecorder(logList(1, 100, 10));
  for (let s = 0; s <= 50; s++) ts.observe(s, s * 0.5);
  const tsSnap = ts.snapshot();
  const ts2 = TimeSeriesRecorder.restore({ meta: JSON.parse(JSON.stringify(tsSnap.meta)), arrays: { values: tsSnap.arrays.values.slice() } });
  for (let s = 51; s <= 100; s++) ts2.observe(s, s * 0.5);
  assert.deepEqual(Array.from(ts2.values), logList(1, 100, 10).map((s) => s * 0.5));
});

test('replica mean and standard error, NaN entries skipped', () => {
  const r = replicaMean([
    [1, 2, NaN],
    [3, 2, 5],
    [5, 2, NaN],
  ]);
  assert.deepEqual(Array.from(r.mean), [3, 2, 5]);
  assert.ok(Math.abs(r.se[0]! - 2 / Math.sqrt(3)) < 1e-15); // s = 2 (n − 1 = 2), SE = s/√3
  assert.equal(r.se[1], 0);
  assert.ok(Number.isNaN(r.se[2]!));
  assert.deepEqual(Array.from(r.count), [3, 3, 1]);
  assert.throws(() => replicaMean([[1, 2], [1]]), (e: unknown) => e instanceof GlassyError && /^samples\[1\]\.length: got 1, expected 2/.test(e.message));
});

test('pure diffusion: Langevin on a flat landscape gives Δ(tw, tw+t) = 2Tt for every tw, Y = 3/N, D4 = 3(2Tt)²', () => {
  // dx = √(2T) dW: Δx_i ~ N(0, 2Tt) independently, so per replica Δ is 2Tt·χ²_N/N (relative SD
  // √(2/N) = 4.5% at N = 1000); 8 replicas. Tolerances: 4 standard errors from the replica
  // spread for Δ and D4 (and Δ within 5%). N·Y = (Σd⁴/N)/(Σd²/N)² → E[d⁴]/E[d²]² = 3; the
  // numerator has relative SD √(96/N)/3 ≈ 0.10 per replica, i.e. ±0.3 on N·Y, ±0.11 for the mean
  // of 8: tolerance 0.35. C(tw, tw+t) = (1/N) x(tw)·x(tw+t) has mean (1/N)E|x(tw)|² = 2T·tw.
  const N = 1000;
  const T = 0.5;
  const dt = 0.1;
  const tw = [0, 10, 50, 200];
  const t = [0, 1, 10, 100, 300];
  const results = [];
  for (let r = 0; r < 8; r++) {
    const L = flat(N);
    const x = L.newConfig();
    const rec = new TwoTimeRecorder({ tw, t, n: N });
    langevin(L, x, { temperature: T, dt, steps: rec.lastNeededTime + 1, rng: Rng.stream(3, Stream.noise, r), onStep: (k, xx) => rec.observe(k, xx) });
    results.push(rec.result());
  }
  const av = averageTwoTime(results);
  for (let i = 0; i < tw.length; i++) {
    for (let j = 1; j < t.length; j++) {
      const k = i * t.length + j;
      const lag = t[j]! * dt;
      const want = 2 * T * lag;
      assert.ok(Math.abs(av.delta.mean[k]! - want) <= 4 * av.delta.se[k]!, `Δ(${tw[i]}, +${t[j]}) = ${av.delta.mean[k]} vs 2Tt = ${want} ± ${4 * av.delta.se[k]!}`);
      assert.ok(Math.abs(av.delta.mean[k]! / want - 1) < 0.05, 'and within 5%');
      assert.ok(Math.abs(av.d4.mean[k]! - 3 * want * want) <= 4 * av.d4.se[k]!, `D4 = ${av.d4.mean[k]} vs ${3 * want * want}`);
      assert.ok(Math.abs(N * av.y.mean[k]! - 3) <= 0.35, `N·Y = ${N * av.y.mean[k]!}`);
      if (tw[i]! > 0) {
        const c = 2 * T * tw[i]! * dt;
        assert.ok(Math.abs(av.corr.mean[k]! - c) <= 4 * av.corr.se[k]! + 1e-12, `C = ${av.corr.mean[k]} vs 2T·tw = ${c}`);
      }
    }
  }
});

test('recorder input errors are GlassyErrors', () => {
  const bad = (f: () => unknown, re: RegExp): void => {
    assert.throws(f, (e: unknown) => e instanceof GlassyError && re.test(e.message), String(re));
  };
  bad(() => new TwoTimeRecorder({ tw: [0, 5, 5], t: [0, 1], n: 3 }), /^tw\[2\]: got 5, expected a time > tw\[1\] = 5/);
  bad(() => new TwoTimeRecorder({ tw: [0, 1.5], t: [0, 1], n: 3 }), /^tw\[1\]: got 1\.5, expected a non-negative integer/);
  bad(() => new TwoTimeRecorder({ tw: logList(0.5, 4.5, 3), t: [0, 1], n: 3 }), /^tw\[1\]: got 0/); // DEEP-GLASS' own quirk for x0 < 0.5
  bad(() => new TwoTimeRecorder({ tw: [], t: [0, 1], n: 3 }), /^tw: /);
  bad(() => new TwoTimeRecorder({ tw: [0], t: [0], n: 0 }), /^n: got 0/);
  const rec = new TwoTimeRecorder({ tw: [0, 2], t: [0, 1], n: 3 });
  rec.observe(2, new Float64Array(3));
  bad(() => rec.observe(1, new Float64Array(3)), /^time: got 1, expected a time ≥ the last one observed \(2\)/);
  bad(() => rec.observe(3, new Float64Array(4)), /^x\.length: got 4, expected 3/);
});
