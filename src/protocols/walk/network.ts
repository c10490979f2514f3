/**
 * The network trajectory of the `walk` protocol — random walks from a trained minimum, protocol (1) of Liao et al.
 * (arXiv:2407.20724): W independent walkers start at the trained θ_0 of one replica and take S
 * random steps; the training loss against the distance |θ_t − θ_0| shows the width of the basin,
 * the escape distance where the loss first rises by ΔL, and the statistics of the loss increments
 * (their spread and their autocorrelation along the walk) how rugged the landscape is. Optionally
 * each walker is re-trained from its end point with the source run's optimizer: does it fall back
 * into the same minimum (small distance to θ_0 after weight matching) or into another one?
 *
 * Steps (docs/paths.md):
 * - isotropic: δ = h·ξ/|ξ|, ξ ~ N(0, I_N): every step has norm exactly h, so after S unconditional
 *   steps E|θ_S − θ_0|² = S·h² (a random walk in N dimensions; cross terms average to 0).
 * - filter: the filter-normalised directions of Li, Xu, Taylor, Studer & Goldstein, "Visualizing the
 *   Loss Landscape of Neural Nets", NeurIPS 2018, §4: ξ ~ N(0, I), then every row (a unit's incoming
 *   weights — the "filter" of a fully connected layer) rescaled to the norm of the same row of θ_0,
 *   biases not moved (their code's default `--xignore biasbn`); δ = h·ξ, so h is the step as a
 *   fraction of each unit's weight norm, which removes the scale invariance of ReLU layers.
 * - Metropolis at temperature T > 0 on the training loss L (the evaluation subset): accept with
 *   probability min(1, exp(−ΔL/T)) (Metropolis et al. 1953); T = 0 means no test: every step is
 *   accepted (free diffusion through parameter space, Liao et al.'s unconditioned walk).
 *
 * Walkers are independent replicas of the walk task (index.ts): their randomness is
 * Rng.stream(seed, Stream.walk, walker), they checkpoint, and any executor runs them.
 */
import { GlassyError } from '../../core/errors.js';
import { Rng, Stream } from '../../core/rng.js';
import { nrm2 } from '../../core/vec.js';
import { BatchSchedule } from '../../dynamics/batches.js';
import { metropolisAccept } from '../../dynamics/metropolis.js';
import { createOptimizer } from '../../dynamics/optimizers.js';
import { Trainer } from '../../dynamics/trainer.js';
import type { ReplicaContext, ReplicaOutcomeOk, ReplicaSummary } from '../../executor/replica.js';
import { distance } from '../../observables/path.js';
import type { Run } from '../../store/run.js';
import { groupWidths, matchWeights, weightRows, type AnyLayout } from '../../symmetry/group.js';
import { checkReplicaIndex, openTrainSource, pathLandscapes, type NetworkSource, type PathLandscapes } from '../../observables/network-source.js';
import { readReplicaWeights } from '../../landscapes/weights.js';
import type { NetworkWalkConfig } from './config.js';
import { finiteMean, walkerName, writeIncrementStatistics } from './increments.js';

type WalkConfig = NetworkWalkConfig;

/** Everything checked before a run directory is created. */
export function prepareWalk(config: WalkConfig): NetworkSource {
  const src = openTrainSource(config.source);
  checkReplicaIndex('replica', config.replica, src);
  return src;
}

/**
 * Writes a random step into `step`: isotropic (norm h) or filter-normalised (Li et al. 2018) with
 * respect to the rows of θ_ref. Uses N normal variates of `rng` in both cases.
 */
