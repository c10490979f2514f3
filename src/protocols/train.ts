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
import { dataFiles, loadDataset, type Dataset, type DataSpec } from '../data/index.js';
import { trainerFromConfig } from '../dynamics/from-config.js';
import type { ReplicaContext, ReplicaOutcomeOk, ReplicaSummary, ReplicaTask } from '../executor/replica.js';
import { MlpLandscape, type MlpData } from '../landscapes/mlp/network.js';
import { createNetwork, networkLayout, type Network } from '../landscapes/network/index.js';
import { logList } from '../observables/aging.js';
import { penaltyCoefficient } from '../landscapes/l2form.js';
import type { Run } from '../store/run.js';
import { Lockstep } from '../dynamics/lockstep.js';
import { modelSizes, unitMembers, type TrainConfig } from './train/protocol.js';
import { readReplicaTheta, replicaName, writeReplicaWeights } from './weights.js';
import { flattenedLandscape, restoreFlattened } from './flatten.js'; // [curvature: SAM / Entropy-SGD]

export { modelSchema, optimizerSchema, trainConfigSchema, parseTrainConfig, type TrainConfig } from './train/protocol.js';
export { modelSizes } from './train/protocol.js';

// ---- data: loaded once per thread, shared by the replicas a worker runs --------------------------

const datasets = new Map<string, Dataset>();

export function cachedDataset(spec: DataSpec, seed: number): Dataset {
  const key = `${seed}:${JSON.stringify(spec)}`;
  let ds = datasets.get(key);
  if (!ds) {
    ds = loadDataset(spec, seed);
    datasets.set(key, ds);
  }
  return ds;
}

function rowsOf(split: { x: Float32Array; y: Int32Array; targets?: Float32Array | undefined }, d: number, C: number, rows: Int32Array | null, count?: number): MlpData {
  if (!rows) {
    const n = count === undefined ? split.y.length : Math.min(count, split.y.length);
    return {
      x: split.x.subarray(0, n * d),
      y: split.y.subarray(0, n),
      targets: split.targets ? split.targets.subarray(0, n * C) : null,
      n,
    };
  }
  const n = rows.length;
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  const targets = split.targets ? new Float32Array(n * C) : null;
  for (let r = 0; r < n; r++) {
    const i = rows[r]!;
    x.set(split.x.subarray(i * d, i * d + d), r * d);
    y[r] = split.y[i]!;
    if (targets && split.targets) targets.set(split.targets.subarray(i * C, i * C + C), r * C);
  }
  return { x, y, targets, n };
}

/** Measurement steps: 0, LogList(1, T, points) and every epoch end, sorted and unique. */
export function measurementSteps(total: number, stepsPerEpoch: number, points: number): Int32Array {
  const s = new Set<number>([0, total]);
  for (const t of logList(1, Math.max(1, total), points)) if (t <= total) s.add(t);
  for (let e = stepsPerEpoch; e < total; e += stepsPerEpoch) s.add(e);
  return Int32Array.from([...s].sort((a, b) => a - b));
}

export interface TrainedReplica<X extends Float> {
  train: MlpLandscape<X>;
  theta: X;
  dataset: Dataset;
}

/**
 * Loads the data and checks the model fits it — called before a run directory is created, so bad
 * input never leaves a half-made run behind.
 */
export function checkTrainData(config: TrainConfig, seed: number): Dataset {
  const ds = cachedDataset(config.data, seed);
  const outputs = ds.nClasses > 0 ? ds.nClasses : ds.nTargets ?? 1;
  if (config.model.layers !== undefined) {
    const out = networkLayout(config.model.layers, inputShapeOf(ds)).outputs;
    if (out !== outputs) throw GlassyError.invalid('model', config.model.layers, `a last layer of ${outputs} outputs (the data's ${ds.nClasses > 0 ? 'class' : 'target'} count), not ${out}`);
    return ds;
  }
  const sizes = modelSizes(config.model);
  if (sizes[0] !== ds.nFeatures) throw GlassyError.invalid('model', sizes.join('-'), `a first layer of ${ds.nFeatures} inputs (the data's feature count)`);
  if (sizes[sizes.length - 1] !== outputs) throw GlassyError.invalid('model', sizes.join('-'), `a last layer of ${outputs} outputs (the data's ${ds.nClasses > 0 ? 'class' : 'target'} count)`);
  return ds;
}

