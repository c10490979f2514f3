/**
 * Langevin dynamics and gradient descent on the sphere |σ|² = N, for any differentiable landscape
 * with geometry 'sphere' (the spherical p-spin; anything else constrained to the sphere).
 *
 * Continuous-time equation (Cugliandolo & Kurchan 1993, PRL 71, 173, eq. 2):
 *   ∂_t σ_i = −∂H/∂σ_i − μ(t) σ_i + ξ_i,   ⟨ξ_i(t) ξ_j(t')⟩ = 2T δ_ij δ(t − t'),
 * with the Lagrange multiplier μ(t) fixed by d|σ|²/dt = 0: μ(t) = T − σ·∇H/N (= T − p·e(t) for a
 * homogeneous p-spin Hamiltonian, e = H/N).
 *
 * Discretisation (projected Euler–Maruyama): one step of length dt is
 *   σ' = σ − dt·P∇H + √(2T·dt)·Pζ,   ζ ~ N(0, I_N),  P = I − σσᵀ/|σ|²,
 *   σ ← √N σ'/|σ'|.
 * The tangent drift −P∇H is −∇H − μσ without the T in μ; the final renormalisation supplies it
 * (it removes the Itô growth |Pζ|²·2T·dt ≈ 2T(N−1)dt of |σ|², i.e. a radial drift −Tσ). This
 * projection scheme converges (weakly, order dt) to the constrained diffusion whose invariant
 * measure is exp(−H/T) on the sphere (Ciccotti, Lelièvre & Vanden-Eijnden 2008, "Projection of
 * diffusions on submanifolds", CPAM 61, 371). At T = 0 it is Riemannian gradient descent with the
 * projection retraction and fixed step (Absil, Mahony & Sepulchre 2008, ch. 4).
 *
 * Time: the continuous time of the equation is t = step × dt. Observation callbacks receive the
 * integer step; aging grids (observables/aging.ts) are in steps too — convert with t = step·dt.
 *
 * Quench from infinite temperature: start from `randomSpherePoint` (uniform on the sphere).
 *
 * Checkpoints: the full state is (σ, step, rng.state()); `sphereCheckpoint` / `restoreSphere`
 * capture and rebuild it, and a restored run continues bit-for-bit identically.
 */
import { GlassyError } from '../core/errors.js';
import { Rng, type RngState } from '../core/rng.js';
import type { Differentiable } from '../landscapes/landscape.js';
import { dot } from '../landscapes/pspin/tangent.js';

export { randomSpherePoint, normalizeToSphere, projectTangent, riemannianGradient } from '../landscapes/pspin/tangent.js';

/**
 * Called with the state before each move: (step, σ at that step, H(σ), |P∇H(σ)|²). Called for
 * steps startStep, …, startStep + steps − 1 (half-open), so consecutive runs never observe a step
 * twice; run one step more to observe the last state. Return `false` to stop early.
 */
export type SphereObserver = (step: number, sigma: Float64Array, energy: number, gradNorm2: number) => void | boolean;

export interface SphereLangevinOptions {
  /** Temperature T ≥ 0 (T = 0: gradient descent; no random numbers are drawn). */
  temperature: number;
  /** Time step dt > 0; the continuous time is t = step·dt. */
  dt: number;
  /** Number of steps to take (integer ≥ 0). */
  steps: number;
  /** Noise stream, required when T > 0 (e.g. Rng.stream(seed, Stream.noise, replica)). */
  rng?: Rng;
  /** Step counter at entry (default 0), for resumed runs. */
  startStep?: number;
  onStep?: SphereObserver;
  /**
   * Stop when |P∇H|²/N < gradTol² (default 0: never). Meaningful for gradient descent: the
   * run ends at an approximate critical point.
   */
  gradTol?: number;
}

export interface SphereRunResult {
  /** Step counter after the run (startStep + steps taken). */
  step: number;
  /** H and |P∇H|² at the last state observed before the final move (NaN if no step was taken). */
  lastEnergy: number;
  lastGradNorm2: number;
  /** Why the run ended. */
  reason: 'steps' | 'observer' | 'gradTol';
}

function checkCommon(landscape: Differentiable<Float64Array>, sigma: Float64Array, o: SphereLangevinOptions): void {
  if (landscape.geometry !== 'sphere') throw GlassyError.invalid('landscape.geometry', landscape.geometry, "'sphere'");
  if (!(sigma instanceof Float64Array) || sigma.length !== landscape.dim) {
    throw GlassyError.invalid('sigma', sigma instanceof Float64Array ? `Float64Array(${sigma.length})` : typeof sigma, `a Float64Array of length ${landscape.dim}`);
  }
  if (typeof o.temperature !== 'number' || !(o.temperature >= 0) || !Number.isFinite(o.temperature)) {
    throw GlassyError.invalid('temperature', o.temperature, 'a finite number ≥ 0');
  }
  if (typeof o.dt !== 'number' || !(o.dt > 0) || !Number.isFinite(o.dt)) throw GlassyError.invalid('dt', o.dt, 'a finite number > 0');
  if (!Number.isSafeInteger(o.steps) || o.steps < 0) throw GlassyError.invalid('steps', o.steps, 'an integer ≥ 0');
  const start = o.startStep ?? 0;
  if (!Number.isSafeInteger(start) || start < 0) throw GlassyError.invalid('startStep', start, 'an integer ≥ 0');
  if (o.temperature > 0 && !(o.rng instanceof Rng)) throw GlassyError.invalid('rng', o.rng, 'an Rng (needed for T > 0)');
  const tol = o.gradTol ?? 0;
  if (typeof tol !== 'number' || !(tol >= 0)) throw GlassyError.invalid('gradTol', tol, 'a number ≥ 0');
  const s2 = dot(sigma, sigma);
  if (!(s2 > 0) || !Number.isFinite(s2)) throw GlassyError.invalid('sigma', 'a zero or non-finite vector', 'a point of the sphere |σ|² = N');
}

