/**
 * The reference backend: plain loops that accumulate every dot product in float64 and round once.
 * It is the truth the tests compare the fast backends with, and the last-resort fallback when
 * neither the BLAS addon nor the WebAssembly kernels load (~1 GFLOP/s: correct, not fast).
 */
import type { Backend, Float } from '../backend.js';
import { checkGemm, heapAlloc } from './validate.js';

/**
 * C ← α·op(A)·op(B) + β·C on any float arrays; β = 0 overwrites C (NaN in C is ignored), as BLAS.
 * Exported so tests can compute a float64 truth from float32 inputs.
 */
export function referenceGemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, a: Float, lda: number, b: Float, ldb: number, beta: number, c: Float, ldc: number,
): void {
  // A(i,p) at transA ? p*lda + i : i*lda + p; B(p,j) at transB ? j*ldb + p : p*ldb + j.
  const ai = transA ? 1 : lda, ap = transA ? lda : 1;
  const bp = transB ? 1 : ldb, bj = transB ? ldb : 1;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      if (alpha !== 0) {
        let ia = i * ai, jb = j * bj;
        for (let p = 0; p < k; p++, ia += ap, jb += bp) s += a[ia]! * b[jb]!;
      }
      const q = i * ldc + j;
      c[q] = beta === 0 ? alpha * s : alpha * s + beta * c[q]!;
    }
  }
}

export function createReferenceBackend(): Backend {
  return {
    name: 'reference',
    description: 'reference loops (float64 accumulation, ~1 GFLOP/s)',
    sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      checkGemm('sgemm', Float32Array, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      referenceGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    },
    dgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      checkGemm('dgemm', Float64Array, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      referenceGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    },
    usesInPlace() {
      return true;
    },
    ...heapAlloc,
  };
}
