/**
 * Extreme eigenvalues of a symmetric operator known only through matrix-vector products: the
 * Lanczos algorithm with full reorthogonalisation and thick restart.
 *
 * Method (Golub & Van Loan, "Matrix Computations", 4th ed., §10.1–10.3; the same Krylov scheme as
 * PyHessian, Yao et al. 2020, arXiv:1912.07145):
 *   q_1 random unit vector; for j = 1, 2, …:  w = H q_j,  α_j = q_jᵀ w,
 *   w ← w − Σ_{i≤j} (q_iᵀ w) q_i  (classical Gram–Schmidt against the WHOLE basis, done twice —
 *   "twice is enough", Giraud, Langou & Rozložník 2005 — so the basis stays orthonormal to rounding
 *   and no spurious copies of converged eigenvalues appear), β_j = ‖w‖, q_{j+1} = w/β_j.
 * The projected matrix T = QᵀHQ is tridiagonal (α on the diagonal, β beside it); its eigenpairs
 * (θ_i, s_i) give Ritz pairs (θ_i, y_i = Q s_i) whose residual is exactly
 *   ‖H y_i − θ_i y_i‖ = β_m |s_{m,i}|  (Golub & Van Loan eq. 10.1.9),
 * which is the convergence test: a Ritz pair is accepted when β_m|s_{m,i}| ≤ tol·‖T‖ (‖T‖ estimated
 * by the largest |θ|). For a symmetric H, |θ_i − λ| ≤ residual for some eigenvalue λ, and the error is
 * ~residual²/gap when θ_i is separated from the rest of the spectrum.
 *
 * Memory: the basis is stored, `maxBasis` + 1 float64 vectors of length dim (8·dim·(maxBasis+1)
 * bytes: 64 MB for dim = 79 510 and maxBasis = 100). When the basis is full before the wanted pairs
 * converge, the thick restart of Wu & Simon (2000, SIAM J. Matrix Anal. Appl. 22, 602) keeps the
 * `ℓ` Ritz vectors nearest the wanted end(s) plus the last Lanczos vector; the projected matrix then
 * becomes an arrowhead (diag θ, coupling β_m s_{m,i}) followed by the tridiagonal continuation, and
 * is diagonalised densely (symeig.ts). If the Krylov space becomes invariant (β ≈ 0) before enough
 * pairs are found, a fresh random vector orthogonal to the basis continues it (as ARPACK does).
 *
 * Limits (say them): single-vector Lanczos finds ONE copy of a multiple eigenvalue per invariant
 * subspace it explores; a highly degenerate cluster (e.g. the many exact zeros of a ReLU network's
 * Hessian) is resolved only as far as rounding and the restarts with fresh vectors expose it. Use
 * the dense Hessian (dense.ts) for multiplicities on small problems.
 *
 * Deterministic: the start vector comes from `rng` (default Rng.stream(0, Stream.probe)).
 */
import { GlassyError } from '../../core/errors.js';
import { Rng, Stream } from '../../core/rng.js';
import { symmetricEigen, tridiagonalEigen, type SymEig } from './symeig.js';

/** out ← H·v (overwrite out). For a landscape: `(v, out) => landscape.hvp(θ, v, out)`. */
export type Hvp = (v: Float64Array, out: Float64Array) => void;

/**
 * Which end of the spectrum: 'largest' (algebraic, λ_max first), 'smallest' (algebraic: the most
 * negative first — saddles), 'both' (k of each), 'magnitude' (largest |λ| first).
 */
export type Which = 'largest' | 'smallest' | 'both' | 'magnitude';

export interface LanczosOptions {
  /** Number of eigenvalues wanted (per end for 'both'). Default 1. */
  k?: number;
  which?: Which;
  /** Most operator applications (HVPs) in total. Default max(300, 30·wanted). */
  maxIter?: number;
  /** Convergence: residual ‖Hy − θy‖ ≤ tol·‖T‖ for every wanted pair. Default 1e-6 (use ≥ 1e-5 for float32 HVPs). */
  tol?: number;
  /** Stream of the start vector (and of fresh vectors after an invariant subspace). */
  rng?: Rng;
  /** Explicit start vector (copied; need not be normalised). */
  start?: Float64Array;
  /** Krylov vectors kept in memory. Default min(dim, max(2·wanted + 30, 50)), capped by maxBytes. */
  maxBasis?: number;
  /** Memory cap for the basis in bytes (default 2 GiB). */
  maxBytes?: number;
  /** Also return the Ritz vectors (unit norm). Default false. */
  vectors?: boolean;
  /**
   * Projection onto a constraint subspace applied to the start vector and every new basis vector —
   * e.g. the tangent space of the sphere for the p-spin, so the normal direction (a spurious 0 of the
   * Riemannian Hessian) never enters the Krylov space.
   */
  project?: (v: Float64Array) => void;
}

