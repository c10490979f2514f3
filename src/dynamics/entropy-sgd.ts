/**
 * Entropy-SGD (Chaudhari, Choromanska, Soatto, LeCun, Baldassi, Borgs, Chayes, Sagun & Zecchina
 * 2017, ICLR, "Entropy-SGD: biasing gradient descent into wide valleys", Algorithm 1).
 * It descends the negative local entropy −F(θ; γ), F = log ∫ exp(−L(θ′) − (γ/2)|θ − θ′|²) dθ′,
 * whose gradient is γ(θ − ⟨θ′⟩) with ⟨·⟩ the Gibbs average of θ′ coupled to θ (their eq. 7).
 * ⟨θ′⟩ is estimated by L steps of stochastic gradient Langevin dynamics (SGLD, Welling & Teh 2011):
 *   θ′, μ ← θ;  for l = 1..L:  dθ′ = ∇L_B(θ′) − γ(θ − θ′),
 *                              θ′ ← θ′ − η′ dθ′ + √η′ ε ξ,  ξ ~ N(0, I),
 *                              μ ← (1 − α) μ + α θ′;
 *   outer gradient g = γ(θ − μ), applied by the base optimiser (the paper uses SGD with Nesterov
 *   momentum; any of glassy's optimisers works).
 * Defaults are the paper's: L = 20, η′ = 0.1, ε = 1e-4, α = 0.75, γ = 0.03; "scoping" γ_t =
 * γ(1 + γ₁)^t (their §4.3) with γ₁ = 0 by default.
 *
 * Randomness: the inner mini-batches (after the first, which is the trainer's batch) and the SGLD
 * noise come from Rng.stream(seed, Stream.noise, replica, 1 + outer step): a pure function of the
 * step, so a resumed run is bit-identical once `step` is restored.
 * Cost: L mini-batch gradients per outer step — compare with SGD at equal gradient evaluations
 * (epochs × L).
 */
import type { Float } from '../core/backend.js';
import { GlassyError } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import type { Geometry, SampledLandscape } from '../landscapes/landscape.js';

export interface EntropySgdOptions {
  /** Coupling γ (default 0.03). */
  gamma: number;
  /** Scoping rate γ₁: γ_t = γ(1 + γ₁)^t (default 0). */
  scoping: number;
  /** Inner SGLD steps L (default 20). */
  innerSteps: number;
  /** Inner step size η′ (default 0.1). */
  innerLr: number;
  /** Thermal noise ε of the SGLD (default 1e-4). */
  noise: number;
  /** Averaging weight α of μ (default 0.75). */
  alpha: number;
}

export const ENTROPY_SGD_DEFAULTS: EntropySgdOptions = { gamma: 0.03, scoping: 0, innerSteps: 20, innerLr: 0.1, noise: 1e-4, alpha: 0.75 };

/** Scratch arrays of one Entropy-SGD step (of the landscape's type). */
export interface EntropySgdWork<X extends Float> { inner: X; mu: X; grad: X }

/**
 * One outer Entropy-SGD gradient: g ← γ_t(θ − μ) after the inner SGLD loop. `nextBatch(l)` gives the
 * mini-batch of inner step l. Returns the mini-batch loss at θ (inner step 0, where θ′ = θ).
 */
export function entropySgdGradient<X extends Float>(
  landscape: SampledLandscape<X>, theta: X, nextBatch: (l: number) => Int32Array,
  opts: EntropySgdOptions, gamma: number, rng: Rng, g: X, work: EntropySgdWork<X>,
): number {
  const { inner, mu, grad } = work;
  const P = theta.length;
  inner.set(theta);
  mu.set(theta);
  const amp = Math.sqrt(opts.innerLr) * opts.noise;
  const a = opts.alpha;
  let loss = NaN;
  for (let l = 0; l < opts.innerSteps; l++) {
    const bl = landscape.batchGradient(inner, nextBatch(l), grad);
    if (l === 0) loss = bl;
    for (let i = 0; i < P; i++) {
      const d = grad[i]! - gamma * (theta[i]! - inner[i]!);
      const x = inner[i]! - opts.innerLr * d + amp * rng.normal();
      inner[i] = x;
      mu[i] = (1 - a) * mu[i]! + a * x;
    }
  }
  for (let i = 0; i < P; i++) g[i] = gamma * (theta[i]! - mu[i]!);
  return loss;
}

export function checkEntropySgd(o: EntropySgdOptions): void {
  if (!(o.gamma > 0)) throw GlassyError.invalid('flatten.gamma', o.gamma, 'a positive coupling γ (Chaudhari et al. use 0.03)');
  if (!(o.scoping >= 0)) throw GlassyError.invalid('flatten.scoping', o.scoping, 'a number ≥ 0');
  if (!Number.isInteger(o.innerSteps) || o.innerSteps < 1) throw GlassyError.invalid('flatten.innerSteps', o.innerSteps, 'a positive integer L');
  if (!(o.innerLr > 0)) throw GlassyError.invalid('flatten.innerLr', o.innerLr, 'a positive inner step size η′');
  if (!(o.noise >= 0)) throw GlassyError.invalid('flatten.noise', o.noise, 'a number ≥ 0');
  if (!(o.alpha > 0 && o.alpha <= 1)) throw GlassyError.invalid('flatten.alpha', o.alpha, 'a number in (0, 1]');
}

/**
 * A sampled landscape whose mini-batch gradient is the Entropy-SGD outer gradient, so the ordinary
 * trainer runs Entropy-SGD. `step` counts outer steps; set it after restoring a checkpoint.
 */
export class EntropySgdLandscape<X extends Float> implements SampledLandscape<X> {
  readonly name: string;
  readonly dim: number;
  readonly geometry: Geometry;
  readonly nSamples: number;
  /** Outer steps taken (drives γ_t and the per-step random stream). */
  step = 0;
  private readonly work: EntropySgdWork<X>;
  private readonly extra: Int32Array;

  constructor(readonly base: SampledLandscape<X>, readonly opts: EntropySgdOptions, private readonly seed: number, private readonly replica: number) {
    checkEntropySgd(opts);
    this.name = `${base.name} (Entropy-SGD γ=${opts.gamma}, L=${opts.innerSteps})`;
    this.dim = base.dim;
    this.geometry = base.geometry;
    this.nSamples = base.nSamples;
    this.work = { inner: base.newConfig(), mu: base.newConfig(), grad: base.newConfig() };
    this.extra = new Int32Array(0);
  }

  newConfig(): X { return this.base.newConfig(); }
  energy(x: X): number { return this.base.energy(x); }
  gradient(x: X, g: X): number { return this.base.gradient(x, g); }
  hvp(x: X, v: X, out: X): void { this.base.hvp(x, v, out); }

  batchGradient(x: X, batch: Int32Array, g: X): number {
    const rng = Rng.stream(this.seed, Stream.noise, this.replica, 1 + this.step);
    const n = this.nSamples;
    let buf = this.extra;
    const nextBatch = (l: number): Int32Array => {
      if (l === 0) return batch;
      // Inner batches after the first: |B| indices drawn uniformly with replacement.
      if (buf.length !== batch.length) buf = new Int32Array(batch.length);
      for (let i = 0; i < buf.length; i++) buf[i] = rng.int(n);
      return buf;
    };
    const gamma = this.opts.gamma * Math.pow(1 + this.opts.scoping, this.step);
    const loss = entropySgdGradient(this.base, x, nextBatch, this.opts, gamma, rng, g, this.work);
    this.step++;
    return loss;
  }
}
