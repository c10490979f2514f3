/**
 * Sharpness-Aware Minimization (Foret, Kleiner, Mobahi & Neyshabur 2021, ICLR, Algorithm 1):
 *   g = ∇L_B(θ),   ε̂ = ρ g/‖g‖₂,   g_SAM = ∇L_B(θ + ε̂),
 * then the base optimiser steps with g_SAM (from θ, not θ + ε̂). ε̂ is the first-order solution of
 * max_{‖ε‖≤ρ} L_B(θ + ε) (their eq. 2), so SAM descends the worst loss in a ρ-ball: it prefers
 * flat minima. Both gradients use the SAME mini-batch B (their m-sharpness with m = |B|). Cost: two
 * gradients per step.
 *
 * `SamLandscape` wraps a sampled landscape so that its mini-batch gradient IS g_SAM; the ordinary
 * trainer (dynamics/trainer.ts) and any optimiser then run SAM unchanged (SGD + SAM as in the paper,
 * or momentum/Adam as the base optimiser).
 */
import type { Float } from '../core/backend.js';
import { GlassyError } from '../core/errors.js';
import type { Geometry, SampledLandscape } from '../landscapes/landscape.js';

/**
 * One SAM gradient: writes g_SAM into g, returns L_B(θ) (the loss at the unperturbed point).
 * `work` is a scratch configuration of the landscape's type (θ + ε̂).
 */
export function samGradient<X extends Float>(landscape: SampledLandscape<X>, theta: X, batch: Int32Array, rho: number, g: X, work: X): number {
  const loss = landscape.batchGradient(theta, batch, g);
  let ss = 0;
  for (let i = 0; i < g.length; i++) ss += g[i]! * g[i]!;
  const norm = Math.sqrt(ss);
  if (!(norm > 0) || !Number.isFinite(norm)) return loss; // at a stationary point ε̂ is undefined: plain step
  const c = rho / norm;
  for (let i = 0; i < theta.length; i++) work[i] = theta[i]! + c * g[i]!;
  landscape.batchGradient(work, batch, g);
  return loss;
}

export class SamLandscape<X extends Float> implements SampledLandscape<X> {
  readonly name: string;
  readonly dim: number;
  readonly geometry: Geometry;
  readonly nSamples: number;
  private readonly work: X;

  constructor(readonly base: SampledLandscape<X>, readonly rho: number) {
    if (!(rho > 0) || !Number.isFinite(rho)) throw GlassyError.invalid('flatten.rho', rho, 'a positive SAM radius ρ (Foret et al. use 0.05)');
    this.name = `${base.name} (SAM ρ=${rho})`;
    this.dim = base.dim;
    this.geometry = base.geometry;
    this.nSamples = base.nSamples;
    this.work = base.newConfig();
  }

  newConfig(): X { return this.base.newConfig(); }
  energy(x: X): number { return this.base.energy(x); }
  gradient(x: X, g: X): number { return this.base.gradient(x, g); }
  hvp(x: X, v: X, out: X): void { this.base.hvp(x, v, out); }

  /** g ← g_SAM on the batch; returns the batch loss at x. */
  batchGradient(x: X, batch: Int32Array, g: X): number {
    return samGradient(this.base, x, batch, this.rho, g, this.work);
  }
}
