/**
 * Protocol `train`: K replicas of a network trained on the same data — the ensemble every other
 * network protocol (overlaps, clustering, paths, curvature) starts from.
 *
 * A replica is an independently trained network (docs/papers.md). What differs between replicas is a
 * recorded choice (`variant`): the initialisation only, the data order only, both, or a different
 * training subset (Liao et al. compare solutions of the same network on the same data).
 *
 * Measurements are taken at log-spaced SGD steps (DEEP-GLASS's LogList, Baity-Jesi et al. 2018)
 * merged with every epoch end, so early dynamics are resolved and epochs are comparable.
 */
import { GlassyError } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import type { Float } from '../core/backend.js';
import { dataFiles } from '../data/index.js';
import { flattenedLandscape, restoreFlattened } from '../dynamics/flatten.js'; // [curvature: SAM / Entropy-SGD]
import { trainerFromConfig } from '../dynamics/from-config.js';
import type { ReplicaContext, ReplicaSummary, ReplicaTask } from '../executor/replica.js';
import { checkTrainData, modelSetup, replicaSetup } from '../landscapes/from-config.js';
import type { MlpLandscape } from '../landscapes/mlp/network.js';
import type { Network } from '../landscapes/network/index.js';
import { logList } from '../observables/aging.js';
import type { Run } from '../store/run.js';
import { Lockstep } from '../dynamics/lockstep.js';
import { finalizeNetworkRun, networkFinalizeMemory, networkReplicaMemory, SERIES } from '../observables/network-ensemble.js';
import { unitMembers, type TrainConfig } from '../dynamics/train-config.js';
import { replicaName, writeReplicaWeights } from '../landscapes/weights.js';

export { optimizerSchema, trainConfigSchema, parseTrainConfig, type TrainConfig } from '../dynamics/train-config.js';
export { modelSchema } from '../landscapes/model-schema.js';

/** Measurement steps: 0, LogList(1, T, points) and every epoch end, sorted and unique. */
export function measurementSteps(total: number, stepsPerEpoch: number, points: number): Int32Array {
  const s = new Set<number>([0, total]);
  for (const t of logList(1, Math.max(1, total), points)) if (t <= total) s.add(t);
  for (let e = stepsPerEpoch; e < total; e += stepsPerEpoch) s.add(e);
  return Int32Array.from([...s].sort((a, b) => a - b));
}

/** The first n samples of a landscape's data, as a landscape of their own (the fixed measurement subset). */
function subsetLandscape<L extends { nSamples: number; firstSamples(n: number): L }>(full: L, n: number): L {
  return n >= full.nSamples ? full : full.firstSamples(n);
}

