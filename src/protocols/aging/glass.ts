/**
 * The glass side of the aging protocol: quenches from infinite temperature, the classic setting of
 * aging (Cugliandolo & Kurchan 1993, PRL 71, 173; Bouchaud, Cugliandolo, Kurchan & Mézard 1998).
 *
 * - p-spin: σ uniform on the sphere |σ|² = N (T = ∞), then Langevin at T (or gradient descent,
 *   T = 0) on the sphere, dynamics/sphere.ts; time = steps (continuous time steps·dt); energy = H/N.
 * - SK: s uniform in {±1}^N, then single-spin-flip Metropolis (or heat bath) sweeps at T,
 *   dynamics/montecarlo/; time = sweeps; energy = H/N. Δ = 2(1 − C) for Ising spins.
 * - flat: E = 0 on R^N from x = 0, Langevin x ← x + √(2T·dt) ξ (optimizers.ts 'langevin' with
 *   lr = dt): free diffusion, Δ(tw, tw+t) = 2T·t·dt in expectation (Einstein 1905, mobility 1) —
 *   the calibration of the whole chain (dynamics → recorder → replica averages → fit of α = 1).
 *
 * Each trajectory has its own initial condition Rng.stream(seed, init, sample, r) and its own noise
 * Rng.stream(seed, noise|monteCarlo, sample, r); replica r of every temperature starts from the same
 * point (common random numbers across the temperature axis). The disorder is sample `sample` of the
 * run's seed, as everywhere in glassy.
 */
import type { Float } from '../../core/backend.js';
import { GlassyError } from '../../core/errors.js';
import { Rng, Stream, type RngState } from '../../core/rng.js';
import { createOptimizer, type Optimizer } from '../../dynamics/optimizers.js';
import { langevinSphere } from '../../dynamics/sphere.js';
import { SpinChain } from '../../dynamics/montecarlo/chain.js';
import { sweep } from '../../dynamics/montecarlo/kernels.js';
import { SherringtonKirkpatrick } from '../../landscapes/ising/sk.js';
import { PSpin, randomSpherePoint, type PSpinOrder } from '../../landscapes/pspin.js';
import type { ArrayData } from '../../store/dtype.js';
import type { AgingFlatConfig, AgingPSpinConfig, AgingSkConfig } from './config.js';
import type { AgingTrajectory } from './driver.js';

type State = { meta: Record<string, unknown>; arrays: Record<string, ArrayData> };

// The disorder is drawn once per thread and reused by every trajectory of the same sample (for
// N = 1000, p = 3 that is 166 M couplings, seconds to draw and 1.3 GB): keep only the latest.
let pspinCache: { key: string; model: PSpin } | null = null;
let skCache: { key: string; model: SherringtonKirkpatrick } | null = null;

export function pspinModel(c: AgingPSpinConfig, seed: number, sample: number): PSpin {
  const key = `${c.n}:${c.p}:${c.storage}:${seed}:${sample}`;
  if (pspinCache?.key !== key) {
    pspinCache = null; // let the old couplings go before drawing new ones
    pspinCache = { key, model: new PSpin({ n: c.n, p: c.p as PSpinOrder, seed, sample, storage: c.storage }) };
  }
  return pspinCache.model;
}

export function skModel(c: AgingSkConfig, seed: number, sample: number): SherringtonKirkpatrick {
  const key = `${c.n}:${c.couplings}:${seed}:${sample}`;
  if (skCache?.key !== key) skCache = { key, model: new SherringtonKirkpatrick({ n: c.n, couplings: c.couplings, seed, sample }) };
  return skCache.model;
}

function rngOf(meta: Record<string, unknown>, key: string): Rng {
  const st = meta[key] as RngState | undefined;
  if (!st || !Array.isArray(st.s)) throw GlassyError.invalid(`checkpoint.meta.traj.${key}`, st, 'an RNG state');
  return Rng.fromState(st);
}

export class PSpinAgingTrajectory implements AgingTrajectory {
  readonly dim: number;
  readonly seriesNames = ['energy'] as const;
  readonly model: PSpin;
  private sigma: Float64Array;
  private rng: Rng;
  private step = 0;

  constructor(private readonly c: AgingPSpinConfig, private readonly temperature: number, seed: number, sample: number, replica: number) {
    this.model = pspinModel(c, seed, sample);
    this.dim = c.n;
    this.sigma = new Float64Array(c.n);
    this.initRng = Rng.stream(seed, Stream.init, sample, replica);
    this.rng = Rng.stream(seed, Stream.noise, sample, replica);
  }
  private readonly initRng: Rng;

