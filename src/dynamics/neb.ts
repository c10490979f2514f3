/**
 * Nudged elastic band (Henkelman & Jónsson, J. Chem. Phys. 113, 9978 (2000)) with the climbing
 * image (Henkelman, Uberuaga & Jónsson, J. Chem. Phys. 113, 9901 (2000)), relaxed by FIRE
 * (Bitzek, Koskinen, Gähler, Moseler & Gumbsch, PRL 97, 170201 (2006)) or plain force steps.
 * Draxler, Veschgini, Salmhofer & Hamprecht (ICML 2018) apply the same band to network losses.
 *
 * The band is a resumable dynamics: `state()` holds everything the remaining iterations depend on
 * (images, FIRE velocities and its adaptive Δt/α, the mini-batch stream), so a band restored from a
 * checkpoint continues bit-identically. It stops when every image's NEB force norm is below
 * `tolerance` (full-batch gradients only: a mini-batch force is noise-dominated near the minimum
 * energy path) or after `maxIterations`; `converged` says which, and with mini-batches the final
 * full-batch force is measured once and reported.
 */
import { GlassyError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { nrm2 } from '../core/vec.js';
import type { SampledLandscape } from '../landscapes/landscape.js';
import { BatchSchedule, type BatchState } from './batches.js';

export interface NebOptions {
  /** Movable images M between the fixed end points. */
  images: number;
  /** Iteration cap. */
  maxIterations: number;
  /** 'fire' (Bitzek et al. 2006) or plain force steps x ← x + lr·F. */
  optimizer: 'fire' | 'gd';
  /** Step size: lr of 'gd', the initial Δt of FIRE (Δt_max = 10 Δt). */
  lr: number;
  /** Spring constant k. */
  spring: number;
  /**
   * Climbing image (Henkelman, Uberuaga & Jónsson 2000) from this iteration on (null: never). A few
   * plain NEB iterations first put the highest image near the saddle before it climbs, as they advise.
   */
  climbFrom: number | null;
  /** Mini-batch size; null: full-batch gradients. */
  batch: number | null;
  /** Converged when every image's NEB force norm (full batch) is below this. */
  tolerance: number;
  /** Largest displacement of one image in one FIRE step (as ASE's maxstep): keeps the first steps stable. */
  maxMove: number;
  /** Stream of the mini-batches. */
  rng: Rng;
  /** Starting images (default: equally spaced on the segment). */
  init?: Float64Array[];
}

export interface NebState {
  iteration: number;
  /** The M movable images, [M × P] row-major. */
  images: Float64Array;
  /** FIRE velocities, [M × P]. */
  velocities: Float64Array;
  fire: { dt: number; alpha: number; since: number };
  maxForce: number;
  batches: BatchState | null;
}

export interface NebResult {
  /** The chain a, image_1 … image_M, b. */
  points: Float64Array[];
  /** The landscape's energy at each point of the chain, full batch, at the end. */
  energies: Float64Array;
  /** Largest full-batch NEB force norm over the images at the end. */
  maxForce: number;
  /** Iterations taken. */
  iterations: number;
  /** maxForce < tolerance. */
  converged: boolean;
  /** The climbing image (1 … M) at the end, or null without one. */
  climbingImage: number | null;
}

function distance(x: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i]! - y[i]!) ** 2;
  return Math.sqrt(s);
}

/**
 * The improved tangent of Henkelman & Jónsson (2000), eqs. 8–11: the neighbour uphill when the
 * energy is monotone through image i, an energy-weighted mix of both at extrema (which avoids the
 * kinks of the central-difference tangent). Writes the unit tangent into tau.
 */
export function improvedTangent(
  prev: Float64Array, cur: Float64Array, next: Float64Array, vPrev: number, v: number, vNext: number, tau: Float64Array,
): void {
  const n = cur.length;
  let wPlus: number, wMinus: number;
  if (vNext > v && v > vPrev) { wPlus = 1; wMinus = 0; }
  else if (vNext < v && v < vPrev) { wPlus = 0; wMinus = 1; }
  else {
    const dMax = Math.max(Math.abs(vNext - v), Math.abs(vPrev - v));
    const dMin = Math.min(Math.abs(vNext - v), Math.abs(vPrev - v));
    if (vNext > vPrev) { wPlus = dMax; wMinus = dMin; }
    else { wPlus = dMin; wMinus = dMax; }
    if (wPlus === 0 && wMinus === 0) { wPlus = 1; wMinus = 1; } // flat: central difference
  }
  for (let i = 0; i < n; i++) tau[i] = wPlus * (next[i]! - cur[i]!) + wMinus * (cur[i]! - prev[i]!);
  const norm = nrm2(tau);
  if (norm > 0) for (let i = 0; i < n; i++) tau[i] = tau[i]! / norm;
}

/** FIRE parameters of Bitzek et al. (2006): N_min, f_inc, f_dec, α_start, f_α; Δt_min (in units of the initial Δt) of FIRE 2.0 (Guénolé et al. 2020). */
const FIRE = { nMin: 5, fInc: 1.1, fDec: 0.5, alphaStart: 0.1, fAlpha: 0.99, dtMin: 0.02 } as const;

