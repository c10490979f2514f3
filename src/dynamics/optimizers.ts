/**
 * Update rules for a configuration x given a gradient g (networks: θ and ∂L/∂θ). A rule knows nothing
 * about where g came from (full batch, mini-batch); the trainer (dynamics/trainer.ts) decides that.
 * Every rule updates x in place, allocation-free, and exposes its state for checkpoints.
 *
 * Conventions follow PyTorch's torch.optim so that glassy runs match the papers' released code:
 * - SGD with momentum μ (Polyak heavy ball as torch.optim.SGD): v ← μ v + g;  x ← x − η v
 *   (Baity-Jesi et al. 2018 use μ = 0.5). μ = 0 is plain SGD / gradient descent.
 * - Adam (Kingma & Ba 2015, Algorithm 1, with bias correction): m ← β1 m + (1−β1) g,
 *   v ← β2 v + (1−β2) g², x ← x − η m̂ /(√v̂ + ε)  (Ersoy et al. use Adam, η = 1.5e-3).
 * - Langevin (overdamped, Euler–Maruyama): x ← x − η g + √(2 η T) ξ, ξ ~ N(0, I), which samples
 *   exp(−E/T) as η → 0 (full-batch gradient; with mini-batches the SGD noise adds to T).
 */
import type { Float } from '../core/backend.js';
import { getBackend } from '../core/backends/index.js';
import { Rng, type RngState } from '../core/rng.js';

export type OptimizerKind = 'sgd' | 'momentum' | 'adam' | 'gd' | 'langevin';

export interface OptimizerConfig {
  kind: OptimizerKind;
  lr: number;
  /** Momentum μ ('momentum'; default 0.9; Baity-Jesi et al. use 0.5). */
  momentum?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Temperature T of 'langevin'. */
  temperature?: number;
}

export interface OptimizerState {
  step: number;
  arrays: Record<string, Float>;
  rng?: RngState;
}

export interface Optimizer {
  readonly kind: OptimizerKind;
  /** Applies one update to x given the gradient g (g may be overwritten). */
  step(x: Float, g: Float): void;
  state(): OptimizerState;
  restore(s: OptimizerState): void;
  /** Forget accumulated moments (Ersoy et al. restart Adam at every β). */
  reset(): void;
  /**
   * The same rule, fresh, over n parameters — for K replicas stepped as one vector (an ensemble in
   * lockstep), which equals K separate steps when the rule is elementwise with no state but its
   * arrays and the step count; null when it is not (Langevin's noise follows each replica's stream).
   */
  widen(n: number): Optimizer | null;
}

/**
 * y ← αx + y and x ← αx through the backend's BLAS level-1 kernels when it has them: over the
 * ~10⁵ parameters of a network a JavaScript loop costs as much as a GEMM of the step (V8 does not
 * vectorise it), saxpy a tenth of that. Results are deterministic per backend.
 */
function level1(): { axpy: (a: number, x: Float, y: Float) => void; scal: (a: number, x: Float) => void } {
  const be = getBackend();
  return {
    axpy: be.axpy ? be.axpy.bind(be) : (a, x, y) => { for (let i = 0; i < y.length; i++) y[i] = y[i]! + a * x[i]!; },
    scal: be.scal ? be.scal.bind(be) : (a, x) => { for (let i = 0; i < x.length; i++) x[i] = a * x[i]!; },
  };
}

class Sgd implements Optimizer {
  private t = 0;
  private readonly v: Float | null;
  private readonly ops = level1();
  constructor(readonly kind: OptimizerKind, private readonly lr: number, private readonly mu: number, dim: number, private readonly like: Float) {
    this.v = mu > 0 ? newLike(like, dim) : null;
  }
  step(x: Float, g: Float): void {
    const { axpy, scal } = this.ops;
    const v = this.v;
    if (v) {
      // PyTorch: the first step initialises the buffer with g (v = g), later v = μ v + g.
      if (this.t === 0) v.set(g);
      else {
        scal(this.mu, v);
        axpy(1, g, v);
      }
      axpy(-this.lr, v, x);
    } else {
      axpy(-this.lr, g, x);
    }
    this.t++;
  }
  state(): OptimizerState {
    return { step: this.t, arrays: this.v ? { v: this.v.slice() } : {} };
  }
  restore(s: OptimizerState): void {
    this.t = s.step;
    if (this.v && s.arrays['v']) this.v.set(s.arrays['v']);
  }
  reset(): void {
    this.t = 0;
    this.v?.fill(0);
  }
  widen(n: number): Optimizer {
    return new Sgd(this.kind, this.lr, this.mu, n, this.like);
  }
}

