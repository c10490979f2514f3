/**
 * Protocol `l2sweep` — the "Pathfinder" L2 probe of Ersoy, Cardozo Licha & Wiesner
 * (arXiv:2512.11866; precursor arXiv:2505.06597), as in the authors' released code:
 *
 *   L_β(θ) = CE(θ) + β‖θ − θ_ref‖²   (all weights and biases, no ½ factor)
 *
 * The β = 0 model is trained from scratch; then for each β of the grid the network is trained
 * warm-started from the previous β's solution, with a fresh Adam state per β (`inheritOptimizer`
 * keeps it, as their CNN variant does), for up to `maxEpochs` epochs, stopping when the epoch-mean
 * training CE has not improved for `patience` epochs. Recorded per β: training CE, L_β, test CE,
 * test error, accuracy per class, r = ‖θ − θ_ref‖, optionally the extreme eigenvalues of the
 * UNREGULARISED training-CE Hessian (Lanczos on Hessian-vector products; add 2β for L_β): the
 * largest-magnitude and the smallest algebraic, since saddles are the point.
 *
 * Transitions (observables/transitions.ts) are detected as jumps of CE, r and accuracy, and as the
 * smallest eigenvalue of ∇²L_β crossing zero (a fold: λ_min(∇²CE) = −2β); the grid is refined around
 * each jump by re-running from the state before it. A downward sweep after the upward one shows
 * hysteresis. θ_ref is the origin (the main sweep), a trained replica of another run (mode
 * connectivity: the L2-anchored path from θ_a towards θ_b, issue "paths"), or a saved state.
 */
import type { Float } from '../core/backend.js';
import { GlassyError } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import { trainerFromConfig } from '../dynamics/from-config.js';
import type { ReplicaContext, ReplicaOutcomeOk, ReplicaSummary, ReplicaTask } from '../executor/replica.js';
import type { MlpLandscape } from '../landscapes/mlp/network.js';
import { lanczos } from '../observables/hessian/lanczos.js';
import { detectJumps, detectKinks, mergeJumps, stabilityCrossings, type Jump } from '../observables/transitions.js';
import { Run } from '../store/run.js';
import { cachedDataset, checkTrainData, parseTrainConfig, replicaSetup } from './train.js';
import type { L2SweepConfig } from './l2sweep/protocol.js';
import { readReplicaWeights, replicaName } from './weights.js';

export { l2sweepConfigSchema, parseL2SweepConfig, type L2SweepConfig } from './l2sweep/protocol.js';

/** The per-β record of one sweep point. */
interface Point {
  beta: number;
  direction: 1 | -1;
  refined: 0 | 1;
  trainLoss: number;
  objective: number;
  testLoss: number;
  testError: number;
  r: number;
  epochs: number;
  lambdaMin: number;
  lambdaMaxAbs: number;
  classAccuracy: Float64Array;
  /** θ at this point (kept for refinement and saved as states/). */
  state?: Float32Array;
}

/** The β schedule of a sweep: [β, direction] pairs in the order they are visited. */
export function schedule(config: L2SweepConfig): Array<[number, 1 | -1]> {
  const up = config.betas.map((b) => [b, 1] as [number, 1 | -1]);
  const down = [...config.betas].reverse().map((b) => [b, -1] as [number, 1 | -1]);
  if (config.direction === 'up') return up;
  if (config.direction === 'down') return down;
  return [...up, ...down.slice(1)];
}

function loadState(ref: { run: string; replica: number }, field: string, dim: number): Float64Array {
  const run = Run.open(ref.run);
  const w = readReplicaWeights(run, ref.replica);
  if (w.theta.length !== dim) throw GlassyError.invalid(field, `${ref.run} replica ${ref.replica} (${w.theta.length} parameters)`, `a network with ${dim} parameters (the same architecture)`);
  return w.theta;
}

