/**
 * The `spinglass` protocol: equilibrium (and zero-temperature) measurements on the Ising reference spin
 * glasses — SK, Edwards–Anderson in 2D/3D, Hopfield — with the same observables glassy measures on
 * networks: energy, the replica overlap q_ab, P(q), ⟨q²⟩, ⟨q⁴⟩, the Binder ratio, all disorder-averaged
 * with standard errors (SCIENCE.md, "The protocols"; docs/spinglass.md; run format in
 * docs/run-format/spinglass.md).
 *
 * Randomness (so results never depend on execution order):
 *   disorder sample m                      Rng.stream(seed, Stream.disorder, m)            (in the model)
 *   chain of replica r, temperature k      Rng.stream(seed, Stream.monteCarlo, m, r, k)    (metropolis, heatbath, anneal, quench)
 *   parallel tempering of replica r        Rng.stream(seed, Stream.monteCarlo, m, r)       (sweeps and swaps)
 *   initial spins                          Rng.stream(seed, Stream.init, m, r[, k])
 *
 * Model dispatch goes through MODEL_BUILDERS (name → builder), so a new model (the spherical p-spin)
 * is one more entry plus the dynamics that move it.
 */
import { GlassyError } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import { Run } from '../store/run.js';
import type { IsingModel } from '../landscapes/ising/model.js';
import { SherringtonKirkpatrick, type CouplingDistribution } from '../landscapes/ising/sk.js';
import { EdwardsAnderson } from '../landscapes/ising/ea.js';
import { Hopfield } from '../landscapes/ising/hopfield.js';
import { SpinChain } from '../dynamics/montecarlo/chain.js';
import { sweep, type SiteOrder } from '../dynamics/montecarlo/kernels.js';
import { ParallelTempering } from '../dynamics/montecarlo/tempering.js';
import { annealingSchedule, quench } from '../dynamics/montecarlo/anneal.js';
import { logTimes } from '../dynamics/montecarlo/schedule.js';
import {
  OverlapHistogram, ThermalAverages, accumulateOverlaps, binderJackknife, disorderMean, linkOverlap, magnetisation,
} from '../observables/spins.js';
import { EXACT_MAX_N, exactThermodynamics } from '../observables/exact.js';
import { runPSpinGlass } from './spinglass-pspin.js';

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
export function validateSpinglassConfig(partial: Partial<SpinglassConfig> & Pick<SpinglassConfig, 'model' | 'dynamics'>): SpinglassConfig {
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
  binder: number[];
  binder_se: number[];
  [extra: string]: unknown;
}

export interface SpinglassOptions {
  overwrite?: boolean;
  /** Called after each disorder sample (and each temperature for exact). */
  progress?: (done: number, total: number, message: string) => void;
}

/** Per-sample, per-temperature measurements of one run, filled by the dynamics drivers. */
interface Tables {
  M: number;
  K: number;
  energy: Float64Array; // [M, K] ⟨H⟩/N
  q2: Float64Array;
  q4: Float64Array;
  absM: Float64Array;
  qLink: Float64Array;
  mattis: Float64Array;
  ground: Float64Array; // [M] min over replicas (anneal, quench)
  pq: Float64Array; // [K, bins] averaged over samples
  bins: number;
  edges: Float64Array;
  configurations: Int8Array | null; // [K, M, R, N]
  times: Int32Array;
  energyVsTime: Float64Array; // [K, nTimes] sum over samples·replicas (normalised at the end)
  swapRates: Float64Array; // [K−1] sum over samples·replicas
  acceptance: Float64Array; // [K] sum
}

