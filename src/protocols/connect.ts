/**
 * Protocol `connect` — mode connectivity between two trained replicas a and b of a `train` run:
 * the loss along the straight segment, along a quadratic Bézier curve whose control point is
 * trained (Garipov, Izmailov, Podoprikhin, Vetrov & Wilson, NeurIPS 2018; dynamics/bezier.ts), along
 * a nudged elastic band with a climbing image relaxed by FIRE (Henkelman & Jónsson 2000; Henkelman,
 * Uberuaga & Jónsson 2000; Bitzek et al. 2006; Draxler et al., ICML 2018 — dynamics/neb.ts), and along
 * the L2-anchored path of Ersoy et al. (arXiv:2512.11866; l2path.ts). With `align`, θ_b is first moved
 * onto θ_a by weight matching (Ainsworth et al. 2023), which removes the hidden-unit permutation
 * symmetry (Entezari et al. 2022).
 *
 * A replica is one path method: replica p builds `methods[p]` and profiles it (so K = the number of
 * methods, and methods run in parallel on any executor). Bézier and NEB checkpoint their iterations
 * (control point + optimiser + streams; images + FIRE state + stream), so a killed replica resumes
 * bit-identically; a linear or l2 replica restarts from its beginning (deterministically). The
 * reduction stacks the rows in method order. Iterative methods report whether they converged; an
 * unconverged one is listed in `summary.unconverged` and printed as UNCONVERGED.
 */
import { GlassyError } from '../core/errors.js';
import { Rng, Stream, type RngState } from '../core/rng.js';
import { BezierFit, type BezierState } from '../dynamics/bezier.js';
import { NudgedElasticBand, type NebState } from '../dynamics/neb.js';
import type { OptimizerState } from '../dynamics/optimizers.js';
import type { Checkpoint, ReplicaContext, ReplicaOutcomeOk, ReplicaSummary, ReplicaTask } from '../executor/replica.js';
import type { Float } from '../core/backend.js';
import {
  bezierPath, distance, distanceToSegment, linearPath, polylinePath, profilePath, uniformGrid, type Evaluator, type Path,
} from '../observables/path.js';
import type { Run } from '../store/run.js';
import { sourceRunTask } from '../store/sources.js';
import { groupWidths, matchWeights } from '../symmetry/group.js';
import { l2Path } from './connect/l2path.js';
import { type ConnectConfig, type PathMethodName } from './connect/protocol.js';
import { type RowFigures, stackPathRows, writePathRow } from '../observables/path-rows.js';
import { checkReplicaIndex, openTrainSource, pathLandscapes, replicaTheta, type NetworkSource, type PathLandscapes } from '../observables/network-source.js';

/** Everything checked before a run directory is created. */
export function prepareConnect(config: ConnectConfig): NetworkSource {
  const src = openTrainSource(config.source);
  checkReplicaIndex('a', config.a, src);
  checkReplicaIndex('b', config.b, src);
  if (config.align && groupWidths(src.layout).length === 0) {
    throw GlassyError.invalid('align', true, 'a network with a hidden layer (a perceptron has no permutation symmetry)');
  }
  return src;
}

/** Domain index of the connect streams inside Stream.probe (see rng.ts: no domain is renumbered). */
const CONNECT = 3;

/** θ_a and θ_b (aligned onto θ_a by weight matching when asked; the same stream in every replica). */
function endpoints(src: NetworkSource, config: ConnectConfig, seed: number): { a: Float64Array; b: Float64Array } {
  const a = replicaTheta(src, config.a);
  const b = replicaTheta(src, config.b);
  if (!config.align) return { a, b };
  return { a, b: matchWeights(src.layout, a, b, { rng: Rng.stream(seed, Stream.probe, CONNECT, 0) }).aligned };
}

/** Mean of an evaluator's loss over a uniform grid of n points of a path (the objective of Garipov et al., eq. 4). */
export function meanLossAlong(path: Path, ev: Evaluator, n: number): number {
  const p = profilePath(path, { e: ev }, uniformGrid(n));
  return p.series['e']!.loss.reduce((s, v) => s + v, 0) / n;
}

interface MethodContext {
  config: ConnectConfig;
  source: NetworkSource;
  a: Float64Array;
  b: Float64Array;
  land: PathLandscapes;
  seed: number;
  replica: ReplicaContext;
}

/** What a path method returns: the curve, extra arrays (written under their own names) and key figures. */
interface BuiltPath {
  path: Path;
  arrays?: Record<string, Float64Array | { data: Float64Array; shape: number[] }>;
  summary?: ReplicaSummary;
}