/** The training rows of replica `index` for variant 'subset' (null: the whole training set). */
function subsetRows(config: TrainConfig, ds: Dataset, seed: number, index: number): Int32Array | null {
  if (config.variant !== 'subset') return null;
  const n = ds.train.n;
  const m = config.subsetSize ?? Math.floor(n / 2);
  if (m > n) throw GlassyError.invalid('subsetSize', m, `at most the training-set size ${n}`);
  return Rng.stream(seed, Stream.subset, index).permutation(n).subarray(0, m).sort();
}

/** Everything a replica needs, built from the config and its index. */
export function replicaSetup(config: TrainConfig, seed: number, index: number) {
  const ds = checkTrainData(config, seed);
  const d = ds.nFeatures;
  const C = ds.nClasses > 0 ? ds.nClasses : ds.nTargets ?? 1;
  const arch = { ...config.model, sizes: modelSizes(config.model) };
  const rows = subsetRows(config, ds, seed, index);
  const opts = { arch, loss: config.loss, precision: config.precision } as const;
  const train = new MlpLandscape(
    { ...opts, l2: penaltyCoefficient(config.l2, config.l2Form) },
    rowsOf(ds.train, d, C, rows),
  );
  const evalTrain = config.evalTrainSamples === null && !rows
    ? null // the training landscape itself (without its L2 term) is evaluated
    : new MlpLandscape(opts, rowsOf(ds.train, d, C, rows, config.evalTrainSamples ?? undefined));
  const test = new MlpLandscape(opts, rowsOf(ds.test, d, C, null));
  const initStream = config.variant === 'init' || config.variant === 'both' ? index : 0;
  const orderStream = config.variant === 'order' || config.variant === 'both' ? index : 0;
  return { ds, train, evalTrain, test, initStream, orderStream };
}

/** The first n samples of a landscape's data, as a landscape of their own (the fixed measurement subset). */
function subsetLandscape<L extends { nSamples: number; firstSamples(n: number): L }>(full: L, n: number): L {
  return n >= full.nSamples ? full : full.firstSamples(n);
}

/** Per-sample input shape of the data: the images' [C, H, W] where the source has one, else [d]. */
export function inputShapeOf(ds: Dataset): number[] {
  return ds.inputShape ?? [ds.nFeatures];
}

/** replicaSetup for a network given as a layer spec (landscapes/network): the same data and splits. */
export function networkSetup(config: TrainConfig, seed: number, index: number) {
  const ds = checkTrainData(config, seed);
  const d = ds.nFeatures;
  const C = ds.nClasses > 0 ? ds.nClasses : ds.nTargets ?? 1;
  const rows = subsetRows(config, ds, seed, index);
  const opts = { model: config.model.layers!, inputShape: inputShapeOf(ds), loss: config.loss, precision: config.precision, bias: config.model.bias } as const;
  const train: Network = createNetwork({ ...opts, l2: penaltyCoefficient(config.l2, config.l2Form) }, rowsOf(ds.train, d, C, rows));
  const evalTrain: Network | null = config.evalTrainSamples === null && !rows
    ? null
    : createNetwork(opts, rowsOf(ds.train, d, C, rows, config.evalTrainSamples ?? undefined));
  const test: Network = createNetwork(opts, rowsOf(ds.test, d, C, null));
  const initStream = config.variant === 'init' || config.variant === 'both' ? index : 0;
  const orderStream = config.variant === 'order' || config.variant === 'both' ? index : 0;
  return { ds, train, evalTrain, test, initStream, orderStream };
}

/** The landscape of a network replica, whichever form its model takes. */
export type NetworkLandscape<X extends Float = Float> = MlpLandscape<X> | Network<X>;

