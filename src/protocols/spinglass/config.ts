/**
 * The configuration of the `spinglass` protocol: which model (SK, Edwards–Anderson 2D/3D, Hopfield,
 * the spherical p-spin), which dynamics, which temperatures, how many disorder samples and replicas;
 * defaults and every check, each failing with one GlassyError naming the flag.
 */
import { z } from 'zod';
import { GlassyError } from '../../core/errors.js';
import { EXACT_MAX_N } from '../../dynamics/montecarlo/exact.js';
import { geometricLadder } from '../../dynamics/montecarlo/tempering.js';
import { GLASS_MODELS } from '../../landscapes/glass.js';

export const SPINGLASS_DYNAMICS = ['metropolis', 'heatbath', 'pt', 'anneal', 'quench', 'exact', 'langevin', 'gd'] as const;
export type SpinglassDynamics = (typeof SPINGLASS_DYNAMICS)[number];

/**
 * The config. Ranges and cross-field rules are checked by `checkSpinglassConfig` (after the schema),
 * so that every message names the flag and says what was expected for THIS model and dynamics.
 * The run's seed (manifest.seed) is the seed of the disorder and of every stream; it is not a field.
 */
export const spinglassConfigSchema = z.strictObject({
  model: z.enum(GLASS_MODELS).describe('model: sk, ea2d, ea3d, hopfield, pspin'),
  n: z.number().int().optional().describe('number of spins (sk, hopfield, pspin)'),
  l: z.number().int().optional().describe('lattice side (ea2d, ea3d)'),
  alpha: z.number().optional().describe('Hopfield load P/N (default: 0.05)'),
  p: z.number().int().optional().describe('p-spin interaction order: 2, 3 or 4 (default: 3)'),
  dt: z.number().optional().describe('p-spin Langevin time step, a sweep is one step (default: 0.05)'),
  couplings: z.enum(['gauss', 'pm1']).default('gauss').describe('coupling distribution'),
  pPlus: z.number().default(0.5).describe('P(J = +1) for ±J lattice couplings'),
  field: z.number().default(0).describe('uniform external field h'),
  dynamics: z.enum(SPINGLASS_DYNAMICS).default('metropolis').describe('dynamics'),
  temperatures: z.array(z.number()).default([]).describe('temperatures, e.g. 0.5,1,2 (or a geometric ladder: --t-min/--t-max/--n-temperatures)'),
  tMin: z.number().optional().describe('lowest temperature of a geometric ladder'),
  tMax: z.number().optional().describe('highest temperature of a geometric ladder'),
  nTemperatures: z.number().int().optional().describe('number of temperatures of the geometric ladder'),
  sweeps: z.number().int().default(1000).describe('measurement sweeps (anneal: annealing sweeps; pspin: Langevin steps)'),
  equilibration: z.number().int().default(1000).describe('equilibration sweeps'),
  samples: z.number().int().default(10).describe('disorder samples M (the replicas of the run: one per sample)'),
  replicas: z.number().int().default(2).describe('replicas per sample and temperature, ≥ 2 for q'),
  order: z.enum(['sequential', 'random']).default('sequential').describe('site order of a sweep'),
  measureEvery: z.number().int().default(1).describe('measure every k sweeps'),
  bins: z.number().int().optional().describe('P(q) histogram bins (default: N + 1; pspin 101)'),
  start: z.enum(['random', 'pattern']).default('random').describe('initial spins (pattern: Hopfield pattern 0)'),
  timePoints: z.number().int().default(30).describe('log-spaced times of the energy-vs-time series'),
});

export type SpinglassConfig = z.output<typeof spinglassConfigSchema>;

/** Largest system the protocol accepts (dense couplings are N² doubles: 2^14 spins = 2 GiB). */
export const MAX_DENSE_N = 8192;

/** Temperatures at which observables are reported: T = 0 (the final local minima) for anneal and quench. */
export function measuredTemperatures(cfg: SpinglassConfig): number[] {
  return cfg.dynamics === 'anneal' || cfg.dynamics === 'quench' ? [0] : [...cfg.temperatures];
}

/** Number of spins of a configuration. */
export function spinCount(cfg: SpinglassConfig): number {
  if (cfg.model === 'ea2d') return cfg.l! ** 2;
  if (cfg.model === 'ea3d') return cfg.l! ** 3;
  return cfg.n!;
}

function isInt(v: unknown, lo: number, hi = Number.MAX_SAFE_INTEGER): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

/**
 * Cross-field checks and derived values after the schema (the protocol's `check`): the temperature
 * ladder, sizes for the model, what each dynamics needs. Idempotent (it runs again on resume).
 */