/** Run the protocol and write the run directory. */
export async function runSpinglass(partial: Parameters<typeof validateSpinglassConfig>[0], outDir: string, opts: SpinglassOptions = {}): Promise<SpinglassSummary> {
  const cfg = validateSpinglassConfig(partial);
  if (cfg.model === 'pspin') return runPSpinGlass(cfg, outDir, opts);
  const N = spinCount(cfg);
  const K = measuredTemperatures(cfg).length;
  const M = cfg.samples;
  const R = cfg.replicas;
  if (cfg.dynamics !== 'exact' && K * M * R * N > 2 ** 30) {
    throw GlassyError.invalid('samples', M, `temperatures × samples × replicas × N ≤ 2^30 stored spins (got ${K * M * R * N})`);
  }
  const bins = cfg.bins ?? Math.min(N + 1, 1001);
  const hist0 = new OverlapHistogram(N, bins);
  const totalSweeps = cfg.equilibration + cfg.sweeps;
  const tables: Tables = {
    M, K,
    energy: new Float64Array(M * K), q2: new Float64Array(M * K), q4: new Float64Array(M * K),
    absM: new Float64Array(M * K), qLink: new Float64Array(M * K).fill(NaN), mattis: new Float64Array(M * K).fill(NaN),
    ground: new Float64Array(M).fill(NaN),
    pq: new Float64Array(K * bins), bins, edges: hist0.edges,
    configurations: cfg.dynamics === 'exact' ? null : new Int8Array(K * M * R * N),
    times: cfg.dynamics === 'exact' || cfg.dynamics === 'quench' ? new Int32Array(0) : logTimes(1, cfg.dynamics === 'anneal' ? cfg.sweeps : totalSweeps, cfg.timePoints).subarray(1),
    energyVsTime: new Float64Array(0), swapRates: new Float64Array(Math.max(0, K - 1)), acceptance: new Float64Array(K),
  };
  tables.energyVsTime = new Float64Array(K * tables.times.length);

  const run = Run.create(outDir, { protocol: 'spinglass', config: cfg, seed: cfg.seed }, { overwrite: opts.overwrite ?? false });
  try {
    const t0 = performance.now();
    for (let m = 0; m < M; m++) {
      const model = MODEL_BUILDERS[cfg.model as IsingModelName](cfg, m);
      switch (cfg.dynamics) {
        case 'exact': runExact(cfg, model, m, tables); break;
        case 'pt': runTempering(cfg, model, m, tables); break;
        case 'anneal': case 'quench': runDescent(cfg, model, m, tables); break;
        default: runIndependent(cfg, model, m, tables); break;
      }
      opts.progress?.(m + 1, M, `sample ${m + 1}/${M}`);
      await Promise.resolve();
    }
    const seconds = (performance.now() - t0) / 1000;
    const summary = summarise(cfg, tables, run.dir);
    writeArrays(run, cfg, tables, summary);
    run.setTiming('simulation', seconds);
    const { run: _dir, ...rest } = summary;
    void _dir;
    run.finish(rest);
    return summary;
  } catch (err) {
    run.fail(err instanceof Error ? err.message : String(err));
    throw err;
  }
}

/** Hopfield pattern start: pattern 0 (the chain then shows whether it is an attractor at this T). */
function initialSpins(cfg: SpinglassConfig, model: IsingModel, chain: SpinChain, rng: Rng): void {
  if (cfg.start === 'pattern' && model instanceof Hopfield) chain.setSpins(model.patterns.subarray(0, model.dim));
  else chain.randomise(rng);
}

/** Measurement of R replicas at temperature index k of sample m (one call per measurement sweep). */
class Measurer {
  readonly avg: ThermalAverages[];
  readonly hist: OverlapHistogram[];
  private readonly spins: Int8Array[];
  private readonly mattisBuf: Float64Array | null;

  constructor(private readonly cfg: SpinglassConfig, private readonly model: IsingModel, K: number, bins: number) {
    this.avg = Array.from({ length: K }, () => new ThermalAverages());
    this.hist = Array.from({ length: K }, () => new OverlapHistogram(model.dim, bins));
    this.spins = [];
    this.mattisBuf = model instanceof Hopfield ? new Float64Array(model.nPatterns) : null;
  }