// ---- checkpoints of the iterative methods ------------------------------------------------------

function rngMeta(st: RngState): RngState { return { s: [...st.s], spare: st.spare }; }

function concatRows(rows: Float64Array[]): Float64Array {
  const out = new Float64Array(rows.length * (rows[0]?.length ?? 0));
  rows.forEach((r, i) => out.set(r, i * r.length));
  return out;
}

function optimizerToCheckpoint(o: OptimizerState, arrays: Checkpoint['arrays']): Record<string, unknown> {
  for (const [k, v] of Object.entries(o.arrays)) arrays[`opt.${k}`] = v;
  return { step: o.step, keys: Object.keys(o.arrays), ...(o.rng ? { rng: rngMeta(o.rng) } : {}) };
}

function optimizerFromCheckpoint(meta: { step: number; keys: string[]; rng?: RngState }, arrays: Checkpoint['arrays']): OptimizerState {
  const out: Record<string, Float> = {};
  for (const k of meta.keys) out[k] = arrays[`opt.${k}`] as Float;
  return { step: meta.step, arrays: out, ...(meta.rng ? { rng: meta.rng } : {}) };
}

function nebCheckpoint(s: NebState): Checkpoint {
  const arrays: Checkpoint['arrays'] = { images: s.images, velocities: s.velocities };
  if (s.batches) arrays['batch_order'] = s.batches.order;
  return {
    meta: {
      step: s.iteration, fire: s.fire, maxForce: Number.isFinite(s.maxForce) ? s.maxForce : null,
      ...(s.batches ? { batchPosition: s.batches.position, rng: { batches: rngMeta(s.batches.rng) } } : {}),
    },
    arrays,
  };
}

function nebFromCheckpoint(cp: Checkpoint): NebState {
  const m = cp.meta as { step: number; fire: NebState['fire']; maxForce: number | null; batchPosition?: number; rng?: Record<string, RngState> };
  return {
    iteration: m.step, images: cp.arrays['images'] as Float64Array, velocities: cp.arrays['velocities'] as Float64Array,
    fire: m.fire, maxForce: m.maxForce ?? Infinity,
    batches: m.rng?.['batches'] ? { rng: m.rng['batches'], order: cp.arrays['batch_order'] as Int32Array, position: m.batchPosition! } : null,
  };
}

function bezierCheckpoint(s: BezierState): Checkpoint {
  const arrays: Checkpoint['arrays'] = { control: s.control, batch_order: s.batches.order };
  const optimizer = optimizerToCheckpoint(s.optimizer, arrays);
  return {
    meta: { step: s.step, losses: s.losses, optimizer, batchPosition: s.batches.position, rng: { batches: rngMeta(s.batches.rng), t: rngMeta(s.t) } },
    arrays,
  };
}

function bezierFromCheckpoint(cp: Checkpoint): BezierState {
  const m = cp.meta as { step: number; losses: number[]; optimizer: { step: number; keys: string[]; rng?: RngState }; batchPosition: number; rng: Record<string, RngState> };
  return {
    step: m.step, control: cp.arrays['control'] as Float64Array, optimizer: optimizerFromCheckpoint(m.optimizer, cp.arrays),
    batches: { rng: m.rng['batches']!, order: cp.arrays['batch_order'] as Int32Array, position: m.batchPosition }, t: m.rng['t']!, losses: m.losses,
  };
}

// ---- the path methods ----------------------------------------------------------------------------

const linearBuilder = async (ctx: MethodContext): Promise<BuiltPath> => ({ path: linearPath(ctx.a, ctx.b) });