export interface LanczosResult {
  which: Which;
  /**
   * The wanted Ritz values, most extreme first: 'largest' descending, 'smallest' ascending,
   * 'magnitude' by |θ| descending, 'both' the k largest (descending) then the k smallest (ascending).
   */
  values: Float64Array;
  /** 'both' only: views of `values`. */
  largest?: Float64Array;
  smallest?: Float64Array;
  /** Residual norms ‖H y − θ y‖ of `values`. */
  residuals: Float64Array;
  /** Ritz vectors, one per value (when `vectors: true`). */
  vectors: Float64Array[] | null;
  /** Every wanted pair met the tolerance. */
  converged: boolean;
  /** Operator applications used. */
  matvecs: number;
  restarts: number;
  /** The spectral scale ‖T‖ the tolerance was relative to. */
  scale: number;
}

/** Checks and defaults; a GlassyError names the field. */
function settings(dim: number, opts: LanczosOptions) {
  if (!Number.isInteger(dim) || dim < 1) throw GlassyError.invalid('lanczos.dim', dim, 'a positive integer');
  const which = opts.which ?? 'largest';
  if (!['largest', 'smallest', 'both', 'magnitude'].includes(which)) {
    throw GlassyError.invalid('lanczos.which', which, "'largest', 'smallest', 'both' or 'magnitude'");
  }
  const k = opts.k ?? 1;
  const wanted = which === 'both' ? 2 * k : k;
  if (!Number.isInteger(k) || k < 1 || wanted > dim) {
    throw GlassyError.invalid('lanczos.k', k, `an integer in [1, ${which === 'both' ? Math.floor(dim / 2) : dim}] (dim = ${dim}${which === 'both' ? ', k per end' : ''})`);
  }
  const tol = opts.tol ?? 1e-6;
  if (!(tol > 0 && tol < 1)) throw GlassyError.invalid('lanczos.tol', tol, 'a number in (0, 1)');
  const maxIter = opts.maxIter ?? Math.max(300, 30 * wanted);
  if (!Number.isInteger(maxIter) || maxIter < 1) throw GlassyError.invalid('lanczos.maxIter', maxIter, 'a positive integer');
  const maxBytes = opts.maxBytes ?? 2 ** 31;
  const byMemory = Math.floor(maxBytes / (8 * dim)) - 1;
  let maxBasis = opts.maxBasis ?? Math.max(2 * wanted + 30, 50);
  if (!Number.isInteger(maxBasis) || maxBasis < 1) throw GlassyError.invalid('lanczos.maxBasis', maxBasis, 'a positive integer');
  maxBasis = Math.min(maxBasis, dim, byMemory);
  // A thick restart keeps the wanted pairs and must still leave room to extend the space.
  const need = Math.min(dim, wanted + 2);
  if (maxBasis < need) {
    throw GlassyError.invalid(
      'lanczos.maxBasis', maxBasis,
      `at least ${need} Krylov vectors (k = ${k}${which === 'both' ? ' per end' : ''}); ${byMemory < need ? `raise maxBytes: ${need + 1} vectors of ${dim} float64 need ${((need + 1) * dim * 8 / 2 ** 20).toFixed(0)} MiB` : 'raise maxBasis'}`,
    );
  }
  return { which, k, wanted, tol, maxIter, maxBasis };
}

/** Indices (into ascending Ritz values θ) of the wanted pairs, most extreme first. */
function wantedIndices(theta: Float64Array, which: Which, k: number): number[] {
  const m = theta.length;
  const take = Math.min(k, m);
  const top = Array.from({ length: take }, (_, i) => m - 1 - i);
  const bottom = Array.from({ length: take }, (_, i) => i);
  if (which === 'largest') return top;
  if (which === 'smallest') return bottom;
  if (which === 'magnitude') {
    return Array.from({ length: m }, (_, i) => i).sort((a, b) => Math.abs(theta[b]!) - Math.abs(theta[a]!)).slice(0, take);
  }
  // 'both': when the space is still small the two ends may share indices; fine for testing.
  return [...top, ...bottom];
}

/**
 * Indices of the Ritz pairs kept at a thick restart: the `keep` nearest the wanted end(s)
 * (Wu & Simon 2000 keep the wanted ones and some neighbours, which speeds convergence).
 */
function restartIndices(theta: Float64Array, which: Which, keep: number): number[] {
  const m = theta.length;
  if (which === 'largest') return Array.from({ length: keep }, (_, i) => m - 1 - i);
  if (which === 'smallest') return Array.from({ length: keep }, (_, i) => i);
  if (which === 'magnitude') {
    return Array.from({ length: m }, (_, i) => i).sort((a, b) => Math.abs(theta[b]!) - Math.abs(theta[a]!)).slice(0, keep);
  }
  const lo = Math.ceil(keep / 2), hi = keep - lo;
  return [...Array.from({ length: hi }, (_, i) => m - 1 - i), ...Array.from({ length: lo }, (_, i) => i)];
}

