/**
 * The configuration of the `spinglass` protocol: which model (SK, Edwards–Anderson 2D/3D, Hopfield,
 * the spherical p-spin), which dynamics, which temperatures, how many disorder samples and replicas;
 * defaults and every check, each failing with one GlassyError naming the flag.
 */
import { GlassyError } from '../../core/errors.js';
import { EXACT_MAX_N } from '../../dynamics/montecarlo/exact.js';
import { EdwardsAnderson } from '../../landscapes/ising/ea.js';
import { Hopfield } from '../../landscapes/ising/hopfield.js';
import type { IsingModel } from '../../landscapes/ising/model.js';
import { SherringtonKirkpatrick, type CouplingDistribution } from '../../landscapes/ising/sk.js';
import type { SiteOrder } from '../../dynamics/montecarlo/kernels.js';

export const SPINGLASS_MODELS = ['sk', 'ea2d', 'ea3d', 'hopfield', 'pspin'] as const;
export type SpinglassModel = (typeof SPINGLASS_MODELS)[number];
/** The Ising models (Monte Carlo dynamics); 'pspin' is continuous (Langevin / gradient descent). */
export type IsingModelName = Exclude<SpinglassModel, 'pspin'>;
export const SPINGLASS_DYNAMICS = ['metropolis', 'heatbath', 'pt', 'anneal', 'quench', 'exact', 'langevin', 'gd'] as const;
export type SpinglassDynamics = (typeof SPINGLASS_DYNAMICS)[number];

export interface SpinglassConfig {
  model: SpinglassModel;
  /** Number of spins (sk, hopfield). */
  n?: number;
  /** Lattice side (ea2d, ea3d). */
  l?: number;
  /** Hopfield load α = P/N. */
  alpha?: number;
  /** p-spin: interaction order p (2, 3 or 4; default 3). */
  p?: number;
  /** p-spin: Langevin time step (default 0.05); one sweep = one step. */
  dt?: number;
  couplings: CouplingDistribution;
  /** P(J = +1) for ±J lattices. */
  pPlus: number;
  field: number;
  dynamics: SpinglassDynamics;
  /** Temperatures (> 0). For anneal: the schedule runs from max to min; for quench they are ignored (T = 0). */
  temperatures: number[];
  /** Measurement sweeps (metropolis, heatbath, pt) or annealing sweeps (anneal). */
  sweeps: number;
  /** Equilibration sweeps before measuring. */
  equilibration: number;
  samples: number;
  replicas: number;
  seed: number;
  order: SiteOrder;
  /** Measure every this many sweeps. */
  measureEvery: number;
  /** P(q) bins (default N + 1: one bin per possible q). */
  bins?: number;
  /** Hopfield: start replicas at pattern 0 ('pattern') instead of random spins. */
  start: 'random' | 'pattern';
  /** Number of log-spaced times for the energy-vs-time series. */
  timePoints: number;
}

export const SPINGLASS_DEFAULTS: Omit<SpinglassConfig, 'model' | 'dynamics' | 'temperatures'> = {
  couplings: 'gauss',
  pPlus: 0.5,
  field: 0,
  sweeps: 1000,
  equilibration: 1000,
  samples: 10,
  replicas: 2,
  seed: 1,
  order: 'sequential',
  measureEvery: 1,
  start: 'random',
  timePoints: 30,
};

/** Largest system the protocol accepts (dense couplings are N² doubles: 2^14 spins = 2 GiB). */
export const MAX_DENSE_N = 8192;

export type ModelBuilder = (cfg: SpinglassConfig, sample: number) => IsingModel;

/** Model name → builder of disorder sample `sample`. Extend here for new models. */
export const MODEL_BUILDERS: Record<IsingModelName, ModelBuilder> = {
  sk: (c, m) => new SherringtonKirkpatrick({ n: c.n!, couplings: c.couplings, field: c.field, seed: c.seed, sample: m }),
  ea2d: (c, m) => new EdwardsAnderson({ dimension: 2, l: c.l!, couplings: c.couplings, pPlus: c.pPlus, field: c.field, seed: c.seed, sample: m }),
  ea3d: (c, m) => new EdwardsAnderson({ dimension: 3, l: c.l!, couplings: c.couplings, pPlus: c.pPlus, field: c.field, seed: c.seed, sample: m }),
  hopfield: (c, m) => new Hopfield({ n: c.n!, alpha: c.alpha ?? 0.05, field: c.field, seed: c.seed, sample: m }),
};

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

/** Complete and check a configuration; every problem is a GlassyError naming the flag. */
export type SpinglassInput = Partial<SpinglassConfig> & Pick<SpinglassConfig, 'model' | 'dynamics'>;

