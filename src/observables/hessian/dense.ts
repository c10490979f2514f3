/**
 * The dense Hessian of a small problem (P ≤ a few thousand), to validate the iterative methods and
 * to count negative and near-zero eigenvalues exactly.
 *
 * Column j is H e_j by one Hessian-vector product; the matrix is symmetrised, (H + Hᵀ)/2, which
 * removes the rounding asymmetry of the R-operator (Pearlmutter 1994) without changing an exact
 * Hessian. The spectrum comes from Householder tridiagonalisation + implicit QL (symeig.ts):
 * 4P³/3 flops for the eigenvalues, about 9P³ with eigenvectors. Measured on one core of the
 * development machine (docs/curvature.md): P = 1 000 in ≈ 1 s, P = 2 000 in ≈ 8 s, eigenvalues only;
 * P = 5 000 is ~2 minutes, so the CLI default cap is 3 000 (raise it with --dense-max).
 */
import { GlassyError } from '../../core/errors.js';
import type { Hvp } from './lanczos.js';
import { symmetricEigen } from './symeig.js';

/** Dense cap used by the CLI unless raised (docs/curvature.md has the timings behind it). */
export const DEFAULT_DENSE_MAX = 3000;

/** The symmetrised dense matrix of a linear operator, row-major P × P. */
export function denseMatrix(hvp: Hvp, dim: number, onColumn?: (j: number) => void): Float64Array {
  const H = new Float64Array(dim * dim);
  const e = new Float64Array(dim);
  const col = new Float64Array(dim);
  for (let j = 0; j < dim; j++) {
    e[j] = 1;
    hvp(e, col);
    e[j] = 0;
    // Column j goes into row j (H symmetric); symmetrised below.
    H.set(col, j * dim);
    onColumn?.(j);
  }
  let asym = 0, big = 0;
  for (let i = 0; i < dim; i++) {
    for (let j = i + 1; j < dim; j++) {
      const a = H[i * dim + j]!, b = H[j * dim + i]!;
      asym = Math.max(asym, Math.abs(a - b));
      big = Math.max(big, Math.abs(a), Math.abs(b));
      const m = 0.5 * (a + b);
      H[i * dim + j] = m;
      H[j * dim + i] = m;
    }
  }
  if (asym > 1e-4 * Math.max(big, 1e-300)) {
    throw new GlassyError(`the operator is not symmetric: max |H_ij − H_ji| = ${asym.toExponential(2)} against max |H_ij| = ${big.toExponential(2)}`);
  }
  return H;
}

export interface DenseSpectrum {
  /** All P eigenvalues, ascending. */
  values: Float64Array;
  /** Eigenvectors as rows (when asked). */
  vectors: Float64Array | null;
  /** λ < −tol·max|λ|. */
  negative: number;
  /** |λ| ≤ tol·max|λ|. */
  nearZero: number;
  positive: number;
  /** The relative threshold used. */
  tol: number;
  trace: number;
}

export interface DenseOptions {
  /** Relative threshold of "near zero" (default 1e-6). */
  tol?: number;
  vectors?: boolean;
  /** Refuse dim above this (default DEFAULT_DENSE_MAX). */
  maxDim?: number;
  onColumn?: (j: number) => void;
}

/** Dense Hessian spectrum with the counts of negative / near-zero / positive eigenvalues. */
export function denseSpectrum(hvp: Hvp, dim: number, opts: DenseOptions = {}): DenseSpectrum {
  const maxDim = opts.maxDim ?? DEFAULT_DENSE_MAX;
  if (dim > maxDim) {
    throw GlassyError.invalid('dense', `P = ${dim} parameters`, `P ≤ ${maxDim} (the dense eigendecomposition costs ~P³; raise the cap with --dense-max, or use Lanczos/SLQ)`);
  }
  const tol = opts.tol ?? 1e-6;
  const H = denseMatrix(hvp, dim, opts.onColumn);
  let trace = 0;
  for (let i = 0; i < dim; i++) trace += H[i * dim + i]!;
  const eig = symmetricEigen(H, dim, opts.vectors ?? false);
  return { ...countSpectrum(eig.values, tol), values: eig.values, vectors: eig.vectors, tol, trace };
}

/** Counts of negative, near-zero (|λ| ≤ tol·max|λ|) and positive eigenvalues. */
export function countSpectrum(values: ArrayLike<number>, tol: number): { negative: number; nearZero: number; positive: number } {
  let big = 0;
  for (let i = 0; i < values.length; i++) big = Math.max(big, Math.abs(values[i]!));
  const thr = tol * big;
  let negative = 0, nearZero = 0, positive = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Math.abs(v) <= thr) nearZero++;
    else if (v < 0) negative++;
    else positive++;
  }
  return { negative, nearZero, positive };
}
