/**
 * Inner loops of the spherical p-spin Hamiltonian
 *   H(σ) = −Σ_{i1<…<ip} J_{i1…ip} σ_i1 … σ_ip      (Crisanti & Sommers 1992, Z. Phys. B 87, 341, eq. 2.1)
 * over packed couplings.
 *
 * Storage (why): only the ordered tuples i1 < … < ip are independent, so p = 3 keeps C(N,3) ≈ N³/6
 * numbers and p = 4 keeps C(N,4) ≈ N⁴/24, in lexicographic order (i slowest, the last index
 * fastest). Every kernel walks that array exactly once, front to back, with the last index in the
 * innermost loop: the couplings stream from memory contiguously (the dominant cost for large N),
 * and the only scattered accesses are to σ, v and the output, which are N long and stay in cache.
 * p = 2 keeps the full symmetric N×N matrix (zero diagonal) so its gradient is a plain row-major
 * matrix–vector product.
 *
 * Each kernel returns H(σ) as a by-product, which costs one extra multiply–add per tuple.
 * Derivatives follow from differentiating each monomial: for a tuple (i, j, k) with coupling J,
 * ∂/∂σ_k (σ_iσ_jσ_k) = σ_iσ_j, etc.; the directional derivative of the gradient along v (the
 * Euclidean Hessian–vector product) replaces one σ factor at a time by v (product rule).
 */

export type Couplings = Float64Array | Float32Array;

/*
 * Inner loops are unrolled by four with four independent accumulators: a single accumulator makes
 * each multiply–add wait for the previous one (floating-point add latency), which measured 2×
 * slower in V8 (p = 3, N = 200–500: 3.6 → 1.5–1.9 ns per coupling). Summation order therefore
 * differs from the naive loop only at the rounding level (~1e-15 relative).
 */

/** Σ_{k=k0}^{k1−1} J[base+k]·x[k]. */
function rowDot(J: Couplings, base: number, x: Float64Array, k0: number, k1: number): number {
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  let k = k0;
  for (; k + 3 < k1; k += 4) {
    const b = base + k;
    a0 += J[b]! * x[k]!;
    a1 += J[b + 1]! * x[k + 1]!;
    a2 += J[b + 2]! * x[k + 2]!;
    a3 += J[b + 3]! * x[k + 3]!;
  }
  for (; k < k1; k++) a0 += J[base + k]! * x[k]!;
  return (a0 + a1) + (a2 + a3);
}

/** Returns Σ_k J[base+k]·x[k] over k ∈ [k0, k1) and does y[k] −= c·J[base+k] on the same range. */
function rowDotAxpy(J: Couplings, base: number, x: Float64Array, c: number, y: Float64Array, k0: number, k1: number): number {
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  let k = k0;
  for (; k + 3 < k1; k += 4) {
    const b = base + k;
    const t0 = J[b]!, t1 = J[b + 1]!, t2 = J[b + 2]!, t3 = J[b + 3]!;
    a0 += t0 * x[k]!;
    a1 += t1 * x[k + 1]!;
    a2 += t2 * x[k + 2]!;
    a3 += t3 * x[k + 3]!;
    y[k] = y[k]! - c * t0;
    y[k + 1] = y[k + 1]! - c * t1;
    y[k + 2] = y[k + 2]! - c * t2;
    y[k + 3] = y[k + 3]! - c * t3;
  }
  for (; k < k1; k++) {
    const t = J[base + k]!;
    a0 += t * x[k]!;
    y[k] = y[k]! - c * t;
  }
  return (a0 + a1) + (a2 + a3);
}

/**
 * Returns [Σ J·x, Σ J·v] over k ∈ [k0, k1) in acc2 and does y[k] −= c·J[base+k] (for the
 * Hessian–vector products, where both contractions and the scatter share one pass over J).
 */