export function randomStep(
  kind: WalkConfig['directions'], h: number, layout: AnyLayout, thetaRef: Float64Array, rng: Rng, step: Float64Array,
): void {
  rng.fillNormal(step);
  if (kind === 'isotropic') {
    const n = nrm2(step);
    const c = n > 0 ? h / n : 0;
    for (let i = 0; i < step.length; i++) step[i] = c * step[i]!;
    return;
  }
  // One filter per output unit or conv channel (its weight row), as Li et al. normalise conv filters.
  for (const L of weightRows(layout)) {
    const n = L.rowLength;
    for (let o = 0; o < L.rows; o++) {
      const off = L.offset + o * n;
      let dn = 0, tn = 0;
      for (let i = 0; i < n; i++) { dn += step[off + i]! ** 2; tn += thetaRef[off + i]! ** 2; }
      const c = dn > 0 ? h * Math.sqrt(tn / dn) : 0;
      for (let i = 0; i < n; i++) step[off + i] = c * step[off + i]!;
    }
    if (L.bias) step.fill(0, L.bias.offset, L.bias.offset + L.bias.size);
  }
}

/** The test-evaluation steps 0, m, 2m, …, and S. */
export function testSteps(S: number, every: number | null): Int32Array {
  const m = every ?? Math.max(1, Math.floor(S / 20));
  const out: number[] = [];
  for (let s = 0; s < S; s += m) out.push(s);
  out.push(S);
  return Int32Array.from(out);
}

// One walker's landscapes are reused by the next walker the same thread runs (same source).
let cache: { key: string; src: NetworkSource; land: PathLandscapes; theta0: Float64Array } | null = null;

function setup(config: WalkConfig) {
  const key = JSON.stringify([config.source, config.replica, config.trainSamples]);
  if (!cache || cache.key !== key) {
    const src = prepareWalk(config);
    const land = pathLandscapes(src, config.replica, config.trainSamples);
    const theta0 = readReplicaWeights(src.run, config.replica).theta;
    cache = { key, src, land, theta0 };
  }
  return cache;
}

const SERIES = ['distance', 'train_loss', 'train_error', 'accepted', 'test_loss', 'test_error'] as const;

export async function runNetworkWalker(config: WalkConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
  const { src, land, theta0 } = setup(config);
  const w = ctx.index;
  const S = config.steps;
  const dim = theta0.length;
  const tSteps = testSteps(S, config.testEvery);
  const series: Record<(typeof SERIES)[number], Float64Array> = {
    distance: new Float64Array(S + 1),
    train_loss: new Float64Array(S + 1),
    train_error: new Float64Array(S + 1),
    accepted: new Float64Array(S),
    test_loss: new Float64Array(tSteps.length),
    test_error: new Float64Array(tSteps.length),
  };
  const x = theta0.slice();
  const prop = new Float64Array(dim);
  const step = new Float64Array(dim);
  let rng = Rng.stream(ctx.seed, Stream.walk, w);
  let s = 0;
  let m = 0; // test measurements taken
  let loss = NaN, error = NaN;
  const cp = ctx.loadCheckpoint();
  if (cp) {
    x.set(cp.arrays['theta'] as Float64Array);
    for (const k of SERIES) series[k].set(cp.arrays[k] as Float64Array);
    rng = Rng.fromState(cp.meta.rng!['walk']!);
    s = cp.meta.step;
    m = cp.meta['measured'] as number;
    loss = series.train_loss[s]!;
    error = series.train_error[s]!;
  } else {
    const e = land.evalTrain.evaluate(x);
    loss = e.loss; error = e.error;
    series.train_loss[0] = loss; series.train_error[0] = error; series.distance[0] = 0;
  }
  const measureTest = () => {
    while (m < tSteps.length && tSteps[m] === s) {
      const e = land.test.evaluate(x);
      series.test_loss[m] = e.loss; series.test_error[m] = e.error;
      m++;
    }
  };
  const every = ctx.checkpointEvery ?? config.checkpointEvery;
  const progressEvery = Math.max(1, Math.floor(S / 100));
  if (!cp) measureTest();
  while (s < S) {
    randomStep(config.directions, config.stepSize, src.layout, theta0, rng, step);
    for (let i = 0; i < dim; i++) prop[i] = x[i]! + step[i]!;
    const e = land.evalTrain.evaluate(prop);
    const ok = metropolisAccept(e.loss - loss, config.temperature, rng);
    if (ok) { x.set(prop); loss = e.loss; error = e.error; }
    series.accepted[s] = ok ? 1 : 0;
    s++;
    series.train_loss[s] = loss;
    series.train_error[s] = error;
    series.distance[s] = distance(x, theta0);
    if (!Number.isFinite(loss)) {
      throw new GlassyError(`walker ${w}: training loss ${loss} at step ${s}; lower --step-size (now ${config.stepSize})`, 'step-size', config.stepSize, 'a smaller step size');
    }
    measureTest();
    if (s % progressEvery === 0) ctx.progress(s / S, `step ${s}/${S} loss ${loss.toPrecision(4)} distance ${series.distance[s]!.toPrecision(4)}`);
    if (s % every === 0 || s === S) {
      ctx.saveCheckpoint({ meta: { step: s, rng: { walk: rng.state() }, measured: m }, arrays: { theta: x.slice(), ...series } });
    }
  }

  const run = ctx.run;
  const name = walkerName(w);
  for (const k of SERIES) run.writeArray(`per-walker/${name}/${k}`, series[k]);
  const L0 = series.train_loss[0]!;
  let escape = NaN;
  for (let t = 0; t <= S; t++) if (series.train_loss[t]! > L0 + config.threshold) { escape = series.distance[t]!; break; }
  let acc = 0;
  for (let t = 0; t < S; t++) acc += series.accepted[t]!;
  const summary: ReplicaSummary = {
    start_train_loss: L0,
    final_train_loss: loss,
    final_distance: series.distance[S]!,
    acceptance: acc / S,
    escape_distance: Number.isNaN(escape) ? null : escape,
  };
  if (config.retrainEpochs > 0) Object.assign(summary, retrain(config, src, land, theta0, x, ctx));
  return summary;
}

