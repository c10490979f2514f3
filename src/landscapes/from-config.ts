/**
 * A network replica's data and landscapes, built from a training config: the data set (loaded once
 * per thread), the replica's training rows (variant 'subset'), and its training, evaluation and test
 * landscapes with the init and data-order streams its variant names. Every network protocol (train,
 * import, aging, l2sweep, the path and curvature analyses) builds a replica here, so a replica of
 * one run is the same network whichever protocol looks at it. The dynamics' counterpart is
 * dynamics/from-config.ts (`trainerFromConfig`).
 *
 * The config is a network run's (dynamics/train-config.ts holds its schema); this module names the
 * fields it reads (NetworkConfig), which every such config has, so no import runs upward.
 */
import { GlassyError } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import type { Float } from '../core/backend.js';
import { loadDataset, type Dataset, type DataSpec, type Split } from '../data/index.js';
import { penaltyCoefficient, type L2Form } from './l2form.js';
import type { LossKind } from './mlp/loss.js';
import type { ModelConfig } from './model-schema.js';
import { MlpLandscape, type MlpData, type Precision } from './mlp/network.js';
import { modelSizes } from './mlp/layout.js';
import { createNetwork, networkLayout, type Network } from './network/index.js';

/** The fields of a network run's config that build a replica's data and landscapes. */
export interface NetworkConfig {
  data: DataSpec;
  model: ModelConfig;
  loss: LossKind;
  precision: Precision;
  /** L2 strength β, read in the convention `l2Form`. */
  l2: number;
  l2Form: L2Form;
  /** What differs between replicas: the init stream, the data order, both, or the training subset. */
  variant: 'init' | 'order' | 'both' | 'subset';
  subsetSize?: number | undefined;
  /** Training samples of the evaluation landscape (null: the training landscape itself). */
  evalTrainSamples: number | null;
}

/** Data sets, loaded once per thread and shared by the replicas a worker runs. */
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

/**
 * The first `count` samples of a split, or its samples `rows`. The inputs are read when first used
 * (and the split's bytes passed on), so a landscape that gathers its mini-batches from the bytes
 * never converts the set (MlpData).
 */
function rowsOf(split: Split, d: number, C: number, rows: Int32Array | null, count?: number): MlpData {
  const bytes = split.bytes;
  if (!rows) {
    const n = count === undefined ? split.y.length : Math.min(count, split.y.length);
    return {
      get x() {
        return split.x.subarray(0, n * d);
      },
      bytes: bytes ? { ...bytes, rows: bytes.rows.subarray(0, n) } : undefined,
      y: split.y.subarray(0, n),
      targets: split.targets ? split.targets.subarray(0, n * C) : null,
      n,
    };
  }
  const n = rows.length;
  const y = new Int32Array(n);
  const targets = split.targets ? new Float32Array(n * C) : null;
  for (let r = 0; r < n; r++) {
    const i = rows[r]!;
    y[r] = split.y[i]!;
    if (targets && split.targets) targets.set(split.targets.subarray(i * C, i * C + C), r * C);
  }
  let x: Float32Array | null = null;
  return {
    get x() {
      if (!x) {
        x = new Float32Array(n * d);
        for (let r = 0; r < n; r++) x.set(split.x.subarray(rows[r]! * d, rows[r]! * d + d), r * d);
      }
      return x;
    },
    bytes: bytes ? { ...bytes, rows: Int32Array.from(rows, (i) => bytes.rows[i]!) } : undefined,
    y, targets, n,
  };
}

/**
 * Loads the data and checks the model fits it — called before a run directory is created, so bad
 * input never leaves a half-made run behind.
 */
export function checkTrainData(config: NetworkConfig, seed: number): Dataset {
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
function subsetRows(config: NetworkConfig, ds: Dataset, seed: number, index: number): Int32Array | null {
  if (config.variant !== 'subset') return null;
  const n = ds.train.n;
  const m = config.subsetSize ?? Math.floor(n / 2);
  if (m > n) throw GlassyError.invalid('subsetSize', m, `at most the training-set size ${n}`);
  return Rng.stream(seed, Stream.subset, index).permutation(n).subarray(0, m).sort();
}

/** Everything a replica needs, built from the config and its index. */
export function replicaSetup(config: NetworkConfig, seed: number, index: number) {
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

/**
 * The test landscape of a run's replicas alone (finalize's ensemble prediction): the same landscape
 * modelSetup builds, without the training ones, so the training inputs are never converted.
 */
export function testSetup(config: NetworkConfig, seed: number): { ds: Dataset; test: NetworkLandscape } {
  const ds = checkTrainData(config, seed);
  const d = ds.nFeatures;
  const C = ds.nClasses > 0 ? ds.nClasses : ds.nTargets ?? 1;
  const data = rowsOf(ds.test, d, C, null);
  if (config.model.layers !== undefined) {
    return { ds, test: createNetwork({ model: config.model.layers, inputShape: inputShapeOf(ds), loss: config.loss, precision: config.precision, bias: config.model.bias }, data) };
  }
  return { ds, test: new MlpLandscape({ arch: { ...config.model, sizes: modelSizes(config.model) }, loss: config.loss, precision: config.precision }, data) };
}

/** Per-sample input shape of the data: the images' [C, H, W] where the source has one, else [d]. */
export function inputShapeOf(ds: Dataset): number[] {
  return ds.inputShape ?? [ds.nFeatures];
}

/** replicaSetup for a network given as a layer spec (landscapes/network): the same data and splits. */
export function networkSetup(config: NetworkConfig, seed: number, index: number) {
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
export function modelSetup(config: NetworkConfig, seed: number, index: number): {
  ds: Dataset; train: NetworkLandscape; evalTrain: NetworkLandscape | null; test: NetworkLandscape; initStream: number; orderStream: number;
} {
  return config.model.layers !== undefined ? networkSetup(config, seed, index) : replicaSetup(config, seed, index);
}