const bezierBuilder = async (ctx: MethodContext): Promise<BuiltPath> => {
  const { config, source, land, replica } = ctx;
  const batch = config.bezier.batch ?? source.config.batch;
  const perEpoch = Math.ceil(land.train.nSamples / Math.min(batch, land.train.nSamples));
  const maxSteps = Math.max(1, Math.round(config.bezier.epochs * perEpoch));
  const optimizer = { ...source.config.optimizer, ...(config.bezier.lr !== undefined ? { lr: config.bezier.lr } : {}) };
  if (optimizer.kind === 'gd' || optimizer.kind === 'langevin') optimizer.kind = 'sgd';
  const objective = (c: Float64Array) => meanLossAlong(bezierPath(ctx.a, c, ctx.b), land.evalTrain, config.bezier.evalPoints);
  const fit = new BezierFit(land.train, ctx.a, ctx.b, {
    maxSteps, checkEvery: Math.min(perEpoch, maxSteps), tolerance: config.bezier.tolerance, batch, optimizer,
    rng: Rng.stream(ctx.seed, Stream.probe, CONNECT, 1), tRng: Rng.stream(ctx.seed, Stream.probe, CONNECT, 3), objective,
  });
  const cp = replica.loadCheckpoint();
  if (cp) fit.restore(bezierFromCheckpoint(cp));
  const every = replica.checkpointEvery ?? perEpoch;
  while (!fit.done) {
    fit.advance();
    if (fit.step % every === 0 && !fit.done) replica.saveCheckpoint(bezierCheckpoint(fit.state()));
    replica.progress(fit.step / maxSteps, `bezier step ${fit.step}/${maxSteps}`);
  }
  const mid = new Float64Array(ctx.a.length);
  for (let i = 0; i < mid.length; i++) mid[i] = 0.5 * (ctx.a[i]! + ctx.b[i]!);
  const losses = fit.losses;
  return {
    path: bezierPath(ctx.a, fit.control, ctx.b),
    arrays: {
      bezier_losses: Float64Array.from(losses),
      // The curve's three points (θ_b aligned under --align), so `glassy surface --path` can draw it.
      bezier_points: { data: concatRows([ctx.a, fit.control, ctx.b]), shape: [3, ctx.a.length] },
    },
    summary: {
      bezier_steps: fit.step,
      bezier_max_steps: maxSteps,
      bezier_converged: fit.converged,
      bezier_stopped_by: fit.stoppedBy,
      bezier_mean_loss_before: losses[0]!,
      bezier_mean_loss_after: losses[losses.length - 1]!,
      bezier_final_change: losses.length > 1 ? Math.abs(losses[losses.length - 1]! - losses[losses.length - 2]!) : null,
      bezier_control_displacement: distance(fit.control, mid),
    },
  };
};

const nebBuilder = async (ctx: MethodContext): Promise<BuiltPath> => {
  const { config, source, land, replica } = ctx;
  const batch = config.neb.batch === 'full' ? null : config.neb.batch;
  const optimizer = config.neb.optimizer === 'auto' ? (batch === null ? 'fire' : 'gd') : config.neb.optimizer;
  const lr = config.neb.lr ?? (optimizer === 'fire' ? 0.1 : source.config.optimizer.lr);
  const M = config.neb.images;
  const band = new NudgedElasticBand(land.train, ctx.a, ctx.b, {
    images: M, maxIterations: config.neb.steps, optimizer, lr, spring: config.neb.spring,
    climbFrom: config.neb.climbing ? config.neb.climbFrom : null, batch, tolerance: config.neb.tolerance,
    maxMove: config.neb.maxMove ?? Math.max(distance(ctx.a, ctx.b) / (M + 1), 1e-12),
    rng: Rng.stream(ctx.seed, Stream.probe, CONNECT, 2),
  });
  const cp = replica.loadCheckpoint();
  if (cp) band.restore(nebFromCheckpoint(cp));
  const every = replica.checkpointEvery ?? 50;
  while (!band.done) {
    band.step();
    if (band.iteration % every === 0 && !band.done) replica.saveCheckpoint(nebCheckpoint(band.state()));
    replica.progress(band.iteration / config.neb.steps, `neb iteration ${band.iteration}, max force ${band.maxForce.toPrecision(3)}`);
  }
  const r = band.result();
  const imageLoss = new Float64Array(M + 2);
  let far = 0;
  for (let i = 0; i < M + 2; i++) {
    imageLoss[i] = land.evalTrain.evaluate(r.points[i]!).loss;
    far = Math.max(far, distanceToSegment(r.points[i]!, ctx.a, ctx.b));
  }
  const top = r.climbingImage ?? Array.from(r.energies).indexOf(Math.max(...r.energies));
  return {
    path: polylinePath(r.points),
    arrays: {
      neb_image_train_loss: imageLoss,
      neb_image_energy: r.energies,
      // The chain itself (end points included), so `glassy surface --path` can draw it.
      neb_images: { data: concatRows(r.points), shape: [r.points.length, ctx.a.length] },
    },
    summary: {
      neb_converged: r.converged,
      neb_max_force: r.maxForce,
      neb_tolerance: config.neb.tolerance,
      neb_iterations: r.iterations,
      neb_max_iterations: config.neb.steps,
      neb_climbing_image: r.climbingImage,
      /** The saddle estimate: the highest image's energy above the mean of the ends (the training objective). */
      neb_barrier_energy: r.energies[top]! - 0.5 * (r.energies[0]! + r.energies[M + 1]!),
      neb_max_distance_from_segment: far,
      neb_max_image_train_loss: Math.max(...imageLoss),
    },
  };
};