export function checkSpinglassConfig(config: SpinglassConfig): SpinglassConfig {
  const cfg: SpinglassConfig = { ...config, temperatures: ladder(config) };
  delete cfg.tMin;
  delete cfg.tMax;
  delete cfg.nTemperatures;
  const lattice = cfg.model === 'ea2d' || cfg.model === 'ea3d';
  if (lattice) {
    if (cfg.l === undefined) throw GlassyError.invalid('l', undefined, `a lattice side for --model ${cfg.model} (e.g. --l 8)`);
    if (!isInt(cfg.l, 2, 1024)) throw GlassyError.invalid('l', cfg.l, 'an integer lattice side in [2, 1024]');
    if (cfg.n !== undefined) throw GlassyError.invalid('n', cfg.n, `no --n for --model ${cfg.model} (the size is --l)`);
    if (spinCount(cfg) > 2 ** 24) throw GlassyError.invalid('l', cfg.l, 'at most 2^24 spins');
  } else {
    if (cfg.n === undefined) throw GlassyError.invalid('n', undefined, `a number of spins for --model ${cfg.model} (e.g. --n 64)`);
    if (!isInt(cfg.n, 2, MAX_DENSE_N)) throw GlassyError.invalid('n', cfg.n, `an integer number of spins in [2, ${MAX_DENSE_N}]`);
    if (cfg.l !== undefined) throw GlassyError.invalid('l', cfg.l, `no --l for --model ${cfg.model} (the size is --n)`);
  }
  const continuous = cfg.dynamics === 'langevin' || cfg.dynamics === 'gd';
  if (cfg.model === 'pspin' && !continuous) throw GlassyError.invalid('dynamics', cfg.dynamics, 'langevin | gd for --model pspin (spins on the sphere)');
  if (cfg.model !== 'pspin' && continuous) throw GlassyError.invalid('dynamics', cfg.dynamics, `metropolis | heatbath | pt | anneal | quench | exact for --model ${cfg.model}`);
  if (cfg.p !== undefined && (cfg.model !== 'pspin' || ![2, 3, 4].includes(cfg.p))) throw GlassyError.invalid('p', cfg.p, '2, 3 or 4, with --model pspin');
  if (cfg.dt !== undefined && (cfg.model !== 'pspin' || !(cfg.dt > 0 && cfg.dt <= 1))) throw GlassyError.invalid('dt', cfg.dt, 'a time step in (0, 1], with --model pspin');
  if (cfg.model === 'pspin' && cfg.n !== undefined && cfg.n > 2000) throw GlassyError.invalid('n', cfg.n, 'at most 2000 spins for --model pspin (p = 3 couplings take N³/6 doubles: 1.3 GB at N = 1000)');
  if (cfg.dynamics === 'langevin' && cfg.measureEvery > cfg.sweeps) throw GlassyError.invalid('measure-every', cfg.measureEvery, `at most --sweeps (${cfg.sweeps})`);
  if (cfg.alpha !== undefined) {
    if (cfg.model !== 'hopfield') throw GlassyError.invalid('alpha', cfg.alpha, 'only with --model hopfield');
    if (!(cfg.alpha > 0 && cfg.alpha <= 10)) throw GlassyError.invalid('alpha', cfg.alpha, 'a load P/N in (0, 10]');
  }
  if (!(cfg.pPlus >= 0 && cfg.pPlus <= 1)) throw GlassyError.invalid('p-plus', cfg.pPlus, 'a probability in [0, 1]');
  if (cfg.pPlus !== 0.5 && !(lattice && cfg.couplings === 'pm1')) throw GlassyError.invalid('p-plus', cfg.pPlus, 'only with --model ea2d|ea3d --couplings pm1');
  if (cfg.start === 'pattern' && cfg.model !== 'hopfield') throw GlassyError.invalid('start', cfg.start, '"random" (a pattern start needs --model hopfield)');
  if (!isInt(cfg.samples, 1, 1e6)) throw GlassyError.invalid('samples', cfg.samples, 'an integer number of disorder samples ≥ 1');
  if (!isInt(cfg.replicas, 1, 4096)) throw GlassyError.invalid('replicas', cfg.replicas, 'an integer ≥ 1');
  if (cfg.dynamics !== 'exact' && cfg.replicas < 2) {
    throw GlassyError.invalid('replicas', cfg.replicas, 'at least 2 replicas per sample (the overlap q, ⟨q²⟩ and the Binder ratio need two)');
  }
  if (!isInt(cfg.sweeps, 1, 1e9)) throw GlassyError.invalid('sweeps', cfg.sweeps, 'an integer ≥ 1');
  if (!isInt(cfg.equilibration, 0, 1e9)) throw GlassyError.invalid('equilibration', cfg.equilibration, 'an integer ≥ 0');
  if (!isInt(cfg.measureEvery, 1, 1e9)) throw GlassyError.invalid('measure-every', cfg.measureEvery, 'an integer ≥ 1');
  if (!isInt(cfg.timePoints, 1, 10000)) throw GlassyError.invalid('time-points', cfg.timePoints, 'an integer ≥ 1');
  const N = spinCount(cfg);
  if (cfg.bins !== undefined && !isInt(cfg.bins, 1, 100000)) throw GlassyError.invalid('bins', cfg.bins, 'an integer number of P(q) bins ≥ 1');
  if (cfg.dynamics === 'quench' || cfg.dynamics === 'gd') {
    if (cfg.temperatures.length > 0 && !(cfg.temperatures.length === 1 && cfg.temperatures[0] === 0)) {
      throw GlassyError.invalid('temperatures', cfg.temperatures, `none for --dynamics ${cfg.dynamics} (it is a T = 0 descent)`);
    }
    cfg.temperatures = [0];
  } else {
    if (cfg.temperatures.length === 0) throw GlassyError.invalid('temperatures', cfg.temperatures, 'at least one temperature (--temperatures or --t-min/--t-max/--n-temperatures)');
    for (const T of cfg.temperatures) {
      if (!(Number.isFinite(T) && T > 0)) throw GlassyError.invalid('temperatures', cfg.temperatures, 'a comma-separated list of temperatures > 0, e.g. 0.5,1,2');
    }
    if (cfg.dynamics === 'pt' && cfg.temperatures.length < 2) throw GlassyError.invalid('temperatures', cfg.temperatures, 'at least 2 temperatures for parallel tempering');
    if (cfg.dynamics === 'pt') {
      // Equal neighbours exchange with probability 1 and measure nothing new; a decreasing ladder is
      // almost always a typo. Hukushima & Nemoto's ladder is T_0 < T_1 < … .
      for (let k = 1; k < cfg.temperatures.length; k++) {
        if (!(cfg.temperatures[k]! > cfg.temperatures[k - 1]!)) {
          throw GlassyError.invalid('temperatures', cfg.temperatures, `strictly increasing temperatures for parallel tempering (T[${k}] = ${cfg.temperatures[k]} ≤ T[${k - 1}] = ${cfg.temperatures[k - 1]})`);
        }
      }
    }
  }
  if (cfg.dynamics === 'exact' && N > EXACT_MAX_N) throw GlassyError.invalid(lattice ? 'l' : 'n', lattice ? cfg.l : cfg.n, `N ≤ ${EXACT_MAX_N} spins for --dynamics exact (got N = ${N})`);
  const stored = measuredTemperatures(cfg).length * cfg.samples * cfg.replicas * N;
  if (cfg.dynamics !== 'exact' && stored > 2 ** 30) {
    throw GlassyError.invalid('samples', cfg.samples, `temperatures × samples × replicas × N ≤ 2^30 stored spins (got ${stored})`);
  }
  return cfg;
}

