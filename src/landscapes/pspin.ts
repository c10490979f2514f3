/**
 * The spherical p-spin glass (Crisanti & Sommers 1992, Z. Phys. B 87, 341; Cugliandolo & Kurchan
 * 1993, PRL 71, 173):
 *
 *   H(σ) = −Σ_{i1<…<ip} J_{i1…ip} σ_i1 … σ_ip,   Σ_i σ_i² = N,
 *   J_{i1…ip} ~ N(0, p!/(2N^{p−1})) independent.
 *
 * Convention (why this variance): with it, for two configurations on the sphere the covariance of
 * H over the disorder is E[H(σ)H(τ)] = N q^p / 2 + O(1), q = σ·τ/N, i.e. the mixture function
 * ξ(q) = q^p/2 of Crisanti–Sommers. Then e(T) = −1/(2T) at high temperature, p = 2 is the
 * spherical SK model with J_ij ~ N(0, 1/N) (T_c = 1, ground state e = −1), and for p = 3
 * T_d = √(3/8), E_th = −√(4/3) ≈ −1.1547, e_0 ≈ −1.1717 (docs/papers.md). Papers using covariance
 * N q^p (variance p!/N^{p−1}, e.g. Auffinger–Ben Arous–Černý 2013, Kac–Rice counts) have H larger
 * by √2: energies ×√2 (E_th = −2√((p−1)/p) = −1.633, e_0 = −1.657) and temperatures ×√2
 * (T_d = 0.866). Convert with e_theirs = √2·e_ours, T_theirs = √2·T_ours.
 * The O(1) correction: tuples with repeated indices are absent, so at q = 1 the variance is
 * exactly (p!/(2N^{p−1})) Σ_{i1<…<ip} σ_i1²…σ_ip² — e.g. (N−1)(N−2)/(2N) for p = 3 and σ_i = ±1.
 *
 * Energies returned are totals H; the energy per spin is e = H/N. Configurations are Float64Array.
 * `gradient` is the Euclidean gradient of H as a polynomial on R^N; the Riemannian gradient is
 * `riemannianGradient` (pspin/tangent.ts); `hvp` is the Riemannian Hessian (see there).
 */
import type { Backend } from '../core/backend.js';
import { GlassyError } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import type { Geometry, TwiceDifferentiable } from './landscape.js';
import {
  type Couplings,
  energy2, energy3, energy4,
  gradient2, gradient3, gradient4,
  hessianVector2, hessianVector3, hessianVector4,
} from './pspin/kernels.js';
import { dot } from './pspin/tangent.js';

export { projectTangent, riemannianGradient, normalizeToSphere, randomSpherePoint } from './pspin/tangent.js';

export type PSpinOrder = 2 | 3 | 4;
export type CouplingStorage = 'float64' | 'float32';

export interface PSpinOptions {
  /** Number of spins N (≥ p). */
  n: number;
  /** Interaction order p ∈ {2, 3, 4}. */
  p: PSpinOrder;
  /** Master seed; the couplings come from Rng.stream(seed, Stream.disorder, sample). */
  seed: number;
  /** Disorder sample index (default 0). */
  sample?: number;
  /** Coupling storage precision (default 'float64'); 'float32' halves the memory, sums stay float64. */
  storage?: CouplingStorage;
  /** Refuse to allocate couplings larger than this many bytes (default 2 GiB). */
  maxBytes?: number;
  /**
   * p = 2 with float64 storage only: do the matrix–vector products with this GEMM backend
   * (e.g. `getBackend()` from core/backends; OpenBLAS: N = 1000 in 0.13 ms instead of ~1.5 ms).
   * The coupling matrix is allocated with `backend.allocF64` so a WebAssembly backend uses it in
   * place. Ignored for p = 3, 4 (packed storage has no GEMM form). Default: the JS loops.
   */
  backend?: Backend;
}

/** Default memory ceiling for the couplings: 2 GiB (N = 1000, p = 3 in float64 needs 1.33 GB). */
export const DEFAULT_MAX_BYTES = 2 ** 31;

/** Number of stored couplings: N² for p = 2 (full symmetric matrix), C(N, p) otherwise. */
export function couplingCount(n: number, p: PSpinOrder): number {
  if (p === 2) return n * n;
  if (p === 3) return (n * (n - 1) * (n - 2)) / 6;
  return (n * (n - 1) * (n - 2) * (n - 3)) / 24;
}

/** Bytes the couplings take: couplingCount × (8 for float64, 4 for float32). */
export function couplingBytes(n: number, p: PSpinOrder, storage: CouplingStorage = 'float64'): number {
  return couplingCount(n, p) * (storage === 'float64' ? 8 : 4);
}