async function runReplica(config: TrainConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
  const { seed, index } = ctx;
  const setup = modelSetup(config, seed, index);
  const { train, evalTrain, test, initStream, orderStream } = setup;
  const theta = train.newConfig();
  const stepped = flattenedLandscape(train, config.flatten, seed, index); // [curvature] SAM / Entropy-SGD wrapper, or train itself
  const trainer = trainerFromConfig(stepped, theta, config,
    { order: Rng.stream(seed, Stream.dataOrder, orderStream), noise: Rng.stream(seed, Stream.noise, index) }, index);
  const schedule = trainer.schedule;
  const total = Math.max(1, Math.round(config.epochs * schedule.stepsPerEpoch));
  const steps = measurementSteps(total, schedule.stepsPerEpoch, config.measurePoints);
  const series = newSeries(steps.length);

  // Measure 'lean' (the default): the training series come free from the mini-batches already
  // computed (unless --train-samples asks for a pass, or a flatness wrapper evaluates its
  // batches away from θ), and the test set is sampled on a fixed subset except at the last point.
  const lean = config.measure === 'lean';
  const running = lean && config.evalTrainSamples === null && stepped === train;
  const trainProbe = lean && config.evalTrainSamples === null ? subsetLandscape(train, config.measureSamples) : evalTrain ?? train;
  const testProbe = lean ? subsetLandscape(test, config.measureSamples) : test;
  // Σ loss, Σ errors and rows of the mini-batches of the current epoch so far (the running mean).
  const epoch = { lossSum: 0, errors: 0, size: 0 };

  let m = 0;
  const cp = ctx.loadCheckpoint();
  if (cp) {
    trainer.restore(cp);
    restoreFlattened(stepped, trainer.step); // [curvature]
    for (const k of SERIES) series[k].set(cp.arrays[k] as Float64Array);
    m = cp.meta['measured'] as number;
    const e = cp.meta['epoch'] as typeof epoch | undefined;
    if (e) Object.assign(epoch, e);
  } else {
    train.initialise(theta, Rng.stream(seed, Stream.init, initStream), config.init);
  }

  const measure = () => {
    const last = m === steps.length - 1;
    const tr = running && epoch.size > 0
      ? { loss: epoch.lossSum / epoch.size, error: epoch.errors / epoch.size }
      : trainProbe.evaluate(theta);
    const te = (last ? test : testProbe).evaluate(theta);
    series.train_loss[m] = tr.loss;
    series.train_error[m] = tr.error;
    series.test_loss[m] = te.loss;
    series.test_error[m] = te.error;
    m++;
    if (!Number.isFinite(tr.loss)) {
      throw new GlassyError(
        `replica ${index} diverged at step ${trainer.step}: training loss is ${tr.loss}; lower --lr (now ${config.optimizer.lr})`,
        'lr', config.optimizer.lr, 'a smaller learning rate',
      );
    }
  };

  const every = ctx.checkpointEvery ?? config.checkpointEvery;
  const progressEvery = Math.max(1, Math.floor(total / 200));
  const perEpoch = schedule.stepsPerEpoch;
  for (;;) {
    if (m < steps.length && steps[m] === trainer.step) measure();
    if (trainer.step >= total) break;
    if (trainer.step % perEpoch === 0) epoch.lossSum = epoch.errors = epoch.size = 0;
    const loss = trainer.advance();
    if (running) {
      epoch.lossSum += train.lastBatch.lossSum;
      epoch.errors += train.lastBatch.errors;
      epoch.size += train.lastBatch.size;
    }
    const step = trainer.step;
    if (step % progressEvery === 0) ctx.progress(step / total, `step ${step}/${total} loss ${loss.toPrecision(4)}`);
    await ctx.breathe?.();
    if (step % every === 0 && step < total) {
      const st = trainer.state();
      ctx.saveCheckpoint({ meta: { ...st.meta, measured: m, epoch: { ...epoch } }, arrays: { ...st.arrays, ...series } });
    }
  }

  writeReplica(ctx.run, index, seed, series, steps, train.layout, theta);
  return { ...finals(series), steps: total };
}

type Series = Record<(typeof SERIES)[number], Float64Array>;

function newSeries(T: number): Series {
  return Object.fromEntries(SERIES.map((k) => [k, new Float64Array(T).fill(NaN)])) as Series;
}

function finals(series: Series): Record<string, number> {
  const last = series.train_loss.length - 1;
  return Object.fromEntries(SERIES.map((k) => [`final_${k}`, series[k][last]!]));
}

/** Replica `index`'s files: its learning curves under per-replica/ and its weights. */
function writeReplica<X extends Float>(run: Run, index: number, seed: number, series: Series, steps: Int32Array,
  layout: MlpLandscape<X>['layout'] | Network['layout'], theta: X): void {
  const name = replicaName(index);
  for (const k of SERIES) run.writeArray(`per-replica/${name}/${k}`, series[k]);
  run.writeArray(`per-replica/${name}/steps`, steps);
  writeReplicaWeights(run, index, layout, theta, seed);
}

/**
 * One lockstep group (config.lockstep = G): replicas [uG, min(uG + G, K)) of unit u trained by one
 * Lockstep on their shared data order (variant 'init': the order stream is replica 0's for all, as
 * in runReplica). Each member's initialisation, noise, measurements and files are those runReplica
 * gives replica `index`; only the gradient arithmetic is batched (docs/networks.md: identical bytes
 * on full batches, f32 rounding on a partial last batch). The group is checkpointed as a whole.
 */