/** --temperatures, or the geometric ladder of --t-min/--t-max/--n-temperatures (never both). */
function ladder(c: SpinglassConfig): number[] {
  const given = c.tMin !== undefined || c.tMax !== undefined || c.nTemperatures !== undefined;
  if (!given) return c.temperatures;
  if (c.temperatures.length > 0) throw GlassyError.invalid('temperatures', c.temperatures, 'either --temperatures or --t-min/--t-max/--n-temperatures, not both');
  const count = c.nTemperatures ?? (c.tMin !== undefined && c.tMax !== undefined && c.tMin === c.tMax ? 1 : undefined);
  if (c.tMin === undefined) throw GlassyError.invalid('t-min', undefined, 'a lowest temperature > 0 with --t-max/--n-temperatures');
  if (c.tMax === undefined) throw GlassyError.invalid('t-max', undefined, 'a highest temperature with --t-min/--n-temperatures');
  if (count === undefined) throw GlassyError.invalid('n-temperatures', undefined, 'a number of temperatures with --t-min/--t-max');
  return geometricLadder(c.tMin, c.tMax, count);
}

export interface SpinglassSummary {
  run: string;
  temperatures: number[];
  energy: number[];
  energy_se: number[];
  q2: number[];
  q2_se: number[];
  /** Ising models only: for continuous spins the ratio has no power (summary.ts, binder_note). */
  binder?: number[];
  binder_se?: number[];
  [extra: string]: unknown;
}


