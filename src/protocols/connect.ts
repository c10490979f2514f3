/**
 * Protocol `connect` — mode connectivity between two trained replicas a and b of a `train` run:
 * the loss along the straight segment, along a quadratic Bézier curve whose control point is
 * trained (Garipov, Izmailov, Podoprikhin, Vetrov & Wilson, "Loss Surfaces, Mode Connectivity, and
 * Fast Ensembling of DNNs", NeurIPS 2018, eqs. 3–5), and along a nudged elastic band (Henkelman &
 * Jónsson, J. Chem. Phys. 113, 9978 (2000); Draxler, Veschgini, Salmhofer & Hamprecht, "Essentially
 * No Barriers in Neural Network Energy Landscape", ICML 2018 — their AutoNEB without the automatic
 * insertion of images). With `align`, θ_b is first moved onto θ_a by weight matching (Ainsworth et
 * al. 2023), which removes the hidden-unit permutation symmetry (Entezari et al. 2022).
 *
 * Path methods are dispatched through METHODS (a method set to null answers "not available yet").
 * The L2-anchored path of Ersoy et al. (arXiv:2512.11866; `--method l2`) lives in l2path.ts, with
 * the L2-sweep protocol it reuses; its settings are the `l2` section of the config.
 *
 * Also home of the helpers the three path protocols (walk, permute, connect) share: opening a
 * complete `train` run and building its landscapes in float64.
 */
import { z } from 'zod';
import { nrm2 } from '../core/vec.js';
import { GlassyError, parseWith } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import { BatchSchedule } from '../dynamics/batches.js';
import { createOptimizer } from '../dynamics/optimizers.js';
import type { SampledLandscape } from '../landscapes/landscape.js';
import { mlpLayout, type MlpLayout } from '../landscapes/mlp/layout.js';
import type { MlpLandscape } from '../landscapes/mlp/network.js';
import {
  barrier, bezierPath, distance, distanceToSegment, linearPath, polylinePath, profilePath, uniformGrid,
  type Evaluator, type Path,
} from '../observables/path.js';
import { Run } from '../store/run.js';
import { weightMatching } from '../symmetry/weight-matching.js';
import { l2PathSchema } from './l2path.js';
import { modelSizes, optimizerSchema, parseTrainConfig, replicaSetup, type TrainConfig } from './train.js';
import { NETWORK_RUN_PROTOCOLS, readReplicaWeights } from './weights.js';

// ---- shared by walk, permute and connect --------------------------------------------------------

/** A complete `train` run whose replicas the path protocols read. */
export interface NetworkSource {
  run: Run;
  config: TrainConfig;
  seed: number;
  /** Number of replicas K (replicas/replica-*.safetensors). */
  replicas: number;
  layout: MlpLayout;
}

/** Opens `dir` and checks it is a complete train run with network replicas (a GlassyError otherwise). */
export function openTrainSource(dir: string): NetworkSource {
  const run = Run.open(dir);
  if (!NETWORK_RUN_PROTOCOLS.includes(run.manifest.protocol)) {
    throw GlassyError.invalid('source', `${run.dir} (protocol ${run.manifest.protocol})`, 'a train run');
  }
  if (run.manifest.status !== 'complete') {
    throw GlassyError.invalid('source', `${run.dir} (status ${run.manifest.status})`, 'a complete run (finish it with glassy resume)');
  }
  const replicas = run.listTensors().filter((n) => /^replica-\d{4,}$/.test(n)).length;
  if (replicas < 1) throw GlassyError.invalid('source', run.dir, 'a run with trained replicas (replicas/replica-*.safetensors)');
  const config = parseTrainConfig(run.manifest.config);
  const { activation, bias, output } = config.model;
  return { run, config, seed: run.manifest.seed, replicas, layout: mlpLayout({ sizes: modelSizes(config.model), activation, bias, output }) };
}

/** Throws unless 0 ≤ i < K. */
export function checkReplicaIndex(field: string, i: number, src: NetworkSource): void {
  if (!Number.isInteger(i) || i < 0 || i >= src.replicas) {
    throw GlassyError.invalid(field, i, `a replica index in [0, ${src.replicas}) (the source run has ${src.replicas} replica${src.replicas === 1 ? '' : 's'})`);
  }
}

