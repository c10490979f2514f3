/**
 * `glassy spinglass --model pspin`: the spherical p-spin through the same protocol and arrays as
 * the Ising models. Checks: the paramagnetic energy (finite-N value of docs/pspin.md,
 * e = −(1/2T)(N−1)(N−2)/((N+2)(N+4)) for p = 3, → −1/(2T)), small overlaps between independent
 * replicas in the paramagnet (⟨q²⟩ ≈ 1/N), gradient descent ending above the ground state and near
 * the threshold energy, and the model/dynamics pairing errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { runSpinglass } from './spinglass-helpers.js';
import { Run } from '../src/store/run.js';
import { GLASSY, removeDir, tempDir } from './executor-helpers.js';

test('p = 3 Langevin at T = 2 gives the paramagnetic energy and q² ≈ 1/N', async () => {
  const dir = tempDir('pspin-hot');
  try {
    const N = 48;
    const s = await runSpinglass({
      model: 'pspin', n: N, p: 3, dynamics: 'langevin', dt: 0.01, temperatures: [2],
      sweeps: 3000, equilibration: 500, measureEvery: 10, samples: 4, replicas: 3, seed: 2,
    }, dir);
    const exact = -(1 / 4) * ((N - 1) * (N - 2)) / ((N + 2) * (N + 4));
    // Euler–Maruyama at dt = 0.01 biases e by O(T·dt); 0.01 covers it and 3 SE of 4 samples.
    assert.ok(Math.abs(s.energy[0]! - exact) < 0.01 + 3 * s.energy_se[0]!, `e = ${s.energy[0]} ± ${s.energy_se[0]}, exact ${exact}`);
    assert.ok(s.q2[0]! > 0.3 / N && s.q2[0]! < 3 / N, `⟨q²⟩ = ${s.q2[0]} vs 1/N = ${1 / N}`);
    const run = Run.open(dir);
    assert.deepEqual(run.readArray('configurations').shape, [1, 4, 3, N]);
    assert.deepEqual(run.readArray('pq_hist').shape, [1, 101]);
  } finally {
    removeDir(dir);
  }
});

test('p = 3 gradient descent from random starts ends above the ground state, near E_th', async () => {
  const dir = tempDir('pspin-gd');
  try {
    const s = await runSpinglass({ model: 'pspin', n: 100, p: 3, dynamics: 'gd', dt: 0.1, sweeps: 3000, equilibration: 0, measureEvery: 3000, samples: 2, replicas: 2, seed: 5 }, dir);
    // Finite-N GD ends ≈ 10/N above E_th = −1.1547 (docs/pspin.md: −1.058 at N = 100); never below the ground state −1.1717.
    assert.ok(s.energy[0]! > -1.1717 && s.energy[0]! < -1.0, `e = ${s.energy[0]}`);
  } finally {
    removeDir(dir);
  }
});

test('pspin pairs only with langevin|gd, and Ising models not with them', () => {
  for (const [args, re] of [
    [['--model', 'pspin', '--n', '16', '--dynamics', 'pt', '--temperatures', '1,2'], /dynamics: got "pt", expected langevin \| gd/],
    [['--model', 'sk', '--n', '16', '--dynamics', 'langevin', '--temperatures', '1'], /dynamics: got "langevin"/],
    [['--model', 'pspin', '--n', '16', '--p', '5', '--dynamics', 'gd'], /p: got 5, expected 2, 3 or 4/],
    [['--model', 'pspin', '--n', '5000', '--dynamics', 'gd'], /n: got 5000, expected at most 2000/],
  ] as const) {
    const r = spawnSync(process.execPath, [GLASSY, 'spinglass', ...args, '--out', '/nonexistent/never'], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, re);
  }
});
