/**
 * Protocol `l2sweep` — the "Pathfinder" L2 probe of Ersoy, Cardozo Licha & Wiesner
 * (arXiv:2512.11866; precursor arXiv:2505.06597), as in the authors' released code:
 *
 *   L_β(θ) = CE(θ) + c(β)‖θ − θ_ref‖²   (all weights and biases)
 *
 * with c(β) = β/2 in the 'weight-decay' form of their main sweep (torch.optim.Adam(weight_decay=β):
 * βθ added to the gradient, coupled through Adam's moments; the default, so β is on the paper's
 * axis) and c(β) = β in the 'penalty' form of their path finder (landscapes/l2form.ts).
 * The β = 0 model is trained from scratch; then for each β of the grid the network is trained
 * warm-started from the previous β's solution, with a fresh Adam state per β (`inheritOptimizer`
 * keeps it, as their CNN variant does), for up to `maxEpochs` epochs, stopping when the epoch-mean
 * training CE has not improved for `patience` epochs — the ladder engine of dynamics/l2-sweep.ts,
 * which `connect --method l2` walks too. Recorded per β: training CE, L_β, test CE,
 * test error, accuracy per class, r = ‖θ − θ_ref‖, optionally the extreme eigenvalues of the
 * UNREGULARISED training-CE Hessian (Lanczos on Hessian-vector products; add 2c for L_β): the
 * largest-magnitude and the smallest algebraic, since saddles are the point.
 *
 * Transitions (observables/transitions.ts) are jumps of the training CE beyond the sweep's own
 * grid-to-grid noise (z ≥ `jumpZ`, neighbouring steps merged), and the smallest eigenvalue of ∇²L_β
 * crossing zero (a fold: λ_min(∇²CE) = −2c); only those intervals are refined, by re-running from
 * the state before the jump. Independent replicas give the spread of each β_c. A downward sweep
 * after the upward one shows hysteresis. θ_ref is the origin (the main sweep), a trained replica of another run (mode
 * connectivity: the L2-anchored path from θ_a towards θ_b), or a saved state.
 */
import type { Float } from '../core/backend.js';
import { GlassyError } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import { dataFiles } from '../data/index.js';
import { L2Sweep, outputCount, sweepSchedule, type SweepPoint } from '../dynamics/l2-sweep.js';
import { parseTrainConfig } from '../dynamics/train-config.js';
import type { ReplicaContext, ReplicaOutcomeOk, ReplicaSummary, ReplicaTask } from '../executor/replica.js';
import { cachedDataset, checkTrainData, modelSetup, type NetworkLandscape } from '../landscapes/from-config.js';
import { describeL2Form, penaltyCoefficient } from '../landscapes/l2form.js';
import { lanczos } from '../observables/hessian/lanczos.js';
import { significantJumps, stabilityCrossings, stepResiduals } from '../observables/transitions.js';
import { Run } from '../store/run.js';
import type { L2SweepConfig } from './l2sweep/protocol.js';
import { readReplicaWeights, replicaName } from '../landscapes/weights.js';

export { l2sweepConfigSchema, parseL2SweepConfig, type L2SweepConfig } from './l2sweep/protocol.js';

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

interface SweepContext {
  seed: number;
  index: number;
  progress(fraction: number, message?: string): void;
}

/**
 * The extreme eigenvalues of the UNREGULARISED training-CE Hessian at θ (Lanczos on Hessian-vector
 * products; add 2c for L_β): the smallest algebraic and the largest-magnitude, since saddles are the
 * point. `rng` is the point's probe stream.
 */
function curvature(h: NetworkLandscape, theta: Float, k: number, rng: Rng): { lambdaMin: number; lambdaMaxAbs: number } {
  const x = h.newConfig();
  x.set(theta);
  const hvp = (v: Float64Array, out: Float64Array) => {
    const vv = h.newConfig(); vv.set(v);
    const o = h.newConfig();
    h.hvp(x, vv, o);
    out.set(o);
  };
  const lambdaMin = lanczos(hvp, h.dim, { k, which: 'smallest', rng }).values[0]!;
  const top = lanczos(hvp, h.dim, { k, which: 'magnitude', rng }).values;
  return { lambdaMin, lambdaMaxAbs: top.reduce((m: number, v: number) => (Math.abs(v) > Math.abs(m) ? v : m), 0) };
}