export interface PathLandscapes {
  /** The training objective of the source run (its L2 term included), float64: for gradients. */
  train: MlpLandscape<Float64Array>;
  /** Loss (without L2) and error on the training samples evaluated along paths. */
  evalTrain: Evaluator;
  /** Loss and error on the test set. */
  test: Evaluator;
  /** Training samples in evalTrain. */
  trainSamples: number;
}

/**
 * The landscapes of replica `index` of the source run, in float64 whatever the run was trained in:
 * barriers are small differences of losses and walks take small steps, so float32 rounding would
 * be visible in them. `trainSamples` limits the training samples of the evaluations (the first n;
 * null: all of the replica's training set).
 */
export function pathLandscapes(src: NetworkSource, index: number, trainSamples: number | null): PathLandscapes {
  const cfg: TrainConfig = { ...src.config, precision: 'f64', evalTrainSamples: trainSamples };
  const { train, evalTrain, test } = replicaSetup(cfg, src.seed, index);
  const ev = evalTrain ?? train;
  return {
    train: train as unknown as MlpLandscape<Float64Array>,
    evalTrain: ev as unknown as Evaluator,
    test: test as unknown as Evaluator,
    trainSamples: ev.nSamples,
  };
}

// ---- Bézier curves (Garipov et al. 2018) -------------------------------------------------------

export interface BezierOptions {
  /** SGD steps on the control point. */
  steps: number;
  /** Mini-batch size. */
  batch: number;
  /** Update rule of the control point (the source run's, by default). */
  optimizer: z.infer<typeof optimizerSchema>;
  /** Stream of the mini-batches. */
  rng: Rng;
  /** Stream of the sampled t. */
  tRng: Rng;
  progress?: (fraction: number) => void;
}

/**
 * Trains the control point θ_c of φ(t) = (1−t)²θ_a + 2t(1−t)θ_c + t²θ_b to minimise
 * ℓ(θ_c) = E_{t~U[0,1]} L(φ(t)) (Garipov et al. 2018, eq. 4), by stochastic gradients: each step
 * draws t ~ U[0, 1] and a mini-batch, and since ∂φ/∂θ_c = 2t(1−t)·I the gradient is
 * 2t(1−t)·∇L(φ(t)) (eq. 5). θ_c starts at the midpoint (the straight segment). Returns θ_c.
 */
export function fitBezier(
  train: SampledLandscape<Float64Array>, a: Float64Array, b: Float64Array, opts: BezierOptions,
): Float64Array {
  const dim = a.length;
  const control = new Float64Array(dim);
  for (let i = 0; i < dim; i++) control[i] = 0.5 * (a[i]! + b[i]!);
  const phi = new Float64Array(dim);
  const g = new Float64Array(dim);
  const curve = bezierPath(a, control, b);
  const batches = new BatchSchedule(train.nSamples, Math.min(opts.batch, train.nSamples), 'shuffle', opts.rng);
  const optimizer = createOptimizer(opts.optimizer, dim, control, opts.tRng);
  const tRng = opts.tRng;
  const every = Math.max(1, Math.floor(opts.steps / 100));
  for (let s = 0; s < opts.steps; s++) {
    const t = tRng.uniform();
    curve.at(t, phi);
    const loss = train.batchGradient(phi, batches.next(), g);
    if (!Number.isFinite(loss)) {
      throw new GlassyError(`bezier: loss ${loss} at step ${s}; lower bezier.lr (now ${opts.optimizer.lr})`, 'bezier.lr', opts.optimizer.lr, 'a smaller learning rate');
    }
    const w = 2 * t * (1 - t);
    for (let i = 0; i < dim; i++) g[i] = w * g[i]!;
    optimizer.step(control, g);
    if (opts.progress && (s + 1) % every === 0) opts.progress((s + 1) / opts.steps);
  }
  return control;
}

/** Mean of an evaluator's loss over a uniform grid of n points of a path (the objective of eq. 4). */
export function meanLossAlong(path: Path, ev: Evaluator, n: number): number {
  const p = profilePath(path, { e: ev }, uniformGrid(n));
  return p.series['e']!.loss.reduce((s, v) => s + v, 0) / n;
}

