/**
 * Configuration of the aging protocol (Baity-Jesi et al., "Comparing Dynamics: Deep Neural Networks
 * versus Glassy Systems", ICML 2018, arXiv:1803.06969; their code DEEP-GLASS): one schema for the
 * four landscapes it runs on, the time grids, and how a replica index of the ensemble encodes
 * (point, disorder sample, trajectory).
 *
 * A "point" is one value of the control parameter the run sweeps: a hidden width for networks
 * (the under/over-parametrisation knob of Baity-Jesi et al.), a temperature for the p-spin, SK and
 * the flat landscape. Units of work: index = (point·S + sample)·R + r, with S disorder samples and R
 * trajectories per (point, sample); all S·R trajectories of a point are averaged together.
 *
 * Defaults for networks are the paper's: SGD with momentum 0.5 and no weight decay, sigmoid outputs
 * with MSE to the one-hot label (glassy's 'mse' is PyTorch's MSELoss, a mean over B×C entries),
 * float64 throughout, time = SGD steps.
 */
import { z } from 'zod';
import { GlassyError, parseWith } from '../../core/errors.js';
import { dataSpecSchema } from '../../data/spec.js';
import { couplingBytes, DEFAULT_MAX_BYTES, type PSpinOrder } from '../../landscapes/pspin.js';
import { logList } from '../../observables/aging.js';
import { optimizerSchema, type TrainConfig } from '../../dynamics/train-config.js';
import { modelSizes } from '../../landscapes/mlp/layout.js';
import { modelSchema } from '../../landscapes/model-schema.js';

export const AGING_LANDSCAPES = ['mlp', 'pspin', 'sk', 'flat'] as const;
export type AgingLandscapeKind = (typeof AGING_LANDSCAPES)[number];

const temperatureList = z.array(z.number().min(0).finite()).min(1);

/** Networks: the flags of `glassy train` with Baity-Jesi et al.'s defaults. */
export const agingMlpSchema = z.object({
  data: dataSpecSchema.default(dataSpecSchema.parse({ source: 'mnist' })),
  model: modelSchema.extend({ output: z.enum(['linear', 'sigmoid']).default('sigmoid') }),
  loss: z.enum(['ce', 'mse', 'hinge']).default('mse'),
  optimizer: optimizerSchema
    .extend({ kind: z.enum(['sgd', 'momentum', 'adam', 'gd', 'langevin']).default('momentum'), momentum: z.number().min(0).max(1).default(0.5) })
    .default({ kind: 'momentum', lr: 0.1, momentum: 0.5, beta1: 0.9, beta2: 0.999, eps: 1e-8, temperature: 0 }),
  batch: z.number().int().positive().default(100).describe('mlp: mini-batch size'),
  sampling: z.enum(['shuffle', 'replacement', 'full']).default('shuffle').describe('mlp: mini-batches'),
  l2: z.number().min(0).default(0).describe('mlp: L2 strength λ in λ‖θ‖²'),
  precision: z.enum(['f32', 'f64']).default('f64').describe('mlp: float precision'),
  init: z.enum(['pytorch', 'he']).default('pytorch').describe('mlp: initialisation'),
  /** Training loss measured on the first this-many training samples (null: all). */
  evalTrainSamples: z.number().int().positive().nullable().default(null).describe('mlp: measure the training loss on the first n samples (none: all)'),
  /** Hidden widths of the sweep (every hidden layer gets the width); null: the model as given. */
  widths: z.array(z.number().int().positive()).min(1).nullable().default(null).describe('mlp: hidden widths of the parametrisation sweep, e.g. 10,100,1000 (none: the model as given)'),
  /** Count near-zero Hessian eigenvalues of the final training loss (dense, or SLQ above hessianDenseMax). */
  hessian: z.boolean().default(false).describe('mlp: count near-zero Hessian eigenvalues of the final training loss'),
  /** "Near zero": |λ| ≤ hessianTol·max|λ|. */
  hessianTol: z.number().positive().default(1e-4).describe('mlp: near zero means |λ| ≤ tol·max|λ|'),
  hessianDenseMax: z.number().int().positive().default(3000).describe('mlp: dense spectrum up to this many parameters, SLQ above'),
});

