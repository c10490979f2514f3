/**
 * Every GEMM backend against a float64 truth (the reference loops fed the same inputs: products
 * of float32 or float64 values, summed in float64).
 *
 * Tolerance, per element (Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., §3.5,
 * eq. 3.13: |fl(AB) − AB| ≤ γ_k |A||B| for any summation order, γ_k = k·u/(1 − k·u)), plus one
 * rounding each for α·(·), β·c and the final addition:
 *   |C − C_true| ≤ (k + 3)·u·(|α|·Σ_p |a_ip||b_pj| + |β|·|c_ij|) + 1e-300,
 * with u = 2^-24 for sgemm and 2^-53 for dgemm (the float64 truth itself is off by ≤ k·2^-53·Σ|a||b|,
 * negligible for sgemm; for dgemm the bound is doubled to cover it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Backend, BackendName, Float } from '../src/core/backend.js';
import { getBackend } from '../src/core/backends/index.js';
import { referenceGemm } from '../src/core/backends/reference.js';
import { GlassyError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';

const addonBuilt = existsSync(fileURLToPath(new URL('../../build/Release/glassy_blas.node', import.meta.url)));
const names: BackendName[] = addonBuilt ? ['blas', 'wasm', 'reference'] : ['wasm', 'reference'];

type Precision = 'f32' | 'f64';
const SIZES = [1, 3, 7, 17, 33, 129];
/** (m, n, k): every size in every position, plus shapes crossing the WebAssembly kernel's blocks
 *  (KC = 256 along k, MC = 96 along m, NC = 512 along n) and the MLP's shapes. */
const SHAPES: Array<[number, number, number]> = [
  ...SIZES.map((s, i): [number, number, number] => [s, SIZES[(i + 2) % 6]!, SIZES[(i + 4) % 6]!]),
  ...SIZES.map((s, i): [number, number, number] => [SIZES[(i + 1) % 6]!, s, SIZES[(i + 3) % 6]!]),
  [1, 1, 1], [129, 129, 1], [1, 1, 129], [7, 600, 300], [100, 10, 784], [33, 100, 257],
];
const SCALARS: Array<[number, number]> = [[1, 0], [-0.7, 0.3], [2, 1]];

interface Case {
  transA: boolean; transB: boolean; m: number; n: number; k: number; alpha: number; beta: number;
  lda: number; ldb: number; ldc: number;
}

/** A matrix of `rows × cols` with row stride `ld`, as a subarray starting `off` elements into a larger buffer. */
function matrix(alloc: (n: number) => Float, rng: Rng, rows: number, cols: number, ld: number, off: number): Float {
  const total = off + (rows > 0 ? (rows - 1) * ld + cols : 0) + 3;
  const buf = alloc(total);
  for (let i = 0; i < total; i++) buf[i] = rng.uniform() * 2 - 1;
  return buf.subarray(off, total - 3);
}