export function dotN(a: Float64Array, b: Float64Array, n: number): number {
  let s0 = 0, s1 = 0, i = 0;
  for (; i + 2 <= n; i += 2) {
    s0 += a[i]! * b[i]!;
    s1 += a[i + 1]! * b[i + 1]!;
  }
  if (i < n) s0 += a[i]! * b[i]!;
  return s0 + s1;
}

/** w ← w − Σ_i (q_iᵀ w) q_i over the first `count` basis vectors, twice. */
export function reorthogonalise(Q: Float64Array[], count: number, w: Float64Array, n: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < count; i++) {
      const q = Q[i]!;
      const c = dotN(q, w, n);
      if (c !== 0) for (let t = 0; t < n; t++) w[t] = w[t]! - c * q[t]!;
    }
  }
}

/** A random unit vector orthogonal to the first `count` basis vectors (0 if none can be made). */
function freshVector(rng: Rng, Q: Float64Array[], count: number, out: Float64Array, n: number, project?: (v: Float64Array) => void): number {
  for (let attempt = 0; attempt < 5; attempt++) {
    for (let t = 0; t < n; t++) out[t] = rng.normal();
    project?.(out);
    reorthogonalise(Q, count, out, n);
    const norm = Math.sqrt(dotN(out, out, n));
    if (norm > 1e-8) {
      for (let t = 0; t < n; t++) out[t] = out[t]! / norm;
      return norm;
    }
  }
  return 0;
}

/**
 * The k extreme eigenpairs of the symmetric operator `hvp` of dimension `dim`.
 * Works on any `TwiceDifferentiable` landscape: `lanczos((v, out) => L.hvp(θ, v, out), L.dim, …)`.
 */