function rowDot2Axpy(
  J: Couplings, base: number, x: Float64Array, v: Float64Array, c: number, y: Float64Array,
  k0: number, k1: number, acc2: Float64Array,
): void {
  let a0 = 0, a1 = 0, b0 = 0, b1 = 0;
  let k = k0;
  for (; k + 1 < k1; k += 2) {
    const b = base + k;
    const t0 = J[b]!, t1 = J[b + 1]!;
    a0 += t0 * x[k]!;
    a1 += t1 * x[k + 1]!;
    b0 += t0 * v[k]!;
    b1 += t1 * v[k + 1]!;
    y[k] = y[k]! - c * t0;
    y[k + 1] = y[k + 1]! - c * t1;
  }
  if (k < k1) {
    const t = J[base + k]!;
    a0 += t * x[k]!;
    b0 += t * v[k]!;
    y[k] = y[k]! - c * t;
  }
  acc2[0] = a0 + a1;
  acc2[1] = b0 + b1;
}

/** H(σ) for p = 2, J full symmetric N×N with zero diagonal: H = −½ σᵀJσ = −Σ_{i<j} J_ij σ_iσ_j. */
export function energy2(n: number, J: Couplings, s: Float64Array): number {
  let e = 0;
  for (let i = 0; i < n; i++) {
    const row = i * n;
    const h = rowDot(J, row, s, 0, n);
    e += s[i]! * h;
  }
  return -0.5 * e;
}

/** g ← ∇H = −Jσ for p = 2; returns H. */
export function gradient2(n: number, J: Couplings, s: Float64Array, g: Float64Array): number {
  let e = 0;
  for (let i = 0; i < n; i++) {
    const row = i * n;
    const h = rowDot(J, row, s, 0, n);
    g[i] = -h;
    e += s[i]! * h;
  }
  return -0.5 * e;
}

/** out ← ∇²H v = −Jv for p = 2 (one pass over J also gives Jσ, hence H); returns H. */
export function hessianVector2(n: number, J: Couplings, s: Float64Array, v: Float64Array, out: Float64Array): number {
  let e = 0;
  for (let i = 0; i < n; i++) {
    const row = i * n;
    const hs = rowDot(J, row, s, 0, n);
    const hv = rowDot(J, row, v, 0, n);
    out[i] = -hv;
    e += s[i]! * hs;
  }
  return -0.5 * e;
}

/** H(σ) for p = 3 over the packed i<j<k couplings. */
export function energy3(n: number, J: Couplings, s: Float64Array): number {
  let e = 0;
  let off = 0;
  for (let i = 0; i < n - 2; i++) {
    const si = s[i]!;
    for (let j = i + 1; j < n - 1; j++) {
      const acc = rowDot(J, off - j - 1, s, j + 1, n);
      e += si * s[j]! * acc;
      off += n - j - 1;
    }
  }
  return -e;
}

/**
 * g ← ∇H for p = 3; returns H. For each pair (i, j) the inner loop forms
 * S = Σ_k J_ijk σ_k (giving ∂H/∂σ_i ∋ −σ_j S, ∂H/∂σ_j ∋ −σ_i S) and scatters ∂H/∂σ_k ∋ −σ_iσ_j J_ijk.
 */
export function gradient3(n: number, J: Couplings, s: Float64Array, g: Float64Array): number {
  g.fill(0);
  let e = 0;
  let off = 0;
  for (let i = 0; i < n - 2; i++) {
    const si = s[i]!;
    let gi = 0;
    for (let j = i + 1; j < n - 1; j++) {
      const sj = s[j]!;
      const a = si * sj;
      const acc = rowDotAxpy(J, off - j - 1, s, a, g, j + 1, n);
      gi += sj * acc;
      g[j] = g[j]! - si * acc;
      e += a * acc;
      off += n - j - 1;
    }
    g[i] = g[i]! - gi;
  }
  return -e;
}

/**
 * out ← ∇²H v for p = 3; returns H. With Sσ = Σ_k J_ijk σ_k and Sv = Σ_k J_ijk v_k:
 * (∇²H v)_k ∋ −J_ijk (v_iσ_j + σ_iv_j), (∇²H v)_i ∋ −(v_j Sσ + σ_j Sv), (∇²H v)_j ∋ −(v_i Sσ + σ_i Sv).
 */