function check(be: Backend, prec: Precision, c: Case, rng: Rng, fromBackend: boolean): void {
  const { transA, transB, m, n, k, alpha, beta, lda, ldb, ldc } = c;
  const alloc = (len: number): Float =>
    fromBackend ? (prec === 'f32' ? be.allocF32(len) : be.allocF64(len)) : prec === 'f32' ? new Float32Array(len) : new Float64Array(len);
  const a = matrix(alloc, rng, transA ? k : m, transA ? m : k, lda, 1 + rng.int(5));
  const b = matrix(alloc, rng, transB ? n : k, transB ? k : n, ldb, rng.int(5));
  const cc = matrix(alloc, rng, m, n, ldc, 2);
  // The gaps between rows of C (ldc > n) must come back untouched: mark them.
  for (let i = 0; i < m; i++) for (let j = n; j < ldc && i * ldc + j < cc.length; j++) cc[i * ldc + j] = 12345;
  if (beta === 0) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) cc[i * ldc + j] = NaN; // β = 0 ignores C
  const truth = new Float64Array(cc.length);
  truth.set(cc);
  const a64 = Float64Array.from(a), b64 = Float64Array.from(b);
  referenceGemm(transA, transB, m, n, k, alpha, a64, lda, b64, ldb, beta, truth, ldc);
  // Σ_p |a_ip||b_pj| for the bound
  const absA = a64.map(Math.abs), absB = b64.map(Math.abs);
  const mag = new Float64Array(cc.length);
  referenceGemm(transA, transB, m, n, k, 1, absA, lda, absB, ldb, 0, mag, ldc);
  const before = Float64Array.from(cc);

  if (prec === 'f32') be.sgemm(transA, transB, m, n, k, alpha, a as Float32Array, lda, b as Float32Array, ldb, beta, cc as Float32Array, ldc);
  else be.dgemm(transA, transB, m, n, k, alpha, a as Float64Array, lda, b as Float64Array, ldb, beta, cc as Float64Array, ldc);

  const u = prec === 'f32' ? 2 ** -24 : 2 * 2 ** -53;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < ldc; j++) {
      const q = i * ldc + j;
      if (q >= cc.length) break;
      if (j >= n) {
        assert.equal(cc[q], before[q], `${be.name} ${prec} wrote into the gap of C at (${i},${j})`);
        continue;
      }
      const cOld = beta === 0 ? 0 : Math.abs(before[q]!);
      const tol = (k + 3) * u * (Math.abs(alpha) * mag[q]! + Math.abs(beta) * cOld) + 1e-300;
      const err = Math.abs(cc[q]! - truth[q]!);
      if (!(err <= tol)) {
        assert.fail(`${be.name} ${prec} ${JSON.stringify(c)} fromBackend=${fromBackend}: C(${i},${j}) = ${cc[q]}, truth ${truth[q]}, |err| ${err} > tol ${tol}`);
      }
    }
  }
}

for (const name of names) {
  for (const prec of ['f32', 'f64'] as Precision[]) {
    test(`${name} ${prec}gemm matches the float64 truth: all transposes, odd sizes, α/β, ld > cols, subarray views`, () => {
      const be = getBackend(name);
      const rng = Rng.stream(20240601, name.length, prec === 'f32' ? 0 : 1);
      let cases = 0;
      for (const [m, n, k] of SHAPES) {
        // The reference backend is the slow truth itself: skip its largest shapes to stay fast.
        if (name === 'reference' && m * n * k > 200_000) continue;
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            const [alpha, beta] = SCALARS[cases % SCALARS.length]!;
            const pad = cases % 2 === 0 ? 0 : 1 + (cases % 5); // ld > cols on every other case
            const c: Case = {
              transA, transB, m, n, k, alpha, beta,
              lda: (transA ? m : k) + pad, ldb: (transB ? k : n) + pad, ldc: n + pad,
            };
            check(be, prec, c, rng, cases % 3 === 1);
            cases++;
          }
        }
      }
      assert.ok(cases >= 60, `ran ${cases} cases`);
    });
  }

  test(`${name}: k = 0 and α = 0 give C = β·C without reading A and B; m or n = 0 is a no-op`, () => {
    const be = getBackend(name);
    const nanA = new Float32Array(12).fill(NaN), nanB = new Float32Array(12).fill(NaN);
    const c = new Float32Array([1, 2, 3, 4, 5, 6]);
    be.sgemm(false, false, 2, 3, 0, 1, nanA, 1, nanB, 3, 0.5, c, 3);
    assert.deepEqual([...c], [0.5, 1, 1.5, 2, 2.5, 3]);
    be.sgemm(false, false, 2, 3, 4, 0, nanA, 4, nanB, 3, 2, c, 3);
    assert.deepEqual([...c], [1, 2, 3, 4, 5, 6]);
    const d = new Float64Array([NaN, NaN, NaN, NaN]);
    be.dgemm(true, true, 2, 2, 3, 0, new Float64Array(6).fill(NaN), 2, new Float64Array(6).fill(NaN), 3, 0, d, 2);
    assert.deepEqual([...d], [0, 0, 0, 0]);
    const e = new Float32Array([7]);
    be.sgemm(false, false, 0, 1, 5, 1, new Float32Array(0), 5, new Float32Array(5), 1, 0, e, 1);
    assert.deepEqual([...e], [7]);
  });

  test(`${name}: bad sizes are GlassyErrors naming the argument, before any kernel runs`, () => {
    const be = getBackend(name);
    const a = new Float32Array(6), b = new Float32Array(6), c = new Float32Array(4);
    const expectErr = (fn: () => void, field: string): void =>
      assert.throws(fn, (e: unknown) => e instanceof GlassyError && e.field === field, `expected a GlassyError on ${field}`);
    expectErr(() => be.sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, new Float32Array(3), 2), 'sgemm.c.length');
    expectErr(() => be.sgemm(false, false, 2, 2, 3, 1, new Float32Array(5), 3, b, 2, 0, c, 2), 'sgemm.a.length');
    expectErr(() => be.sgemm(false, true, 2, 2, 3, 1, a, 3, new Float32Array(5), 3, 0, c, 2), 'sgemm.b.length');
    expectErr(() => be.sgemm(false, false, 2, 2, 3, 1, a, 2, b, 2, 0, c, 2), 'sgemm.lda');
    expectErr(() => be.sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 1), 'sgemm.ldc');
    expectErr(() => be.sgemm(false, false, -1, 2, 3, 1, a, 3, b, 2, 0, c, 2), 'sgemm.m');
    expectErr(() => be.sgemm(false, false, 2, 2, 1.5, 1, a, 3, b, 2, 0, c, 2), 'sgemm.k');
    expectErr(() => be.dgemm(false, false, 2, 2, 3, 1, new Float64Array(6), 3, new Float64Array(6), 2, 0, c as unknown as Float64Array, 2), 'dgemm.c');
    expectErr(() => be.allocF32(-1), 'allocF32.n');
  });
}