  measure(k: number, chains: SpinChain[]): void {
    const a = this.avg[k]!;
    const n = this.model.dim;
    let e = 0;
    let absm = 0;
    this.spins.length = 0;
    for (const c of chains) {
      e += c.energy;
      absm += Math.abs(magnetisation(c.spins));
      this.spins.push(c.spins);
    }
    a.add('e', e / chains.length / n);
    a.add('absm', absm / chains.length);
    accumulateOverlaps(this.spins, a, this.hist[k]);
    const model = this.model;
    if (model instanceof EdwardsAnderson) {
      let ql = 0;
      let pairs = 0;
      for (let x = 0; x < chains.length; x++) for (let y = x + 1; y < chains.length; y++, pairs++) ql += linkOverlap(model.bondSites, chains[x]!.spins, chains[y]!.spins);
      a.add('qlink', ql / pairs);
    }
    if (model instanceof Hopfield) {
      let best = 0;
      for (const c of chains) {
        model.mattisOverlaps(c.spins, this.mattisBuf!);
        let mx = 0;
        for (let mu = 0; mu < model.nPatterns; mu++) mx = Math.max(mx, Math.abs(this.mattisBuf![mu]!));
        best += mx;
      }
      a.add('mattis', best / chains.length);
    }
    a.tick();
    void this.cfg;
  }

  /** Store sample m's thermal averages and histograms into the tables. */
  store(m: number, t: Tables): void {
    for (let k = 0; k < t.K; k++) {
      const a = this.avg[k]!;
      const i = m * t.K + k;
      t.energy[i] = a.mean('e');
      t.q2[i] = a.mean('q2');
      t.q4[i] = a.mean('q4');
      t.absM[i] = a.mean('absm');
      if (this.model instanceof EdwardsAnderson) t.qLink[i] = a.mean('qlink');
      if (this.model instanceof Hopfield) t.mattis[i] = a.mean('mattis');
      const p = this.hist[k]!.probabilities();
      for (let b = 0; b < t.bins; b++) t.pq[k * t.bins + b] += p[b]! / t.M;
    }
  }
}

function storeConfigurations(t: Tables, k: number, m: number, R: number, chains: SpinChain[]): void {
  if (!t.configurations) return;
  const n = chains[0]!.n;
  for (let r = 0; r < R; r++) t.configurations.set(chains[r]!.spins, ((k * t.M + m) * R + r) * n);
}

/** Metropolis / heat bath: independent chains for every (replica, temperature). */
function runIndependent(cfg: SpinglassConfig, model: IsingModel, m: number, t: Tables): void {
  const K = cfg.temperatures.length;
  const R = cfg.replicas;
  const rule = cfg.dynamics === 'heatbath' ? 'heatbath' : 'metropolis';
  const meas = new Measurer(cfg, model, K, t.bins);
  const total = cfg.equilibration + cfg.sweeps;
  const nT = t.times.length;
  for (let k = 0; k < K; k++) {
    const beta = 1 / cfg.temperatures[k]!;
    const chains: SpinChain[] = [];
    const rngs: Rng[] = [];
    for (let r = 0; r < R; r++) {
      const c = new SpinChain(model);
      initialSpins(cfg, model, c, Rng.stream(cfg.seed, Stream.init, m, r, k));
      chains.push(c);
      rngs.push(Rng.stream(cfg.seed, Stream.monteCarlo, m, r, k));
    }
    let next = 0;
    let accepted = 0;
    for (let s = 1; s <= total; s++) {
      for (let r = 0; r < R; r++) {
        accepted += sweep(rule, chains[r]!, beta, rngs[r]!, cfg.order);
        if ((s & 1023) === 0) chains[r]!.resync();
      }
      while (next < nT && t.times[next] === s) {
        let e = 0;
        for (const c of chains) e += c.energy;
        t.energyVsTime[k * nT + next] += e / R / model.dim;
        next++;
      }
      if (s > cfg.equilibration && (s - cfg.equilibration) % cfg.measureEvery === 0) meas.measure(k, chains);
    }
    t.acceptance[k] += accepted / (total * R * model.dim);
    for (const c of chains) c.resync();
    storeConfigurations(t, k, m, R, chains);
  }
  meas.store(m, t);
}

