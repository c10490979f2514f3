/**
 * Spectral density of a symmetric operator by stochastic Lanczos quadrature (SLQ): Golub & Meurant
 * ("Matrices, Moments and Quadrature", 2010, ch. 6); Ubaru, Chen & Saad 2017, SIAM J. Matrix Anal.
 * Appl. 38, 1075 (the error analysis); Ghorbani, Krishnan & Xiao 2019, ICML (Hessian densities of
 * deep nets); Yao et al. 2020 (PyHessian's `density`, whose conventions are followed here).
 *
 * For a unit probe v, m Lanczos steps give T_m = S Θ Sᵀ, and the m-point Gauss quadrature
 *   vᵀ f(H) v ≈ Σ_i τ_i f(θ_i),   τ_i = (S_{1i})²  (first components of T_m's eigenvectors)
 * is exact for polynomials of degree ≤ 2m − 1 (Golub & Meurant, Thm 6.2). Averaging over n_v random
 * probes estimates (1/P) tr f(H) = ∫ f(λ) ρ(λ) dλ with ρ the empirical spectral density. The smooth
 * density is
 *   ρ_σ(x) = (1/n_v) Σ_v Σ_i τ_{v,i} g_σ(x − θ_{v,i}),   g_σ Gaussian of standard deviation σ,
 * evaluated on a grid and renormalised so that its trapezoid integral over the grid is 1 (PyHessian
 * renormalises the same way). Probes are Rademacher vectors (as PyHessian), normalised.
 * The Lanczos steps use full reorthogonalisation (as PyHessian's density does), so the nodes are
 * the Ritz values of an orthonormal Krylov basis.
 */
import { GlassyError } from '../../core/errors.js';
import { Rng, Stream } from '../../core/rng.js';
import { tridiagonalEigen } from './symeig.js';
import { dotN, reorthogonalise, type Hvp } from './lanczos.js';
import { rademacher } from './hutchinson.js';

export interface SlqOptions {
  /** Number of random probes n_v (default 10). */
  runs?: number;
  /** Lanczos steps per probe m (default 80; capped at dim). */
  steps?: number;
  rng?: Rng;
  /** Projection onto a constraint subspace (sphere tangent space), applied to probes and iterates. */
  project?: (v: Float64Array) => void;
  onRun?: (run: number) => void;
}

export interface SlqResult {
  /** Ritz values θ, [runs × steps] row-major (rows of a run that broke down early are padded with NaN). */
  nodes: Float64Array;
  /** Gauss weights τ (Σ over a row = 1), same shape. */
  weights: Float64Array;
  /** ‖v‖² of each probe after projection (= dim for an unprojected Rademacher probe): tr f(H) ≈ ‖v‖² vᵀf(H)v/‖v‖². */
  norms2: Float64Array;
  runs: number;
  steps: number;
}

/** Lanczos quadrature nodes and weights of `runs` random probes. */
export function slq(hvp: Hvp, dim: number, opts: SlqOptions = {}): SlqResult {
  const runs = opts.runs ?? 10;
  const steps = Math.min(opts.steps ?? 80, dim);
  if (!Number.isInteger(runs) || runs < 1) throw GlassyError.invalid('slq.runs', opts.runs, 'a positive integer number of probes');
  if (!Number.isInteger(steps) || steps < 1) throw GlassyError.invalid('slq.steps', opts.steps, 'a positive integer number of Lanczos steps');
  const rng = opts.rng ?? Rng.stream(0, Stream.probe, 2);
  const n = dim;
  const Q = Array.from({ length: steps }, () => new Float64Array(n));
  const w = new Float64Array(n);
  const nodes = new Float64Array(runs * steps).fill(NaN);
  const weights = new Float64Array(runs * steps).fill(NaN);
  const norms2 = new Float64Array(runs);
  for (let r = 0; r < runs; r++) {
    const q0 = Q[0]!;
    rademacher(rng, q0);
    opts.project?.(q0);
    const nrm2 = dotN(q0, q0, n);
    norms2[r] = nrm2;
    const inv = 1 / Math.sqrt(nrm2);
    for (let t = 0; t < n; t++) q0[t] = q0[t]! * inv;
    const alpha: number[] = [];
    const beta: number[] = [];
    for (let j = 0; j < steps; j++) {
      hvp(Q[j]!, w);
      opts.project?.(w);
      alpha.push(dotN(Q[j]!, w, n));
      reorthogonalise(Q, j + 1, w, n);
      const b = Math.sqrt(dotN(w, w, n));
      // Stop at the last step, or when the Krylov space is invariant (the quadrature is then exact).
      if (j + 1 === steps || b <= 1e-12 * Math.max(...alpha.map(Math.abs), 1e-300)) break;
      beta.push(b);
      const next = Q[j + 1]!;
      for (let t = 0; t < n; t++) next[t] = w[t]! / b;
    }
    const e = tridiagonalEigen(alpha, beta, true);
    const m = alpha.length;
    for (let i = 0; i < m; i++) {
      nodes[r * steps + i] = e.values[i]!;
      const s = e.vectors![i * m]!; // first component of eigenvector i
      weights[r * steps + i] = s * s;
    }
    opts.onRun?.(r);
  }
  return { nodes, weights, norms2, runs, steps };
}

