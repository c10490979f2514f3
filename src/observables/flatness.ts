/**
 * Flatness of a minimum: how fast the loss rises around θ. Every measure takes a landscape and a
 * configuration, so it applies to networks and spin glasses alike; all are "larger = sharper"
 * except the local entropy (larger = flatter). The papers that defined them:
 *
 * - λ_max, the top Hessian eigenvalue (Lanczos; Keskar et al. 2017 discuss it as the sharpness of a
 *   basin; Yao et al. 2020 compute it the same way).
 * - tr H by Hutchinson's estimator (PyHessian's trace; Hutchinson 1989, Avron & Toledo 2011).
 * - Local log-volume  V_γ = Σ_i log(1 + λ_i⁺/γ),  λ⁺ = max(λ, 0): −½V_γ is the log of the Gaussian
 *   volume ∫exp(−½ δᵀHδ − ½γ|δ|²)dδ relative to the flat case γ (the Laplace / Occam factor, MacKay
 *   1992; the large-γ local entropy of a quadratic minimum, Chaudhari et al. 2017, ICLR, §4.1 "local
 *   entropy ≈ −½ log det(I + H/γ)"). Over the top k Ritz values (exact) or over the whole spectrum
 *   by SLQ with f(λ) = log(1 + λ⁺/γ) (slq.ts). Negative curvature is clipped: the Gaussian
 *   integral does not exist there.
 * - ε-sharpness of Keskar, Mudigere, Nocedal, Smelyanskiy & Tang 2017 (ICLR, "On large-batch
 *   training…", Metric 2.1 with A = I):  φ_ε = 100·(max_{y∈C_ε} L(θ + y) − L(θ)) / (1 + L(θ)),
 *   C_ε = {y : |y_i| ≤ ε(|θ_i| + 1)}. Keskar et al. maximise with L-BFGS-B; here by projected
 *   sign-gradient ascent (the box projection is exact; `steps` steps of 2ε(|θ_i|+1)/steps each, so
 *   any corner is reachable; the largest L seen is kept). A lower bound on the true maximum, as theirs.
 * - Local entropy (Baldassi et al. 2016, PNAS 113, E7655; Chaudhari et al. 2017, eq. 4):
 *   F(θ; γ) = log ∫ exp(−βL(θ′) − (γ/2)|θ′ − θ|²) dθ′. With θ′ ~ N(θ, γ⁻¹I) as the proposal,
 *   F = log E[exp(−βL(θ′))] + (P/2) log(2π/γ); the estimator is the log of the sample mean,
 *     F̂ = logsumexp_s(−βL(θ′_s)) − log S   (the constant (P/2)log(2π/γ) dropped),
 *   computed with a log-sum-exp. It is biased low by Jensen (O(Var/S)); report S. Also returned:
 *   the mean rise ⟨L(θ′)⟩ − L(θ) ("expected sharpness", Neyshabur et al. 2017).
 */
import type { Float } from '../core/backend.js';
import { GlassyError } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import type { Differentiable, Landscape, TwiceDifferentiable } from '../landscapes/landscape.js';
import { hutchinsonTrace, type TraceEstimate } from './hessian/hutchinson.js';
import { lanczos, type Hvp, type LanczosOptions, type LanczosResult } from './hessian/lanczos.js';

/** A float64 HVP of a landscape at θ (copies in and out when the landscape is float32). */
export function hvpAt<X extends Float>(landscape: TwiceDifferentiable<X>, theta: X, op: 'hessian' | 'gauss-newton' = 'hessian'): Hvp {
  const apply = op === 'hessian'
    ? (v: X, o: X) => landscape.hvp(theta, v, o)
    : gaussNewtonOf(landscape, theta);
  const probe = landscape.newConfig();
  if (probe instanceof Float64Array) return apply as unknown as Hvp;
  const vin = landscape.newConfig();
  const vout = landscape.newConfig();
  return (v, out) => {
    vin.set(v);
    apply(vin, vout);
    for (let i = 0; i < out.length; i++) out[i] = vout[i]!;
  };
}

interface HasGnvp<X extends Float> { gnvp(theta: X, v: X, out: X): void }

function gaussNewtonOf<X extends Float>(landscape: TwiceDifferentiable<X>, theta: X): (v: X, o: X) => void {
  const g = landscape as unknown as Partial<HasGnvp<X>>;
  if (typeof g.gnvp !== 'function') {
    throw GlassyError.invalid('gauss-newton', landscape.name, 'a network landscape (the Gauss–Newton product J_fᵀ H_ℓ J_f needs network outputs)');
  }
  return (v, o) => g.gnvp!.call(landscape, theta, v, o);
}

/** λ_max (or the top k) of the Hessian at θ by Lanczos. */
export function topEigenvalues<X extends Float>(landscape: TwiceDifferentiable<X>, theta: X, opts: LanczosOptions = {}): LanczosResult {
  return lanczos(hvpAt(landscape, theta), landscape.dim, { which: 'largest', ...opts });
}