export const agingPSpinSchema = z.object({
  p: z.union([z.literal(2), z.literal(3), z.literal(4)]).default(3).describe('pspin: interaction order 2, 3 or 4'),
  n: z.number().int().min(2).default(200),
  /** Temperatures of the quench (from T = ∞); absent: [0.5] for langevin, [0] for gd. */
  temperatures: temperatureList.optional(),
  /** Time step; the continuous time of the Langevin equation is steps·dt. */
  dt: z.number().positive().finite().default(0.1).describe('pspin/flat: time step (continuous time = steps·dt)'),
  dynamics: z.enum(['langevin', 'gd']).default('langevin').describe('pspin: langevin (at --temperature) or gd (gradient descent, T = 0)'),
  storage: z.enum(['float64', 'float32']).default('float64').describe('pspin: coupling storage'),
});

export const agingSkSchema = z.object({
  n: z.number().int().min(2).default(256),
  temperatures: temperatureList.default([0.5]),
  couplings: z.enum(['gauss', 'pm1']).default('gauss').describe('sk: coupling distribution'),
  rule: z.enum(['metropolis', 'heatbath']).default('metropolis').describe('sk: single-spin-flip rule'),
});

/** The flat landscape E = 0 on R^N: Langevin is free diffusion, Δ = 2T·t·dt exactly in expectation (a calibration). */
export const agingFlatSchema = z.object({
  n: z.number().int().min(1).default(1000),
  temperatures: temperatureList.default([1]),
  dt: z.number().positive().finite().default(0.01),
});

export const agingConfigSchema = z.object({
  landscape: z.enum(AGING_LANDSCAPES).describe('mlp (network, time = SGD steps), pspin (spherical p-spin), sk (Metropolis sweeps), flat (free diffusion)'),
  /** Total time T (SGD steps, Langevin steps or Monte Carlo sweeps). */
  tMax: z.number().int().min(2).default(1000).describe('total time T (SGD steps, dynamics steps or sweeps)'),
  /** Explicit waiting times (null: LogList(1, T/2, twPoints)). */
  tw: z.array(z.number().int().min(0)).min(1).nullable().default(null).describe('waiting times, e.g. 0,10,100 (none: LogList(1, T/2, --tw-points))'),
  twPoints: z.number().int().min(1).default(50).describe('points of the waiting-time LogList (50, as DEEP-GLASS)'),
  /** Lags on LogList(1, T/2, tPoints), unless `lags` lists them. */
  tPoints: z.number().int().min(1).default(100).describe('points of the lag LogList(1, T/2, n)'),
  /** Explicit lags t (positive integers ≤ T/2, increasing; null: the LogList grid). */
  lags: z.array(z.number().int().min(1)).min(1).nullable().default(null).describe('explicit lags t, e.g. 1,10,100 (positive integers ≤ T/2, increasing; none: the LogList of --t-points)'),
  /** Energy / loss measured on LogList(1, T, energyPoints) ∪ {T}. */
  energyPoints: z.number().int().min(1).default(100).describe('points of the energy-time LogList(1, T, n)'),
  /** Trajectories per (point, disorder sample). */
  replicas: z.number().int().min(1).default(1).describe('trajectories per point (width/temperature) and disorder sample'),
  /** Disorder samples (pspin, sk). */
  samples: z.number().int().min(1).default(1).describe('pspin/sk: disorder samples'),
  /** Save the configuration at every tw as per-replica arrays. */
  saveConfigs: z.boolean().default(false).describe('store the configuration at every tw (per-replica/<r>/configs/tw-<tw>.npy)'),
  /** Waiting times below this are left out of the collapse fit (transient). */
  collapseTwMin: z.number().min(0).default(1).describe('leave waiting times below this out of the μ collapse'),
  /** Checkpoint interval in time units (does not change results). */
  checkpointEvery: z.number().int().positive().default(1000),
  mlp: agingMlpSchema.optional(),
  pspin: agingPSpinSchema.optional(),
  sk: agingSkSchema.optional(),
  flat: agingFlatSchema.optional(),
});

