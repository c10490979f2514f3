/**
 * The walk protocol on spin glasses: single spin flips from an SK configuration with every step
 * accepted (T = 0) decorrelate as a random walk on the hypercube, ⟨q(x_t, x_0)⟩ = (1 − 2/N)^t
 * exactly in expectation; a p-spin walk of step 0 stays put; the report draws the energy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSpinglass } from './spinglass-helpers.js';
import { runWalk, walkConfig } from './spinglass-helpers.js';
import { buildReport } from '../src/report/report.js';
import { Run } from '../src/store/run.js';
import { removeDir, tempDir } from './executor-helpers.js';

test('SK spin-flip walks decorrelate as (1 − 2/N)^t and climb out of a low-temperature state', async () => {
  const dir = tempDir('sk-walk');
  try {
    await runSpinglass({ model: 'sk', n: 32, dynamics: 'metropolis', temperatures: [0.3], sweeps: 200, equilibration: 200, samples: 1, replicas: 2, seed: 1 }, `${dir}/sk`);
    const config = walkConfig({ source: `${dir}/sk`, walkers: 64, steps: 20, flips: 1 });
    const s = await runWalk(config, `${dir}/walk`, { seed: 9 });
    const expected = (1 - 2 / 32) ** 20;
    // 64 walkers: q has variance ≈ (1 − q²)/N per walker, so the mean has SE ≈ 0.02.
    assert.ok(Math.abs((s['final_overlap_mean'] as number) - expected) < 0.08, `⟨q⟩ = ${s['final_overlap_mean']}, expected ${expected}`);
    assert.equal(s['acceptance_mean'], 1);
    // From a T = 0.3 state, random flips raise the energy.
    assert.ok((s['final_energy_mean'] as number) > (s['start_energy'] as number) + 0.05, JSON.stringify(s));
    const r = await buildReport(`${dir}/walk`, { png: false });
    assert.deepEqual(r.unavailable, []);
  } finally {
    removeDir(dir);
  }
});

test('a p-spin walk of step size 0 keeps the energy and the configuration', async () => {
  const dir = tempDir('pspin-walk');
  try {
    await runSpinglass({ model: 'pspin', n: 24, p: 3, dynamics: 'gd', dt: 0.1, sweeps: 50, equilibration: 0, measureEvery: 50, samples: 1, replicas: 2, seed: 1 }, `${dir}/ps`);
    const config = walkConfig({ source: `${dir}/ps`, walkers: 2, steps: 10, stepSize: 0 });
    await runWalk(config, `${dir}/walk`, { seed: 1 });
    const run = Run.open(`${dir}/walk`);
    const e = run.readArray('walk_energy').data as Float64Array;
    const d = run.readArray('walk_distance').data as Float64Array;
    for (let i = 0; i < e.length; i++) assert.ok(Math.abs(e[i]! - e[0]!) < 1e-12 && d[i]! < 1e-12);
  } finally {
    removeDir(dir);
  }
});