export interface DensityOptions {
  /** Gaussian broadening σ (absolute). Default: PyHessian's √(1e-5·max(1, width)), at least 2 grid spacings. */
  sigma?: number;
  /** Grid points G (default 1000). */
  points?: number;
  /** Grid range; default [min θ − 5σ, max θ + 5σ]. */
  range?: [number, number];
}

export interface Density {
  x: Float64Array;
  y: Float64Array;
  sigma: number;
}

/** The broadened density ρ_σ on a grid, trapezoid-normalised to 1. */
export function slqDensity(res: SlqResult, opts: DensityOptions = {}): Density {
  const G = opts.points ?? 1000;
  if (!Number.isInteger(G) || G < 2) throw GlassyError.invalid('density.points', G, 'an integer ≥ 2');
  let lo = Infinity, hi = -Infinity;
  for (const t of res.nodes) if (Number.isFinite(t)) { lo = Math.min(lo, t); hi = Math.max(hi, t); }
  const width = hi - lo;
  let sigma = opts.sigma ?? Math.sqrt(1e-5 * Math.max(1, width));
  if (!(sigma > 0)) throw GlassyError.invalid('density.sigma', sigma, 'a positive broadening');
  let [a, b] = opts.range ?? [lo - 5 * sigma, hi + 5 * sigma];
  if (opts.sigma === undefined && !opts.range) {
    // At least two grid spacings per σ, so the broadened peaks are resolved by the grid.
    sigma = Math.max(sigma, (2 * (width + 10 * sigma)) / (G - 1));
    a = lo - 5 * sigma;
    b = hi + 5 * sigma;
  }
  if (!(b > a)) throw GlassyError.invalid('density.range', [a, b], 'an increasing pair');
  const x = new Float64Array(G);
  const y = new Float64Array(G);
  const dx = (b - a) / (G - 1);
  for (let g = 0; g < G; g++) x[g] = a + g * dx;
  const norm = 1 / (res.runs * sigma * Math.sqrt(2 * Math.PI));
  const cut = 8 * sigma;
  for (let i = 0; i < res.nodes.length; i++) {
    const t = res.nodes[i]!, tau = res.weights[i]!;
    if (!Number.isFinite(t) || !(tau > 0)) continue;
    const g0 = Math.max(0, Math.floor((t - cut - a) / dx));
    const g1 = Math.min(G - 1, Math.ceil((t + cut - a) / dx));
    for (let g = g0; g <= g1; g++) {
      const u = (x[g]! - t) / sigma;
      y[g] = y[g]! + norm * tau * Math.exp(-0.5 * u * u);
    }
  }
  const total = trapezoid(y, dx);
  if (total > 0) for (let g = 0; g < G; g++) y[g] = y[g]! / total;
  return { x, y, sigma };
}

/** tr f(H) ≈ mean over probes of ‖v‖² Σ_i τ_i f(θ_i) (Ubaru, Chen & Saad 2017, eq. 3.2). */
export function slqTrace(res: SlqResult, f: (lambda: number) => number): number {
  let total = 0;
  for (let r = 0; r < res.runs; r++) {
    let s = 0;
    for (let i = 0; i < res.steps; i++) {
      const t = res.nodes[r * res.steps + i]!;
      if (Number.isFinite(t)) s += res.weights[r * res.steps + i]! * f(t);
    }
    total += res.norms2[r]! * s;
  }
  return total / res.runs;
}

export function trapezoid(y: ArrayLike<number>, dx: number): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (i === 0 || i === y.length - 1 ? 0.5 : 1) * y[i]!;
  return s * dx;
}