export class NudgedElasticBand {
  readonly points: Float64Array[];
  private readonly M: number;
  private readonly dim: number;
  private readonly V: Float64Array;
  private readonly grads: Float64Array[];
  private readonly forces: Float64Array[];
  private readonly vel: Float64Array[];
  private readonly tau: Float64Array;
  private readonly scratch: Float64Array;
  private readonly batches: BatchSchedule | null;
  private fire: { dt: number; alpha: number; since: number };
  private top = 1;
  iteration = 0;
  maxForce = Infinity;

  constructor(
    private readonly landscape: SampledLandscape<Float64Array>,
    a: Float64Array,
    b: Float64Array,
    private readonly opts: NebOptions,
  ) {
    const M = (this.M = opts.images);
    const dim = (this.dim = a.length);
    this.points = [a.slice()];
    for (let i = 1; i <= M; i++) {
      const x = new Float64Array(dim);
      const init = opts.init?.[i - 1];
      if (init) x.set(init);
      else { const u = i / (M + 1); for (let j = 0; j < dim; j++) x[j] = (1 - u) * a[j]! + u * b[j]!; }
      this.points.push(x);
    }
    this.points.push(b.slice());
    this.V = new Float64Array(M + 2);
    this.grads = Array.from({ length: M + 2 }, () => new Float64Array(dim));
    this.forces = Array.from({ length: M }, () => new Float64Array(dim));
    this.vel = Array.from({ length: M }, () => new Float64Array(dim));
    this.tau = new Float64Array(dim);
    this.scratch = new Float64Array(dim);
    this.batches = opts.batch === null ? null : new BatchSchedule(landscape.nSamples, Math.min(opts.batch, landscape.nSamples), 'shuffle', opts.rng);
    this.fire = { dt: opts.lr, alpha: FIRE.alphaStart, since: 0 };
    if (!this.batches) {
      this.V[0] = landscape.energy(this.points[0]!);
      this.V[M + 1] = landscape.energy(this.points[M + 1]!);
    }
  }

  /** Converged: full-batch force below the tolerance (never claimed from mini-batch forces). */
  get converged(): boolean {
    return this.batches === null && this.maxForce < this.opts.tolerance;
  }

  get done(): boolean {
    return this.converged || this.iteration >= this.opts.maxIterations;
  }

  /**
   * NEB forces at the current images into this.forces, and their largest norm:
   *   F_i = −∇V(R_i) + (∇V(R_i)·τ_i)τ_i + k(|R_{i+1} − R_i| − |R_i − R_{i−1}|)τ_i
   * (Henkelman & Jónsson 2000, eqs. 5, 6 and 12), and F = −∇V + 2(∇V·τ)τ at the climbing image
   * (Henkelman, Uberuaga & Jónsson 2000, eq. 5). With mini-batches every image (and both ends, for
   * the tangent) sees the same batch, so energies are compared on equal terms.
   */
  private computeForces(batch: Int32Array | null, climbing: boolean): number {
    const { landscape, points, V, grads, M, dim, tau } = this;
    if (batch) {
      V[0] = landscape.batchGradient(points[0]!, batch, this.scratch);
      V[M + 1] = landscape.batchGradient(points[M + 1]!, batch, this.scratch);
    }
    for (let i = 1; i <= M; i++) {
      V[i] = batch ? landscape.batchGradient(points[i]!, batch, grads[i]!) : landscape.gradient(points[i]!, grads[i]!);
      if (!Number.isFinite(V[i]!)) {
        throw new GlassyError(`neb: energy ${V[i]} at image ${i}, iteration ${this.iteration}; lower neb.lr (now ${this.opts.lr})`, 'neb.lr', this.opts.lr, 'a smaller step size');
      }
    }
    let top = 1;
    for (let i = 2; i <= M; i++) if (V[i]! > V[top]!) top = i;
    // The climbing image needs a barrier to climb to: an image above both ends. Without one (a
    // monotone or convex profile) it would climb past an end point, so no image climbs.
    if (!(V[top]! > V[0]! && V[top]! > V[M + 1]!)) climbing = false;
    this.top = climbing ? top : 0;
    let maxForce = 0;
    for (let i = 1; i <= M; i++) {
      const prev = points[i - 1]!, cur = points[i]!, next = points[i + 1]!;
      improvedTangent(prev, cur, next, V[i - 1]!, V[i]!, V[i + 1]!, tau);
      const g = grads[i]!, F = this.forces[i - 1]!;
      let gt = 0;
      for (let j = 0; j < dim; j++) gt += g[j]! * tau[j]!;
      if (climbing && i === top) {
        for (let j = 0; j < dim; j++) F[j] = -g[j]! + 2 * gt * tau[j]!;
      } else {
        const spring = this.opts.spring * (distance(next, cur) - distance(cur, prev));
        for (let j = 0; j < dim; j++) F[j] = -g[j]! + (gt + spring) * tau[j]!;
      }
      maxForce = Math.max(maxForce, nrm2(F));
    }
    return maxForce;
  }