export type AgingConfig = z.infer<typeof agingConfigSchema>;
export type AgingMlpConfig = z.infer<typeof agingMlpSchema>;
export type AgingPSpinConfig = z.infer<typeof agingPSpinSchema> & { temperatures: number[] };
export type AgingSkConfig = z.infer<typeof agingSkSchema>;
export type AgingFlatConfig = z.infer<typeof agingFlatSchema>;

/** Parse and complete a raw config; every problem is one GlassyError naming the field. */
export function parseAgingConfig(raw: unknown): AgingConfig {
  return checkAgingConfig(parseWith(agingConfigSchema, raw));
}

/** The landscape's section present and consistent, its defaults filled in, the grids valid. */
export function checkAgingConfig(c: AgingConfig): AgingConfig {
  switch (c.landscape) {
    case 'mlp': {
      if (!c.mlp) throw GlassyError.invalid('mlp', c.mlp, 'the network section (model, data, ...) for --landscape mlp');
      if (c.samples !== 1) throw GlassyError.invalid('samples', c.samples, '1 for --landscape mlp (disorder samples are for pspin and sk)');
      if (c.mlp.optimizer.kind === 'gd') c.mlp.sampling = 'full';
      break;
    }
    case 'pspin': {
      const p = c.pspin ?? agingPSpinSchema.parse({});
      if (p.n < p.p) throw GlassyError.invalid('pspin.n', p.n, `an integer ≥ p = ${p.p}`);
      if (!p.temperatures) p.temperatures = p.dynamics === 'gd' ? [0] : [0.5];
      if (p.dynamics === 'gd' && p.temperatures.some((t) => t !== 0)) {
        throw GlassyError.invalid('pspin.temperatures', p.temperatures, '[0] with --dynamics gd (gradient descent is T = 0; use --dynamics langevin for T > 0)');
      }
      const bytes = couplingBytes(p.n, p.p as PSpinOrder, p.storage);
      if (bytes > DEFAULT_MAX_BYTES) {
        throw GlassyError.invalid('pspin.n', p.n, `a size whose couplings fit in 2 GiB (N = ${p.n}, p = ${p.p} in ${p.storage} needs ${(bytes / 1e9).toFixed(2)} GB${p.storage === 'float64' ? '; try --storage float32' : ''})`);
      }
      c.pspin = p;
      break;
    }
    case 'sk':
      c.sk = c.sk ?? agingSkSchema.parse({});
      break;
    case 'flat':
      c.flat = c.flat ?? agingFlatSchema.parse({});
      if (c.samples !== 1) throw GlassyError.invalid('samples', c.samples, '1 for --landscape flat (it has no disorder)');
      break;
  }
  agingGrids(c); // validates the grids
  return c;
}

export interface AgingGrids {
  tw: number[];
  t: number[];
  energyTimes: number[];
}

/**
 * The DEEP-GLASS grids (Baity-Jesi et al. 2018, source/timelists.py): tw = LogList(1, T/2, ntw),
 * t = LogList(1, T/2, nt), loss times LogList(1, T, M); here T itself is added to the loss times
 * so the final energy is always measured.
 */