test('gemm() dispatches on precision; mixed precisions are a GlassyError', async () => {
  const { gemm, allocLike } = await import('../src/core/backends/index.js');
  const be = getBackend('reference');
  // [1 2; 3 4]·[5 6; 7 8] = [19 22; 43 50], exactly, in both precisions
  for (const T of [Float32Array, Float64Array]) {
    const a = new T([1, 2, 3, 4]), b = new T([5, 6, 7, 8]), c = allocLike(be, a, 4);
    assert.equal(c.constructor, T);
    gemm(be, false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2);
    assert.deepEqual([...c], [19, 22, 43, 50]);
  }
  assert.throws(
    () => gemm(be, false, false, 1, 1, 1, 1, new Float64Array(1) as Float, 1, new Float32Array(1) as Float, 1, 0, new Float32Array(1) as Float, 1),
    (e: unknown) => e instanceof GlassyError && e.field === 'gemm.a',
  );
});

test('gatherRows (where a backend has it) copies the indexed rows exactly and refuses an index outside x', () => {
  for (const name of names) {
    const be = getBackend(name);
    if (!be.gatherRows) continue;
    for (const Ctor of [Float32Array, Float64Array]) {
      const d = 5, n = 7;
      const x = new Ctor(n * d).map((_, i) => i * 0.5 - 3);
      const rows = Int32Array.from([6, 0, 3, 3]);
      const out = new Ctor(rows.length * d + 2).fill(9);
      be.gatherRows(x, d, rows, out);
      for (let r = 0; r < rows.length; r++) for (let j = 0; j < d; j++) assert.equal(out[r * d + j], x[rows[r]! * d + j]);
      assert.equal(out[rows.length * d], 9, 'nothing written past the rows');
      assert.throws(() => be.gatherRows!(x, d, Int32Array.from([1, 7]), out), RangeError);
      assert.throws(() => be.gatherRows!(x, d, Int32Array.from([-1]), out), RangeError);
      assert.throws(() => be.gatherRows!(x, d, rows, new Ctor(3)), RangeError);
    }
  }
});

