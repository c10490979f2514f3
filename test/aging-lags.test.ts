/** `--lags`: explicit lags t beside the LogList grid, validated (positive integers ≤ T/2, increasing). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agingGrids, parseAgingConfig } from '../src/protocols/aging/config.js';
import { logList } from '../src/observables/aging.js';

test('explicit lags replace the LogList grid; without them the grid is LogList(1, T/2, tPoints)', () => {
  const c = parseAgingConfig({ landscape: 'flat', tMax: 200, lags: [1, 3, 50, 100] });
  assert.deepEqual(agingGrids(c).t, [1, 3, 50, 100]);
  const d = parseAgingConfig({ landscape: 'flat', tMax: 200, tPoints: 10 });
  assert.deepEqual(agingGrids(d).t, logList(1, 100, 10));
  assert.throws(() => parseAgingConfig({ landscape: 'flat', tMax: 200, lags: [1, 101] }), /lags\[1\]: got 101, expected a lag ≤ tMax\/2 = 100/);
  assert.throws(() => parseAgingConfig({ landscape: 'flat', tMax: 200, lags: [5, 2] }), /lags\[1\]: got 2, expected a lag > lags\[0\] = 5/);
  assert.throws(() => parseAgingConfig({ landscape: 'flat', tMax: 200, lags: [1.5] }), /lags\.0/);
  assert.throws(() => parseAgingConfig({ landscape: 'flat', tMax: 200, lags: [] }), /lags/);
});
