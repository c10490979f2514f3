/**
 * What the spinglass summary means: gradient descent is reported at its end point (not averaged over
 * the descent); no Binder ratio is printed for continuous spins (it has no power there); a parallel-
 * tempering ladder must be strictly increasing; Hopfield `mattis` is the overlap with the pattern each
 * chain started from, and the largest |m_μ| is a separate field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PSpin } from '../src/landscapes/pspin.js';
import { runSpinglass } from './spinglass-helpers.js';
import { Run } from '../src/store/run.js';
import { GLASSY, removeDir, tempDir } from './executor-helpers.js';

test('--dynamics gd reports the energy of the end point, not a time average over the descent', async () => {
  const dir = tempDir('sg-gd');
  try {
    const N = 20, M = 2, R = 2;
    const s = await runSpinglass({ model: 'pspin', n: N, p: 3, dynamics: 'gd', dt: 0.1, sweeps: 300, equilibration: 0, measureEvery: 1, samples: M, replicas: R, seed: 4 }, dir);
    const run = Run.open(dir);
    const conf = run.readArray('configurations').data as Float64Array; // [1, M, R, N]
    const energy = run.readArray('energy').data as Float64Array; // [M, 1]
    for (let m = 0; m < M; m++) {
      const L = new PSpin({ n: N, p: 3, seed: 4, sample: m });
      let e = 0;
      for (let r = 0; r < R; r++) e += L.energy(conf.slice((m * R + r) * N, (m * R + r + 1) * N)) / N / R;
      assert.ok(Math.abs(energy[m]! - e) < 1e-12, `sample ${m}: reported ${energy[m]}, end point ${e}`);
    }
    assert.equal(s['energy_at'], 'end point of gradient descent');
  } finally {
    removeDir(dir);
  }
});

test('continuous spins: no Binder ratio in the summary, the arrays or the printout, and a note saying why', () => {
  const dir = tempDir('sg-binder');
  try {
    const out = join(dir, 'run');
    const r = spawnSync(process.execPath, [GLASSY, 'spinglass', '--model', 'pspin', '--n', '12', '--dynamics', 'langevin', '--temperatures', '2',
      '--sweeps', '100', '--equilibration', '20', '--samples', '2', '--replicas', '2', '--executor', 'inprocess', '--out', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /g=/);
    assert.match(r.stdout, /no Binder ratio for continuous spins/);
    const run = Run.open(out);
    const summary = run.manifest.summary as Record<string, unknown>;
    assert.equal(summary['binder'], undefined);
    assert.match(String(summary['binder_note']), /no power/);
    assert.equal(run.hasArray('binder_mean'), false);
  } finally {
    removeDir(dir);
  }
});

test('a parallel-tempering ladder that is not strictly increasing is refused in one line, nothing created', () => {
  const dir = tempDir('sg-ladder');
  try {
    for (const temps of ['1,1,2', '2,1,0.5']) {
      const out = join(dir, temps);
      const r = spawnSync(process.execPath, [GLASSY, 'spinglass', '--model', 'sk', '--n', '16', '--dynamics', 'pt', '--temperatures', temps, '--out', out], { encoding: 'utf8' });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /^error: (--)?temperatures: got \[.*\], expected strictly increasing temperatures for parallel tempering/);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(existsSync(out), false);
    }
  } finally {
    removeDir(dir);
  }
});

test('Hopfield mattis is the overlap with the starting pattern; the largest |m_μ| is mattis_max', async () => {
  const dir = tempDir('sg-mattis');
  try {
    // Paramagnet (T = 2): ⟨m_0⟩ = 0 by symmetry, while max_μ |m_μ| over P = 10 patterns is ~2/√N.
    const hot = await runSpinglass({ model: 'hopfield', n: 100, alpha: 0.1, start: 'pattern', dynamics: 'metropolis', temperatures: [2], sweeps: 2000, equilibration: 200, samples: 4, replicas: 2, seed: 1 }, join(dir, 'hot'));
    const m = (hot['mattis'] as number[])[0]!, mse = (hot['mattis_se'] as number[])[0]!;
    const mx = (hot['mattis_max'] as number[])[0]!;
    assert.ok(Math.abs(m) < 0.05 && Math.abs(m) < 4 * mse + 0.01, `mattis = ${m} ± ${mse}`);
    assert.ok(mx > 0.1, `mattis_max = ${mx}`);
    // Retrieval (T = 0.2, α = 0.05 < α_c): the chain stays in the pattern it started from.
    const cold = await runSpinglass({ model: 'hopfield', n: 100, alpha: 0.05, start: 'pattern', dynamics: 'metropolis', temperatures: [0.2], sweeps: 500, equilibration: 100, samples: 2, replicas: 2, seed: 1 }, join(dir, 'cold'));
    assert.ok((cold['mattis'] as number[])[0]! > 0.9, JSON.stringify(cold['mattis']));
    assert.ok(Run.open(join(dir, 'cold')).hasArray('mattis_max'));
  } finally {
    removeDir(dir);
  }
});