test('gatherBytes (where a backend has it) stores a·v + b as a Float32Array would, for every byte, and refuses indices outside rows or src', () => {
  for (const name of names) {
    const be = getBackend(name);
    if (!be.gatherBytes) continue;
    // MNIST's standard normalisation, the unit scale, and constants whose product and sum round.
    for (const [a, b] of [[1 / (255 * 0.3081), -0.1307 / 0.3081], [1 / 255, 0], [0.1 + 1e-17, -1 / 3], [3.7e-3, 7.77e5]] as const) {
      const d = 37; // not a multiple of the vector width: the tails too
      const src = Uint8Array.from({ length: 8 * d }, (_, i) => (i * 7) % 256);
      const all = Uint8Array.from({ length: 256 }, (_, v) => v); // every byte value, in one row
      const rows = Int32Array.from([7, 2, 0, 5]);
      const batch = Int32Array.from([3, 1, 1, 0]);
      const out = new Float32Array(batch.length * d + 1).fill(9);
      be.gatherBytes(src, d, rows, batch, a, b, out);
      const want = new Float32Array(d);
      for (let r = 0; r < batch.length; r++) {
        const o = rows[batch[r]!]! * d;
        for (let j = 0; j < d; j++) want[j] = src[o + j]! * a + b;
        assert.deepEqual(out.subarray(r * d, r * d + d), want, `row ${r}, a = ${a}, b = ${b}`);
      }
      assert.equal(out[batch.length * d], 9, 'nothing written past the batch');
      const one = new Float32Array(256);
      be.gatherBytes(all, 256, Int32Array.from([0]), Int32Array.from([0]), a, b, one);
      assert.deepEqual(one, Float32Array.from(all, (v) => v * a + b), 'every byte value');
      assert.throws(() => be.gatherBytes!(src, d, rows, Int32Array.from([4]), a, b, out), RangeError);
      assert.throws(() => be.gatherBytes!(src, d, Int32Array.from([8]), Int32Array.from([0]), a, b, out), RangeError);
      assert.throws(() => be.gatherBytes!(src, d, rows, Int32Array.from([-1]), a, b, out), RangeError);
      assert.throws(() => be.gatherBytes!(src, d, rows, batch, a, b, new Float32Array(d)), RangeError);
    }
  }
});

test('colSums (where a backend has it) equals the JavaScript column-sum loop bit for bit, f32 and f64, β 0 and 1', () => {
  const rng = Rng.stream(3, 9);
  for (const name of names) {
    const be = getBackend(name);
    if (!be.colSums) continue;
    for (const Ctor of [Float32Array, Float64Array]) {
      const B = 37, cols = 23, offset = 5;
      // Magnitudes over 12 decades, so the float sums round at every step.
      const m = new Ctor(B * cols).map(() => (rng.uniform() - 0.5) * 10 ** (6 * rng.uniform() - 3));
      for (const beta of [0, 1] as const) {
        const g = new Ctor(offset + cols + 3).map(() => rng.uniform());
        const want = Ctor.from(g);
        if (beta === 0) want.fill(0, offset, offset + cols);
        for (let r = 0; r < B; r++) for (let j = 0; j < cols; j++) want[offset + j] = want[offset + j]! + m[r * cols + j]!;
        be.colSums(m, B, cols, g, offset, beta);
        assert.deepEqual(g, want, `${Ctor.name}, β = ${beta}`);
      }
      assert.throws(() => be.colSums!(m, B + 1, cols, new Ctor(cols), 0, 0), RangeError);
      assert.throws(() => be.colSums!(m, B, cols, new Ctor(cols), 1, 0), RangeError);
    }
  }
});

test('ReLU kernels (where a backend has them) equal the JavaScript loops bit for bit, NaN and −0 included', () => {
  for (const name of names) {
    const be = getBackend(name);
    if (!be.reluForward || !be.reluBackward) continue;
    const z = Float32Array.from([1.5, -2, 0, -0, NaN, 3e-40, -3e-40, Infinity, -Infinity, 7]);
    const da = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, NaN]);
    const a = new Float32Array(z.length + 1).fill(9), dz = new Float32Array(z.length + 1).fill(9);
    be.reluForward(z, a, z.length);
    be.reluBackward(z, da, dz, z.length);
    for (let i = 0; i < z.length; i++) {
      assert.ok(Object.is(a[i], z[i]! > 0 ? z[i] : 0), `forward ${i}`);
      assert.ok(Object.is(dz[i], z[i]! > 0 ? da[i] : 0), `backward ${i}`);
    }
    assert.equal(a[z.length], 9, 'nothing written past n');
    assert.throws(() => be.reluForward!(z, new Float32Array(3), z.length), RangeError);
  }
});