/**
 * The sweep of one replica on given landscapes: the grid of the schedule on the ladder engine
 * (dynamics/l2-sweep.ts), the Hessian per point, then the refinement of each detected transition.
 * Returns the points in visiting order; `onPoint` sees each grid point (for checkpoints).
 */
function runSweep<X extends Float>(
  config: L2SweepConfig,
  land: { train: NetworkLandscape<X>; test: NetworkLandscape<X>; hessian: NetworkLandscape<X> | null; testLabels: Int32Array },
  theta: X,
  ref: X | null,
  ctx: SweepContext,
  resume: { points: SweepPoint[]; done: number } | null,
  onPoint: (points: SweepPoint[], done: number, theta: X) => void,
): SweepPoint[] {
  const sched = sweepSchedule(config.betas, config.direction);
  const sweep = new L2Sweep(config, land, theta, ref, ctx);
  const points: SweepPoint[] = resume ? [...resume.points] : [];

  const visit = (beta: number, direction: 1 | -1, refined: 0 | 1): SweepPoint => {
    const p = sweep.step(beta, direction, refined);
    if (land.hessian && config.hessianK > 0) {
      Object.assign(p, curvature(land.hessian, theta, config.hessianK, Rng.stream(ctx.seed, Stream.probe, ctx.index, points.length)));
    }
    return p;
  };

  for (let k = resume ? resume.done : 0; k < sched.length; k++) {
    const [beta, direction] = sched[k]!;
    points.push(visit(beta, direction, 0));
    // The grid is the known part of the work; refinement (unknown until the grid is done) comes after,
    // so the grid never reports 100 % while refinement may still follow.
    const G = sched.length + (config.refine > 0 ? 1 : 0);
    ctx.progress((k + 1) / G, `β = ${beta.toExponential(2)} CE ${points[points.length - 1]!.trainLoss.toPrecision(4)}`);
    onPoint(points, k + 1, theta);
  }

  if (config.refine > 0) {
    // Refine each jump interval: re-run from the state before the jump (saved by onPoint's caller
    // as states) through `refine` intermediate β, in the sweep's direction.
    const jumps = findTransitions(points, config)
      .map((t) => ({ before: points[t.first - 1]!, after: points[t.last]! }))
      .filter(({ before, after }) => before.direction === after.direction && before.state);
    // Progress counts grid points and refinement points alike: the β points are the work.
    const total = sched.length + jumps.length * config.refine;
    let done = sched.length;
    for (const [i, { before, after }] of jumps.entries()) {
      theta.set(before.state!);
      for (let j = 1; j <= config.refine; j++) {
        const beta = before.beta + ((after.beta - before.beta) * j) / (config.refine + 1);
        points.push(visit(beta, before.direction, 1));
        ctx.progress(++done / total, `refining transition ${i + 1}/${jumps.length}: β = ${beta.toExponential(2)}`);
      }
    }
  }
  return points;
}

export interface Transition {
  direction: 'up' | 'down';
  /** The grid interval of the jump (narrowed by refined points when there are some). */
  beta_before: number;
  beta_after: number;
  beta_c: number;
  /**
   * What detected it: 'epoch_train_loss' or 'train_loss' (a jump beyond the noise in the order parameter), 'lambda_min+2c' (a fold),
   * 'theta_norm→0' (collapse onto θ_ref, e.g. a continuous pitchfork), and which other order
   * parameters jumped with it. size/ci/z are NaN for transitions without a CE jump.
   */
  observables: string[];
  /** The training-CE jump beyond the local trend, its 95 % CI (normal, ± 1.96 σ √steps), σ and z = jump / σ. */
  size: number;
  ci: [number, number];
  noise_sigma: number;
  z: number;
  /** Test accuracy (1 − test error), mean of up to 3 grid points before and after the jump. */
  accuracy_before: number;
  accuracy_after: number;
  classes_lost: number[];
  classes_gained: number[];
  /** Up the sweep: classes lost (see classLoss) after the previous transition and up to this one. */
  classes_lost_since_previous: number[];
}

/** A transition on the main grid of one direction: grid points first−1 → last (indices into points). */
interface Found { first: number; last: number; observables: string[]; size: number; ci: [number, number]; sigma: number; z: number }

