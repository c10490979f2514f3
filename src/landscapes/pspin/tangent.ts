/**
 * Geometry of the sphere S = {σ ∈ R^N : |σ|² = N} on which the spherical p-spin lives.
 *
 * The sphere is an embedded Riemannian submanifold of R^N, so (Absil, Mahony & Sepulchre,
 * "Optimization Algorithms on Matrix Manifolds", Princeton 2008, §3.6.1 for the projector and gradient):
 *   tangent space  T_σS = {v : σ·v = 0},  orthogonal projector P_σ = I − σσᵀ/|σ|²,
 *   Riemannian gradient  grad H(σ) = P_σ ∇H(σ)  (∇H the Euclidean gradient of any extension),
 *   retraction  R_σ(v) = √N (σ + v)/|σ + v|  (metric projection back onto the sphere, §4.1.1).
 * We divide by the actual |σ|² rather than N so that rounding drift off the sphere never biases
 * the projection; on the sphere the two agree.
 */
import type { Differentiable } from '../landscape.js';
import type { Rng } from '../../core/rng.js';

/** σ·v for two arrays of equal length. */
export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * In place: v ← P_σ v = v − (σ·v/|σ|²) σ, the tangent component of v at σ.
 * Returns the removed radial coefficient σ·v/|σ|².
 */
export function projectTangent(sigma: Float64Array, v: Float64Array): number {
  const c = dot(sigma, v) / dot(sigma, sigma);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! - c * sigma[i]!;
  return c;
}

/**
 * The Riemannian gradient P_σ ∇H(σ) of a landscape on the sphere (Absil et al. 2008, §3.6.1),
 * written into g. Returns H(σ). The landscape's own `gradient` is the Euclidean one.
 */
export function riemannianGradient(landscape: Differentiable<Float64Array>, sigma: Float64Array, g: Float64Array): number {
  const e = landscape.gradient(sigma, g);
  projectTangent(sigma, g);
  return e;
}

/** In place: σ ← √N σ/|σ|, the metric projection onto the sphere |σ|² = N (N = σ.length). */
export function normalizeToSphere(sigma: Float64Array): void {
  const f = Math.sqrt(sigma.length / dot(sigma, sigma));
  for (let i = 0; i < sigma.length; i++) sigma[i] = sigma[i]! * f;
}

/**
 * A uniformly distributed point of the sphere |σ|² = N: a standard Gaussian vector is isotropic,
 * so its direction is uniform (Muller 1959, Comm. ACM 2, 19). This is the configuration right
 * after a quench from infinite temperature.
 */
export function randomSpherePoint(n: number, rng: Rng, out: Float64Array = new Float64Array(n)): Float64Array {
  do {
    rng.fillNormal(out);
  } while (dot(out, out) === 0);
  normalizeToSphere(out);
  return out;
}