/** Standard deviation of each coupling, √(p!/(2N^{p−1})) (the convention above). */
export function couplingStd(n: number, p: PSpinOrder): number {
  const fact = p === 2 ? 2 : p === 3 ? 6 : 24;
  return Math.sqrt(fact / (2 * Math.pow(n, p - 1)));
}

function formatBytes(b: number): string {
  if (b >= 1e9) return `${(b / 1e9).toFixed(2)} GB`;
  if (b >= 1e6) return `${(b / 1e6).toFixed(1)} MB`;
  return `${(b / 1e3).toFixed(1)} kB`;
}

function isNonNegInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** Largest typed-array length V8 accepts (Node ≥ 20: 2^32 elements). */
const MAX_TYPED_LENGTH = 2 ** 32;

export class PSpin implements TwiceDifferentiable<Float64Array> {
  readonly name: string;
  readonly dim: number;
  readonly geometry: Geometry = 'sphere';
  readonly p: PSpinOrder;
  readonly seed: number;
  readonly sample: number;
  readonly storage: CouplingStorage;
  /** Bytes held by the couplings. */
  readonly bytes: number;
  private readonly J: Couplings;
  /** Scratch for the Riemannian Hessian (P v); allocated once so hvp is allocation-free. */
  private readonly u: Float64Array;
  /** GEMM backend for p = 2 (float64), with [N, 2] scratch for (σ, v) and (Jσ, Jv). */
  private readonly gemm: { b: Backend; x: Float64Array; y: Float64Array } | null;

  constructor(opts: PSpinOptions) {
    if (!opts || typeof opts !== 'object') throw GlassyError.invalid('options', opts, '{ n, p, seed, sample?, storage?, maxBytes?, backend? }');
    const { n, p, seed } = opts;
    const sample = opts.sample ?? 0;
    const storage = opts.storage ?? 'float64';
    const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    if (p !== 2 && p !== 3 && p !== 4) throw GlassyError.invalid('p', p, '2, 3 or 4');
    if (!isNonNegInt(n) || n < p) throw GlassyError.invalid('n', n, `an integer ≥ p = ${p}`);
    if (!isNonNegInt(seed)) throw GlassyError.invalid('seed', seed, 'a non-negative integer');
    if (!isNonNegInt(sample)) throw GlassyError.invalid('sample', sample, 'a non-negative integer');
    if (storage !== 'float64' && storage !== 'float32') throw GlassyError.invalid('storage', storage, "'float64' or 'float32'");
    if (typeof maxBytes !== 'number' || !(maxBytes > 0)) throw GlassyError.invalid('maxBytes', maxBytes, 'a positive number of bytes');

    const count = couplingCount(n, p);
    const bytes = couplingBytes(n, p, storage);
    if (bytes > maxBytes || count > MAX_TYPED_LENGTH) {
      const alt = storage === 'float64' ? `; storage 'float32' would need ${formatBytes(bytes / 2)}` : '';
      throw GlassyError.invalid(
        'n', n,
        `a size whose p=${p} couplings fit in maxBytes = ${formatBytes(maxBytes)} ` +
        `(N=${n} in ${storage} needs ${formatBytes(bytes)}: ${count} couplings${alt}; ` +
        `lower n, or raise maxBytes if the machine has the memory)`,
      );
    }

    this.dim = n;
    this.p = p;
    this.seed = seed;
    this.sample = sample;
    this.storage = storage;
    this.bytes = bytes;
    this.name = `pspin p=${p} N=${n}` + (sample ? ` sample=${sample}` : '');
    this.u = new Float64Array(n);
    const b = opts.backend;
    const useGemm = b !== undefined && p === 2 && storage === 'float64';
    if (b !== undefined && (typeof b !== 'object' || typeof b.dgemm !== 'function')) throw GlassyError.invalid('backend', b, 'a Backend (core/backend.ts)');
    const buffer = useGemm ? b.allocF64(count) : storage === 'float64' ? new Float64Array(count) : new Float32Array(count);
    this.J = drawCouplings(n, p, buffer, Rng.stream(seed, Stream.disorder, sample));
    this.gemm = useGemm ? { b, x: b.allocF64(2 * n), y: b.allocF64(2 * n) } : null;
  }

  /** The packed couplings (see pspin/kernels.ts for the layout). Read-only by contract. */
  get couplings(): Couplings {
    return this.J;
  }

  newConfig(): Float64Array {
    return new Float64Array(this.dim);
  }

  energy(x: Float64Array): number {
    this.check(x, 'x');
    const n = this.dim;
    if (this.gemm) return this.gemmEnergyGradient(x, null);
    if (this.p === 2) return energy2(n, this.J, x);
    if (this.p === 3) return energy3(n, this.J, x);
    return energy4(n, this.J, x);
  }