export function lanczos(hvp: Hvp, dim: number, opts: LanczosOptions = {}): LanczosResult {
  const { which, k, wanted, tol, maxIter, maxBasis } = settings(dim, opts);
  const n = dim;
  const rng = opts.rng ?? Rng.stream(0, Stream.probe);
  const project = opts.project;
  // Basis: maxBasis vectors plus the pending next Lanczos vector.
  const Q: Float64Array[] = [];
  const vec = (i: number): Float64Array => {
    while (Q.length <= i) Q.push(new Float64Array(n));
    return Q[i]!;
  };
  const w = new Float64Array(n);

  // Start vector.
  const q0 = vec(0);
  if (opts.start) {
    if (opts.start.length !== n) throw GlassyError.invalid('lanczos.start', `length ${opts.start.length}`, `length ${n}`);
    q0.set(opts.start);
    project?.(q0);
  }
  let norm0 = opts.start ? Math.sqrt(dotN(q0, q0, n)) : 0;
  if (norm0 > 0) for (let t = 0; t < n; t++) q0[t] = q0[t]! / norm0;
  else norm0 = freshVector(rng, Q, 0, q0, n, project);
  if (norm0 === 0) throw GlassyError.invalid('lanczos.start', 'a zero vector', 'a non-zero start vector (after projection)');

  // Projected matrix, dense (m × m, row-major with stride maxBasis): arrowhead + tridiagonal.
  const M = maxBasis;
  const T = new Float64Array(M * M);
  let m = 0; // basis vectors whose column of T is complete
  let locked = 0; // leading arrowhead block size after a restart (0: plain tridiagonal)
  let lastBeta = 0; // β coupling q_m (the next vector) to the space
  let matvecs = 0;
  let restarts = 0;
  let eig: SymEig | null = null;
  let scale = 0;
  let resid = new Float64Array(0);
  let chosen: number[] = [];
  let converged = false;

  const ritz = (): void => {
    if (locked === 0) {
      const diag = new Float64Array(m), off = new Float64Array(Math.max(0, m - 1));
      for (let i = 0; i < m; i++) diag[i] = T[i * M + i]!;
      for (let i = 0; i + 1 < m; i++) off[i] = T[i * M + i + 1]!;
      eig = tridiagonalEigen(diag, off, true);
    } else {
      const A = new Float64Array(m * m);
      for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) A[i * m + j] = T[i * M + j]!;
      eig = symmetricEigen(A, m, true);
    }
    const theta = eig.values;
    scale = 0;
    for (let i = 0; i < m; i++) scale = Math.max(scale, Math.abs(theta[i]!));
    chosen = wantedIndices(theta, which, k);
    resid = Float64Array.from(chosen, (i) => Math.abs(lastBeta * eig!.vectors![i * m + m - 1]!));
  };

  for (;;) {
    // ---- extend the basis by one Lanczos step on q_m ----
    const q = Q[m]!;
    hvp(q, w);
    matvecs++;
    if (project) project(w);
    const alpha = dotN(q, w, n);
    T[m * M + m] = alpha;
    reorthogonalise(Q, m + 1, w, n);
    const beta = Math.sqrt(dotN(w, w, n));
    m++;
    lastBeta = beta;

    const full = m >= M || m >= n;
    const check = m >= Math.min(wanted, n);
    if (check) {
      ritz();
      const tolAbs = tol * Math.max(scale, Number.MIN_VALUE);
      const invariant = beta <= 1e-12 * Math.max(scale, Number.MIN_VALUE) || m >= n;
      const enough = chosen.length >= (which === 'both' ? Math.min(2 * k, m) : Math.min(k, m)) && m >= Math.min(wanted, n);
      converged = enough && (invariant || resid.every((r) => r <= tolAbs));
      if (converged || matvecs >= maxIter) break;
      if (invariant) {
        // The Krylov space is invariant: continue with a fresh vector orthogonal to it (coupling 0).
        if (m >= M) {
          thickRestart(true);
          continue;
        }
        const next = vec(m);
        if (freshVector(rng, Q, m, next, n, project) === 0) {
          converged = true;
          break;
        }
        lastBeta = 0;
        continue;
      }
    } else if (matvecs >= maxIter) {
      ritz();
      break;
    }
    if (beta <= 1e-300) {
      const next = vec(m);
      if (freshVector(rng, Q, m, next, n, project) === 0) break;
      lastBeta = 0;
      continue;
    }
    if (full) {
      // Store the next vector, then restart keeping the Ritz vectors nearest the wanted end(s).
      const next = vec(m);
      for (let t = 0; t < n; t++) next[t] = w[t]! / beta;
      thickRestart(false);
      continue;
    }
    const next = vec(m);
    for (let t = 0; t < n; t++) next[t] = w[t]! / beta;
    T[(m - 1) * M + m] = beta;
    T[m * M + m - 1] = beta;
  }

  function thickRestart(fresh: boolean): void {
    // Here: Q[0..m−1] basis, Q[m] the next Lanczos vector (β = lastBeta) — or, when `fresh`, the
    // space is invariant and a random vector orthogonal to the kept Ritz vectors continues it.
    restarts++;
    const e = eig!;
    const theta = e.values;
    const S = e.vectors!;
    const keep = Math.min(m - 1, Math.max(wanted, Math.floor((m + wanted) / 2)));
    const idx = restartIndices(theta, which, keep);
    // Y = Q·S_kept, written over the first `keep` basis slots via a temporary block.
    const Y = idx.map(() => new Float64Array(n));
    idx.forEach((ri, c) => {
      const y = Y[c]!;
      for (let j = 0; j < m; j++) {
        const s = S[ri * m + j]!;
        if (s === 0) continue;
        const qj = Q[j]!;
        for (let t = 0; t < n; t++) y[t] = y[t]! + s * qj[t]!;
      }
    });
    const nextVec = vec(m);
    const coupling = idx.map((ri) => (fresh ? 0 : lastBeta * S[ri * m + m - 1]!));
    for (let c = 0; c < keep; c++) Q[c]!.set(Y[c]!);
    if (fresh) freshVector(rng, Q, keep, Q[keep]!, n, project);
    else Q[keep]!.set(nextVec);
    T.fill(0);
    for (let c = 0; c < keep; c++) {
      T[c * M + c] = theta[idx[c]!]!;
      T[c * M + keep] = coupling[c]!;
      T[keep * M + c] = coupling[c]!;
    }
    m = keep;
    locked = keep;
    if (fresh) lastBeta = 0;
  }

  // ---- assemble the wanted pairs ----
  const e = eig as SymEig | null;
  if (!e) throw new Error('lanczos: no Ritz values computed');
  const values = Float64Array.from(chosen, (i) => e.values[i]!);
  let vectors: Float64Array[] | null = null;
  if (opts.vectors) {
    vectors = chosen.map((ri) => {
      const y = new Float64Array(n);
      for (let j = 0; j < m; j++) {
        const s = e.vectors![ri * m + j]!;
        const qj = Q[j]!;
        for (let t = 0; t < n; t++) y[t] = y[t]! + s * qj[t]!;
      }
      const norm = Math.sqrt(dotN(y, y, n));
      if (norm > 0) for (let t = 0; t < n; t++) y[t] = y[t]! / norm;
      return y;
    });
  }
  const result: LanczosResult = { which, values, residuals: resid, vectors, converged, matvecs, restarts, scale };
  if (which === 'both') {
    const half = Math.min(k, values.length / 2);
    result.largest = values.subarray(0, half);
    result.smallest = values.subarray(half, half * 2);
  }
  return result;
}