/** A replica's landscapes and streams: replicaSetup for MLP sizes, networkSetup for a layer spec. */
export function modelSetup(config: TrainConfig, seed: number, index: number): {
  ds: Dataset; train: NetworkLandscape; evalTrain: NetworkLandscape | null; test: NetworkLandscape; initStream: number; orderStream: number;
} {
  return config.model.layers !== undefined ? networkSetup(config, seed, index) : replicaSetup(config, seed, index);
}

const SERIES = ['train_loss', 'train_error', 'test_loss', 'test_error'] as const;

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
  const lock = new Lockstep(train, trainers);
  const perEpoch = trainers[0]!.schedule.stepsPerEpoch;
  const total = Math.max(1, Math.round(config.epochs * perEpoch));
  const steps = measurementSteps(total, perEpoch, config.measurePoints);
  const series = members.map(() => newSeries(steps.length));
  const lean = config.measure === 'lean';
  const running = lean && config.evalTrainSamples === null;
  const evalTrain = replicaSetup(config, seed, members[0]!).evalTrain; // null unless --train-samples asks for a pass
  const trainProbe = running ? null : lean ? subsetLandscape(train, config.measureSamples) : evalTrain ?? train;
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

  const thetas = trainers.map((t) => t.theta);
  const measure = () => {
    const last = m === steps.length - 1;
    // The group's evaluations are one batched pass per probe (MlpLandscape.lockstepEvaluate).
    const trs = running && epochs[0]!.size > 0 ? null : (trainProbe ?? train).lockstepEvaluate(thetas);
    const tes = (last ? test : testProbe).lockstepEvaluate(thetas);
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
    if (step % every === 0 && step < total) {
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

  trainers.forEach((t, j) => writeReplica(ctx.run, members[j]!, seed, series[j]!, steps, train.layout, t.theta));
  const f = series.map(finals);
  const mean = (k: string) => f.reduce((a, r) => a + r[k]!, 0) / f.length;
  return { replicas: members.length, final_train_loss_mean: mean('final_train_loss'), final_test_error_mean: mean('final_test_error'), steps: total };
}

/** Stack the per-replica series into [K, T] ensemble arrays (axis 0 = replica). */
export async function finalize(run: Run, outcomes: ReplicaOutcomeOk[], config: TrainConfig): Promise<Record<string, unknown>> {
  // An outcome is a unit: one replica, or a lockstep group whose members are stacked in index order.
  const indices = outcomes.flatMap((o) => unitMembers(config, o.index));
  const K = indices.length;
  const first = replicaName(indices[0]!);
  const steps = run.readArray(`per-replica/${first}/steps`).data as Int32Array;
  const T = steps.length;
  run.writeArray('steps', steps);
  const summary: Record<string, unknown> = { replicas: K };
  for (const k of SERIES) {
    const all = new Float64Array(K * T);
    indices.forEach((i, r) => all.set(run.readArray(`per-replica/${replicaName(i)}/${k}`).data as Float64Array, r * T));
    run.writeArray(k, all, [K, T]);
    const finals = new Float64Array(K);
    for (let r = 0; r < K; r++) finals[r] = all[r * T + T - 1]!;
    run.writeArray(`final_${k}`, finals);
    const mean = finals.reduce((a, b) => a + b, 0) / K;
    const se = K > 1 ? Math.sqrt(finals.reduce((a, b) => a + (b - mean) ** 2, 0) / (K - 1) / K) : 0;
    summary[`final_${k}_mean`] = mean;
    summary[`final_${k}_se`] = se;
  }
  const ensemble = ensembleTestError(run, indices, config);
  if (ensemble !== null) summary['ensemble_test_error'] = ensemble;
  return summary;
}

/**
 * Test error of the ensemble's averaged prediction: the K replicas' class probabilities (softmax of
 * the outputs for cross-entropy, the outputs themselves for mse/hinge) averaged per test sample, then
 * the argmax compared with the label — the number a deep-ensemble user quotes beside the mean
 * single-network error. Null for regression data (no classes).
 */
function ensembleTestError(run: Run, indices: number[], config: TrainConfig): number | null {
  const { ds, test } = modelSetup(config, run.manifest.seed, 0);
  const layout = test.layout;
  if (ds.nClasses <= 0 || ds.test.y.length === 0) return null;
  const n = ds.test.y.length;
  const C = ds.nClasses;
  const mean = new Float64Array(n * C);
  const add = (f: Float | Float64Array, start: number, B: number) => {
    for (let r = 0; r < B; r++) {
      const i = start + r;
      const row = f.subarray(r * C, r * C + C);
      if (config.loss === 'ce') {
        let max = -Infinity;
        for (const v of row) max = Math.max(max, v);
        let z = 0;
        for (const v of row) z += Math.exp(v - max);
        for (let c = 0; c < C; c++) mean[i * C + c]! += Math.exp(row[c]! - max) / z;
      } else {
        for (let c = 0; c < C; c++) mean[i * C + c]! += row[c]!;
      }
    }
  };
  if (config.lockstep !== undefined && test instanceof MlpLandscape) {
    // A lockstep run's replicas, a group at a time: one batched forward pass per group.
    for (let g = 0; g < indices.length; g += config.lockstep) {
      const thetas = indices.slice(g, g + config.lockstep).map((i) => {
        const t = test.newConfig();
        t.set(readReplicaTheta(run, i, layout));
        return t;
      });
      test.lockstepEvaluate(thetas, (_k, start, B, f) => add(f, start, B));
    }
  } else {
    const theta = test.newConfig();
    for (const i of indices) {
      theta.set(readReplicaTheta(run, i, layout));
      add(test.outputs(theta), 0, n);
    }
  }
  let wrong = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (mean[i * C + c]! > mean[i * C + best]!) best = c;
    if (best !== ds.test.y[i]) wrong++;
  }
  return wrong / n;
}

