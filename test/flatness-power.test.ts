/**
 * A rank correlation across replicas that cannot answer the question is said to have no power,
 * instead of printing an interval such as [−1, 0.8]: one training configuration (seed-to-seed
 * spread only), or too few pairs (≤ 4: no ranking reaches p < 0.05). Every row states n and the
 * CI method.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/core/rng.js';
import { MEASURES, correlateMeasures, noPower } from '../src/protocols/flatness.js';

function columns(n: number, slope: number, seed: number) {
  const rng = Rng.stream(seed);
  const target = Float64Array.from({ length: n }, (_, i) => i / n + 0.05 * rng.normal());
  const cols: Record<string, Float64Array> = {};
  for (const m of MEASURES) cols[m] = Float64Array.from(target, (t) => slope * t + 0.05 * rng.normal());
  return { cols, target };
}

test('one configuration: power none with the reason and n, no interval', () => {
  const { cols, target } = columns(6, 1, 1);
  const rows = correlateMeasures(cols, target, 0, 200, 1);
  for (const r of rows) {
    assert.equal(r.power, 'none');
    assert.equal(r.n, 6);
    assert.match(r.reason!, /one training configuration \(n = 6/);
    assert.ok(Number.isNaN(r.spearman_lo) && Number.isNaN(r.spearman_hi) && Number.isNaN(r.kendall_lo));
  }
});

test('four pairs: no power whatever the configurations; many pairs over two configurations: CI with its method', () => {
  assert.match(noPower(4, 3)!, /n = 4 pairs/);
  assert.equal(noPower(5, 2), null);
  const { cols, target } = columns(30, 1, 2);
  const rows = correlateMeasures(cols, target, 0, 300, 2);
  for (const r of rows) {
    assert.notEqual(r.power, 'none');
    assert.equal(r.n, 30);
    assert.match(r.ci_method, /percentile bootstrap over replicas, 300 resamples, 95 %/);
    assert.ok(r.spearman_lo <= r.spearman && r.spearman <= r.spearman_hi && r.spearman > 0.7);
  }
});