function toTrainConfig(config: L2SweepConfig) {
  return parseTrainConfig({
    data: config.data, model: config.model, loss: config.loss, optimizer: config.optimizer, batch: config.batch,
    precision: config.precision, init: config.init, epochs: 1,
  });
}

/** Per-class test accuracy from the outputs f [n × C] and the labels. */
function classAccuracy(f: Float64Array, labels: Int32Array, C: number): Float64Array {
  const correct = new Float64Array(C), count = new Float64Array(C);
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let k = 1; k < C; k++) if (f[i * C + k]! > f[i * C + best]!) best = k;
    const y = labels[i]!;
    count[y]!++;
    if (best === y) correct[y]!++;
  }
  return correct.map((c, k) => (count[k]! > 0 ? c / count[k]! : NaN));
}

function distance(theta: Float, ref: Float | null): number {
  let s = 0;
  for (let i = 0; i < theta.length; i++) {
    const d = theta[i]! - (ref ? ref[i]! : 0);
    s += d * d;
  }
  return Math.sqrt(s);
}

export interface SweepContext {
  seed: number;
  index: number;
  progress(fraction: number, message?: string): void;
}

/**
 * The sweep itself, on given landscapes (also used by `glassy connect --method l2`, where θ_ref is
 * the other minimum). Returns the points in visiting order; `onPoint` sees each (for checkpoints).
 */
export function runSweep<X extends Float>(
  config: L2SweepConfig,
  land: { train: MlpLandscape<X>; test: MlpLandscape<X>; hessian: MlpLandscape<X> | null; testLabels: Int32Array },
  theta: X,
  ref: X | null,
  ctx: SweepContext,
  resume: { points: Point[]; done: number } | null,
  onPoint: (points: Point[], done: number, theta: X) => void,
): Point[] {
  const { train, test } = land;
  const C = test.layout.arch.sizes[test.layout.arch.sizes.length - 1]!;
  const sched = schedule(config);
  const trainer = trainerFromConfig(train, theta, { ...config, sampling: 'shuffle' },
    { order: Rng.stream(ctx.seed, Stream.dataOrder, ctx.index), noise: Rng.stream(ctx.seed, Stream.noise, ctx.index) }, ctx.index);
  train.l2Ref = ref;
  const points: Point[] = resume ? [...resume.points] : [];

  /** Train at β until the epoch-mean CE stops improving (Ersoy et al.'s early stopping). */
  const relax = (beta: number): number => {
    train.l2 = beta;
    if (!config.inheritOptimizer) trainer.optimizer.reset();
    let best = Infinity;
    let since = 0;
    let epochs = 0;
    const steps = trainer.schedule.stepsPerEpoch;
    while (epochs < config.maxEpochs && since < config.patience) {
      let sum = 0;
      for (let s = 0; s < steps; s++) {
        const penalty = beta === 0 || config.stopOn === 'objective' ? 0 : beta * distance(theta, ref) ** 2;
        sum += trainer.advance() - penalty;
      }
      epochs++;
      const mean = sum / steps;
      if (mean < best - 1e-12) {
        best = mean;
        since = 0;
      } else since++;
    }
    return epochs;
  };

  const measure = (beta: number, direction: 1 | -1, refined: 0 | 1, epochs: number): Point => {
    const tr = train.evaluate(theta);
    const te = test.evaluate(theta);
    const r = distance(theta, ref);
    let lambdaMin = NaN, lambdaMaxAbs = NaN;
    if (land.hessian && config.hessianK > 0) {
      const h = land.hessian;
      const x = h.newConfig();
      x.set(theta);
      const hvp = (v: Float64Array, out: Float64Array) => {
        const vv = h.newConfig(); vv.set(v);
        const o = h.newConfig();
        h.hvp(x, vv, o);
        out.set(o);
      };
      const rng = Rng.stream(ctx.seed, Stream.probe, ctx.index, points.length);
      lambdaMin = lanczos(hvp, h.dim, { k: config.hessianK, which: 'smallest', rng }).values[0]!;
      const top = lanczos(hvp, h.dim, { k: config.hessianK, which: 'magnitude', rng }).values;
      lambdaMaxAbs = top.reduce((m: number, v: number) => (Math.abs(v) > Math.abs(m) ? v : m), 0);
    }
    return {
      beta, direction, refined, epochs, r,
      trainLoss: tr.loss, objective: tr.loss + beta * r * r, testLoss: te.loss, testError: te.error,
      lambdaMin, lambdaMaxAbs, classAccuracy: classAccuracy(test.outputs(theta), land.testLabels, C),
    };
  };

  for (let k = resume ? resume.done : 0; k < sched.length; k++) {
    const [beta, direction] = sched[k]!;
    const epochs = relax(beta);
    points.push(measure(beta, direction, 0, epochs));
    ctx.progress((k + 1) / sched.length, `β = ${beta.toExponential(2)} CE ${points[points.length - 1]!.trainLoss.toPrecision(4)}`);
    onPoint(points, k + 1, theta);
  }

  if (config.refine > 0) {
    // Refine each jump interval: re-run from the state before the jump (saved by onPoint's caller
    // as states) through `refine` intermediate β, in the sweep's direction.
    const jumps = findTransitions(points, config).map((t) => t.index);
    for (const k of jumps) {
      const before = points[k - 1]!, after = points[k]!;
      if (before.direction !== after.direction || !before.state) continue;
      theta.set(before.state);
      for (let j = 1; j <= config.refine; j++) {
        const beta = before.beta + ((after.beta - before.beta) * j) / (config.refine + 1);
        const epochs = relax(beta);
        points.push(measure(beta, before.direction, 1, epochs));
      }
    }
  }
  return points;
}