/** Parallel tempering: one PT ladder per replica; replicas at the same temperature are compared. */
function runTempering(cfg: SpinglassConfig, model: IsingModel, m: number, t: Tables): void {
  const K = cfg.temperatures.length;
  const R = cfg.replicas;
  const meas = new Measurer(cfg, model, K, t.bins);
  const pts: ParallelTempering[] = [];
  const rngs: Rng[] = [];
  for (let r = 0; r < R; r++) {
    const pt = new ParallelTempering(model, cfg.temperatures, 'metropolis', cfg.order);
    const init = Rng.stream(cfg.seed, Stream.init, m, r);
    for (const c of pt.chains) initialSpins(cfg, model, c, init);
    pts.push(pt);
    rngs.push(Rng.stream(cfg.seed, Stream.monteCarlo, m, r));
  }
  const total = cfg.equilibration + cfg.sweeps;
  const nT = t.times.length;
  let next = 0;
  const atK: SpinChain[] = new Array<SpinChain>(R);
  for (let s = 1; s <= total; s++) {
    for (let r = 0; r < R; r++) {
      pts[r]!.step(rngs[r]!);
      if ((s & 1023) === 0) for (const c of pts[r]!.chains) c.resync();
    }
    while (next < nT && t.times[next] === s) {
      for (let k = 0; k < K; k++) {
        let e = 0;
        for (let r = 0; r < R; r++) e += pts[r]!.at(k).energy;
        t.energyVsTime[k * nT + next] += e / R / model.dim;
      }
      next++;
    }
    if (s > cfg.equilibration && (s - cfg.equilibration) % cfg.measureEvery === 0) {
      for (let k = 0; k < K; k++) {
        for (let r = 0; r < R; r++) atK[r] = pts[r]!.at(k);
        meas.measure(k, atK);
      }
    }
  }
  for (let r = 0; r < R; r++) {
    const rates = pts[r]!.swapRates();
    for (let k = 0; k + 1 < K; k++) t.swapRates[k] += rates[k]! / (R * t.M);
    for (let k = 0; k < K; k++) t.acceptance[k] += pts[r]!.flipAccepts[k]! / (total * model.dim * R);
  }
  for (let k = 0; k < K; k++) {
    for (let r = 0; r < R; r++) {
      pts[r]!.at(k).resync();
      atK[r] = pts[r]!.at(k);
    }
    storeConfigurations(t, k, m, R, atK);
  }
  meas.store(m, t);
}

/**
 * Zero-temperature protocols. quench: each replica descends from random spins to a local minimum.
 * anneal: each replica anneals geometrically from max(T) to min(T) over `sweeps` sweeps, then quenches.
 * Observables are measured once on the final configurations; the ground-state estimate of the sample
 * is the lowest energy among its replicas (independent restarts).
 */
function runDescent(cfg: SpinglassConfig, model: IsingModel, m: number, t: Tables): void {
  const R = cfg.replicas;
  const meas = new Measurer(cfg, model, 1, t.bins);
  const chains: SpinChain[] = [];
  const schedule = cfg.dynamics === 'anneal'
    ? annealingSchedule(Math.max(...cfg.temperatures), Math.min(...cfg.temperatures), cfg.sweeps, 'geometric')
    : null;
  const nT = t.times.length;
  let best = Infinity;
  for (let r = 0; r < R; r++) {
    const c = new SpinChain(model);
    initialSpins(cfg, model, c, Rng.stream(cfg.seed, Stream.init, m, r, 0));
    if (schedule) {
      const rng = Rng.stream(cfg.seed, Stream.monteCarlo, m, r, 0);
      let next = 0;
      for (let s = 0; s < schedule.length; s++) {
        sweep('metropolis', c, 1 / schedule[s]!, rng, cfg.order);
        while (next < nT && t.times[next] === s + 1) {
          t.energyVsTime[next] += c.energy / model.dim / (R * t.M);
          next++;
        }
      }
    }
    quench(c);
    best = Math.min(best, c.energy);
    chains.push(c);
  }
  meas.measure(0, chains);
  t.ground[m] = best / model.dim;
  storeConfigurations(t, 0, m, R, chains);
  meas.store(m, t);
}