export function agingGrids(c: AgingConfig): AgingGrids {
  const T = c.tMax;
  let tw: number[];
  if (c.tw) {
    tw = c.tw;
    tw.forEach((v, i) => {
      if (v > T) throw GlassyError.invalid(`tw[${i}]`, v, `a waiting time ≤ tMax = ${T}`);
      if (i > 0 && !(v > tw[i - 1]!)) throw GlassyError.invalid(`tw[${i}]`, v, `a time > tw[${i - 1}] = ${tw[i - 1]} (strictly increasing)`);
    });
  } else {
    tw = logList(1, T / 2, c.twPoints);
  }
  let t: number[];
  if (c.lags) {
    t = c.lags;
    t.forEach((v, i) => {
      // As DEEP-GLASS's grid: lags up to T/2, so that tw + t stays inside the run for tw ≤ T/2.
      if (v > T / 2) throw GlassyError.invalid(`lags[${i}]`, v, `a lag ≤ tMax/2 = ${Math.floor(T / 2)}`);
      if (i > 0 && !(v > t[i - 1]!)) throw GlassyError.invalid(`lags[${i}]`, v, `a lag > lags[${i - 1}] = ${t[i - 1]} (strictly increasing)`);
    });
  } else {
    t = logList(1, T / 2, c.tPoints);
  }
  const e = new Set(logList(1, T, c.energyPoints).filter((v) => v <= T));
  e.add(T);
  return { tw, t, energyTimes: [...e].sort((a, b) => a - b) };
}

/** The control-parameter values: widths (null = the model as given) or temperatures. */
export function agingPoints(c: AgingConfig): Array<number | null> {
  switch (c.landscape) {
    case 'mlp': return c.mlp!.widths ?? [null];
    case 'pspin': return c.pspin!.temperatures!;
    case 'sk': return c.sk!.temperatures;
    case 'flat': return c.flat!.temperatures;
  }
}

/** Name of the point axis array: 'widths' for networks, 'temperatures' otherwise. */
export function pointAxisName(c: AgingConfig): 'widths' | 'temperatures' {
  return c.landscape === 'mlp' ? 'widths' : 'temperatures';
}

/** Number of replica jobs K = points × samples × replicas. */
export function agingUnits(c: AgingConfig): number {
  return agingPoints(c).length * c.samples * c.replicas;
}

export interface AgingUnit {
  point: number;
  sample: number;
  /** Trajectory index within (point, sample). */
  replica: number;
}

/** index = (point·S + sample)·R + replica. */
export function decodeUnit(c: AgingConfig, index: number): AgingUnit {
  const R = c.replicas;
  const S = c.samples;
  return { replica: index % R, sample: Math.floor(index / R) % S, point: Math.floor(index / (R * S)) };
}

/** The network of one point: every hidden layer at the point's width. */
export function mlpSizes(m: AgingMlpConfig, width: number | null): number[] {
  if (m.model.layers !== undefined && width !== null) {
    throw GlassyError.invalid('widths', m.widths, 'no width sweep for a layer-spec model (the sweep sets the hidden width of an MLP given by sizes such as 784-100-10)');
  }
  const s = modelSizes(m.model);
  if (width === null) return [...s];
  if (s.length < 3) throw GlassyError.invalid('widths', m.widths, `a model with a hidden layer (got ${s.join('-')})`);
  return s.map((v, i) => (i === 0 || i === s.length - 1 ? v : width));
}

/** The network of one point as a string: the layer spec, or the MLP's sizes (784-100-10). */
export function pointModel(m: AgingMlpConfig, width: number | null): string {
  const l = m.model.layers;
  if (l === undefined) return mlpSizes(m, width).join('-');
  if (width !== null) mlpSizes(m, width); // refuses the width sweep
  return typeof l === 'string' ? l : l.join('-');
}

/** A TrainConfig for `replicaSetup` (train.ts): the same data, loss, optimiser and precision. */
export function trainConfigOf(m: AgingMlpConfig, width: number | null, checkpointEvery: number): TrainConfig {
  return {
    data: m.data,
    // A layer spec is the network as given (its output non-linearity is part of the spec).
    model: m.model.layers !== undefined ? { ...m.model, sizes: undefined } : { ...m.model, sizes: mlpSizes(m, width) },
    loss: m.loss,
    optimizer: m.optimizer,
    batch: m.batch,
    epochs: 1,
    sampling: m.sampling,
    l2: m.l2,
    l2Form: 'penalty',
    precision: m.precision,
    init: m.init,
    variant: 'both',
    measurePoints: 2,
    measure: 'full',
    measureSamples: 1000,
    evalTrainSamples: m.evalTrainSamples,
    checkpointEvery,
  };
}