export function validateSpinglassConfig(partial: SpinglassInput): SpinglassConfig {
  const given = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<SpinglassConfig>;
  const cfg: SpinglassConfig = { ...SPINGLASS_DEFAULTS, temperatures: [], ...given } as SpinglassConfig;
  if (!SPINGLASS_MODELS.includes(cfg.model)) throw GlassyError.invalid('model', cfg.model, SPINGLASS_MODELS.join(' | '));
  if (!SPINGLASS_DYNAMICS.includes(cfg.dynamics)) throw GlassyError.invalid('dynamics', cfg.dynamics, SPINGLASS_DYNAMICS.join(' | '));
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
  if (cfg.model === 'pspin' && cfg.measureEvery > cfg.sweeps) throw GlassyError.invalid('measure-every', cfg.measureEvery, `at most --sweeps (${cfg.sweeps})`);
  if (cfg.alpha !== undefined) {
    if (cfg.model !== 'hopfield') throw GlassyError.invalid('alpha', cfg.alpha, 'only with --model hopfield');
    if (!(typeof cfg.alpha === 'number' && cfg.alpha > 0 && cfg.alpha <= 10)) throw GlassyError.invalid('alpha', cfg.alpha, 'a load P/N in (0, 10]');
  }
  if (cfg.couplings !== 'gauss' && cfg.couplings !== 'pm1') throw GlassyError.invalid('couplings', cfg.couplings, 'gauss | pm1');
  if (!(typeof cfg.pPlus === 'number' && cfg.pPlus >= 0 && cfg.pPlus <= 1)) throw GlassyError.invalid('p-plus', cfg.pPlus, 'a probability in [0, 1]');
  if (cfg.pPlus !== 0.5 && !(lattice && cfg.couplings === 'pm1')) throw GlassyError.invalid('p-plus', cfg.pPlus, 'only with --model ea2d|ea3d --couplings pm1');
  if (!(typeof cfg.field === 'number' && Number.isFinite(cfg.field))) throw GlassyError.invalid('field', cfg.field, 'a finite number');
  if (cfg.order !== 'sequential' && cfg.order !== 'random') throw GlassyError.invalid('order', cfg.order, 'sequential | random');
  if (cfg.start !== 'random' && cfg.start !== 'pattern') throw GlassyError.invalid('start', cfg.start, 'random | pattern');
  if (cfg.start === 'pattern' && cfg.model !== 'hopfield') throw GlassyError.invalid('start', cfg.start, '"random" (a pattern start needs --model hopfield)');
  if (!isInt(cfg.samples, 1, 1e6)) throw GlassyError.invalid('samples', cfg.samples, 'an integer number of disorder samples ≥ 1');
  if (!isInt(cfg.replicas, 1, 4096)) throw GlassyError.invalid('replicas', cfg.replicas, 'an integer ≥ 1');
  if (cfg.dynamics !== 'exact' && cfg.replicas < 2) {
    throw GlassyError.invalid('replicas', cfg.replicas, 'at least 2 replicas per sample (the overlap q, ⟨q²⟩ and the Binder ratio need two)');
  }
  if (!isInt(cfg.seed, 0, 2 ** 53 - 1)) throw GlassyError.invalid('seed', cfg.seed, 'a non-negative integer');
  if (!isInt(cfg.sweeps, 1, 1e9)) throw GlassyError.invalid('sweeps', cfg.sweeps, 'an integer ≥ 1');
  if (!isInt(cfg.equilibration, 0, 1e9)) throw GlassyError.invalid('equilibration', cfg.equilibration, 'an integer ≥ 0');
  if (!isInt(cfg.measureEvery, 1, 1e9)) throw GlassyError.invalid('measure-every', cfg.measureEvery, 'an integer ≥ 1');
  if (!isInt(cfg.timePoints, 1, 10000)) throw GlassyError.invalid('time-points', cfg.timePoints, 'an integer ≥ 1');
  const N = spinCount(cfg);
  if (cfg.bins !== undefined && !isInt(cfg.bins, 1, 100000)) throw GlassyError.invalid('bins', cfg.bins, 'an integer number of P(q) bins ≥ 1');
  if (!Array.isArray(cfg.temperatures)) throw GlassyError.invalid('temperatures', cfg.temperatures, 'a list of temperatures');
  if (cfg.dynamics === 'quench' || cfg.dynamics === 'gd') {
    if (cfg.temperatures.length > 0 && !(cfg.temperatures.length === 1 && cfg.temperatures[0] === 0)) {
      throw GlassyError.invalid('temperatures', cfg.temperatures, `none for --dynamics ${cfg.dynamics} (it is a T = 0 descent)`);
    }
    cfg.temperatures = [0];
  } else {
    if (cfg.temperatures.length === 0) throw GlassyError.invalid('temperatures', cfg.temperatures, 'at least one temperature (--temperatures or --t-min/--t-max/--n-temperatures)');
    for (const T of cfg.temperatures) {
      if (!(typeof T === 'number' && Number.isFinite(T) && T > 0)) throw GlassyError.invalid('temperatures', T, 'finite temperatures > 0');
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
  return cfg;
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


/** The task's parseConfig: a manifest's (or a config file's) raw object, completed and checked. */
export function parseSpinglassConfig(raw: unknown): SpinglassConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw GlassyError.invalid('config', raw, 'an object with model and dynamics');
  const r = raw as SpinglassInput;
  if (r.dynamics === undefined) throw GlassyError.invalid('dynamics', undefined, SPINGLASS_DYNAMICS.join(' | '));
  return validateSpinglassConfig(r);
}
