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
import { modelSizes, type TrainConfig } from './train/protocol.js';
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

const SERIES = ['train_loss', 'train_error', 'test_loss', 'test_error'] as const;

async function runReplica(config: TrainConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
  const { seed, index } = ctx;
  const setup = config.model.layers !== undefined ? networkSetup(config, seed, index) : replicaSetup(config, seed, index);
  const { train, evalTrain, test, initStream, orderStream } = setup;
  const theta = train.newConfig();
  const stepped = flattenedLandscape(train, config.flatten, seed, index); // [curvature] SAM / Entropy-SGD wrapper, or train itself
  const trainer = trainerFromConfig(stepped, theta, config,
    { order: Rng.stream(seed, Stream.dataOrder, orderStream), noise: Rng.stream(seed, Stream.noise, index) }, index);
  const schedule = trainer.schedule;
  const total = Math.max(1, Math.round(config.epochs * schedule.stepsPerEpoch));
  const steps = measurementSteps(total, schedule.stepsPerEpoch, config.measurePoints);
  const series = Object.fromEntries(SERIES.map((k) => [k, new Float64Array(steps.length).fill(NaN)])) as Record<(typeof SERIES)[number], Float64Array>;

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

  const name = replicaName(index);
  const run = ctx.run;
  for (const k of SERIES) run.writeArray(`per-replica/${name}/${k}`, series[k]);
  run.writeArray(`per-replica/${name}/steps`, steps);
  writeReplicaWeights(run, index, train.layout, theta, seed);
  const last = steps.length - 1;
  return {
    final_train_loss: series.train_loss[last]!,
    final_train_error: series.train_error[last]!,
    final_test_loss: series.test_loss[last]!,
    final_test_error: series.test_error[last]!,
    steps: total,
  };
}

/** Stack the per-replica series into [K, T] ensemble arrays (axis 0 = replica). */
export async function finalize(run: Run, outcomes: ReplicaOutcomeOk[], config: TrainConfig): Promise<Record<string, unknown>> {
  const K = outcomes.length;
  const first = replicaName(outcomes[0]!.index);
  const steps = run.readArray(`per-replica/${first}/steps`).data as Int32Array;
  const T = steps.length;
  run.writeArray('steps', steps);
  const summary: Record<string, unknown> = { replicas: K };
  for (const k of SERIES) {
    const all = new Float64Array(K * T);
    outcomes.forEach((o, r) => all.set(run.readArray(`per-replica/${replicaName(o.index)}/${k}`).data as Float64Array, r * T));
    run.writeArray(k, all, [K, T]);
    const finals = new Float64Array(K);
    for (let r = 0; r < K; r++) finals[r] = all[r * T + T - 1]!;
    run.writeArray(`final_${k}`, finals);
    const mean = finals.reduce((a, b) => a + b, 0) / K;
    const se = K > 1 ? Math.sqrt(finals.reduce((a, b) => a + (b - mean) ** 2, 0) / (K - 1) / K) : 0;
    summary[`final_${k}_mean`] = mean;
    summary[`final_${k}_se`] = se;
  }
  const ensemble = ensembleTestError(run, outcomes, config);
  if (ensemble !== null) summary['ensemble_test_error'] = ensemble;
  return summary;
}

/**
 * Test error of the ensemble's averaged prediction: the K replicas' class probabilities (softmax of
 * the outputs for cross-entropy, the outputs themselves for mse/hinge) averaged per test sample, then
 * the argmax compared with the label — the number a deep-ensemble user quotes beside the mean
 * single-network error. Null for regression data (no classes).
 */
function ensembleTestError(run: Run, outcomes: ReplicaOutcomeOk[], config: TrainConfig): number | null {
  const { ds, test } = config.model.layers !== undefined ? networkSetup(config, run.manifest.seed, 0) : replicaSetup(config, run.manifest.seed, 0);
  const layout = test.layout;
  if (ds.nClasses <= 0 || ds.test.y.length === 0) return null;
  const n = ds.test.y.length;
  const C = ds.nClasses;
  const mean = new Float64Array(n * C);
  const theta = test.newConfig();
  for (const o of outcomes) {
    theta.set(readReplicaTheta(run, o.index, layout));
    const f = test.outputs(theta);
    for (let i = 0; i < n; i++) {
      const row = f.subarray(i * C, i * C + C);
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
  run: runReplica,
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
    return n * d * (4 + bytes) + params * bytes * 6 + activations + 64 * 1024 * 1024;
  },
  estimateFinalizeMemory(config: TrainConfig, replicas: number): number {
    // The four [K, T] series stacked in f64, T ≤ the measurement points plus one per epoch.
    const T = config.measurePoints + Math.ceil(config.epochs) + 2;
    return replicas * T * SERIES.length * 8 * 2;
  },
};