export function hessianVector3(n: number, J: Couplings, s: Float64Array, v: Float64Array, out: Float64Array): number {
  out.fill(0);
  const acc2 = new Float64Array(2);
  let e = 0;
  let off = 0;
  for (let i = 0; i < n - 2; i++) {
    const si = s[i]!;
    const vi = v[i]!;
    let oi = 0;
    for (let j = i + 1; j < n - 1; j++) {
      const sj = s[j]!;
      const vj = v[j]!;
      const c = vi * sj + si * vj;
      rowDot2Axpy(J, off - j - 1, s, v, c, out, j + 1, n, acc2);
      const accS = acc2[0]!;
      const accV = acc2[1]!;
      oi += vj * accS + sj * accV;
      out[j] = out[j]! - (vi * accS + si * accV);
      e += si * sj * accS;
      off += n - j - 1;
    }
    out[i] = out[i]! - oi;
  }
  return -e;
}

/** H(σ) for p = 4 over the packed i<j<k<l couplings. */
export function energy4(n: number, J: Couplings, s: Float64Array): number {
  let e = 0;
  let off = 0;
  for (let i = 0; i < n - 3; i++) {
    for (let j = i + 1; j < n - 2; j++) {
      const sij = s[i]! * s[j]!;
      for (let k = j + 1; k < n - 1; k++) {
        const acc = rowDot(J, off - k - 1, s, k + 1, n);
        e += sij * s[k]! * acc;
        off += n - k - 1;
      }
    }
  }
  return -e;
}

/** g ← ∇H for p = 4; returns H (same scheme as p = 3 with one more outer index). */
export function gradient4(n: number, J: Couplings, s: Float64Array, g: Float64Array): number {
  g.fill(0);
  let e = 0;
  let off = 0;
  for (let i = 0; i < n - 3; i++) {
    const si = s[i]!;
    for (let j = i + 1; j < n - 2; j++) {
      const sj = s[j]!;
      const sij = si * sj;
      for (let k = j + 1; k < n - 1; k++) {
        const sk = s[k]!;
        const a = sij * sk;
        const acc = rowDotAxpy(J, off - k - 1, s, a, g, k + 1, n);
        g[i] = g[i]! - sj * sk * acc;
        g[j] = g[j]! - si * sk * acc;
        g[k] = g[k]! - sij * acc;
        e += a * acc;
        off += n - k - 1;
      }
    }
  }
  return -e;
}

/** out ← ∇²H v for p = 4; returns H. Product rule on σ_iσ_jσ_kσ_l, one factor replaced by v at a time. */
export function hessianVector4(n: number, J: Couplings, s: Float64Array, v: Float64Array, out: Float64Array): number {
  out.fill(0);
  const acc2 = new Float64Array(2);
  let e = 0;
  let off = 0;
  for (let i = 0; i < n - 3; i++) {
    const si = s[i]!;
    const vi = v[i]!;
    for (let j = i + 1; j < n - 2; j++) {
      const sj = s[j]!;
      const vj = v[j]!;
      for (let k = j + 1; k < n - 1; k++) {
        const sk = s[k]!;
        const vk = v[k]!;
        const c = vi * sj * sk + si * vj * sk + si * sj * vk;
        rowDot2Axpy(J, off - k - 1, s, v, c, out, k + 1, n, acc2);
        const accS = acc2[0]!;
        const accV = acc2[1]!;
        out[i] = out[i]! - ((vj * sk + sj * vk) * accS + sj * sk * accV);
        out[j] = out[j]! - ((vi * sk + si * vk) * accS + si * sk * accV);
        out[k] = out[k]! - ((vi * sj + si * vj) * accS + si * sj * accV);
        e += si * sj * sk * accS;
        off += n - k - 1;
      }
    }
  }
  return -e;
}