/** Exact enumeration: Boltzmann averages per sample; two independent replicas for q. */
function runExact(cfg: SpinglassConfig, model: IsingModel, m: number, t: Tables): void {
  const bonds = model instanceof EdwardsAnderson ? model.bondSites : undefined;
  const res = exactThermodynamics(model, cfg.temperatures, bonds);
  const n = model.dim;
  const K = cfg.temperatures.length;
  const edges = t.edges;
  for (let k = 0; k < K; k++) {
    const r = res[k]!;
    const i = m * K + k;
    t.energy[i] = r.energy;
    t.q2[i] = r.q2;
    t.q4[i] = r.q4;
    t.absM[i] = r.absMagnetisation;
    t.qLink[i] = r.qLink;
    // P(q) from the exact distribution at q = (N − 2c)/N into the histogram bins.
    for (let c = 0; c <= n; c++) {
      const q = (n - 2 * c) / n;
      let b = Math.floor((q - edges[0]!) / (edges[1]! - edges[0]!));
      b = Math.min(Math.max(b, 0), t.bins - 1);
      t.pq[k * t.bins + b] += r.pq[c]! / t.M;
    }
  }
}

function column(a: Float64Array, M: number, K: number, k: number): Float64Array {
  const out = new Float64Array(M);
  for (let m = 0; m < M; m++) out[m] = a[m * K + k]!;
  return out;
}

function summarise(cfg: SpinglassConfig, t: Tables, dir: string): SpinglassSummary {
  const { M, K } = t;
  const temps = measuredTemperatures(cfg);
  const s: SpinglassSummary = { run: dir, temperatures: temps, energy: [], energy_se: [], q2: [], q2_se: [], binder: [], binder_se: [] };
  const q4: number[] = [];
  const q4se: number[] = [];
  const absm: number[] = [];
  const absmSe: number[] = [];
  const qlink: number[] = [];
  const qlinkSe: number[] = [];
  const mattis: number[] = [];
  const identity: number[] = [];
  for (let k = 0; k < K; k++) {
    const e = disorderMean(column(t.energy, M, K, k));
    const q2c = column(t.q2, M, K, k);
    const q4c = column(t.q4, M, K, k);
    const q2 = disorderMean(q2c);
    const q4m = disorderMean(q4c);
    const g = binderJackknife(q2c, q4c);
    const am = disorderMean(column(t.absM, M, K, k));
    s.energy.push(e.mean);
    s.energy_se.push(e.se);
    s.q2.push(q2.mean);
    s.q2_se.push(q2.se);
    s.binder.push(g.mean);
    s.binder_se.push(g.se);
    q4.push(q4m.mean);
    q4se.push(q4m.se);
    absm.push(am.mean);
    absmSe.push(am.se);
    const T = temps[k]!;
    if (cfg.model === 'ea2d' || cfg.model === 'ea3d') {
      const ql = disorderMean(column(t.qLink, M, K, k));
      qlink.push(ql.mean);
      qlinkSe.push(ql.se);
      // KPY 2001: [⟨H⟩]/N = −(βz/2)(1 − [q_link]) for Gaussian couplings (z = 2d).
      const z = cfg.model === 'ea2d' ? 4 : 6;
      identity.push(T > 0 ? (-(z / 2) * (1 - ql.mean)) / T : NaN);
    } else {
      // SK: [⟨H⟩]/N = −(β/2)(1 − [⟨q²⟩]) for Gaussian couplings (integration by parts; KPY 2001).
      identity.push(T > 0 ? (-0.5 * (1 - q2.mean)) / T : NaN);
    }
    if (cfg.model === 'hopfield') mattis.push(disorderMean(column(t.mattis, M, K, k)).mean);
  }
  s['q4'] = q4;
  s['q4_se'] = q4se;
  s['abs_magnetisation'] = absm;
  s['abs_magnetisation_se'] = absmSe;
  if (qlink.length) {
    s['q_link'] = qlink;
    s['q_link_se'] = qlinkSe;
  }
  if (cfg.couplings === 'gauss' && cfg.field === 0 && cfg.model !== 'hopfield' && cfg.dynamics !== 'quench' && cfg.dynamics !== 'anneal') s['energy_identity'] = identity;
  if (mattis.length) s['mattis'] = mattis;
  if (cfg.dynamics === 'pt') s['swap_rates'] = Array.from(t.swapRates);
  if (cfg.dynamics !== 'exact' && cfg.dynamics !== 'quench') s['acceptance'] = Array.from(t.acceptance, (a) => a / M);
  if (cfg.dynamics === 'anneal' || cfg.dynamics === 'quench') {
    const g = disorderMean(t.ground);
    s['ground_state'] = g.mean;
    s['ground_state_se'] = g.se;
  }
  s['n'] = spinCount(cfg);
  s['samples'] = M;
  return s;
}

