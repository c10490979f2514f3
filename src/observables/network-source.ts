/**
 * A complete network run (train or import) as the source of an analysis (walk, permute, connect,
 * hessian, flatness, cluster, surface): its replicas' weights and their landscapes rebuilt in
 * float64 from the run's config, as the observables measure them (path evaluators, the training
 * objective for gradients and Hessians). Opening and checking the run is store/sources.ts's job;
 * this module adds what only a network run has — its config (dynamics/train-config.ts), its replica
 * files (landscapes/weights.ts) and its landscapes (landscapes/from-config.ts). It sits here, the
 * lowest layer that may import all three and the path evaluators (./path.ts) it hands out.
 */
import { GlassyError } from '../core/errors.js';
import { parseTrainConfig, type TrainConfig } from '../dynamics/train-config.js';
import { modelSetup, type NetworkLandscape } from '../landscapes/from-config.js';
import { mlpLayout, modelSizes, type MlpLayout } from '../landscapes/mlp/layout.js';
import type { NetworkLayout } from '../landscapes/network/layout.js';
import type { Evaluator } from './path.js';
import type { Run } from '../store/run.js';
import { checkReplicaIndex as checkIndex, countNetworkReplicas, openRunSource } from '../store/sources.js';
import { NETWORK_RUN_PROTOCOLS, readReplicaWeights, replicaName } from '../landscapes/weights.js';

/** A complete `train` run whose replicas an analysis reads. */
export interface NetworkSource {
  run: Run;
  config: TrainConfig;
  seed: number;
  /** Number of replicas K (replicas/replica-*.safetensors). */
  replicas: number;
  /** An MLP's layout, or a layer-spec network's (read from replica 0's `glassy.network` header). */
  layout: MlpLayout | NetworkLayout;
}

/** Opens `dir` and checks it is a complete train run with network replicas (a GlassyError otherwise). */
export function openTrainSource(dir: string, field = 'source'): NetworkSource {
  const { run, seed } = openRunSource(dir, NETWORK_RUN_PROTOCOLS, field);
  const replicas = countNetworkReplicas(run);
  if (replicas < 1) throw GlassyError.invalid(field, run.dir, 'a run with trained replicas (replicas/replica-*.safetensors)');
  const config = parseTrainConfig(run.manifest.config);
  const { activation, bias, output } = config.model;
  const layout = config.model.layers !== undefined
    ? readReplicaWeights(run, 0).layout
    : mlpLayout({ sizes: modelSizes(config.model), activation, bias, output });
  return { run, config, seed, replicas, layout };
}

/** Throws unless 0 ≤ i < K. */
export function checkReplicaIndex(field: string, i: number, src: NetworkSource): void {
  checkIndex(field, i, src.replicas);
}

/** Replica `index`'s weights as one flat float64 θ (through store/'s checked load path). */
export function replicaTheta(src: NetworkSource, index: number): Float64Array {
  return readReplicaWeights(src.run, index).theta;
}

export interface PathLandscapes {
  /** The training objective of the source run (its L2 term included), float64: for gradients. */
  train: NetworkLandscape<Float64Array>;
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
  const { train, evalTrain, test } = modelSetup(cfg, src.seed, index);
  const ev = evalTrain ?? train;
  return {
    train: train as NetworkLandscape<Float64Array>,
    evalTrain: ev as unknown as Evaluator,
    test: test as unknown as Evaluator,
    trainSamples: ev.nSamples,
  };
}

/** The float64 landscape of a network replica and its weights. */
export interface ReplicaLandscape {
  landscape: NetworkLandscape<Float64Array>;
  theta: Float64Array;
  /** The config of the train run. */
  trainConfig: TrainConfig;
  replicas: number;
}

/** Number of network replicas a run holds (replicas/replica-*.safetensors). */
export const countReplicas = countNetworkReplicas;

/** Opens a complete train run and checks it (before anything is written). */
export function openTrainRun(dir: string, field = 'source'): Run {
  return openRunSource(dir, NETWORK_RUN_PROTOCOLS, field).run;
}

/**
 * The training loss of replica `index` of a train run as a float64 landscape (the run's data,
 * model and loss), on the first `subset` training samples when given, with or without its L2 term
 * (the coefficient of the run's own training landscape, whatever its L2 convention).
 */
export function replicaLandscape(run: Run, index: number, opts: { subset?: number | null; regularised?: boolean } = {}): ReplicaLandscape {
  const trainConfig = parseTrainConfig(run.manifest.config);
  const replicas = countNetworkReplicas(run);
  if (!(index < replicas)) throw GlassyError.invalid('replica', index, `an index < ${replicas} (the replicas of ${run.dir})`);
  if (!run.hasTensors(replicaName(index))) throw GlassyError.invalid('replica', index, `a replica with weights in ${run.dir}/replicas`);
  const cfg = { ...trainConfig, precision: 'f64' as const, evalTrainSamples: opts.subset ?? null };
  const setup = modelSetup(cfg, run.manifest.seed, index);
  const landscape = (setup.evalTrain ?? setup.train) as NetworkLandscape<Float64Array>;
  landscape.l2 = opts.regularised ? setup.train.l2 : 0;
  const { theta, layout } = readReplicaWeights(run, index);
  if (layout.size !== landscape.dim) {
    throw GlassyError.invalid('replica', index, `weights with ${landscape.dim} parameters (the run's model), found ${layout.size}`);
  }
  return { landscape, theta, trainConfig, replicas };
}

/** The train config of a source run. */
export function sourceConfig(run: Run): TrainConfig {
  return parseTrainConfig(run.manifest.config);
}

/** Replica `index`'s landscapes of a source run, its config changed by `overrides` (precision, evaluation samples). */
export function sourceSetup(run: Run, index: number, overrides: Partial<TrainConfig> = {}): ReturnType<typeof modelSetup> {
  return modelSetup({ ...parseTrainConfig(run.manifest.config), ...overrides }, run.manifest.seed, index);
}
