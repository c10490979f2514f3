/**
 * The simplest landscapes, for testing dynamics and observables against exact results:
 * E(x) = (k/2)|x|² on R^N; k = 0 is the flat landscape (pure diffusion: Langevin gives
 * ⟨(x_i(t) − x_i(0))²⟩ = 2Tt exactly, Einstein 1905 with mobility 1), k > 0 the harmonic well
 * (Ornstein–Uhlenbeck: ⟨x_i²⟩ → T/k).
 */
import { GlassyError } from '../core/errors.js';
import type { Geometry, TwiceDifferentiable } from './landscape.js';

export interface QuadraticOptions {
  /** Number of degrees of freedom N (integer ≥ 1). */
  n: number;
  /** Stiffness k ≥ 0 (default 0: flat). */
  stiffness?: number;
}

export class Quadratic implements TwiceDifferentiable<Float64Array> {
  readonly name: string;
  readonly dim: number;
  readonly geometry: Geometry = 'euclidean';
  readonly stiffness: number;

  constructor(opts: QuadraticOptions) {
    const k = opts.stiffness ?? 0;
    if (!Number.isSafeInteger(opts.n) || opts.n < 1) throw GlassyError.invalid('n', opts.n, 'an integer ≥ 1');
    if (typeof k !== 'number' || !(k >= 0) || !Number.isFinite(k)) throw GlassyError.invalid('stiffness', k, 'a finite number ≥ 0');
    this.dim = opts.n;
    this.stiffness = k;
    this.name = k === 0 ? `flat N=${opts.n}` : `quadratic k=${k} N=${opts.n}`;
  }

  newConfig(): Float64Array {
    return new Float64Array(this.dim);
  }

  energy(x: Float64Array): number {
    if (this.stiffness === 0) return 0;
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
    return 0.5 * this.stiffness * s;
  }

  gradient(x: Float64Array, g: Float64Array): number {
    const k = this.stiffness;
    for (let i = 0; i < x.length; i++) g[i] = k * x[i]!;
    return this.energy(x);
  }

  hvp(_x: Float64Array, v: Float64Array, out: Float64Array): void {
    for (let i = 0; i < v.length; i++) out[i] = this.stiffness * v[i]!;
  }
}

/** The flat landscape E = 0 on R^N. */
export function flat(n: number): Quadratic {
  return new Quadratic({ n, stiffness: 0 });
}