/** The training CE transitions are detected on (`--order-parameter`). */
const orderParameter = (config: L2SweepConfig) => (config.orderParameter === 'epoch' ? (p: SweepPoint) => p.epochLoss : (p: SweepPoint) => p.trainLoss);

function findTransitions(points: SweepPoint[], config: L2SweepConfig): Found[] {
  const found: Found[] = [];
  for (const dir of [1, -1] as const) {
    // The continuation branch: β > 0 (the β = 0 point is a different, unregularised problem).
    const idx = points.map((p, i) => [p, i] as const).filter(([p]) => p.refined === 0 && p.direction === dir && p.beta > 0).map(([, i]) => i);
    if (idx.length < 3) continue;
    const series = (f: (p: SweepPoint) => number) => idx.map((i) => f(points[i]!));
    // Up the ladder a transition costs fit (CE rises); coming back down it is regained.
    const ce = significantJumps(series(orderParameter(config)), { z: config.jumpZ, sign: dir });
    const others: Array<[string, Float64Array, number]> = [];
    for (const [name, f] of [['theta_norm', (p: SweepPoint) => p.r], ['test_error', (p: SweepPoint) => p.testError]] as const) {
      const { residual, sigma } = stepResiduals(series(f));
      others.push([name, residual, sigma]);
    }
    for (const j of ce) {
      const also = others.filter(([, res, sg]) => {
        for (let k = j.first - 1; k < j.last; k++) if (Math.abs(res[k]!) >= 3 * sg) return true;
        return false;
      }).map(([n]) => n);
      found.push({ first: idx[j.first - 1]! + 1, last: idx[j.last]!, observables: [config.orderParameter === 'epoch' ? 'epoch_train_loss' : 'train_loss', ...also], size: j.size, ci: j.ci, sigma: j.sigma, z: j.z });
    }
    // Collapse onto θ_ref (r below 1 % of its largest value): the trivial phase, reached continuously
    // at a pitchfork (no jump, r ∝ √(β_c − β)) or by the last jump.
    const r = series((p) => p.r);
    const rMax = Math.max(...r.filter(Number.isFinite));
    const k0 = r.findIndex((v, k) => k > 0 && v <= 1e-2 * rMax && r[k - 1]! > 1e-2 * rMax);
    if (k0 > 0 && dir === 1) {
      const at = idx[k0]!;
      const same = found.find((f) => f.first - 1 <= at && at <= f.last + 1);
      if (same) same.observables.push('theta_norm→0');
      else found.push({ first: at, last: at, observables: ['theta_norm→0'], size: NaN, ci: [NaN, NaN], sigma: NaN, z: NaN });
    }
    for (const k of stabilityCrossings(series((p) => penaltyCoefficient(p.beta, config.l2Form)), series((p) => p.lambdaMin))) {
      const at = idx[k]!;
      const same = found.find((f) => f.first <= at && at <= f.last);
      if (same) same.observables.push('lambda_min+2c');
      else found.push({ first: at, last: at, observables: ['lambda_min+2c'], size: NaN, ci: [NaN, NaN], sigma: NaN, z: NaN });
    }
  }
  return found.sort((a, b) => a.first - b.first);
}

/** Mean class accuracy over up to `n` main-grid points of one direction, ending at (side −1) or starting from (+1) index i. */
function meanAccuracy(points: SweepPoint[], i: number, side: 1 | -1, n = 3): { perClass: Float64Array; total: number } {
  const dir = points[i]!.direction;
  const C = points[i]!.classAccuracy.length;
  const sum = new Float64Array(C);
  let total = 0, m = 0;
  for (let k = i; k >= 0 && k < points.length && m < n; k += side) {
    const p = points[k]!;
    if (p.direction !== dir || p.refined === 1) continue;
    for (let c = 0; c < C; c++) sum[c] += p.classAccuracy[c]!;
    total += 1 - p.testError;
    m++;
  }
  return { perClass: sum.map((v) => v / Math.max(1, m)), total: total / Math.max(1, m) };
}

/**
 * Where each class stops being encoded on the upward main sweep: the first β from which the running
 * mean of its test accuracy over 5 grid points stays below the threshold (Ersoy et al. list the
 * classes lost by β: 5, 9, 8 over 0.026–0.035, then 2, 4, 6, 3, 7 …). Classes never lost are absent.
 */
