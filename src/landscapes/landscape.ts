/**
 * The Landscape interface: an energy over configurations.
 * A network's training loss over its flat parameter vector θ, the SK Hamiltonian over
 * Ising spins, the spherical p-spin energy over σ on the sphere — all are landscapes, and every
 * protocol (walks, replicas and overlaps, clustering, paths, aging, Hessian spectra, L2 sweeps) is
 * written once against this interface.
 *
 * Energies are totals (not per degree of freedom) unless a landscape documents otherwise; the
 * network loss is the mean over samples, as in the papers.
 */
import type { Float } from '../core/backend.js';

/** Where configurations live, which decides which dynamics and alignments apply. */
export type Geometry =
  /** θ ∈ R^N (networks). */
  | 'euclidean'
  /** s ∈ {−1, +1}^N stored as ±1 in a float array (SK, EA, Hopfield). */
  | 'ising'
  /** σ ∈ R^N with Σσ_i² = N (spherical p-spin). */
  | 'sphere';

export interface Landscape<X extends Float = Float> {
  /** Short name, e.g. "mlp 784-100-10 relu ce", "sk N=64". */
  readonly name: string;
  /** Number of degrees of freedom N (parameters, spins). */
  readonly dim: number;
  readonly geometry: Geometry;
  /** A fresh configuration array of the right type and length (zeros). */
  newConfig(): X;
  /** E(x). */
  energy(x: X): number;
}

/** Landscapes with an exact gradient. */
export interface Differentiable<X extends Float = Float> extends Landscape<X> {
  /** Writes ∇E(x) into g (overwriting it) and returns E(x). */
  gradient(x: X, g: X): number;
}

/** Landscapes with an exact Hessian-vector product. */
export interface TwiceDifferentiable<X extends Float = Float> extends Differentiable<X> {
  /** Writes H(x)·v into out (overwriting it). For 'sphere' landscapes: the Riemannian Hessian on the tangent space. */
  hvp(x: X, v: X, out: X): void;
}

/**
 * Landscapes that are an average over samples (training sets): dynamics like SGD draw mini-batches.
 * E(x) = (1/n) Σ_μ ℓ_μ(x) (+ regulariser); batch gradients are unbiased estimates of ∇E.
 */
export interface SampledLandscape<X extends Float = Float> extends TwiceDifferentiable<X> {
  /** Number of samples n. */
  readonly nSamples: number;
  /** Writes the gradient of the mean loss over the given sample indices into g, returns that mean loss. */
  batchGradient(x: X, batch: Int32Array, g: X): number;
}

export function isDifferentiable<X extends Float>(l: Landscape<X>): l is Differentiable<X> {
  return typeof (l as Partial<Differentiable<X>>).gradient === 'function';
}

export function isTwiceDifferentiable<X extends Float>(l: Landscape<X>): l is TwiceDifferentiable<X> {
  return typeof (l as Partial<TwiceDifferentiable<X>>).hvp === 'function';
}

export function isSampled<X extends Float>(l: Landscape<X>): l is SampledLandscape<X> {
  return typeof (l as Partial<SampledLandscape<X>>).batchGradient === 'function';
}