export interface Transition {
  direction: 'up' | 'down';
  beta_before: number;
  beta_after: number;
  beta_c: number;
  observables: string[];
  classes_lost: number[];
  classes_gained: number[];
}

function findTransitions(points: Point[], config: L2SweepConfig): Array<{ index: number; observables: string[] }> {
  const main = points.filter((p) => p.refined === 0);
  const jumps: Jump[] = [];
  for (const dir of [1, -1] as const) {
    const idx = main.map((p, i) => [p, i] as const).filter(([p]) => p.direction === dir);
    if (idx.length < 3) continue;
    const map = (f: (p: Point) => number) => idx.map(([p]) => f(p));
    const back = (js: Jump[]) => js.map((j) => ({ ...j, index: idx[j.index]![1] }));
    jumps.push(...back(detectJumps('train_loss', map((p) => p.trainLoss), { factor: config.jumpFactor, floor: 1e-3 })));
    jumps.push(...back(detectJumps('theta_norm', map((p) => p.r), { factor: config.jumpFactor, floor: 1e-3 })));
    jumps.push(...back(detectKinks('theta_norm', map((p) => p.r), { factor: config.jumpFactor, floor: 1e-3 })));
    jumps.push(...back(detectJumps('test_error', map((p) => p.testError), { factor: config.jumpFactor, floor: 0.005 })));
    jumps.push(...back(stabilityCrossings(map((p) => p.beta), map((p) => p.lambdaMin))));
  }
  return mergeJumps(jumps);
}

/** Encoded classes: test accuracy above the threshold. */
function encoded(p: Point, threshold: number): Set<number> {
  const s = new Set<number>();
  p.classAccuracy.forEach((a, k) => { if (a > threshold) s.add(k); });
  return s;
}

export function transitions(points: Point[], config: L2SweepConfig, classes: number[]): Transition[] {
  return findTransitions(points, config).map(({ index, observables }) => {
    const a = points[index - 1]!, b = points[index]!;
    const ea = encoded(a, config.classThreshold), eb = encoded(b, config.classThreshold);
    return {
      direction: b.direction === 1 ? 'up' : 'down',
      beta_before: a.beta, beta_after: b.beta, beta_c: (a.beta + b.beta) / 2, observables,
      classes_lost: [...ea].filter((c) => !eb.has(c)).map((c) => classes[c] ?? c),
      classes_gained: [...eb].filter((c) => !ea.has(c)).map((c) => classes[c] ?? c),
    };
  });
}

