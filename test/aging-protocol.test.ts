/**
 * The aging protocol end to end through runEnsemble (protocols/aging.ts): the p-spin above and
 * below T_d, free diffusion, networks' Δ and C against stored configurations, and resume from a
 * checkpoint. The CLI (width sweep, bad input) is in aging-protocol-cli.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CheckpointStore } from '../src/executor/checkpoint.js';
import { prepareEnsemble, runEnsemble } from '../src/executor/ensemble.js';
import type { ReplicaContext } from '../src/executor/replica.js';
import { agingUnits, parseAgingConfig, task, type AgingConfig } from '../src/protocols/aging.js';
import { Run } from '../src/store/run.js';
import { arrayDiff, removeDir, tempDir } from './executor-helpers.js';
import { registry } from '../src/registry.js';

const E_TH = -Math.sqrt(4 / 3); // p = 3 threshold energy (Cugliandolo–Kurchan 1993), covariance N q^p/2
const E_GS = -1.1717; // p = 3 ground state (Crisanti–Sommers 1992)

async function agingRun(dir: string, raw: Record<string, unknown>, seed: number): Promise<{ run: Run; config: AgingConfig; summary: Record<string, unknown> }> {
  const config = parseAgingConfig(raw);
  const run = Run.create(dir, { protocol: 'aging', config, seed });
  const r = await runEnsemble(run, registry, { replicas: agingUnits(config), executor: 'inprocess', progress: 'none', handleSignals: false });
  assert.equal(r.status, 'complete', JSON.stringify(r.failed));
  return { run: Run.open(dir), config, summary: r.summary! };
}

const arr = (run: Run, name: string): { data: Float64Array; shape: number[] } => {
  const a = run.readArray(name);
  return { data: Float64Array.from(a.data as ArrayLike<number>), shape: a.shape };
};

test('p = 3 quenched to T = 1 > T_d (time-translation invariant) and to T = 0 (aging, E → E_th from above)', async () => {
  // N = 200, 6 trajectories per temperature (one disorder sample), dt = 0.1, T = 320 steps (32 time
  // units). tw = 240 has lags beyond T: those entries must be NaN. Measured (seed 7): at T = 1,
  // |C(40,40+t) − C(160,160+t)| ≤ 0.063 with SE of the difference 0.013–0.056, μ_C ≈ 0, e(320) =
  // −0.486 ± 0.015 (equilibrium −0.478 at N = 200); at T = 0, C grows with tw at every t ≥ 10 steps,
  // μ_C = 1.10, e(320) = −1.093 ± 0.005 (E_th = −1.155; finite-N end points lie ≈ 10/N above it).
  const root = tempDir('aging-pspin');
  try {
    const { run, summary } = await agingRun(join(root, 'r'), {
      landscape: 'pspin', tMax: 320, tw: [20, 40, 80, 160, 240], tPoints: 20, energyPoints: 12, replicas: 6,
      pspin: { p: 3, n: 200, temperatures: [0, 1], dt: 0.1 },
    }, 7);
    const tw = Array.from(arr(run, 'tw').data);
    const t = Array.from(arr(run, 't').data);
    const nw = tw.length;
    const nt = t.length;
    const C = arr(run, 'corr_mean');
    const S = arr(run, 'corr_se');
    assert.deepEqual(C.shape, [2, nw, nt]);
    assert.deepEqual(Array.from(arr(run, 'temperatures').data), [0, 1]);
    const at = (a: Float64Array, p: number, i: number, j: number): number => a[(p * nw + i) * nt + j]!;
    // NaN exactly where tw + t > T.
    for (let i = 0; i < nw; i++) for (let j = 0; j < nt; j++) {
      assert.equal(Number.isNaN(at(C.data, 0, i, j)), tw[i]! + t[j]! > 320, `NaN pattern at tw=${tw[i]} t=${t[j]}`);
    }
    // T = 1 (index 1): curves of tw = 40 and tw = 160 agree within 4 SE of the difference + 0.03.
    const i40 = tw.indexOf(40);
    const i160 = tw.indexOf(160);
    for (let j = 0; j < nt; j++) {
      const a = at(C.data, 1, i40, j);
      const b = at(C.data, 1, i160, j);
      const se = Math.hypot(at(S.data, 1, i40, j), at(S.data, 1, i160, j));
      assert.ok(Math.abs(a - b) <= 4 * se + 0.03, `T=1 t=${t[j]}: C(40,·) = ${a}, C(160,·) = ${b}, tolerance ${4 * se + 0.03}`);
    }
    // ... and C has decayed to < 0.3 at the longest lag (ergodic on these times).
    assert.ok(at(C.data, 1, i160, nt - 1) < 0.3, `C(160, 320) = ${at(C.data, 1, i160, nt - 1)}`);
    // T = 0 (index 0): aging — at fixed lag t ≥ 10 steps (1 time unit) C grows with tw.
    for (let j = 0; j < nt; j++) {
      if (t[j]! < 10) continue;
      for (let i = 1; i < 4; i++) {
        assert.ok(at(C.data, 0, i, j) > at(C.data, 0, i - 1, j), `T=0 t=${t[j]}: C(${tw[i]},·) = ${at(C.data, 0, i, j)} ≤ C(${tw[i - 1]},·) = ${at(C.data, 0, i - 1, j)}`);
      }
    }
    // Collapse exponents from finalize: μ_C near 1 below T_d, near 0 above (bounds 0.6 and 0.35).
    const muC = Array.from(arr(run, 'mu_corr').data);
    assert.ok(muC[0]! > 0.6, `μ_C(T=0) = ${muC[0]}`);
    assert.ok(muC[1]! < 0.35, `μ_C(T=1) = ${muC[1]}`);
    // Energy at T = 0 decreases and stays above E_th (not the ground state), within 0.12 of it.
    const M = arr(run, 'energy_times').data.length;
    const e = arr(run, 'energy_mean');
    assert.deepEqual(e.shape, [2, M]);
    for (let k = 1; k < M; k++) assert.ok(e.data[k]! < e.data[k - 1]!, `e(t) decreasing at T = 0: ${Array.from(e.data.subarray(0, M))}`);
    const eT = e.data[M - 1]!;
    assert.ok(eT > E_TH && eT - E_TH < 0.12 && eT > E_GS, `e(T) = ${eT} vs E_th = ${E_TH}`);
    const pts = summary['points'] as Array<Record<string, unknown>>;
    assert.equal(pts.length, 2);
    assert.equal(pts[0]!['temperature'], 0);
    assert.equal(pts[0]!['final_energy_mean'], eT);
  } finally {
    removeDir(root);
  }
});

test('free diffusion (flat landscape, Langevin): Δ(tw, tw+t) = 2·T·t·dt, α = 1', async () => {
  // E[Δ] = 2T·t·dt (Einstein; mobility 1), Var Δ = 2(2T t dt)²/N per trajectory, so the mean of R
  // trajectories has SE = E[Δ]·√(2/(N R)) = 2.2% here. Every entry within 4 of those SEs; the
  // protocol's own SE on average near it; α at the largest tw equal to 1 within 0.03 (found 0.992).
  const root = tempDir('aging-flat');
  try {
    const N = 1000;
    const R = 4;
    const dt = 0.01;
    const temps = [0.5, 2];
    const { run } = await agingRun(join(root, 'r'), {
      landscape: 'flat', tMax: 200, twPoints: 8, tPoints: 15, energyPoints: 4, replicas: R, flat: { n: N, temperatures: temps, dt },
    }, 3);
    const tw = arr(run, 'tw').data;
    const t = arr(run, 't').data;
    const D = arr(run, 'delta_mean').data;
    const Dse = arr(run, 'delta_se').data;
    let checked = 0;
    const seRatio: number[] = [];
    temps.forEach((T, p) => {
      for (let i = 0; i < tw.length; i++) for (let j = 1; j < t.length; j++) {
        const k = (p * tw.length + i) * t.length + j;
        if (Number.isNaN(D[k]!)) continue;
        const expected = 2 * T * t[j]! * dt;
        const se = expected * Math.sqrt(2 / (N * R));
        assert.ok(Math.abs(D[k]! - expected) <= 4 * se, `T=${T} tw=${tw[i]} t=${t[j]}: Δ = ${D[k]} vs ${expected} ± ${4 * se}`);
        seRatio.push(Dse[k]! / se);
        checked++;
      }
    });
    assert.ok(checked > 100, `${checked} entries checked`);
    // The SE of 4 trajectories is itself noisy (χ² with 3 degrees of freedom), so its mean ratio to
    // the exact SE is checked (found 0.89): within [0.5, 1.5].
    const meanRatio = seRatio.reduce((a, b) => a + b, 0) / seRatio.length;
    assert.ok(meanRatio > 0.5 && meanRatio < 1.5, `mean SE / exact SE = ${meanRatio}`);
    const alpha = arr(run, 'alpha').data;
    for (const a of alpha) assert.ok(Math.abs(a - 1) < 0.03, `α = ${a}`);
  } finally {
    removeDir(root);
  }
});

/** What the recorder computes, in the same order of operations, from two stored configurations. */
function pair(a: Float64Array, b: Float64Array): { delta: number; corr: number; corrNorm: number } {
  let d2 = 0, c = 0, n0 = 0, nn = 0;
  for (let i = 0; i < a.length; i++) {
    const d = b[i]! - a[i]!;
    d2 += d * d;
    c += a[i]! * b[i]!;
  }
  for (let i = 0; i < a.length; i++) n0 += a[i]! * a[i]!;
  for (let i = 0; i < b.length; i++) nn += b[i]! * b[i]!;
  return { delta: d2 / a.length, corr: c / a.length, corrNorm: c / Math.sqrt(n0 * nn) };
}