  private climbing(): boolean {
    return this.opts.climbFrom !== null && this.iteration >= this.opts.climbFrom;
  }

  /** One iteration: forces, convergence test, then a FIRE (or plain) step of every image. */
  step(): void {
    const batch = this.batches ? this.batches.next() : null;
    this.maxForce = this.computeForces(batch, this.climbing());
    if (this.converged) return;
    const { M, dim, points, forces, vel } = this;
    if (this.opts.optimizer === 'gd') {
      for (let i = 1; i <= M; i++) {
        const x = points[i]!, F = forces[i - 1]!;
        for (let j = 0; j < dim; j++) x[j] = x[j]! + this.opts.lr * F[j]!;
      }
    } else {
      const fire = this.fire;
      let P = 0, fn = 0, vn = 0;
      for (let i = 0; i < M; i++) {
        const F = forces[i]!, v = vel[i]!;
        for (let j = 0; j < dim; j++) { P += F[j]! * v[j]!; fn += F[j]! * F[j]!; vn += v[j]! * v[j]!; }
      }
      fn = Math.sqrt(fn); vn = Math.sqrt(vn);
      if (P > 0) {
        // v ← (1 − α)v + α|v|F̂; after N_min downhill steps Δt grows and α shrinks.
        const c = fn > 0 ? fire.alpha * vn / fn : 0;
        for (let i = 0; i < M; i++) {
          const F = forces[i]!, v = vel[i]!;
          for (let j = 0; j < dim; j++) v[j] = (1 - fire.alpha) * v[j]! + c * F[j]!;
        }
        if (++fire.since > FIRE.nMin) { fire.dt = Math.min(fire.dt * FIRE.fInc, 10 * this.opts.lr); fire.alpha *= FIRE.fAlpha; }
      } else {
        // Uphill: step half back, stop, shrink Δt (not below Δt_min), restart the mixing — the
        // correction of FIRE 2.0 (Guénolé et al., Comput. Mater. Sci. 175, 109584 (2020)); without
        // the floor, a band whose force field switches (climbing image on and off, tangent flips)
        // drives Δt to zero and stalls far from convergence.
        for (let i = 0; i < M; i++) {
          const x = points[i + 1]!, v = vel[i]!;
          for (let j = 0; j < dim; j++) x[j] = x[j]! - 0.5 * fire.dt * v[j]!;
          v.fill(0);
        }
        fire.dt = Math.max(fire.dt * FIRE.fDec, FIRE.dtMin * this.opts.lr);
        fire.alpha = FIRE.alphaStart;
        fire.since = 0;
      }
      // Semi-implicit Euler with unit masses; each image moves at most maxMove.
      for (let i = 0; i < M; i++) {
        const x = points[i + 1]!, F = forces[i]!, v = vel[i]!;
        for (let j = 0; j < dim; j++) v[j] = v[j]! + fire.dt * F[j]!;
        const move = fire.dt * nrm2(v);
        const s = move > this.opts.maxMove ? this.opts.maxMove / move : 1;
        for (let j = 0; j < dim; j++) x[j] = x[j]! + s * fire.dt * v[j]!;
      }
    }
    this.iteration++;
  }

  state(): NebState {
    const M = this.M, P = this.dim;
    const images = new Float64Array(M * P), velocities = new Float64Array(M * P);
    for (let i = 0; i < M; i++) { images.set(this.points[i + 1]!, i * P); velocities.set(this.vel[i]!, i * P); }
    return {
      iteration: this.iteration, images, velocities, fire: { ...this.fire }, maxForce: this.maxForce,
      batches: this.batches ? this.batches.state() : null,
    };
  }

  restore(s: NebState): void {
    const M = this.M, P = this.dim;
    for (let i = 0; i < M; i++) {
      this.points[i + 1]!.set(s.images.subarray(i * P, (i + 1) * P));
      this.vel[i]!.set(s.velocities.subarray(i * P, (i + 1) * P));
    }
    this.iteration = s.iteration;
    this.fire = { ...s.fire };
    this.maxForce = s.maxForce;
    if (this.batches && s.batches) this.batches.restore(s.batches);
  }

  /** Energies and the full-batch force at the final images. */
  result(): NebResult {
    const { M, points } = this;
    const climbing = this.climbing();
    // With mini-batches the last force was a batch estimate: measure the full-batch force once.
    const maxForce = this.batches ? this.computeForces(null, climbing) : this.maxForce;
    const energies = new Float64Array(M + 2);
    for (let i = 0; i < M + 2; i++) energies[i] = this.landscape.energy(points[i]!);
    return {
      points, energies, maxForce, iterations: this.iteration, converged: maxForce < this.opts.tolerance,
      climbingImage: climbing && this.top > 0 ? this.top : null,
    };
  }
}

/** Relaxes a band to convergence or the iteration cap (no checkpoints): the library entry point. */
export function nudgedElasticBand(
  landscape: SampledLandscape<Float64Array>, a: Float64Array, b: Float64Array, opts: NebOptions,
): NebResult {
  const band = new NudgedElasticBand(landscape, a, b, opts);
  while (!band.done) band.step();
  return band.result();
}