/**
 * Langevin dynamics on the sphere (T > 0) or gradient descent (T = 0), in place on sigma.
 * sigma is first put on |σ|² = N (if it is off by more than rounding).
 */
export function langevinSphere(
  landscape: Differentiable<Float64Array>,
  sigma: Float64Array,
  opts: SphereLangevinOptions,
): SphereRunResult {
  checkCommon(landscape, sigma, opts);
  const n = landscape.dim;
  const T = opts.temperature;
  const dt = opts.dt;
  const noise = Math.sqrt(2 * T * dt);
  const rng = opts.rng;
  const tol2 = (opts.gradTol ?? 0) ** 2 * n;
  const onStep = opts.onStep;
  // Two O(N) buffers per call (not per step): negligible next to a gradient, and re-entrant.
  const g = new Float64Array(n);
  const z = new Float64Array(n);

  // Put σ on the sphere, unless it is already there to rounding: renormalising again would change
  // the last bits and break bit-for-bit resumption from a checkpoint.
  if (Math.abs(dot(sigma, sigma) - n) > 1e-10 * n) renormalize(sigma, n);
  let step = opts.startStep ?? 0;
  const end = step + opts.steps;
  let lastEnergy = NaN;
  let lastGradNorm2 = NaN;
  let reason: SphereRunResult['reason'] = 'steps';
  while (step < end) {
    const e = landscape.gradient(sigma, g);
    // Tangent projection of the gradient: P∇H = ∇H − (σ·∇H/|σ|²)σ (Absil et al. 2008, §3.6.1).
    const s2 = dot(sigma, sigma);
    const c = dot(sigma, g) / s2;
    let gn2 = 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i]! - c * sigma[i]!;
      g[i] = gi;
      gn2 += gi * gi;
    }
    lastEnergy = e;
    lastGradNorm2 = gn2;
    if (onStep && onStep(step, sigma, e, gn2) === false) {
      reason = 'observer';
      break;
    }
    if (gn2 < tol2) {
      reason = 'gradTol';
      break;
    }
    if (noise > 0) {
      // Tangent noise Pζ, ζ ~ N(0, I).
      rng!.fillNormal(z);
      const cz = dot(sigma, z) / s2;
      for (let i = 0; i < n; i++) sigma[i] = sigma[i]! - dt * g[i]! + noise * (z[i]! - cz * sigma[i]!);
    } else {
      for (let i = 0; i < n; i++) sigma[i] = sigma[i]! - dt * g[i]!;
    }
    renormalize(sigma, n);
    step++;
  }
  return { step, lastEnergy, lastGradNorm2, reason };
}

/** Gradient descent on the sphere: langevinSphere at T = 0 (deterministic, no RNG). */
export function gradientDescentSphere(
  landscape: Differentiable<Float64Array>,
  sigma: Float64Array,
  opts: Omit<SphereLangevinOptions, 'temperature' | 'rng'>,
): SphereRunResult {
  return langevinSphere(landscape, sigma, { ...opts, temperature: 0 });
}

function renormalize(sigma: Float64Array, n: number): void {
  const f = Math.sqrt(n / dot(sigma, sigma));
  for (let i = 0; i < n; i++) sigma[i] = sigma[i]! * f;
}

/** Everything needed to resume a sphere run bit-for-bit. */
export interface SphereCheckpoint {
  meta: { step: number; rng: RngState | null };
  arrays: { sigma: Float64Array };
}

/** A copy of the state (σ, step, RNG), JSON meta + typed arrays as checkpoints want them. */
export function sphereCheckpoint(sigma: Float64Array, step: number, rng: Rng | null): SphereCheckpoint {
  return { meta: { step, rng: rng ? rng.state() : null }, arrays: { sigma: Float64Array.from(sigma) } };
}

/** Rebuilds (σ, step, rng) from a checkpoint; rng is null if the run was deterministic. */
export function restoreSphere(cp: SphereCheckpoint): { sigma: Float64Array; step: number; rng: Rng | null } {
  const { step, rng } = cp.meta;
  if (!Number.isSafeInteger(step) || step < 0) throw GlassyError.invalid('checkpoint.meta.step', step, 'an integer ≥ 0');
  if (!(cp.arrays.sigma instanceof Float64Array)) throw GlassyError.invalid('checkpoint.arrays.sigma', typeof cp.arrays.sigma, 'a Float64Array');
  return { sigma: Float64Array.from(cp.arrays.sigma), step, rng: rng ? Rng.fromState(rng) : null };
}
