/**
 * Monte Carlo dynamics against exact results: detailed balance on 4 spins (χ² test), and the
 * disorder-averaged energy and ⟨q²⟩ of Metropolis and heat bath against exact enumeration at N = 12.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, Stream } from '../src/core/rng.js';
import { SherringtonKirkpatrick } from '../src/landscapes/ising/sk.js';
import { SpinChain } from '../src/dynamics/montecarlo/chain.js';
import { sweep, type SingleFlipRule, type SiteOrder } from '../src/dynamics/montecarlo/kernels.js';
import { enumerateEnergies } from '../src/dynamics/montecarlo/exact.js';
import { meanSE as disorderMean } from '../src/observables/statistics.js';
import { runSpinglass } from './spinglass-helpers.js';
import { Run } from '../src/store/run.js';

test('detailed balance: Metropolis and heat bath visit the 16 states of 4 spins with Boltzmann frequencies (χ²)', () => {
  // SK N=4 with a field, at T = 0.6: weights span ~2 decades, so a wrong acceptance rule shows up.
  const model = new SherringtonKirkpatrick({ n: 4, field: 0.15, seed: 11 });
  const T = 0.6;
  const E = enumerateEnergies(model);
  const w = Array.from(E, (e) => Math.exp(-e / T));
  const Z = w.reduce((a, b) => a + b, 0);
  const cases: Array<[SingleFlipRule, SiteOrder]> = [['metropolis', 'sequential'], ['metropolis', 'random'], ['heatbath', 'sequential'], ['heatbath', 'random']];
  for (const [rule, order] of cases) {
    const rng = Rng.stream(1, Stream.monteCarlo, 0, rule === 'heatbath' ? 1 : 0, order === 'random' ? 1 : 0);
    const chain = new SpinChain(model).randomise(rng);
    const counts = new Float64Array(16);
    // 10 sweeps between samples: the slowest mode here (hopping between the two lowest states) decorrelates
    // within a few sweeps; with 3 sweeps the residual correlation inflated χ² by ~30%, with 10 it is gone.
    const samples = 40000;
    for (let k = 0; k < samples; k++) {
      for (let r = 0; r < 10; r++) sweep(rule, chain, 1 / T, rng, order);
      let s = 0;
      for (let i = 0; i < 4; i++) if (chain.spins[i] === -1) s |= 1 << i;
      counts[s]++;
    }
    let chi2 = 0;
    for (let s = 0; s < 16; s++) {
      const expected = (samples * w[s]!) / Z;
      chi2 += (counts[s]! - expected) ** 2 / expected;
    }
    // 15 degrees of freedom: P(χ² > 37.7) = 0.001 for exact Boltzmann sampling.
    assert.ok(chi2 < 37.7, `${rule}/${order}: χ² = ${chi2.toFixed(1)} (15 dof)`);
    // And the chain's incremental energy still equals H(s).
    assert.ok(Math.abs(chain.energy - model.spinEnergy(chain.spins)) < 1e-9);
  }
});

test('Metropolis and heat bath reproduce the exact disorder-averaged energy and <q²> at N = 12 (paired, 3 SE)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'glassy-sg-'));
  try {
    const base = { model: 'sk' as const, n: 12, temperatures: [0.5, 1.0], samples: 12, replicas: 4, seed: 21, sweeps: 4000, equilibration: 500 };
    await runSpinglass({ ...base, dynamics: 'exact' }, join(dir, 'exact'));
    for (const dynamics of ['metropolis', 'heatbath'] as const) {
      const s = await runSpinglass({ ...base, dynamics }, join(dir, dynamics));
      const mc = Run.open(s.run);
      const ex = Run.open(join(dir, 'exact'));
      for (const obs of ['energy', 'q2']) {
        const a = mc.readArray(obs).data, b = ex.readArray(obs).data;
        for (let k = 0; k < 2; k++) {
          // Paired over the same disorder samples: the difference is Monte Carlo noise only, so its SE is
          // the right yardstick (the disorder SE would be ~10× larger and the test toothless).
          const d = Array.from({ length: 12 }, (_, m) => a[m * 2 + k]! - b[m * 2 + k]!);
          const { mean, se } = disorderMean(d);
          assert.ok(Math.abs(mean) <= 3 * se + 1e-4, `${dynamics} ${obs} T=${base.temperatures[k]}: Δ = ${mean} ± ${se}`);
          // decisive: the MC error itself is small compared with the signal.
          assert.ok(se < 0.01, `${dynamics} ${obs}: SE ${se} too large to decide`);
        }
      }
      // the disorder-averaged numbers printed by the protocol agree too (3 disorder SE).
      const exS = Run.open(join(dir, 'exact')).manifest.summary as { energy: number[]; q2: number[] };
      for (let k = 0; k < 2; k++) assert.ok(Math.abs(s.energy[k]! - exS.energy[k]!) < 3 * s.energy_se[k]!);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