const l2Builder = async (ctx: MethodContext): Promise<BuiltPath> => {
  const r = await l2Path({
    a: ctx.a, b: ctx.b, source: ctx.source.config, sourceSeed: ctx.source.seed, replica: ctx.config.a, seed: ctx.seed,
    progress: (f) => ctx.replica.progress(f, `l2 ${(100 * f).toFixed(0)} %`),
  }, ctx.config.l2);
  return { path: polylinePath(r.states), arrays: r.arrays, summary: r.summary };
};

const METHODS: Record<PathMethodName, (ctx: MethodContext) => Promise<BuiltPath>> = {
  linear: linearBuilder,
  bezier: bezierBuilder,
  neb: nebBuilder,
  l2: l2Builder,
};

/** Which summary flag says whether an iterative method converged. */
const CONVERGENCE: Partial<Record<PathMethodName, string>> = { bezier: 'bezier_converged', neb: 'neb_converged' };

// ---- the replica task ------------------------------------------------------------------------------

function pathName(config: ConnectConfig, method: PathMethodName): string {
  return `${method}${config.align ? ' (aligned)' : ''}`;
}

async function runReplica(config: ConnectConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
  const P = config.methods.length;
  if (ctx.replicas !== P) {
    throw GlassyError.invalid('replicas', ctx.replicas, `${P}: one replica per path method (${config.methods.join(', ')})`);
  }
  const method = config.methods[ctx.index]!;
  const src = prepareConnect(config);
  const { a, b } = endpoints(src, config, ctx.seed);
  const land = pathLandscapes(src, config.a, config.trainSamples);
  const built = await METHODS[method]({ config, source: src, a, b, land, seed: ctx.seed, replica: ctx });
  const t = uniformGrid(config.points);
  const prof = profilePath(built.path, { train: land.evalTrain, test: land.test }, t);
  const fig = writePathRow(ctx.run, ctx.index, prof);
  for (const [k, v] of Object.entries(built.arrays ?? {})) {
    if (v instanceof Float64Array) ctx.run.writeArray(k, v);
    else ctx.run.writeArray(k, v.data, v.shape);
  }
  return { method, distance: distance(a, b), train_samples: land.trainSamples, ...fig, ...(built.summary ?? {}) };
}

export interface ConnectSummary {
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
  /** Every iterative method (bezier, neb) converged. */
  converged: boolean;
  /** Path names whose optimisation stopped at its cap without converging. */
  unconverged: string[];
  [key: string]: unknown;
}

async function finalize(run: Run, outcomes: ReplicaOutcomeOk[], config: ConnectConfig): Promise<ConnectSummary> {
  const figs = outcomes.map((o) => o.summary as unknown as RowFigures & ReplicaSummary);
  stackPathRows(run, uniformGrid(config.points), figs);
  const first = outcomes[0]!.summary;
  const summary: ConnectSummary = {
    source: config.source, a: config.a, b: config.b, aligned: config.align, distance: first['distance'] as number,
    paths: [], barriers: {}, test_barriers: {}, test_error_barriers: {}, max_train_loss: {}, barrier_position: {},
    train_samples: first['train_samples'] as number, converged: true, unconverged: [],
  };
  outcomes.forEach((o, p) => {
    const method = config.methods[p]!;
    const name = pathName(config, method);
    const s = o.summary;
    summary.paths.push(name);
    summary.barriers[name] = s['barrier'] as number;
    summary.test_barriers[name] = s['barrier_test'] as number;
    summary.test_error_barriers[name] = s['barrier_test_error'] as number;
    summary.max_train_loss[name] = s['max_train_loss'] as number;
    summary.barrier_position[name] = s['barrier_position'] as number;
    for (const [k, v] of Object.entries(s)) if (k.startsWith(`${method}_`)) summary[k] = v;
    const flag = CONVERGENCE[method];
    if (flag && s[flag] !== true) { summary.converged = false; summary.unconverged.push(name); }
  });
  return summary;
}

export const task: ReplicaTask<ConnectConfig> = {
  ...sourceRunTask,
  validate: (config) => { prepareConnect(config); },
  run: runReplica,
  finalize,
};