async function runGroup(config: TrainConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
  const { seed } = ctx;
  const members = unitMembers(config, ctx.index);
  const { train, test } = replicaSetup(config, seed, members[0]!); // the same data for every member (variant 'init')
  const trainers = members.map((i) => trainerFromConfig(train, train.newConfig(), config,
    { order: Rng.stream(seed, Stream.dataOrder, 0), noise: Rng.stream(seed, Stream.noise, i) }, i));
  const perEpoch = trainers[0]!.schedule.stepsPerEpoch;
  const total = Math.max(1, Math.round(config.epochs * perEpoch));
  const steps = measurementSteps(total, perEpoch, config.measurePoints);
  const series = members.map(() => newSeries(steps.length));
  const lean = config.measure === 'lean';
  const running = lean && config.evalTrainSamples === null;
  const evalTrain = replicaSetup(config, seed, members[0]!).evalTrain; // null unless --train-samples asks for a pass
  // As runReplica's: the training subset is evaluated only before the first mini-batch.
  const trainProbe = lean && config.evalTrainSamples === null ? subsetLandscape(train, config.measureSamples) : evalTrain ?? train;
  const testProbe = lean ? subsetLandscape(test, config.measureSamples) : test;
  const epochs = members.map(() => ({ lossSum: 0, errors: 0, size: 0 }));

  let m = 0;
  const cp = ctx.loadCheckpoint();
  if (cp) {
    const metas = cp.meta['members'] as Array<Record<string, unknown>>;
    trainers.forEach((t, j) => {
      const arrays: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(cp.arrays)) if (k.startsWith(`${j}/`)) arrays[k.slice(`${j}/`.length)] = v;
      t.restore({ meta: metas[j]!, arrays });
      for (const k of SERIES) series[j]![k].set(arrays[k] as Float64Array);
    });
    m = cp.meta['measured'] as number;
    (cp.meta['epochs'] as typeof epochs).forEach((e, j) => Object.assign(epochs[j]!, e));
  } else {
    trainers.forEach((t, j) => train.initialise(t.theta, Rng.stream(seed, Stream.init, members[j]!), config.init));
  }
  // The members' parameters live in the Lockstep's group from here on; their trainers are synced
  // before a checkpoint and at the end.
  const lock = new Lockstep(train, trainers);

  const G = members.length;
  const measure = () => {
    const last = m === steps.length - 1;
    // The group's evaluations are one batched pass per probe (MlpLandscape.groupEvaluate).
    const trs = running && epochs[0]!.size > 0 ? null : trainProbe.groupEvaluate(lock.theta, G);
    const tes = (last ? test : testProbe).groupEvaluate(lock.theta, G);
    trainers.forEach((t, j) => {
      const e = epochs[j]!;
      const tr = trs ? trs[j]! : { loss: e.lossSum / e.size, error: e.errors / e.size };
      const te = tes[j]!;
      const s = series[j]!;
      s.train_loss[m] = tr.loss;
      s.train_error[m] = tr.error;
      s.test_loss[m] = te.loss;
      s.test_error[m] = te.error;
      if (!Number.isFinite(tr.loss)) {
        throw new GlassyError(
          `replica ${members[j]} diverged at step ${t.step}: training loss is ${tr.loss}; lower --lr (now ${config.optimizer.lr})`,
          'lr', config.optimizer.lr, 'a smaller learning rate',
        );
      }
    });
    m++;
  };

  const every = ctx.checkpointEvery ?? config.checkpointEvery;
  const progressEvery = Math.max(1, Math.floor(total / 200));
  let step = trainers[0]!.step;
  for (;;) {
    if (m < steps.length && steps[m] === step) measure();
    if (step >= total) break;
    if (step % perEpoch === 0) for (const e of epochs) e.lossSum = e.errors = e.size = 0;
    const losses = lock.advance();
    if (running) {
      const b = lock.lastBatch;
      epochs.forEach((e, j) => { e.lossSum += b.lossSum[j]!; e.errors += b.errors[j]!; e.size += b.size; });
    }
    step = trainers[0]!.step;
    if (step % progressEvery === 0) ctx.progress(step / total, `step ${step}/${total} loss ${losses[0]!.toPrecision(4)} (replica ${members[0]})`);
    await ctx.breathe?.();
    if (step % every === 0 && step < total) {
      lock.sync();
      const metas: Array<Record<string, unknown>> = [];
      const arrays: Record<string, Float | Int32Array | Float64Array> = {};
      trainers.forEach((t, j) => {
        const st = t.state();
        metas.push(st.meta);
        for (const [k, v] of Object.entries(st.arrays)) arrays[`${j}/${k}`] = v;
        for (const k of SERIES) arrays[`${j}/${k}`] = series[j]![k];
      });
      ctx.saveCheckpoint({ meta: { step, measured: m, members: metas, epochs: epochs.map((e) => ({ ...e })) }, arrays });
    }
  }

  lock.sync();
  trainers.forEach((t, j) => writeReplica(ctx.run, members[j]!, seed, series[j]!, steps, train.layout, t.theta));
  const f = series.map(finals);
  const mean = (k: string) => f.reduce((a, r) => a + r[k]!, 0) / f.length;
  return { replicas: members.length, final_train_loss_mean: mean('final_train_loss'), final_test_error_mean: mean('final_test_error'), steps: total };
}

export const task: ReplicaTask<TrainConfig> = {
  validate: (config, seed) => { checkTrainData(config, seed); },
  run: (config, ctx) => (config.lockstep === undefined ? runReplica(config, ctx) : runGroup(config, ctx)),
  breathes: true,
  finalize: finalizeNetworkRun,
  inputs: (config) => dataFiles(config.data),
  estimateMemory: networkReplicaMemory,
  estimateFinalizeMemory: networkFinalizeMemory,
};