export function classLoss(points: SweepPoint[], config: L2SweepConfig, classes: number[]): Array<{ class: number; beta: number }> {
  const up = points.filter((p) => p.direction === 1 && p.refined === 0);
  const C = up[0]?.classAccuracy.length ?? 0;
  const out: Array<{ class: number; beta: number }> = [];
  for (let c = 0; c < C; c++) {
    for (let i = 0; i + 5 <= up.length; i++) {
      let m = 0;
      for (let k = i; k < i + 5; k++) m += up[k]!.classAccuracy[c]! / 5;
      if (m < config.classThreshold) {
        out.push({ class: classes[c] ?? c, beta: up[i]!.beta });
        break;
      }
    }
  }
  return out.sort((a, b) => a.beta - b.beta);
}

export function transitions(points: SweepPoint[], config: L2SweepConfig, classes: number[]): Transition[] {
  const lost = classLoss(points, config, classes);
  const op = orderParameter(config);
  let previous = -Infinity;
  return findTransitions(points, config).map((f) => {
    let a = points[f.first - 1]!, b = points[f.last]!;
    // Refined points inside the interval narrow it to their largest CE step.
    const inside = points.filter((p) => p.direction === a.direction && p.beta >= Math.min(a.beta, b.beta) && p.beta <= Math.max(a.beta, b.beta))
      .sort((p, q) => a.direction * (p.beta - q.beta));
    if (inside.length > 2) {
      let best = 1;
      for (let k = 2; k < inside.length; k++) if (a.direction * (op(inside[k]!) - op(inside[k - 1]!)) > a.direction * (op(inside[best]!) - op(inside[best - 1]!))) best = k;
      a = inside[best - 1]!;
      b = inside[best]!;
    }
    const before = meanAccuracy(points, f.first - 1, -1), after = meanAccuracy(points, f.last, 1);
    const enc = (v: Float64Array) => new Set([...v.keys()].filter((k) => v[k]! > config.classThreshold));
    const ea = enc(before.perClass), eb = enc(after.perClass);
    return {
      direction: b.direction === 1 ? 'up' : 'down',
      beta_before: a.beta, beta_after: b.beta, beta_c: (a.beta + b.beta) / 2, observables: f.observables,
      size: f.size, ci: f.ci, noise_sigma: f.sigma, z: f.z,
      accuracy_before: before.total, accuracy_after: after.total,
      classes_lost: [...ea].filter((c) => !eb.has(c)).map((c) => classes[c] ?? c),
      classes_gained: [...eb].filter((c) => !ea.has(c)).map((c) => classes[c] ?? c),
      classes_lost_since_previous: b.direction === 1 ? sinceLast(b.beta) : [],
    };
  });

  /** Up the sweep: the classes whose loss β lies after the previous transition, up to this one. */
  function sinceLast(beta: number): number[] {
    const group = lost.filter((l) => l.beta > previous && l.beta <= beta).map((l) => l.class);
    previous = beta;
    return group;
  }
}

// ---- the replica task: one independent sweep per replica ------------------------------------

const FIELDS = ['beta', 'trainLoss', 'epochLoss', 'objective', 'testLoss', 'testError', 'r', 'epochs', 'lambdaMin', 'lambdaMaxAbs'] as const;

function packPoints(points: SweepPoint[], C: number): Record<string, Float64Array | Int32Array> {
  const out: Record<string, Float64Array | Int32Array> = {};
  for (const f of FIELDS) out[`pt.${f}`] = Float64Array.from(points, (p) => p[f]);
  out['pt.direction'] = Int32Array.from(points, (p) => p.direction);
  out['pt.refined'] = Int32Array.from(points, (p) => p.refined);
  const acc = new Float64Array(points.length * C);
  points.forEach((p, i) => acc.set(p.classAccuracy, i * C));
  out['pt.classAccuracy'] = acc;
  return out;
}