// ---- the replica task: one independent sweep per replica ------------------------------------

const FIELDS = ['beta', 'trainLoss', 'objective', 'testLoss', 'testError', 'r', 'epochs', 'lambdaMin', 'lambdaMaxAbs'] as const;

function packPoints(points: Point[], C: number): Record<string, Float64Array | Int32Array> {
  const out: Record<string, Float64Array | Int32Array> = {};
  for (const f of FIELDS) out[`pt.${f}`] = Float64Array.from(points, (p) => p[f]);
  out['pt.direction'] = Int32Array.from(points, (p) => p.direction);
  out['pt.refined'] = Int32Array.from(points, (p) => p.refined);
  const acc = new Float64Array(points.length * C);
  points.forEach((p, i) => acc.set(p.classAccuracy, i * C));
  out['pt.classAccuracy'] = acc;
  return out;
}

function unpackPoints(arrays: Record<string, unknown>, C: number): Point[] {
  const beta = arrays['pt.beta'] as Float64Array;
  const get = (f: string) => arrays[`pt.${f}`] as Float64Array;
  return Array.from(beta, (_, i) => ({
    beta: beta[i]!, trainLoss: get('trainLoss')[i]!, objective: get('objective')[i]!, testLoss: get('testLoss')[i]!,
    testError: get('testError')[i]!, r: get('r')[i]!, epochs: get('epochs')[i]!, lambdaMin: get('lambdaMin')[i]!,
    lambdaMaxAbs: get('lambdaMaxAbs')[i]!,
    direction: (arrays['pt.direction'] as Int32Array)[i] as 1 | -1,
    refined: (arrays['pt.refined'] as Int32Array)[i] as 0 | 1,
    classAccuracy: (arrays['pt.classAccuracy'] as Float64Array).slice(i * C, i * C + C),
  }));
}

async function runReplica(config: L2SweepConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
  const tc = toTrainConfig(config);
  const { ds, train, test } = replicaSetup(tc, ctx.seed, ctx.index);
  const C = test.layout.arch.sizes[test.layout.arch.sizes.length - 1]!;
  let hessian: MlpLandscape<Float> | null = null;
  if (config.hessianK > 0) {
    const sub = parseTrainConfig({ ...tc, precision: 'f64', evalTrainSamples: config.hessianSamples });
    hessian = replicaSetup(sub, ctx.seed, ctx.index).evalTrain ?? replicaSetup(sub, ctx.seed, ctx.index).train;
  }
  const theta = train.newConfig();
  let ref: Float | null = null;
  if (config.reference) {
    ref = train.newConfig();
    ref.set(loadState(config.reference, 'reference', train.dim));
  }
  if (config.start) theta.set(loadState(config.start, 'start', train.dim));
  else train.initialise(theta, Rng.stream(ctx.seed, Stream.init, ctx.index), config.init);

  const cp = ctx.loadCheckpoint();
  let resume: { points: Point[]; done: number } | null = null;
  if (cp) {
    theta.set(cp.arrays['theta'] as Float);
    resume = { points: unpackPoints(cp.arrays, C), done: cp.meta.step };
  }
  const name = replicaName(ctx.index);
  const states: Float32Array[] = [];
  const points = runSweep(
    config,
    { train, test, hessian: hessian as MlpLandscape<Float> | null, testLabels: ds.test.y },
    theta, ref, ctx, resume,
    (pts, done, th) => {
      const state = Float32Array.from(th);
      pts[pts.length - 1]!.state = state;
      states.push(state);
      if (config.saveStates) ctx.run.writeArray(`states/${name}/point-${String(done - 1).padStart(4, '0')}`, state);
      ctx.saveCheckpoint({ meta: { step: done }, arrays: { theta: th.slice(), ...packPoints(pts, C) } });
    },
  );
  // After a resume the states of earlier points are on disk.
  points.forEach((p, i) => {
    if (!p.state && config.saveStates && p.refined === 0 && ctx.run.hasArray(`states/${name}/point-${String(i).padStart(4, '0')}`)) {
      p.state = ctx.run.readArray(`states/${name}/point-${String(i).padStart(4, '0')}`).data as Float32Array;
    }
  });
  const packed = packPoints(points, C);
  for (const [k, v] of Object.entries(packed)) ctx.run.writeArray(`per-replica/${name}/${k.slice(3)}`, v, k === 'pt.classAccuracy' ? [points.length, C] : undefined);
  const tr = transitions(points, config, ds.classes);
  ctx.run.writeArray(`per-replica/${name}/transitions`, Float64Array.from(tr.flatMap((t) => [t.beta_before, t.beta_after, t.direction === 'up' ? 1 : -1])), [tr.length, 3]);
  return { transitions: tr.length, beta_c: tr.map((t) => t.beta_c), final_train_loss: points[points.length - 1]!.trainLoss };
}

