/**
 * The level-1 vector kernels the layers above need (BLAS names and semantics, unit stride), on
 * Float32Array or Float64Array, mixed freely. Plain loops: these are memory-bound (one or two reads
 * per multiply-add), so SIMD or native code would not make them faster in any way that matters.
 * Reductions (dot, nrm2) accumulate in float64 — a JavaScript number — whatever the array type.
 * `n` defaults to the length of the first array; every array must hold at least n elements.
 */
import type { Float } from './backend.js';
import { GlassyError } from './errors.js';

function count(op: string, n: number | undefined, ...xs: Float[]): number {
  const m = n ?? xs[0]!.length;
  if (!Number.isInteger(m) || m < 0) throw GlassyError.invalid(`${op}.n`, m, 'a non-negative integer');
  for (let i = 0; i < xs.length; i++) {
    if (xs[i]!.length < m) throw GlassyError.invalid(`${op}.${i === 0 ? 'x' : 'y'}.length`, xs[i]!.length, `>= n = ${m}`);
  }
  return m;
}

/** Σ x_i y_i over i < n. */
export function dot(x: Float, y: Float, n?: number): number {
  const m = count('dot', n, x, y);
  // four partial sums: shorter dependency chains, and a little less rounding error than one
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    s0 += x[i]! * y[i]!;
    s1 += x[i + 1]! * y[i + 1]!;
    s2 += x[i + 2]! * y[i + 2]!;
    s3 += x[i + 3]! * y[i + 3]!;
  }
  for (; i < m; i++) s0 += x[i]! * y[i]!;
  return (s0 + s1) + (s2 + s3);
}

/** y ← α·x + y over i < n. */
export function axpy(alpha: number, x: Float, y: Float, n?: number): void {
  const m = count('axpy', n, x, y);
  if (alpha === 0) return;
  for (let i = 0; i < m; i++) y[i] = y[i]! + alpha * x[i]!;
}

/** x ← α·x over i < n (α = 0 writes zeros, so NaNs do not survive, as in BLAS implementations). */
export function scal(alpha: number, x: Float, n?: number): void {
  const m = count('scal', n, x);
  if (alpha === 0) x.fill(0, 0, m);
  else for (let i = 0; i < m; i++) x[i] = alpha * x[i]!;
}

/**
 * ‖x‖₂ over i < n, without overflow or underflow: the plain sum of squares in float64 first, and
 * when that over- or underflows, the scaled recurrence of LAPACK's dnrm2 (Hammarling 1977; Anderson,
 * "Algorithm 978: Safe Scaling in the Level 1 BLAS", ACM TOMS 44(1), 2017).
 */
export function nrm2(x: Float, n?: number): number {
  const m = count('nrm2', n, x);
  let ss = 0;
  for (let i = 0; i < m; i++) ss += x[i]! * x[i]!;
  if (ss > 1e-290 && ss < Infinity) return Math.sqrt(ss);
  if (Number.isNaN(ss)) return NaN;
  let scale = 0, sumsq = 1;
  for (let i = 0; i < m; i++) {
    const a = Math.abs(x[i]!);
    if (a === 0) continue;
    if (a === Infinity) return Infinity;
    if (scale < a) {
      sumsq = 1 + sumsq * (scale / a) * (scale / a);
      scale = a;
    } else sumsq += (a / scale) * (a / scale);
  }
  return scale * Math.sqrt(sumsq);
}

/** y ← x over i < n (y may be a different precision: values are rounded to y's type). */
export function copy(x: Float, y: Float, n?: number): void {
  const m = count('copy', n, x, y);
  if (m === x.length && x.constructor === y.constructor) y.set(x);
  else if (x.constructor === y.constructor) y.set(x.subarray(0, m));
  else for (let i = 0; i < m; i++) y[i] = x[i]!;
}
