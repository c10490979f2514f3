/** `glassy demo --quick` end to end: every run, report and the comparison page are written. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GLASSY, removeDir, tempDir } from './executor-helpers.js';

test('glassy demo --quick writes the ensemble, the SK run, their clustering and reports', () => {
  const dir = tempDir('demo');
  try {
    const r = spawnSync(process.execPath, [GLASSY, 'demo', '--quick', '--replicas', '4', '--workers', '2', '--json', '--out', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as {
      train: { final_test_error_mean: number }; network_overlaps: { q_mean: number; q_mean_unaligned: number };
      sk_overlaps: { q_var: number }; reports: string[]; comparison: string;
    };
    // 16 hidden units, 3 000 images, two epochs: far below chance (90 % error).
    assert.ok(s.train.final_test_error_mean < 0.25, `test error ${s.train.final_test_error_mean}`);
    // Weight matching raises the overlap of independently trained networks.
    assert.ok(s.network_overlaps.q_mean > s.network_overlaps.q_mean_unaligned + 0.1, JSON.stringify(s.network_overlaps));
    // SK at T = 0.3 is deep in the glass phase: ⟨q²⟩ is large.
    assert.ok(s.sk_overlaps.q_var > 0.3, JSON.stringify(s.sk_overlaps));
    for (const p of [...s.reports, s.comparison]) assert.ok(existsSync(p), p);
    for (const run of ['mnist-ensemble', 'mnist-cluster', 'sk', 'sk-cluster']) {
      assert.ok(existsSync(join(dir, run, 'manifest.json')), run);
    }
  } finally {
    removeDir(dir);
  }
});