test('networks: Δ and C from the stored θ(tw) (--save-configs) equal the on-the-fly values exactly (float64)', async () => {
  const root = tempDir('aging-mlp');
  try {
    const tMax = 64;
    const { run } = await agingRun(join(root, 'r'), {
      landscape: 'mlp', tMax, tw: [0, 1, 2, 4, 8, 16, 32], tPoints: 40, energyPoints: 8, replicas: 2, saveConfigs: true,
      mlp: { data: { source: 'gaussian-mixture', d: 12, nClasses: 3, nTrain: 120, nTest: 60 }, model: { sizes: [12, 16, 3] }, batch: 10, optimizer: { lr: 0.3 } },
    }, 11);
    const tw = Array.from(arr(run, 'tw').data);
    const t = Array.from(arr(run, 't').data);
    for (const r of [0, 1]) {
      const name = `per-replica/replica-${String(r).padStart(4, '0')}`;
      const cfg = (time: number): Float64Array => {
        const a = run.readArray(time === tMax ? `${name}/configs/final` : `${name}/configs/tw-${time}`);
        assert.equal(a.dtype, 'float64');
        return a.data as Float64Array;
      };
      const delta = arr(run, `${name}/delta`).data;
      const corr = arr(run, `${name}/corr`).data;
      const corrNorm = arr(run, `${name}/corr_norm`).data;
      let pairs = 0;
      for (let i = 0; i < tw.length; i++) {
        for (const later of [...tw.slice(i + 1), tMax]) {
          const j = t.indexOf(later - tw[i]!);
          if (j < 0) continue;
          const x = pair(cfg(tw[i]!), cfg(later));
          const k = i * t.length + j;
          assert.equal(delta[k], x.delta, `Δ(${tw[i]}, ${later})`);
          assert.equal(corr[k], x.corr, `C(${tw[i]}, ${later})`);
          assert.equal(corrNorm[k], x.corrNorm, `Ĉ(${tw[i]}, ${later})`);
          pairs++;
        }
      }
      assert.ok(pairs >= 10, `${pairs} pairs compared`);
      // Something moved: Δ(0, 32) > 0.
      assert.ok(delta[t.indexOf(32)]! > 0);
    }
    // The final weights are stored as in `glassy train`.
    assert.ok(run.hasTensors('replica-0000') && run.hasTensors('replica-0001'), `tensors: ${run.listTensors()}`);
  } finally {
    removeDir(root);
  }
});