function writeArrays(run: Run, cfg: SpinglassConfig, t: Tables, s: SpinglassSummary): void {
  const { M, K } = t;
  const N = spinCount(cfg);
  const f64 = (a: number[]) => Float64Array.from(a);
  run.writeArray('temperatures', f64(s.temperatures));
  run.writeArray('energy', t.energy, [M, K]);
  run.writeArray('q2', t.q2, [M, K]);
  run.writeArray('q4', t.q4, [M, K]);
  run.writeArray('abs_magnetisation', t.absM, [M, K]);
  run.writeArray('energy_mean', f64(s.energy));
  run.writeArray('energy_se', f64(s.energy_se));
  run.writeArray('q2_mean', f64(s.q2));
  run.writeArray('q2_se', f64(s.q2_se));
  run.writeArray('q4_mean', f64(s['q4'] as number[]));
  run.writeArray('q4_se', f64(s['q4_se'] as number[]));
  run.writeArray('binder_mean', f64(s.binder));
  run.writeArray('binder_se', f64(s.binder_se));
  run.writeArray('pq_hist', t.pq, [K, t.bins]);
  run.writeArray('pq_edges', t.edges);
  if (cfg.model === 'ea2d' || cfg.model === 'ea3d') run.writeArray('q_link', t.qLink, [M, K]);
  if (cfg.model === 'hopfield' && cfg.dynamics !== 'exact') run.writeArray('mattis', t.mattis, [M, K]);
  if (t.configurations) run.writeArray('configurations', t.configurations, [K, M, cfg.replicas, N]);
  if (t.times.length > 0) {
    const nT = t.times.length;
    const ev = new Float64Array(K * nT);
    // Independent and PT chains accumulate one mean per sample; anneal accumulates the full average already.
    const scale = cfg.dynamics === 'anneal' ? 1 : 1 / M;
    for (let i = 0; i < ev.length; i++) ev[i] = t.energyVsTime[i]! * scale;
    run.writeArray('energy_times', Int32Array.from(t.times));
    run.writeArray('energy_vs_time', ev, [K, nT]);
  }
  if (cfg.dynamics === 'pt') run.writeArray('swap_rates', t.swapRates);
  if (cfg.dynamics === 'anneal' || cfg.dynamics === 'quench') run.writeArray('ground_state', t.ground);
}