/** Replica 0's sweep as the run's top-level arrays (the report's `l2sweep` recipe); all replicas under per-replica/. */
async function finalize(run: Run, outcomes: ReplicaOutcomeOk[], config: L2SweepConfig): Promise<Record<string, unknown>> {
  const name = replicaName(outcomes[0]!.index);
  const read = (k: string) => run.readArray(`per-replica/${name}/${k}`);
  const beta = read('beta').data as Float64Array;
  const dir = read('direction').data as Int32Array;
  // Sort by (direction, β) so refined points fall into place.
  const order = Array.from(beta, (_, i) => i).sort((a, b) => dir[b]! - dir[a]! || (dir[a]! > 0 ? beta[a]! - beta[b]! : beta[b]! - beta[a]!));
  const pick = (a: Float64Array | Int32Array) => Float64Array.from(order, (i) => a[i]!);
  run.writeArray('lambdas', pick(beta));
  run.writeArray('direction', Int8Array.from(order, (i) => dir[i]!));
  run.writeArray('refined', Int8Array.from(order, (i) => (read('refined').data as Int32Array)[i]!));
  const names: Record<string, string> = { trainLoss: 'train_loss', objective: 'objective', testLoss: 'test_loss', testError: 'test_error', r: 'theta_norm', epochs: 'epochs', lambdaMin: 'lambda_min', lambdaMaxAbs: 'lambda_max' };
  for (const [k, v] of Object.entries(names)) run.writeArray(v, pick(read(k).data as Float64Array));
  const acc = read('classAccuracy');
  const C = acc.shape[1]!;
  const sorted = new Float64Array(order.length * C);
  order.forEach((i, r) => sorted.set((acc.data as Float64Array).subarray(i * C, i * C + C), r * C));
  run.writeArray('class_accuracy', sorted, [order.length, C]);
  // The transitions with the classes lost and gained, rebuilt from replica 0's arrays.
  const arrays: Record<string, unknown> = {};
  for (const k of [...FIELDS, 'direction', 'refined', 'classAccuracy']) arrays[`pt.${k}`] = read(k).data;
  const classes = cachedDataset(config.data, run.manifest.seed).classes;
  return {
    replicas: outcomes.length,
    points: order.length,
    transitions: transitions(unpackPoints(arrays, C), config, classes),
    beta_c: outcomes[0]!.summary['beta_c'],
    reference: config.reference ? `${config.reference.run}#${config.reference.replica}` : 'origin',
  };
}

export const task: ReplicaTask<L2SweepConfig> = {
  validate(config, seed) {
    checkTrainData(parseTrainConfig({ data: config.data, model: config.model, loss: config.loss }), seed);
    // A missing or malformed reference/start run is named before anything is written.
    if (config.reference) Run.open(config.reference.run);
    if (config.start) Run.open(config.start.run);
  },
  run: runReplica,
  finalize,
};