export function hessianTrace<X extends Float>(landscape: TwiceDifferentiable<X>, theta: X, samples = 100, rng?: Rng): TraceEstimate {
  return hutchinsonTrace(hvpAt(landscape, theta), landscape.dim, { samples, rng: rng ?? Rng.stream(0, Stream.probe, 1) });
}

/** V_γ = Σ_i log(1 + max(λ_i, 0)/γ) over the given eigenvalues (see the module comment). */
export function logVolume(eigenvalues: ArrayLike<number>, gamma: number): number {
  if (!(gamma > 0)) throw GlassyError.invalid('gamma', gamma, 'a positive number');
  let s = 0;
  for (let i = 0; i < eigenvalues.length; i++) s += Math.log1p(Math.max(eigenvalues[i]!, 0) / gamma);
  return s;
}

export interface SharpnessOptions {
  /** ε of the box (Keskar et al. use 1e-3 and 5e-4). Default 1e-3. */
  epsilon?: number;
  /** Ascent steps (default 10). */
  steps?: number;
}

export interface Sharpness {
  /** 100·(max L − L)/(1 + L). */
  sharpness: number;
  loss: number;
  maxLoss: number;
}

/** Keskar et al.'s ε-sharpness by projected sign-gradient ascent in the box C_ε. */
export function epsilonSharpness<X extends Float>(landscape: Differentiable<X>, theta: X, opts: SharpnessOptions = {}): Sharpness {
  const eps = opts.epsilon ?? 1e-3;
  const steps = opts.steps ?? 10;
  if (!(eps > 0)) throw GlassyError.invalid('epsilon', eps, 'a positive box size');
  if (!Number.isInteger(steps) || steps < 1) throw GlassyError.invalid('steps', steps, 'a positive integer');
  const P = landscape.dim;
  const x = landscape.newConfig();
  const g = landscape.newConfig();
  const box = new Float64Array(P);
  for (let i = 0; i < P; i++) box[i] = eps * (Math.abs(theta[i]!) + 1);
  const y = new Float64Array(P);
  x.set(theta);
  const loss = landscape.gradient(x, g);
  let maxLoss = loss;
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < P; i++) {
      const gi = g[i]!;
      const step = (2 * box[i]!) / steps;
      let yi = y[i]! + (gi > 0 ? step : gi < 0 ? -step : 0);
      if (yi > box[i]!) yi = box[i]!;
      else if (yi < -box[i]!) yi = -box[i]!;
      y[i] = yi;
      x[i] = theta[i]! + yi;
    }
    const l = landscape.gradient(x, g);
    if (l > maxLoss) maxLoss = l;
  }
  return { sharpness: (100 * (maxLoss - loss)) / (1 + loss), loss, maxLoss };
}

export interface LocalEntropyOptions {
  /** Coupling γ; θ′ ~ N(θ, γ⁻¹ I). Default 1e4 (σ = 0.01 per coordinate). */
  gamma?: number;
  /** Inverse temperature β of exp(−βL) (default 1). */
  beta?: number;
  /** Samples S (default 32). */
  samples?: number;
  rng?: Rng;
}

export interface LocalEntropy {
  /** F̂ = log mean exp(−βL(θ′)) (without the constant (P/2)log(2π/γ)). */
  entropy: number;
  /** F̂ + βL(θ): 0 for a perfectly flat neighbourhood, more negative when sharper. */
  entropyGap: number;
  /** ⟨L(θ′)⟩ − L(θ). */
  meanRise: number;
  loss: number;
  samples: number;
}

/** The sampling estimator of the local entropy (module comment). */
export function localEntropy<X extends Float>(landscape: Landscape<X>, theta: X, opts: LocalEntropyOptions = {}): LocalEntropy {
  const gamma = opts.gamma ?? 1e4;
  const beta = opts.beta ?? 1;
  const S = opts.samples ?? 32;
  if (!(gamma > 0)) throw GlassyError.invalid('gamma', gamma, 'a positive coupling');
  if (!(beta > 0)) throw GlassyError.invalid('beta', beta, 'a positive inverse temperature');
  if (!Number.isInteger(S) || S < 1) throw GlassyError.invalid('samples', S, 'a positive integer');
  const rng = opts.rng ?? Rng.stream(0, Stream.probe, 3);
  const sd = 1 / Math.sqrt(gamma);
  const x = landscape.newConfig();
  const loss = landscape.energy(theta);
  const logw = new Float64Array(S);
  let mean = 0;
  for (let s = 0; s < S; s++) {
    for (let i = 0; i < landscape.dim; i++) x[i] = theta[i]! + sd * rng.normal();
    const l = landscape.energy(x);
    logw[s] = -beta * l;
    mean += l;
  }
  mean /= S;
  const entropy = logSumExp(logw) - Math.log(S);
  return { entropy, entropyGap: entropy + beta * loss, meanRise: mean - loss, loss, samples: S };
}

export function logSumExp(a: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < a.length; i++) m = Math.max(m, a[i]!);
  if (m === -Infinity || !Number.isFinite(m)) return m;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.exp(a[i]! - m);
  return m + Math.log(s);
}