  initialise(): void {
    this.sigma = randomSpherePoint(this.dim, this.initRng);
  }
  configuration(): Float {
    return this.sigma;
  }
  savedConfiguration(): ArrayData {
    return this.sigma.slice();
  }
  advance(): void {
    langevinSphere(this.model, this.sigma, { temperature: this.temperature, dt: this.c.dt, steps: 1, rng: this.rng, startStep: this.step });
    this.step++;
  }
  measure(): number[] {
    return [this.model.energy(this.sigma) / this.dim];
  }
  state(): State {
    return { meta: { step: this.step, rng: this.rng.state() }, arrays: { sigma: this.sigma.slice() } };
  }
  restore(s: State): void {
    const sigma = s.arrays['sigma'];
    if (!(sigma instanceof Float64Array) || sigma.length !== this.dim) throw GlassyError.invalid('checkpoint.arrays.traj.sigma', sigma?.length, `a Float64Array of length ${this.dim}`);
    this.sigma = sigma.slice();
    this.rng = rngOf(s.meta, 'rng');
    this.step = s.meta['step'] as number;
  }
}

export class SkAgingTrajectory implements AgingTrajectory {
  readonly dim: number;
  readonly seriesNames = ['energy'] as const;
  private readonly chain: SpinChain;
  private readonly beta: number;
  private rng: Rng;
  private readonly initRng: Rng;
  private readonly x: Float64Array;

  constructor(private readonly c: AgingSkConfig, temperature: number, seed: number, sample: number, replica: number) {
    this.chain = new SpinChain(skModel(c, seed, sample));
    this.dim = c.n;
    // T = 0 is a zero-temperature quench (only downhill and neutral flips): β = ∞.
    this.beta = temperature > 0 ? 1 / temperature : Infinity;
    this.initRng = Rng.stream(seed, Stream.init, sample, replica);
    this.rng = Rng.stream(seed, Stream.monteCarlo, sample, replica);
    this.x = new Float64Array(c.n);
  }

  initialise(): void {
    this.chain.randomise(this.initRng);
  }
  configuration(): Float {
    const s = this.chain.spins;
    for (let i = 0; i < this.dim; i++) this.x[i] = s[i]!;
    return this.x;
  }
  savedConfiguration(): ArrayData {
    return this.chain.spins.slice();
  }
  advance(): void {
    sweep(this.c.rule, this.chain, this.beta, this.rng);
  }
  measure(): number[] {
    // The exact energy, not the incrementally updated one, so checkpoints need not carry it.
    return [this.chain.model.spinEnergy(this.chain.spins) / this.dim];
  }
  state(): State {
    // The local fields are carried as they are (incrementally updated), not recomputed: a
    // recomputed field may differ in the last bit, and a Metropolis decision could then differ.
    const c = this.chain;
    return { meta: { rng: this.rng.state(), energy: c.energy }, arrays: { spins: c.spins.slice(), fields: c.fields.slice() } };
  }
  restore(s: State): void {
    const spins = s.arrays['spins'];
    const fields = s.arrays['fields'];
    if (!(spins instanceof Int8Array) || spins.length !== this.dim) throw GlassyError.invalid('checkpoint.arrays.traj.spins', spins?.length, `an Int8Array of length ${this.dim}`);
    if (!(fields instanceof Float64Array) || fields.length !== this.dim) throw GlassyError.invalid('checkpoint.arrays.traj.fields', fields?.length, `a Float64Array of length ${this.dim}`);
    this.chain.spins.set(spins);
    this.chain.fields.set(fields);
    this.chain.energy = s.meta['energy'] as number;
    this.rng = rngOf(s.meta, 'rng');
  }
}

export class FlatAgingTrajectory implements AgingTrajectory {
  readonly dim: number;
  readonly seriesNames = ['energy'] as const;
  private readonly x: Float64Array;
  private readonly g: Float64Array;
  private readonly opt: Optimizer;

  constructor(c: AgingFlatConfig, temperature: number, seed: number, replica: number) {
    this.dim = c.n;
    this.x = new Float64Array(c.n);
    this.g = new Float64Array(c.n);
    this.opt = createOptimizer({ kind: 'langevin', lr: c.dt, temperature }, c.n, this.x, Rng.stream(seed, Stream.noise, 0, replica));
  }
  initialise(): void {
    this.x.fill(0);
  }
  configuration(): Float {
    return this.x;
  }
  savedConfiguration(): ArrayData {
    return this.x.slice();
  }
  advance(): void {
    this.g.fill(0); // ∇E = 0
    this.opt.step(this.x, this.g);
  }
  measure(): number[] {
    return [0];
  }
  state(): State {
    const st = this.opt.state();
    return { meta: { optStep: st.step, rng: st.rng ?? null }, arrays: { x: this.x.slice() } };
  }
  restore(s: State): void {
    this.x.set(s.arrays['x'] as Float64Array);
    this.opt.restore({ step: s.meta['optStep'] as number, arrays: {}, rng: rngOf(s.meta, 'rng').state() });
  }
}