/**
 * Re-trains from the walk's end point with the source run's optimizer, batch size and sampling for
 * `retrainEpochs` epochs, then compares with θ_0: raw distance and overlap, and the same after
 * aligning the re-trained θ onto θ_0 by weight matching (Ainsworth et al. 2023), which tells a
 * return to the same minimum (up to relabelled units) from a different one. Deterministic from the
 * walk's end point, so a kill during re-training resumes bit-identically from the last checkpoint.
 */
function retrain(config: WalkConfig, src: NetworkSource, land: PathLandscapes, theta0: Float64Array, end: Float64Array, ctx: ReplicaContext): ReplicaSummary {
  const w = ctx.index;
  const tc = src.config;
  const theta = end.slice();
  const sched = new BatchSchedule(land.train.nSamples, tc.batch, tc.sampling, Rng.stream(ctx.seed, Stream.walk, w, 1));
  const opt = createOptimizer(tc.optimizer, theta.length, theta, Rng.stream(ctx.seed, Stream.walk, w, 2));
  const trainer = new Trainer(land.train, theta, opt, sched, { replica: w, lr: tc.optimizer.lr });
  const total = Math.max(1, Math.round(config.retrainEpochs * sched.stepsPerEpoch));
  for (let s = 0; s < total; s++) {
    trainer.advance();
    if ((s + 1) % Math.max(1, Math.floor(total / 50)) === 0) ctx.progress(1, `retrain ${s + 1}/${total}`);
  }
  const n0 = nrm2(theta0), n1 = nrm2(theta);
  let dot = 0;
  for (let i = 0; i < theta.length; i++) dot += theta0[i]! * theta[i]!;
  const hasHidden = groupWidths(src.layout).length > 0;
  const m = hasHidden ? matchWeights(src.layout, theta0, theta, { rng: Rng.stream(ctx.seed, Stream.walk, w, 3) }) : null;
  const aligned = m ? m.aligned : theta;
  const tr = land.evalTrain.evaluate(theta);
  const te = land.test.evaluate(theta);
  ctx.run.writeArray(`per-walker/${walkerName(w)}/retrained`, theta);
  return {
    retrain_steps: total,
    retrain_distance: distance(theta, theta0),
    retrain_aligned_distance: distance(aligned, theta0),
    retrain_overlap: dot / (n0 * n1),
    retrain_aligned_overlap: (m ? m.objective : dot) / (n0 * n1),
    retrain_distance_from_end: distance(theta, end),
    retrain_train_loss: tr.loss,
    retrain_test_error: te.error,
  };
}

