/**
 * The Parisi picture on the SK side (issue "replicas", check on P(q)): below T_c = 1 the overlap
 * distribution of PT-equilibrated replicas is symmetric with weight at ±q_EA and in between (the
 * continuous RSB plateau); above T_c it is one peak at 0 whose width shrinks with N, as
 * N⟨q²⟩ → 1/(1 − β²) in the paramagnet (Sherrington & Kirkpatrick 1975, high-T expansion).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSpinglass } from './spinglass-helpers.js';
import { parseClusterConfig, type ClusterSummary } from '../src/protocols/cluster.js';
import { runAnalysis } from './analysis-helpers.js';
import { Run } from '../src/store/run.js';
import { removeDir, tempDir } from './executor-helpers.js';

function weights(run: Run, k: number) {
  const edges = run.readArray('pq_edges').data as Float64Array;
  const hist = run.readArray('pq_hist');
  const B = hist.shape[1]!;
  const p = (hist.data as Float64Array).subarray(k * B, k * B + B);
  const total = p.reduce((s, v) => s + v, 0);
  let neg = 0, pos = 0, high = 0, mid = 0;
  for (let b = 0; b < B; b++) {
    const q = (edges[b]! + edges[b + 1]!) / 2;
    const w = p[b]! / total;
    if (q < 0) neg += w; else if (q > 0) pos += w;
    if (Math.abs(q) > 0.55) high += w;
    if (Math.abs(q) > 0.1 && Math.abs(q) < 0.45) mid += w;
  }
  return { neg, pos, high, mid };
}

test('SK P(q): two symmetric peaks and weight between them below T_c; one shrinking peak above', async () => {
  const dirs = [tempDir('pq64'), tempDir('pq128')];
  try {
    const temps = [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.15, 1.3, 1.5];
    const q2 = new Map<number, number>();
    for (const [i, n] of [64, 128].entries()) {
      const dir = dirs[i]!;
      await runSpinglass({ model: 'sk', n, dynamics: 'pt', temperatures: temps, samples: 8, replicas: 4, sweeps: 1500, equilibration: 1500, seed: 3 }, dir, { overwrite: true });
      const run = Run.open(dir);
      const q2m = run.readArray('q2_mean').data as Float64Array;
      q2.set(n, q2m[temps.length - 1]!);
      if (n !== 64) continue;
      const low = weights(run, 0);
      // Symmetric under the global flip within the sampling error of 8 samples × 6 pairs.
      assert.ok(Math.abs(low.neg - low.pos) < 0.15, `P(q) asymmetric: ${low.neg} vs ${low.pos}`);
      // Weight at ±q_EA (q_EA ≈ 0.7–0.8 at T = 0.4 for N = 64) and a non-zero plateau between.
      assert.ok(low.high > 0.3, `weight at |q| > 0.55: ${low.high}`);
      assert.ok(low.mid > 0.03, `weight at 0.1 < |q| < 0.45: ${low.mid}`);
      // Clustering the replicas of one sample works on the spin-glass run too.
      const c = await runAnalysis('cluster', parseClusterConfig({ source: dir, overlap: 'aligned' }), `${dir}-cluster`, 0) as unknown as ClusterSummary;
      assert.equal(c.replicas, 4);
      removeDir(`${dir}-cluster`);
    }
    // Above T_c: N⟨q²⟩ ≈ 1/(1 − β²) = 1.8 at T = 1.5 (finite-N corrections O(1/N)), so ⟨q²⟩ halves from N = 64 to 128.
    const hi64 = q2.get(64)!, hi128 = q2.get(128)!;
    assert.ok(Math.abs(64 * hi64 - 1.8) < 0.5, `64⟨q²⟩ = ${64 * hi64}`);
    assert.ok(hi128 < 0.7 * hi64, `width shrinks with N: ⟨q²⟩ ${hi64} → ${hi128}`);
  } finally {
    for (const d of dirs) removeDir(d);
  }
});