export const task: ReplicaTask<TrainConfig> = {
  validate: (config, seed) => { checkTrainData(config, seed); },
  run: (config, ctx) => (config.lockstep === undefined ? runReplica(config, ctx) : runGroup(config, ctx)),
  finalize,
  inputs: (config) => dataFiles(config.data),
  estimateMemory(config: TrainConfig): number {
    // Inputs are held once as loaded (f32) and once in the landscape's precision, train and test.
    const bytes = config.precision === 'f64' ? 8 : 4;
    const n = 70_000; // upper bound used before the data is loaded (MNIST-sized)
    if (config.model.layers !== undefined) {
      // MNIST-sized images (the shape is known only once the data is loaded); the chunk buffers of
      // sequential.ts hold ≤ 2^20 values per layer buffer, with a few per layer: ~16·2^20 values.
      let params = 0;
      try {
        params = networkLayout(config.model.layers, [1, 28, 28]).size;
      } catch {
        // a spec made for other inputs: its check against the data reports it
      }
      return n * 784 * (4 + bytes) + params * bytes * 6 + 16 * (1 << 20) * bytes + 64 * 1024 * 1024;
    }
    const sizes = modelSizes(config.model);
    const d = sizes[0]!;
    let params = 0;
    for (let l = 0; l + 1 < sizes.length; l++) params += (sizes[l]! + 1) * sizes[l + 1]!;
    // Activations and their gradients: one mini-batch (or evaluation chunk of the same size)
    // through every layer, forward and backward.
    let units = 0;
    for (const s of sizes) units += s;
    const activations = Math.max(config.batch, 256) * units * bytes * 3;
    // A lockstep unit holds its G members' weights, moments and activations (and the packed first layer).
    const G = config.lockstep === undefined ? 1 : Math.min(config.lockstep, config.replicas ?? config.lockstep) + 1;
    return n * d * (4 + bytes) + G * (params * bytes * 6 + activations) + 64 * 1024 * 1024;
  },
  estimateFinalizeMemory(config: TrainConfig, replicas: number): number {
    // The four [K, T] series stacked in f64, T ≤ the measurement points plus one per epoch.
    const T = config.measurePoints + Math.ceil(config.epochs) + 2;
    return replicas * T * SERIES.length * 8 * 2;
  },
};