function unpackPoints(arrays: Record<string, unknown>, C: number): SweepPoint[] {
  const beta = arrays['pt.beta'] as Float64Array;
  const get = (f: string) => arrays[`pt.${f}`] as Float64Array;
  // A checkpoint written before epochLoss existed lacks it: NaN there (such points have no epoch-mean CE).
  const epoch = arrays['pt.epochLoss'] as Float64Array | undefined;
  return Array.from(beta, (_, i) => ({
    beta: beta[i]!, trainLoss: get('trainLoss')[i]!, epochLoss: epoch?.[i] ?? NaN, objective: get('objective')[i]!, testLoss: get('testLoss')[i]!,
    testError: get('testError')[i]!, r: get('r')[i]!, epochs: get('epochs')[i]!, lambdaMin: get('lambdaMin')[i]!,
    lambdaMaxAbs: get('lambdaMaxAbs')[i]!,
    direction: (arrays['pt.direction'] as Int32Array)[i] as 1 | -1,
    refined: (arrays['pt.refined'] as Int32Array)[i] as 0 | 1,
    classAccuracy: (arrays['pt.classAccuracy'] as Float64Array).slice(i * C, i * C + C),
  }));
}

async function runReplica(config: L2SweepConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
  const tc = toTrainConfig(config);
  const { ds, train, test } = modelSetup(tc, ctx.seed, ctx.index);
  const C = outputCount(test);
  let hessian: NetworkLandscape | null = null;
  if (config.hessianK > 0) {
    const sub = parseTrainConfig({ ...tc, precision: 'f64', evalTrainSamples: config.hessianSamples });
    const h = modelSetup(sub, ctx.seed, ctx.index);
    hessian = h.evalTrain ?? h.train;
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
  let resume: { points: SweepPoint[]; done: number } | null = null;
  if (cp) {
    theta.set(cp.arrays['theta'] as Float);
    resume = { points: unpackPoints(cp.arrays, C), done: cp.meta.step };
  }
  const name = replicaName(ctx.index);
  const states: Float32Array[] = [];
  const points = runSweep(
    config,
    { train, test, hessian, testLabels: ds.test.y },
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
  const names: Record<string, string> = { trainLoss: 'train_loss', epochLoss: 'epoch_train_loss', objective: 'objective', testLoss: 'test_loss', testError: 'test_error', r: 'theta_norm', epochs: 'epochs', lambdaMin: 'lambda_min', lambdaMaxAbs: 'lambda_max' };
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
    l2_form: config.l2Form,
    l2_convention: describeL2Form(config.l2Form),
    detection: `${config.orderParameter === 'epoch' ? 'last-epoch mean mini-batch training-CE' : 'end-point full-training-set CE'} step beyond the local trend ≥ ${config.jumpZ} σ (σ = 1.4826·MAD of the sweep's grid-to-grid residuals), neighbouring steps ≥ 3 σ merged; CI: normal, ± 1.96 σ √steps; plus sign changes of λ_min + 2c`,
    transitions: transitions(unpackPoints(arrays, C), config, classes),
    class_loss: classLoss(unpackPoints(arrays, C), config, classes),
    beta_c: outcomes[0]!.summary['beta_c'],
    replica_spread: replicaSpread(outcomes.map((o) => o.summary['beta_c'] as number[])),
    reference: config.reference ? `${config.reference.run}#${config.reference.replica}` : 'origin',
  };
}

/**
 * β_c across independent replicas: when every replica finds the same number of transitions, the
 * mean and standard deviation of each (matched in order); otherwise the counts, said to disagree.
 */
export function replicaSpread(betaC: number[][]): Record<string, unknown> {
  const K = betaC.length;
  if (K < 2) return { replicas: K, power: 'none', reason: 'one replica: no spread across independent sweeps (use --replicas ≥ 2)' };
  const counts = betaC.map((b) => b.length);
  if (counts.some((c) => c !== counts[0])) return { replicas: K, agree: false, counts };
  const mean: number[] = [], sd: number[] = [];
  for (let t = 0; t < counts[0]!; t++) {
    const v = betaC.map((b) => b[t]!);
    const m = v.reduce((s, x) => s + x, 0) / K;
    mean.push(m);
    sd.push(Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (K - 1)));
  }
  return { replicas: K, agree: true, beta_c_mean: mean, beta_c_sd: sd };
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
  inputs: (config) => [...dataFiles(config.data), ...[config.reference?.run, config.start?.run].filter((p): p is string => !!p)],
};
