/**
 * Exact linear assignment (Jonker–Volgenant / Crouse 2016): the optimum equals brute force over all
 * permutations for n ≤ 8 (random, tied, negative and rectangular matrices, minimise and maximise), and
 * the result is a valid assignment for n = 300.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linearSumAssignment, solveAssignment } from '../src/symmetry/assignment.js';
import { GlassyError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';

/** Best Σ C[i, σ(i)] over all injective σ: rows → cols (nr ≤ nc), by recursion over columns used. */
function bruteForce(c: Float64Array, nr: number, nc: number, maximize: boolean): number {
  const used = new Uint8Array(nc);
  let best = maximize ? -Infinity : Infinity;
  const rec = (i: number, acc: number): void => {
    if (i === nr) {
      best = maximize ? Math.max(best, acc) : Math.min(best, acc);
      return;
    }
    for (let j = 0; j < nc; j++) {
      if (used[j]) continue;
      used[j] = 1;
      rec(i + 1, acc + c[i * nc + j]!);
      used[j] = 0;
    }
  };
  rec(0, 0);
  return best;
}

function transpose(c: Float64Array, nr: number, nc: number): Float64Array {
  const t = new Float64Array(nr * nc);
  for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) t[j * nr + i] = c[i * nc + j]!;
  return t;
}

function checkValid(rows: Int32Array, cols: Int32Array, nr: number, nc: number): void {
  const k = Math.min(nr, nc);
  assert.equal(rows.length, k);
  assert.equal(cols.length, k);
  const seenR = new Set<number>();
  const seenC = new Set<number>();
  for (let t = 0; t < k; t++) {
    assert.ok(rows[t]! >= 0 && rows[t]! < nr && cols[t]! >= 0 && cols[t]! < nc);
    if (t > 0) assert.ok(rows[t]! > rows[t - 1]!, 'rows sorted increasingly (SciPy format)');
    seenR.add(rows[t]!);
    seenC.add(cols[t]!);
  }
  assert.equal(seenR.size, k);
  assert.equal(seenC.size, k);
}

type Kind = 'uniform' | 'ties' | 'negative';
function randomCost(rng: Rng, n: number, kind: Kind): Float64Array {
  const c = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (kind === 'uniform') c[i] = rng.uniform();
    else if (kind === 'ties') c[i] = rng.int(3); // values 0, 1, 2: many ties, many optimal assignments
    else c[i] = 10 * rng.normal();
  }
  return c;
}

test('square n = 1..8: optimum equals brute force (random, ties, negative; min and max)', () => {
  const rng = Rng.stream(11, 1);
  let cases = 0;
  for (let n = 1; n <= 8; n++) {
    const reps = n <= 6 ? 40 : n === 7 ? 12 : 4;
    for (let r = 0; r < reps; r++) {
      for (const kind of ['uniform', 'ties', 'negative'] as Kind[]) {
        const c = randomCost(rng, n * n, kind);
        for (const maximize of [false, true]) {
          const res = linearSumAssignment(c, n, n, { maximize });
          checkValid(res.rows, res.cols, n, n);
          let total = 0;
          for (let t = 0; t < n; t++) total += c[res.rows[t]! * n + res.cols[t]!]!;
          assert.ok(Math.abs(total - res.total) <= 1e-12 * (1 + Math.abs(total)), 'reported total is the sum of chosen costs');
          const best = bruteForce(c, n, n, maximize);
          assert.ok(Math.abs(res.total - best) <= 1e-9 * (1 + Math.abs(best)), `n=${n} ${kind} max=${maximize}: ${res.total} vs brute force ${best}`);
          cases++;
        }
      }
    }
  }
  assert.ok(cases > 1000);
});

test('rectangular n × m and m × n (n < m ≤ 8): optimum equals brute force, SciPy output convention', () => {
  const rng = Rng.stream(12, 1);
  for (let rep = 0; rep < 60; rep++) {
    const nr = 1 + rng.int(6);
    const nc = nr + 1 + rng.int(8 - nr);
    const c = randomCost(rng, nr * nc, rep % 3 === 0 ? 'ties' : 'negative');
    for (const maximize of [false, true]) {
      const wide = linearSumAssignment(c, nr, nc, { maximize });
      checkValid(wide.rows, wide.cols, nr, nc);
      const best = bruteForce(c, nr, nc, maximize);
      assert.ok(Math.abs(wide.total - best) <= 1e-9 * (1 + Math.abs(best)));
      // Tall matrix: every column is assigned, rows are a subset listed in increasing order.
      const tall = linearSumAssignment(transpose(c, nr, nc), nc, nr, { maximize });
      checkValid(tall.rows, tall.cols, nc, nr);
      assert.ok(Math.abs(tall.total - best) <= 1e-9 * (1 + Math.abs(best)));
    }
  }
});

test('hand case: the anti-diagonal is the unique minimum', () => {
  // 3×3 with costs 0 on the anti-diagonal and 1 elsewhere.
  const c = Float64Array.from([1, 1, 0, 1, 0, 1, 0, 1, 1]);
  assert.deepEqual(Array.from(solveAssignment(c, 3)), [2, 1, 0]);
  assert.deepEqual(Array.from(solveAssignment(c, 3, { maximize: true })).sort(), [0, 1, 2]);
  assert.equal(linearSumAssignment(c, 3, 3, { maximize: true }).total, 3); // e.g. σ = (1, 0, 2)
  // SciPy's documented example: cost [[4,1,3],[2,0,5],[3,2,2]] → cols [1,0,2], total 5.
  const s = linearSumAssignment([4, 1, 3, 2, 0, 5, 3, 2, 2], 3, 3);
  assert.deepEqual(Array.from(s.cols), [1, 0, 2]);
  assert.equal(s.total, 5);
});

test('n = 300: a valid permutation, no worse than the identity and 200 random permutations', () => {
  const n = 300;
  const rng = Rng.stream(13, 1);
  const c = randomCost(rng, n * n, 'uniform');
  const res = linearSumAssignment(c, n, n);
  checkValid(res.rows, res.cols, n, n);
  for (let r = 0; r < 200; r++) {
    const p = rng.permutation(n);
    let s = 0;
    for (let i = 0; i < n; i++) s += c[i * n + p[i]!]!;
    assert.ok(res.total <= s);
  }
  // For uniform [0,1) costs the optimum tends to ζ(2) = π²/6 ≈ 1.645 as n → ∞ (Aldous 2001),
  // with standard deviation ≈ √((4ζ(2) − 4ζ(3))/n) ≈ 0.08 at n = 300 (Wästlund 2010): 0.3 is ~4σ.
  assert.ok(Math.abs(res.total - Math.PI ** 2 / 6) < 0.3, `total ${res.total}`);
});

test('bad input is a GlassyError naming the field', () => {
  assert.throws(() => linearSumAssignment([1, 2, 3], 2, 2), (e: unknown) => e instanceof GlassyError && e.field === 'cost.length');
  assert.throws(() => linearSumAssignment([1, NaN, 3, 4], 2, 2), (e: unknown) => e instanceof GlassyError && /cost\[0, 1\]/.test(e.message));
  assert.throws(() => linearSumAssignment([1, Infinity, 3, 4], 2, 2), GlassyError);
  assert.throws(() => linearSumAssignment([], -1, 0), (e: unknown) => e instanceof GlassyError && e.field === 'rows');
  assert.deepEqual(Array.from(linearSumAssignment([], 0, 0).cols), []);
});
