/**
 * Training the control point of a quadratic Bézier curve between two minima (Garipov, Izmailov,
 * Podoprikhin, Vetrov & Wilson, "Loss Surfaces, Mode Connectivity, and Fast Ensembling of DNNs",
 * NeurIPS 2018, eqs. 3–5): φ(t) = (1−t)²θ_a + 2t(1−t)θ_c + t²θ_b, and θ_c minimises
 * ℓ(θ_c) = E_{t~U[0,1]} L(φ(t)) by stochastic gradients — each step draws t ~ U[0, 1] and a mini-batch;
 * since ∂φ/∂θ_c = 2t(1−t)·I the gradient is 2t(1−t)·∇L(φ(t)) (eq. 5). θ_c starts at the midpoint.
 *
 * Stopping: after every epoch the caller's estimate of ℓ (a deterministic mean loss along the curve)
 * is compared with the previous epoch's; training stops when the relative change is below
 * `tolerance` (`stoppedBy: 'tolerance'`), else at `maxSteps` (`'cap'`, reported as unconverged).
 * `state()`/`restore()` make it resumable bit-identically (control point, optimiser moments, the
 * mini-batch and t streams, the loss history).
 */
import { GlassyError } from '../core/errors.js';
import { Rng, type RngState } from '../core/rng.js';
import type { SampledLandscape } from '../landscapes/landscape.js';
import { BatchSchedule, type BatchState } from './batches.js';
import { createOptimizer, type Optimizer, type OptimizerConfig, type OptimizerState } from './optimizers.js';

export interface BezierOptions {
  /** Step cap. */
  maxSteps: number;
  /** Steps between two evaluations of the objective (one epoch, usually). */
  checkEvery: number;
  /** Relative change of the objective between checks below which training stops. */
  tolerance: number;
  batch: number;
  optimizer: OptimizerConfig;
  /** Stream of the mini-batches. */
  rng: Rng;
  /** Stream of the sampled t. */
  tRng: Rng;
  /** The objective ℓ(θ_c) on a fixed grid and fixed samples (deterministic). */
  objective: (control: Float64Array) => number;
}

export interface BezierState {
  step: number;
  control: Float64Array;
  optimizer: OptimizerState;
  batches: BatchState;
  t: RngState;
  /** ℓ at step 0 and after each check. */
  losses: number[];
}

export class BezierFit {
  readonly control: Float64Array;
  step = 0;
  /** ℓ at step 0 and after each check. */
  losses: number[];
  private readonly optimizer: Optimizer;
  private readonly batches: BatchSchedule;
  private readonly phi: Float64Array;
  private readonly g: Float64Array;
  private tRng: Rng;

  constructor(
    private readonly landscape: SampledLandscape<Float64Array>,
    private readonly a: Float64Array,
    private readonly b: Float64Array,
    private readonly opts: BezierOptions,
  ) {
    const dim = a.length;
    this.control = new Float64Array(dim);
    for (let i = 0; i < dim; i++) this.control[i] = 0.5 * (a[i]! + b[i]!);
    this.phi = new Float64Array(dim);
    this.g = new Float64Array(dim);
    this.batches = new BatchSchedule(landscape.nSamples, Math.min(opts.batch, landscape.nSamples), 'shuffle', opts.rng);
    this.tRng = opts.tRng;
    // Langevin noise is not used on a control point (the caller maps gd/langevin to sgd); the stream is a placeholder.
    this.optimizer = createOptimizer(opts.optimizer, dim, this.control, opts.tRng);
    this.losses = [opts.objective(this.control)];
  }

  /** The last check changed ℓ by less than the tolerance (relative to max(1, |ℓ|)). */
  get converged(): boolean {
    const n = this.losses.length;
    if (n < 2) return false;
    const prev = this.losses[n - 2]!, cur = this.losses[n - 1]!;
    return Math.abs(prev - cur) <= this.opts.tolerance * Math.max(1, Math.abs(cur));
  }

  get done(): boolean {
    return this.converged || this.step >= this.opts.maxSteps;
  }

  advance(): void {
    const { a, b, control, phi, g } = this;
    const t = this.tRng.uniform();
    const u = 1 - t;
    for (let i = 0; i < phi.length; i++) phi[i] = u * u * a[i]! + 2 * t * u * control[i]! + t * t * b[i]!;
    const loss = this.landscape.batchGradient(phi, this.batches.next(), g);
    if (!Number.isFinite(loss)) {
      throw new GlassyError(`bezier: loss ${loss} at step ${this.step}; lower bezier.lr (now ${this.opts.optimizer.lr})`, 'bezier.lr', this.opts.optimizer.lr, 'a smaller learning rate');
    }
    const w = 2 * t * u;
    for (let i = 0; i < g.length; i++) g[i] = w * g[i]!;
    this.optimizer.step(control, g);
    this.step++;
    if (this.step % this.opts.checkEvery === 0 || this.step === this.opts.maxSteps) this.losses.push(this.opts.objective(control));
  }

  state(): BezierState {
    return {
      step: this.step, control: this.control.slice(), optimizer: this.optimizer.state(), batches: this.batches.state(),
      t: this.tRng.state(), losses: [...this.losses],
    };
  }

  restore(s: BezierState): void {
    this.control.set(s.control);
    this.optimizer.restore(s.optimizer);
    this.batches.restore(s.batches);
    this.tRng = Rng.fromState(s.t);
    this.step = s.step;
    this.losses = [...s.losses];
  }

  /** How training ended. */
  get stoppedBy(): 'tolerance' | 'cap' {
    return this.converged ? 'tolerance' : 'cap';
  }
}