// ---- nudged elastic band (Henkelman & Jónsson 2000; Draxler et al. 2018) -------------------------

export interface NebOptions {
  /** Movable images M between the fixed end points. */
  images: number;
  /** Optimisation steps (an upper bound with full-batch gradients, which stop at `tolerance`). */
  steps: number;
  /** 'fire' (Bitzek et al. 2006) or plain gradient steps x ← x + lr·F. */
  optimizer: 'fire' | 'gd';
  /** Step size: lr of 'gd', the initial Δt of FIRE. */
  lr: number;
  /** Spring constant k. */
  spring: number;
  /** Climbing image (Henkelman, Uberuaga & Jónsson 2000). */
  climbing: boolean;
  /** Mini-batch size; null: full-batch gradients. */
  batch: number | null;
  /** Full batch: stop when every image's NEB force norm is below this. */
  tolerance: number;
  /** Stream of the mini-batches. */
  rng: Rng;
  /** Starting images (default: equally spaced on the segment). */
  init?: Float64Array[];
  progress?: (fraction: number) => void;
}

export interface NebResult {
  /** The chain a, image_1 … image_M, b. */
  points: Float64Array[];
  /** Training loss (the landscape's energy) at each point of the chain, full batch, at the end. */
  energies: Float64Array;
  /** Largest NEB force norm over the images at the last step. */
  maxForce: number;
  /** Steps taken. */
  steps: number;
  /** Largest distance of an image from the segment [a, b]. */
  maxDistanceFromSegment: number;
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

/**
 * Relaxes a chain of M images between the fixed minima a and b under the NEB force
 *   F_i = −∇V(R_i) + (∇V(R_i)·τ_i)τ_i + k(|R_{i+1} − R_i| − |R_i − R_{i−1}|)τ_i
 * (Henkelman & Jónsson 2000, eqs. 5, 6 and 12: the true force perpendicular to the path, the spring
 * force along it), with the climbing image F = −∇V + 2(∇V·τ)τ at the highest image (Henkelman,
 * Uberuaga & Jónsson 2000, eq. 5). With mini-batches every image (and both ends, for the tangent)
 * sees the same batch in a step, so energies are compared on equal terms.
 */
export function nudgedElasticBand(
  landscape: SampledLandscape<Float64Array>, a: Float64Array, b: Float64Array, opts: NebOptions,
): NebResult {
  const M = opts.images;
  const dim = a.length;
  const points: Float64Array[] = [a.slice()];
  for (let i = 1; i <= M; i++) {
    const x = new Float64Array(dim);
    const init = opts.init?.[i - 1];
    if (init) x.set(init);
    else { const u = i / (M + 1); for (let j = 0; j < dim; j++) x[j] = (1 - u) * a[j]! + u * b[j]!; }
    points.push(x);
  }
  points.push(b.slice());
  const V = new Float64Array(M + 2);
  const grads = Array.from({ length: M + 2 }, () => new Float64Array(dim));
  const forces = Array.from({ length: M }, () => new Float64Array(dim));
  const vel = Array.from({ length: M }, () => new Float64Array(dim));
  const tau = new Float64Array(dim);
  const scratch = new Float64Array(dim);
  const batches = opts.batch === null ? null : new BatchSchedule(landscape.nSamples, Math.min(opts.batch, landscape.nSamples), 'shuffle', opts.rng);
  if (!batches) {
    V[0] = landscape.energy(points[0]!);
    V[M + 1] = landscape.energy(points[M + 1]!);
  }
  // FIRE (Bitzek, Koskinen, Gähler, Moseler & Gumbsch, PRL 97, 170201 (2006)), their parameters.
  const fire = { dt: opts.lr, dtMax: 10 * opts.lr, alpha: 0.1, alphaStart: 0.1, fAlpha: 0.99, fInc: 1.1, fDec: 0.5, nMin: 5, since: 0 };
  let maxForce = Infinity;
  let step = 0;
  const every = Math.max(1, Math.floor(opts.steps / 100));
  for (; step < opts.steps; step++) {
    const batch = batches?.next();
    if (batch) {
      V[0] = landscape.batchGradient(points[0]!, batch, scratch);
      V[M + 1] = landscape.batchGradient(points[M + 1]!, batch, scratch);
    }
    for (let i = 1; i <= M; i++) {
      V[i] = batch ? landscape.batchGradient(points[i]!, batch, grads[i]!) : landscape.gradient(points[i]!, grads[i]!);
      if (!Number.isFinite(V[i]!)) {
        throw new GlassyError(`neb: loss ${V[i]} at image ${i}, step ${step}; lower neb.lr (now ${opts.lr})`, 'neb.lr', opts.lr, 'a smaller step size');
      }
    }
    let top = 1;
    for (let i = 2; i <= M; i++) if (V[i]! > V[top]!) top = i;
    maxForce = 0;
    for (let i = 1; i <= M; i++) {
      const prev = points[i - 1]!, cur = points[i]!, next = points[i + 1]!;
      improvedTangent(prev, cur, next, V[i - 1]!, V[i]!, V[i + 1]!, tau);
      const g = grads[i]!, F = forces[i - 1]!;
      let gt = 0;
      for (let j = 0; j < dim; j++) gt += g[j]! * tau[j]!;
      if (opts.climbing && i === top) {
        for (let j = 0; j < dim; j++) F[j] = -g[j]! + 2 * gt * tau[j]!;
      } else {
        const spring = opts.spring * (distance(next, cur) - distance(cur, prev));
        for (let j = 0; j < dim; j++) F[j] = -g[j]! + (gt + spring) * tau[j]!;
      }
      maxForce = Math.max(maxForce, nrm2(F));
    }
    if (!batches && maxForce < opts.tolerance) break;
    if (opts.optimizer === 'gd') {
      for (let i = 1; i <= M; i++) {
        const x = points[i]!, F = forces[i - 1]!;
        for (let j = 0; j < dim; j++) x[j] = x[j]! + opts.lr * F[j]!;
      }
    } else {
      let P = 0, fn = 0, vn = 0;
      for (let i = 0; i < M; i++) {
        const F = forces[i]!, v = vel[i]!;
        for (let j = 0; j < dim; j++) { P += F[j]! * v[j]!; fn += F[j]! * F[j]!; vn += v[j]! * v[j]!; }
      }
      fn = Math.sqrt(fn); vn = Math.sqrt(vn);
      if (P > 0) {
        // v ← (1 − α)v + α|v|F̂, then accelerate after N_min downhill steps.
        const c = fn > 0 ? fire.alpha * vn / fn : 0;
        for (let i = 0; i < M; i++) {
          const F = forces[i]!, v = vel[i]!;
          for (let j = 0; j < dim; j++) v[j] = (1 - fire.alpha) * v[j]! + c * F[j]!;
        }
        if (++fire.since > fire.nMin) { fire.dt = Math.min(fire.dt * fire.fInc, fire.dtMax); fire.alpha *= fire.fAlpha; }
      } else {
        for (const v of vel) v.fill(0);
        fire.dt *= fire.fDec;
        fire.alpha = fire.alphaStart;
        fire.since = 0;
      }
      // Semi-implicit Euler with unit masses.
      for (let i = 0; i < M; i++) {
        const x = points[i + 1]!, F = forces[i]!, v = vel[i]!;
        for (let j = 0; j < dim; j++) { v[j] = v[j]! + fire.dt * F[j]!; x[j] = x[j]! + fire.dt * v[j]!; }
      }
    }
    if (opts.progress && (step + 1) % every === 0) opts.progress((step + 1) / opts.steps);
  }
  const energies = new Float64Array(M + 2);
  let maxDistanceFromSegment = 0;
  for (let i = 0; i < M + 2; i++) {
    energies[i] = landscape.energy(points[i]!);
    maxDistanceFromSegment = Math.max(maxDistanceFromSegment, distanceToSegment(points[i]!, a, b));
  }
  return { points, energies, maxForce, steps: step, maxDistanceFromSegment };
}

// ---- the protocol ---------------------------------------------------------------------------

const bezierSchema = z.object({
  /** Epochs of control-point training (steps = epochs × ⌈n/batch⌉). */
  epochs: z.number().positive().default(2),
  /** Learning rate (default: the source run's). */
  lr: z.number().positive().optional(),
  /** Mini-batch size (default: the source run's). */
  batch: z.number().int().positive().optional(),
  /** Points of the t grid on which the mean loss along the curve is reported before and after. */
  evalPoints: z.number().int().min(2).default(11),
});

const nebSchema = z.object({
  images: z.number().int().min(1).default(8),
  steps: z.number().int().min(1).default(500),
  /** auto: FIRE with full-batch gradients, plain gradient steps with mini-batches. */
  optimizer: z.enum(['auto', 'fire', 'gd']).default('auto'),
  /** Step size (gd: lr, default the source run's; FIRE: initial Δt, default 0.1). */
  lr: z.number().positive().optional(),
  spring: z.number().min(0).default(1),
  climbing: z.boolean().default(false),
  /** Mini-batch size, or 'full' for full-batch gradients (default: the source run's batch size). */
  batch: z.union([z.number().int().positive(), z.literal('full')]).optional(),
  tolerance: z.number().positive().default(1e-5),
});

export const PATH_METHODS = ['linear', 'bezier', 'neb', 'l2'] as const;
export type PathMethodName = (typeof PATH_METHODS)[number];

export const connectConfigSchema = z.object({
  /** The train run whose replicas are connected. */
  source: z.string().min(1),
  a: z.number().int().min(0),
  b: z.number().int().min(0),
  methods: z.array(z.enum(PATH_METHODS)).min(1).default(['linear']),
  /** Points G of each profile, t_g = g/(G − 1). */
  points: z.number().int().min(2).default(41),
  /** Align θ_b onto θ_a by weight matching before building the paths. */
  align: z.boolean().default(false),
  /** Training samples of the evaluations along paths (null: all). */
  trainSamples: z.number().int().positive().nullable().default(null),
  bezier: bezierSchema.default(bezierSchema.parse({})),
  neb: nebSchema.default(nebSchema.parse({})),
  /** Settings of the L2-anchored path (l2path.ts). */
  l2: l2PathSchema.default(l2PathSchema.parse({})),
});

export type ConnectConfig = z.infer<typeof connectConfigSchema>;

/** What a path method gets. */
export interface PathContext {
  config: ConnectConfig;
  source: NetworkSource;
  a: Float64Array;
  b: Float64Array;
  land: PathLandscapes;
  /** The seed of the connect run (streams derive from it). */
  seed: number;
  progress(message: string): void;
}

/** What a path method returns: the curve, and optional extra arrays and key figures. */
export interface BuiltPath {
  path: Path;
  arrays?: Record<string, { data: Float64Array; shape?: number[] }>;
  summary?: Record<string, number>;
}

export type PathBuilder = (ctx: PathContext) => Promise<BuiltPath>;

/** Domain index of the connect streams inside Stream.probe (see rng.ts: no domain is renumbered). */
const CONNECT = 3;

const linearBuilder: PathBuilder = async (ctx) => ({ path: linearPath(ctx.a, ctx.b) });

const bezierBuilder: PathBuilder = async (ctx) => {
  const { config, source, land } = ctx;
  const batch = config.bezier.batch ?? source.config.batch;
  const steps = Math.max(1, Math.round(config.bezier.epochs * Math.ceil(land.train.nSamples / Math.min(batch, land.train.nSamples))));
  const optimizer = { ...source.config.optimizer, ...(config.bezier.lr !== undefined ? { lr: config.bezier.lr } : {}) };
  if (optimizer.kind === 'gd' || optimizer.kind === 'langevin') optimizer.kind = 'sgd';
  const mid = linearPath(ctx.a, ctx.b);
  const before = meanLossAlong(mid, land.evalTrain, config.bezier.evalPoints);
  const control = fitBezier(land.train, ctx.a, ctx.b, {
    steps, batch, optimizer, rng: Rng.stream(ctx.seed, Stream.probe, CONNECT, 1), tRng: Rng.stream(ctx.seed, Stream.probe, CONNECT, 3),
    progress: (f) => ctx.progress(`bezier ${(100 * f).toFixed(0)} %`),
  });
  const path = bezierPath(ctx.a, control, ctx.b);
  const after = meanLossAlong(path, land.evalTrain, config.bezier.evalPoints);
  const mid0 = new Float64Array(ctx.a.length);
  for (let i = 0; i < mid0.length; i++) mid0[i] = 0.5 * (ctx.a[i]! + ctx.b[i]!);
  return {
    path,
    summary: {
      bezier_steps: steps,
      bezier_mean_loss_before: before,
      bezier_mean_loss_after: after,
      bezier_control_displacement: distance(control, mid0),
    },
  };
};

const nebBuilder: PathBuilder = async (ctx) => {
  const { config, source, land } = ctx;
  const batch = config.neb.batch === 'full' ? null : config.neb.batch ?? source.config.batch;
  const optimizer = config.neb.optimizer === 'auto' ? (batch === null ? 'fire' : 'gd') : config.neb.optimizer;
  const lr = config.neb.lr ?? (optimizer === 'fire' ? 0.1 : source.config.optimizer.lr);
  const r = nudgedElasticBand(land.train, ctx.a, ctx.b, {
    images: config.neb.images, steps: config.neb.steps, optimizer, lr, spring: config.neb.spring,
    climbing: config.neb.climbing, batch, tolerance: config.neb.tolerance,
    rng: Rng.stream(ctx.seed, Stream.probe, CONNECT, 2),
    progress: (f) => ctx.progress(`neb ${(100 * f).toFixed(0)} %`),
  });
  const M = config.neb.images;
  const imageLoss = new Float64Array(M + 2);
  for (let i = 0; i < M + 2; i++) imageLoss[i] = land.evalTrain.evaluate(r.points[i]!).loss;
  return {
    path: polylinePath(r.points),
    arrays: { neb_image_train_loss: { data: imageLoss }, neb_image_energy: { data: r.energies } },
    summary: {
      neb_steps: r.steps,
      neb_max_force: r.maxForce,
      neb_max_distance_from_segment: r.maxDistanceFromSegment,
      neb_max_image_train_loss: Math.max(...imageLoss),
    },
  };
};

/**
 * Path methods by name. null: not available yet (see the module comment for how to add `l2`).
 */
const METHODS: Record<PathMethodName, PathBuilder | null> = {
  linear: linearBuilder,
  bezier: bezierBuilder,
  neb: nebBuilder,
  l2: async (ctx) => (await import('./l2path.js')).l2Path(ctx, ctx.config.l2),
};

/** Parses a raw config and checks the method list (duplicates, methods not available yet). */
export function parseConnectConfig(raw: unknown): ConnectConfig {
  const c = parseWith(connectConfigSchema, raw);
  const seen = new Set<string>();
  for (const m of c.methods) {
    if (seen.has(m)) throw GlassyError.invalid('method', c.methods.join(','), 'each method once');
    seen.add(m);
    if (METHODS[m] === null) {
      throw GlassyError.invalid('method', m, `one of ${PATH_METHODS.filter((k) => METHODS[k] !== null).join(', ')} (the L2-anchored path of Ersoy et al., --method ${m}, is not available yet)`);
    }
  }
  return c;
}

export interface ConnectSummary {
  run: string;
  source: string;
  a: number;
  b: number;
  aligned: boolean;
  /** |θ_a − θ_b| (after alignment when aligned). */
  distance: number;
  paths: string[];
  /** Training-loss barrier height (max − mean of the ends) per path. */
  barriers: Record<string, number>;
  /** Test-loss and test-error barrier heights per path. */
  test_barriers: Record<string, number>;
  test_error_barriers: Record<string, number>;
  /** Highest training loss along each path and where it sits (t). */
  max_train_loss: Record<string, number>;
  barrier_position: Record<string, number>;
  train_samples: number;
  [key: string]: unknown;
}

/** Everything checked before a run directory is created. */
export function prepareConnect(config: ConnectConfig): NetworkSource {
  const src = openTrainSource(config.source);
  checkReplicaIndex('a', config.a, src);
  checkReplicaIndex('b', config.b, src);
  if (config.align && src.layout.layers.length < 2) {
    throw GlassyError.invalid('align', true, 'a network with a hidden layer (a perceptron has no permutation symmetry)');
  }
  return src;
}

/** Runs `connect` on `config.source` and writes a new run at `out`. */
export async function runConnect(
  config: ConnectConfig, out: string,
  opts: { overwrite?: boolean; seed?: number; progress?: (message: string) => void } = {},
): Promise<ConnectSummary> {
  const src = prepareConnect(config);
  const seed = opts.seed ?? src.seed;
  const thetaA = readReplicaWeights(src.run, config.a).theta;
  let thetaB = readReplicaWeights(src.run, config.b).theta;
  const land = pathLandscapes(src, config.a, config.trainSamples);
  const run = Run.create(out, { protocol: 'connect', config, seed }, { overwrite: opts.overwrite === true });
  try {
    const t0 = performance.now();
    if (config.align) {
      thetaB = weightMatching(src.layout, thetaA, thetaB, { rng: Rng.stream(seed, Stream.probe, CONNECT, 0) }).aligned;
      run.setTiming('align', (performance.now() - t0) / 1000);
    }
    const t = uniformGrid(config.points);
    const G = t.length;
    const P = config.methods.length;
    const names: string[] = [];
    const rows = { train_loss: new Float64Array(P * G), train_error: new Float64Array(P * G), test_loss: new Float64Array(P * G), test_error: new Float64Array(P * G), arc: new Float64Array(P * G) };
    const per = { barrier: new Float64Array(P), test: new Float64Array(P), testErr: new Float64Array(P), max: new Float64Array(P), pos: new Float64Array(P) };
    const summary: ConnectSummary = {
      run: run.dir, source: src.run.dir, a: config.a, b: config.b, aligned: config.align,
      distance: distance(thetaA, thetaB), paths: names, barriers: {}, test_barriers: {}, test_error_barriers: {},
      max_train_loss: {}, barrier_position: {}, train_samples: land.trainSamples,
    };
    for (let p = 0; p < P; p++) {
      const method = config.methods[p]!;
      const tm = performance.now();
      const built = await METHODS[method]!({
        config, source: src, a: thetaA, b: thetaB, land, seed,
        progress: (m) => opts.progress?.(m),
      });
      run.setTiming(method, (performance.now() - tm) / 1000);
      const name = `${method}${config.align ? ' (aligned)' : ''}`;
      names.push(name);
      const prof = profilePath(built.path, { train: land.evalTrain, test: land.test }, t);
      const tr = prof.series['train']!, te = prof.series['test']!;
      rows.train_loss.set(tr.loss, p * G);
      rows.train_error.set(tr.error, p * G);
      rows.test_loss.set(te.loss, p * G);
      rows.test_error.set(te.error, p * G);
      rows.arc.set(prof.arcLength, p * G);
      const bTrain = barrier(t, tr.loss);
      per.barrier[p] = bTrain.height;
      per.test[p] = barrier(t, te.loss).height;
      per.testErr[p] = barrier(t, te.error).height;
      per.max[p] = bTrain.max;
      per.pos[p] = bTrain.position;
      summary.barriers[name] = bTrain.height;
      summary.test_barriers[name] = per.test[p]!;
      summary.test_error_barriers[name] = per.testErr[p]!;
      summary.max_train_loss[name] = bTrain.max;
      summary.barrier_position[name] = bTrain.position;
      for (const [k, v] of Object.entries(built.arrays ?? {})) run.writeArray(k, v.data, v.shape);
      Object.assign(summary, built.summary ?? {});
      opts.progress?.(`${name}: barrier ${bTrain.height.toPrecision(4)}`);
    }
    run.writeArray('path_t', t);
    run.writeArray('path_train_loss', rows.train_loss, [P, G]);
    run.writeArray('path_train_error', rows.train_error, [P, G]);
    run.writeArray('path_test_loss', rows.test_loss, [P, G]);
    run.writeArray('path_test_error', rows.test_error, [P, G]);
    run.writeArray('path_arc_length', rows.arc, [P, G]);
    run.writeArray('path_barrier', per.barrier);
    run.writeArray('path_barrier_test', per.test);
    run.writeArray('path_barrier_test_error', per.testErr);
    run.writeArray('path_max_train_loss', per.max);
    run.writeArray('path_barrier_position', per.pos);
    run.finish(summary);
    return summary;
  } catch (err) {
    run.fail(err instanceof Error ? err.message : String(err));
    throw err;
  }
}
