/**
 * Argument checks shared by every GEMM backend. They run in JavaScript before any kernel, so a wrong
 * size becomes a GlassyError naming the argument, never an out-of-bounds read or write in native or
 * WebAssembly code.
 */
import { GlassyError } from '../errors.js';
import type { Float } from '../backend.js';

/** Elements a row-major rows x cols matrix with row stride ld occupies (0 when empty). */
export function span(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

function dim(field: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) throw GlassyError.invalid(field, v, 'an integer in [0, 2^31)');
}

/**
 * Checks C ← α·op(A)·op(B) + β·C arguments (row-major; A stored as (transA ? k×m : m×k), B as
 * (transB ? n×k : k×n), C as m×n) against the arrays' lengths. `kind` is 'sgemm' or 'dgemm'.
 */
export function checkGemm(
  kind: 'sgemm' | 'dgemm', want: typeof Float32Array | typeof Float64Array,
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, a: Float, lda: number, b: Float, ldb: number, beta: number, c: Float, ldc: number,
): void {
  dim(`${kind}.m`, m);
  dim(`${kind}.n`, n);
  dim(`${kind}.k`, k);
  if (typeof alpha !== 'number') throw GlassyError.invalid(`${kind}.alpha`, alpha, 'a number');
  if (typeof beta !== 'number') throw GlassyError.invalid(`${kind}.beta`, beta, 'a number');
  const type = want === Float32Array ? 'a Float32Array' : 'a Float64Array';
  if (!(a instanceof want)) throw GlassyError.invalid(`${kind}.a`, a?.constructor?.name ?? a, type);
  if (!(b instanceof want)) throw GlassyError.invalid(`${kind}.b`, b?.constructor?.name ?? b, type);
  if (!(c instanceof want)) throw GlassyError.invalid(`${kind}.c`, c?.constructor?.name ?? c, type);
  const ac = transA ? m : k, ar = transA ? k : m;
  const bc = transB ? k : n, br = transB ? n : k;
  if (!Number.isInteger(lda) || lda < Math.max(1, ac) || lda > 0x7fffffff)
    throw GlassyError.invalid(`${kind}.lda`, lda, `an integer >= ${Math.max(1, ac)} (the row length of A as stored)`);
  if (!Number.isInteger(ldb) || ldb < Math.max(1, bc) || ldb > 0x7fffffff)
    throw GlassyError.invalid(`${kind}.ldb`, ldb, `an integer >= ${Math.max(1, bc)} (the row length of B as stored)`);
  if (!Number.isInteger(ldc) || ldc < Math.max(1, n) || ldc > 0x7fffffff)
    throw GlassyError.invalid(`${kind}.ldc`, ldc, `an integer >= ${Math.max(1, n)} (n)`);
  const needC = span(m, n, ldc);
  if (c.length < needC) throw GlassyError.invalid(`${kind}.c.length`, c.length, `>= ${needC} (${m}×${n} with ldc ${ldc})`);
  if (m === 0 || n === 0 || k === 0) return; // A and B are not read
  const needA = span(ar, ac, lda);
  if (a.length < needA) throw GlassyError.invalid(`${kind}.a.length`, a.length, `>= ${needA} (${ar}×${ac} with lda ${lda})`);
  const needB = span(br, bc, ldb);
  if (b.length < needB) throw GlassyError.invalid(`${kind}.b.length`, b.length, `>= ${needB} (${br}×${bc} with ldb ${ldb})`);
}

/** Checks an allocation request. */
export function checkAlloc(field: string, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 2 ** 30) throw GlassyError.invalid(field, n, 'an integer in [0, 2^30]');
}

/** Checked allocators of the backends whose arrays live on the JS heap (reference, BLAS). */
export const heapAlloc = {
  allocF32(n: number): Float32Array {
    checkAlloc('allocF32.n', n);
    return new Float32Array(n);
  },
  allocF64(n: number): Float64Array {
    checkAlloc('allocF64.n', n);
    return new Float64Array(n);
  },
};

/**
 * C ← β·C on the m×n block (β = 0 writes zeros): the whole GEMM when k = 0 or α = 0, where BLAS
 * semantics say A and B are not read — OpenBLAS would still multiply them, so NaNs there would leak.
 */
export function scaleC(m: number, n: number, beta: number, c: Float, ldc: number): void {
  for (let i = 0; i < m; i++) {
    const row = i * ldc;
    if (beta === 0) c.fill(0, row, row + n);
    else if (beta !== 1) for (let j = row; j < row + n; j++) c[j] = beta * c[j]!;
  }
}