  /** Euclidean gradient ∇H(σ) into g; returns H(σ). */
  gradient(x: Float64Array, g: Float64Array): number {
    this.check(x, 'x');
    this.check(g, 'g');
    const n = this.dim;
    if (this.gemm) return this.gemmEnergyGradient(x, g);
    if (this.p === 2) return gradient2(n, this.J, x, g);
    if (this.p === 3) return gradient3(n, this.J, x, g);
    return gradient4(n, this.J, x, g);
  }

  /**
   * Riemannian Hessian of H on the sphere applied to v (Absil, Mahony & Trumpf 2013, "An extrinsic
   * look at the Riemannian Hessian", GSI 2013, the sphere example, rescaled to radius √N; Absil,
   * Mahony & Sepulchre 2008, §5.5 with the Weingarten map of the sphere):
   *
   *   Hess H(σ)[v] = P ∇²H P v − (σ·∇H/|σ|²) P v,   P = I − σσᵀ/|σ|².
   *
   * The second term is the curvature of the sphere (Weingarten map). Because H is homogeneous of
   * degree p, σ·∇H = pH (Euler), so on |σ|² = N it is −p e·Pv with e = H/N — the shift of the
   * Hessian spectrum by −p e that the Kac–Rice analysis of the spherical p-spin rests on (at a
   * critical point the Hessian is a GOE matrix shifted by a multiple of the energy: Auffinger,
   * Ben Arous & Černý 2013, CPAM 66, 165, §1, in their covariance-N q^p normalisation).
   * v need not be tangent: it is projected first, so out is always tangent.
   */
  hvp(x: Float64Array, v: Float64Array, out: Float64Array): void {
    this.check(x, 'x');
    this.check(v, 'v');
    this.check(out, 'out');
    const n = this.dim;
    const u = this.u;
    const s2 = dot(x, x);
    const cv = dot(x, v) / s2;
    for (let i = 0; i < n; i++) u[i] = v[i]! - cv * x[i]!;
    let h: number;
    if (this.gemm) h = this.gemmHessianVector(x, u, out);
    else if (this.p === 2) h = hessianVector2(n, this.J, x, u, out);
    else if (this.p === 3) h = hessianVector3(n, this.J, x, u, out);
    else h = hessianVector4(n, this.J, x, u, out);
    const radial = (this.p * h) / s2; // σ·∇H/|σ|² by Euler's theorem
    const cw = dot(x, out) / s2;
    for (let i = 0; i < n; i++) out[i] = out[i]! - cw * x[i]! - radial * u[i]!;
  }

  /** p = 2 via GEMV: h = Jσ, ∇H = −h, H = −½ σ·h. */
  private gemmEnergyGradient(x: Float64Array, g: Float64Array | null): number {
    const { b, x: xs, y } = this.gemm!;
    const n = this.dim;
    xs.set(x);
    b.dgemm(false, false, n, 1, n, 1, this.J as Float64Array, n, xs, 1, 0, y, 1);
    let e = 0;
    for (let i = 0; i < n; i++) {
      e += x[i]! * y[i]!;
      if (g) g[i] = -y[i]!;
    }
    return -0.5 * e;
  }

  /** p = 2 via one GEMM with two right-hand sides: [Jσ, Ju] = J·[σ, u]; ∇²H u = −Ju. */
  private gemmHessianVector(x: Float64Array, u: Float64Array, out: Float64Array): number {
    const { b, x: xs, y } = this.gemm!;
    const n = this.dim;
    for (let i = 0; i < n; i++) {
      xs[2 * i] = x[i]!;
      xs[2 * i + 1] = u[i]!;
    }
    b.dgemm(false, false, n, 2, n, 1, this.J as Float64Array, n, xs, 2, 0, y, 2);
    let e = 0;
    for (let i = 0; i < n; i++) {
      e += x[i]! * y[2 * i]!;
      out[i] = -y[2 * i + 1]!;
    }
    return -0.5 * e;
  }

  private check(a: Float64Array, field: string): void {
    if (!(a instanceof Float64Array) || a.length !== this.dim) {
      throw GlassyError.invalid(field, a instanceof Float64Array ? `Float64Array(${a.length})` : typeof a, `a Float64Array of length N = ${this.dim}`);
    }
  }
}

/**
 * Draws the couplings in lexicographic order of the ordered tuples (i1 < … < ip), one normal
 * variate each from the disorder stream — the order is part of the reproducibility contract:
 * the same (seed, sample) gives the same couplings in float32 and float64 (up to rounding).
 */
function drawCouplings(n: number, p: PSpinOrder, J: Couplings, rng: Rng): Couplings {
  const count = J.length;
  J.fill(0);
  const std = couplingStd(n, p);
  if (p === 2) {
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const t = std * rng.normal();
        J[i * n + j] = t;
        J[j * n + i] = t;
      }
    }
  } else {
    for (let a = 0; a < count; a++) J[a] = std * rng.normal();
  }
  return J;
}