export async function finalizeNetworkWalk(run: Run, outcomes: ReplicaOutcomeOk[], config: WalkConfig): Promise<Record<string, unknown>> {
  const W = outcomes.length;
  const S = config.steps;
  const tSteps = testSteps(S, config.testEvery);
  const M = tSteps.length;
  const stack = (k: string, len: number) => {
    const all = new Float64Array(W * len);
    outcomes.forEach((o, r) => all.set(run.readArray(`per-walker/${walkerName(o.index)}/${k}`).data as Float64Array, r * len));
    return all;
  };
  const dist = stack('distance', S + 1);
  const trainLoss = stack('train_loss', S + 1);
  run.writeArray('walk_steps', Int32Array.from({ length: S + 1 }, (_, i) => i));
  run.writeArray('walk_test_steps', tSteps);
  run.writeArray('walk_distance', dist, [W, S + 1]);
  run.writeArray('walk_train_loss', trainLoss, [W, S + 1]);
  run.writeArray('walk_train_error', stack('train_error', S + 1), [W, S + 1]);
  run.writeArray('walk_accepted', stack('accepted', S), [W, S]);
  run.writeArray('walk_test_loss', stack('test_loss', M), [W, M]);
  run.writeArray('walk_test_error', stack('test_error', M), [W, M]);

  // Increments ΔL_t = L_t − L_{t−1} of every walker: their distribution and autocorrelation.
  const inc = writeIncrementStatistics(run, trainLoss, W, S, config.bins, config.maxLag);
  const ac = inc.autocorr;
  const maxLag = ac.length - 1;

  const col = (k: string) => Float64Array.from(outcomes, (o) => {
    const v = o.summary[k];
    return typeof v === 'number' ? v : NaN;
  });
  const escape = col('escape_distance');
  run.writeArray('escape_distance', escape);
  run.writeArray('walk_acceptance', col('acceptance'));
  const avg = finiteMean;
  const finalDist = Float64Array.from({ length: W }, (_, r) => dist[r * (S + 1) + S]!);
  const summary: Record<string, unknown> = {
    walkers: W,
    steps: S,
    step_size: config.stepSize,
    temperature: config.temperature,
    directions: config.directions,
    start_train_loss: trainLoss[0],
    final_train_loss_mean: avg(Float64Array.from({ length: W }, (_, r) => trainLoss[r * (S + 1) + S]!)),
    final_distance_mean: avg(finalDist),
    random_walk_distance: config.stepSize * Math.sqrt(S),
    acceptance_mean: avg(col('acceptance')),
    escaped_fraction: [...escape].filter(Number.isFinite).length / W,
    escape_distance_mean: avg(escape),
    increment_mean: inc.mean,
    increment_variance: inc.variance,
    increment_autocorr_lag1: maxLag >= 1 && Number.isFinite(ac[1]!) ? ac[1] : null,
  };
  if (config.retrainEpochs > 0) {
    for (const k of ['retrain_distance', 'retrain_aligned_distance', 'retrain_overlap', 'retrain_aligned_overlap', 'retrain_distance_from_end', 'retrain_train_loss', 'retrain_test_error']) {
      const v = col(k);
      run.writeArray(k, v);
      summary[`${k}_mean`] = avg(v);
    }
  }
  return summary;
}

/** Bytes of one network walker: the source's inputs in float64 (MNIST-sized bound) plus a few θ buffers. */
export const NETWORK_WALKER_BYTES = 70_000 * 784 * 12 + 64 * 1024 * 1024;