class Adam implements Optimizer {
  readonly kind = 'adam' as const;
  private t = 0;
  private readonly m: Float;
  private readonly v: Float;
  constructor(private readonly lr: number, private readonly b1: number, private readonly b2: number, private readonly eps: number, dim: number, like: Float) {
    this.m = newLike(like, dim);
    this.v = newLike(like, dim);
  }
  step(x: Float, g: Float): void {
    this.t++;
    const { m, v, b1, b2, eps } = this;
    const c1 = 1 - Math.pow(b1, this.t);
    const c2 = 1 - Math.pow(b2, this.t);
    // PyTorch's formulation: x ← x − (η/c1)·m / (√v/√c2 + ε)
    const stepSize = this.lr / c1;
    const sc2 = Math.sqrt(c2);
    for (let i = 0; i < x.length; i++) {
      const gi = g[i]!;
      const mi = b1 * m[i]! + (1 - b1) * gi;
      const vi = b2 * v[i]! + (1 - b2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      x[i] = x[i]! - (stepSize * mi) / (Math.sqrt(vi) / sc2 + eps);
    }
  }
  state(): OptimizerState {
    return { step: this.t, arrays: { m: this.m.slice(), v: this.v.slice() } };
  }
  restore(s: OptimizerState): void {
    this.t = s.step;
    if (s.arrays['m']) this.m.set(s.arrays['m']);
    if (s.arrays['v']) this.v.set(s.arrays['v']);
  }
  reset(): void {
    this.t = 0;
    this.m.fill(0);
    this.v.fill(0);
  }
  widen(n: number): Optimizer {
    return new Adam(this.lr, this.b1, this.b2, this.eps, n, this.m);
  }
}

class Langevin implements Optimizer {
  readonly kind = 'langevin' as const;
  private t = 0;
  private rng: Rng;
  constructor(private readonly lr: number, private readonly temperature: number, rng: Rng) {
    this.rng = rng;
  }
  step(x: Float, g: Float): void {
    const lr = this.lr;
    const amp = Math.sqrt(2 * lr * this.temperature);
    const rng = this.rng;
    for (let i = 0; i < x.length; i++) x[i] = x[i]! - lr * g[i]! + amp * rng.normal();
    this.t++;
  }
  state(): OptimizerState {
    return { step: this.t, arrays: {}, rng: this.rng.state() };
  }
  restore(s: OptimizerState): void {
    this.t = s.step;
    if (s.rng) this.rng = Rng.fromState(s.rng);
  }
  reset(): void {
    this.t = 0;
  }
  widen(): null {
    return null;
  }
}

/** `noise` is the stream for Langevin's thermal noise (ignored by the deterministic rules). */
export function createOptimizer(cfg: OptimizerConfig, dim: number, like: Float, noise: Rng): Optimizer {
  switch (cfg.kind) {
    case 'sgd':
    case 'gd':
      return new Sgd(cfg.kind, cfg.lr, 0, dim, like);
    case 'momentum':
      return new Sgd('momentum', cfg.lr, cfg.momentum ?? 0.9, dim, like);
    case 'adam':
      return new Adam(cfg.lr, cfg.beta1 ?? 0.9, cfg.beta2 ?? 0.999, cfg.eps ?? 1e-8, dim, like);
    case 'langevin':
      return new Langevin(cfg.lr, cfg.temperature ?? 0, noise);
  }
}

function newLike(like: Float, n: number): Float {
  return like instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
}
