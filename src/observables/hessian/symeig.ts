/**
 * Eigen-decomposition of real symmetric matrices, written here (no library): Householder
 * tridiagonalisation followed by the implicit QL algorithm with Wilkinson-type shifts — EISPACK's
 * tred2/tql2 (Bowdler, Martin, Reinsch & Wilkinson 1968, Numer. Math. 11, 293; Martin, Reinsch &
 * Wilkinson 1968), in the form of the public-domain JAMA package, and Golub & Van Loan,
 * "Matrix Computations" (4th ed.), §8.3 (tridiagonalisation, 4n³/3 flops) and §8.3.3 (implicit
 * symmetric QR/QL step). Why not Jacobi: cyclic Jacobi costs ~ 6–10 sweeps × 3n³ flops, an order of
 * magnitude more than tridiagonalisation + QL (4n³/3 for eigenvalues only), which matters for the
 * dense Hessian check at P ≈ 5 000.
 *
 * Storage: matrices are row-major Float64Array. JAMA walks columns of the lower triangle; here every
 * index pair is transposed (the input is symmetric, so this is the same algorithm) so the inner
 * loops run along contiguous rows, and eigenvectors come out as ROWS: vector i is
 * `vectors.subarray(i*n, (i+1)*n)`. Eigenvalues are returned in ascending order.
 */

export interface SymEig {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** Row i is the unit eigenvector of values[i] (row-major n × n), or null when not requested. */
  vectors: Float64Array | null;
}

/**
 * Eigenvalues (and optionally eigenvectors) of the symmetric tridiagonal matrix with diagonal
 * `diag` [n] and off-diagonal `off` [n−1] (off[i] couples i and i+1). Implicit QL (tql2).
 * Cost: O(n²) for the values, O(n³) more for the vectors.
 */
export function tridiagonalEigen(diag: ArrayLike<number>, off: ArrayLike<number>, wantVectors = true): SymEig {
  const n = diag.length;
  const d = Float64Array.from(diag);
  const e = new Float64Array(n);
  for (let i = 0; i + 1 < n; i++) e[i] = off[i]!;
  let V: Float64Array | null = null;
  if (wantVectors) {
    V = new Float64Array(n * n);
    for (let i = 0; i < n; i++) V[i * n + i] = 1;
  }
  tql2(n, d, e, V);
  return sortAscending(n, d, V);
}

/**
 * Eigen-decomposition of a dense symmetric matrix A (row-major n × n; only symmetric input is
 * meaningful — symmetrise first). A is not modified. tred2 + tql2.
 */
export function symmetricEigen(A: Float64Array, n: number, wantVectors = true): SymEig {
  if (A.length < n * n) throw new RangeError(`symmetricEigen: matrix has ${A.length} entries, need ${n * n}`);
  if (n === 0) return { values: new Float64Array(0), vectors: wantVectors ? new Float64Array(0) : null };
  const W = Float64Array.from(A.subarray(0, n * n));
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(n, W, d, e, wantVectors);
  // tred2 leaves e[i] coupling i−1 and i; tql2 wants e[i] coupling i and i+1.
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  tql2(n, d, e, wantVectors ? W : null);
  return sortAscending(n, d, wantVectors ? W : null);
}

/**
 * Householder reduction to tridiagonal form (JAMA tred2, transposed storage). On exit d holds the
 * diagonal, e[i] the sub-diagonal element coupling i−1 and i (e[0] = 0), and when `accumulate`,
 * W holds the orthogonal transformation Q transposed (row i of W is column i of Q).
 */
function tred2(n: number, W: Float64Array, d: Float64Array, e: Float64Array, accumulate: boolean): void {
  for (let j = 0; j < n; j++) d[j] = W[j * n + n - 1]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = W[j * n + i - 1]!;
        W[j * n + i] = 0;
        W[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        const row = j * n;
        f = d[j]!;
        W[i * n + j] = f;
        g = e[j]! + W[row + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          const wjk = W[row + k]!;
          g += wjk * d[k]!;
          e[k] = e[k]! + wjk * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        const row = j * n;
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) W[row + k] = W[row + k]! - (f * e[k]! + g * d[k]!);
        d[j] = W[row + i - 1]!;
        W[row + i] = 0;
      }
    }
    d[i] = h;
  }
  if (!accumulate) {
    // The reduced diagonal sits on W's diagonal (the last element is never touched by the reduction).
    for (let j = 0; j < n; j++) d[j] = W[j * n + j]!;
    e[0] = 0;
    return;
  }
  for (let i = 0; i < n - 1; i++) {
    const ri = i * n;
    const r1 = (i + 1) * n;
    W[ri + n - 1] = W[ri + i]!;
    W[ri + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = W[r1 + k]! / h;
      for (let j = 0; j <= i; j++) {
        const rj = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += W[r1 + k]! * W[rj + k]!;
        for (let k = 0; k <= i; k++) W[rj + k] = W[rj + k]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) W[r1 + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = W[j * n + n - 1]!;
    W[j * n + n - 1] = 0;
  }
  W[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/**
 * Implicit QL with shifts on the tridiagonal (d, e), e[i] coupling i and i+1 (JAMA tql2, transposed
 * storage: the rotations combine ROWS i and i+1 of V). d ← eigenvalues (unsorted).
 */
function tql2(n: number, d: Float64Array, e: Float64Array, V: Float64Array | null): void {
  if (n === 0) return;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]!) <= eps * tst1) break;
      m++;
    }
    if (m >= n) m = n - 1; // e[n−1] = 0 always stops the search; guard against NaN input
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60 * n + 100) throw new Error('tql2: no convergence (non-finite matrix entries?)');
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        p = d[m]!;
        let c = 1, c2 = c, c3 = c;
        const el1 = e[l + 1]!;
        let s = 0, s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          if (V) {
            const a = i * n, b = (i + 1) * n;
            for (let k = 0; k < n; k++) {
              const hk = V[b + k]!;
              const vk = V[a + k]!;
              V[b + k] = s * vk + c * hk;
              V[a + k] = c * vk - s * hk;
            }
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}

function sortAscending(n: number, d: Float64Array, V: Float64Array | null): SymEig {
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[a]! - d[b]!);
  const values = Float64Array.from(order, (i) => d[i]!);
  if (!V) return { values, vectors: null };
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => vectors.set(V.subarray(src * n, src * n + n), dst * n));
  return { values, vectors };
}
