/**
 * Overdamped Langevin dynamics in R^N for any differentiable landscape (networks included):
 *   dx = −∇E(x) dt + √(2T) dW,
 * discretised by Euler–Maruyama (Kloeden & Platen 1992, "Numerical Solution of Stochastic
 * Differential Equations", §9.1, the Euler approximation): x ← x − dt·∇E(x) + √(2T·dt)·ζ, ζ ~ N(0, I).
 * With E flat this is Brownian motion with diffusion constant D = T: E|x(t) − x(0)|²/N = 2Tt
 * (Einstein 1905), the reference for the Δ(tw, tw+t) observable (observables/aging.ts).
 *
 * Time: t = step × dt. The observer sees the state before each move (steps startStep …
 * startStep + steps − 1), as in dynamics/sphere.ts, so resumed runs never observe a step twice.
 * The noise is drawn in float64 and added in the configuration's own precision.
 */
import type { Float } from '../core/backend.js';
import { GlassyError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { Differentiable } from '../landscapes/landscape.js';

export interface LangevinOptions<X extends Float> {
  /** Temperature T ≥ 0 (T = 0: plain gradient descent). */
  temperature: number;
  /** Time step dt > 0. */
  dt: number;
  /** Number of steps (integer ≥ 0). */
  steps: number;
  /** Noise stream, required when T > 0. */
  rng?: Rng;
  /** Step counter at entry (default 0). */
  startStep?: number;
  /** Sees (step, x, E(x)) before each move; return false to stop. */
  onStep?: (step: number, x: X, energy: number) => void | boolean;
}

/** Runs Langevin dynamics in place on x; returns the step counter after the run. */
export function langevin<X extends Float>(landscape: Differentiable<X>, x: X, opts: LangevinOptions<X>): number {
  const T = opts.temperature;
  if (typeof T !== 'number' || !(T >= 0) || !Number.isFinite(T)) throw GlassyError.invalid('temperature', T, 'a finite number ≥ 0');
  if (typeof opts.dt !== 'number' || !(opts.dt > 0) || !Number.isFinite(opts.dt)) throw GlassyError.invalid('dt', opts.dt, 'a finite number > 0');
  if (!Number.isSafeInteger(opts.steps) || opts.steps < 0) throw GlassyError.invalid('steps', opts.steps, 'an integer ≥ 0');
  const start = opts.startStep ?? 0;
  if (!Number.isSafeInteger(start) || start < 0) throw GlassyError.invalid('startStep', start, 'an integer ≥ 0');
  if (T > 0 && !(opts.rng instanceof Rng)) throw GlassyError.invalid('rng', opts.rng, 'an Rng (needed for T > 0)');
  if (x.length !== landscape.dim) throw GlassyError.invalid('x.length', x.length, `${landscape.dim}`);
  const n = landscape.dim;
  const dt = opts.dt;
  const amp = Math.sqrt(2 * T * dt);
  const rng = opts.rng;
  const g = (x instanceof Float32Array ? new Float32Array(n) : new Float64Array(n)) as X;
  let step = start;
  const end = start + opts.steps;
  while (step < end) {
    const e = landscape.gradient(x, g);
    if (opts.onStep && opts.onStep(step, x, e) === false) break;
    if (amp > 0) for (let i = 0; i < n; i++) x[i] = x[i]! - dt * g[i]! + amp * rng!.normal();
    else for (let i = 0; i < n; i++) x[i] = x[i]! - dt * g[i]!;
    step++;
  }
  return step;
}