test('a replica killed after a checkpoint and resumed gives arrays identical to an uninterrupted run (every landscape)', async () => {
  const root = tempDir('aging-resume');
  const cases: Array<Record<string, unknown>> = [
    { landscape: 'sk', tMax: 150, twPoints: 6, tPoints: 10, replicas: 2, saveConfigs: true, checkpointEvery: 25, sk: { n: 48, temperatures: [0.4] } },
    { landscape: 'pspin', tMax: 150, twPoints: 6, tPoints: 10, replicas: 2, saveConfigs: true, checkpointEvery: 25, pspin: { n: 24, temperatures: [0.5], dt: 0.1 } },
    { landscape: 'flat', tMax: 150, twPoints: 6, tPoints: 10, replicas: 2, checkpointEvery: 25, flat: { n: 50, temperatures: [1] } },
    {
      landscape: 'mlp', tMax: 150, twPoints: 6, tPoints: 10, replicas: 2, saveConfigs: true, checkpointEvery: 25,
      mlp: { data: { source: 'gaussian-mixture', d: 8, nClasses: 2, nTrain: 64, nTest: 32 }, model: { sizes: [8, 6, 2] }, batch: 8, widths: [3, 6] },
    },
  ];
  try {
    for (const raw of cases) {
      const kind = raw['landscape'] as string;
      const ref = join(root, `${kind}-ref`);
      await agingRun(ref, raw, 21);
      // The same run, but replica 0 dies right after its second checkpoint (step 50).
      const dir = join(root, `${kind}-resumed`);
      const config = parseAgingConfig(raw);
      const K = agingUnits(config);
      const run = Run.create(dir, { protocol: 'aging', config, seed: 21 });
      prepareEnsemble(run, 'aging', K);
      const store = new CheckpointStore(dir, 0);
      let saved = 0;
      const ctx: ReplicaContext = {
        runDir: dir, index: 0, seed: 21, replicas: K, checkpointEvery: undefined, run,
        progress: () => {}, warn: () => {},
        saveCheckpoint: (cp) => {
          store.save(cp);
          if (++saved === 2) throw new Error('killed');
        },
        loadCheckpoint: () => store.load(),
      };
      await assert.rejects(task.run(config, ctx), /killed/);
      assert.equal(store.list().at(-1)?.step, 50);
      const r = await runEnsemble(Run.open(dir), registry, { executor: 'inprocess', progress: 'none', handleSignals: false });
      assert.equal(r.status, 'complete');
      assert.deepEqual(arrayDiff(ref, dir), [], `${kind}: arrays differ after resume`);
    }
  } finally {
    removeDir(root);
  }
});
