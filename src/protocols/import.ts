/**
 * Protocol `import`, the task (its light half is import/protocol.ts): replica i is files[i] — a
 * PyTorch state_dict (.safetensors) or an ONNX graph's initializers — mapped onto the model's layout
 * (interop/state-dict.ts), evaluated on the data, and written exactly as `train` writes a replica:
 * replicas/replica-<iiii>.safetensors (nn.Sequential names, layout metadata, `glassy.source`) and
 * per-replica/<name>/{steps, train_loss, train_error, test_loss, test_error} with one measurement
 * at step 0; finalize stacks them as train does.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { GlassyError } from '../core/errors.js';
import type { ReplicaContext, ReplicaSummary, ReplicaTask } from '../executor/replica.js';
import { onnxStateDict } from '../interop/onnx.js';
import { BATCHNORM_EPS, foldStateDictBatchNorms } from '../interop/batchnorm.js';
import { stateDictToTheta, stripDataParallelPrefix, type StateTensor } from '../interop/state-dict.js';
import { checkTrainData, networkSetup, replicaSetup } from '../landscapes/from-config.js';
import { decodeSafetensors } from '../store/safetensors.js';
import { importTrainConfig, type ImportConfig } from './import/protocol.js';
import { finalizeNetworkRun, networkReplicaMemory } from '../observables/network-ensemble.js';
import { writeReplicaWeights, replicaName } from '../landscapes/weights.js';

/**
 * The file's tensors by name, in file order (the named-module rule depends on it), as the plain
 * network glassy evaluates: a DataParallel `module.` prefix removed, BatchNorm modules folded into the
 * layer before them with ε = `batchnormEps` (ONNX graphs carry their own ε), `num_batches_tracked`
 * (int64 in PyTorch's files) dropped.
 */
export function readStateDict(file: string, batchnormEps = BATCHNORM_EPS): Record<string, StateTensor> {
  if (file.toLowerCase().endsWith('.onnx')) return onnxStateDict(file);
  let buf: Uint8Array;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw GlassyError.invalid('file', file, `a readable .safetensors file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const { tensors } = decodeSafetensors(buf, file, (k) => k.endsWith('num_batches_tracked'));
  const out: Record<string, StateTensor> = {};
  for (const [k, t] of Object.entries(tensors)) {
    if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new GlassyError(`${file}: key "${k}": dtype ${t.dtype}, expected float32 or float64 weights`, 'key', k, 'float32 or float64');
    out[k] = { data: t.data as Float32Array | Float64Array, shape: t.shape };
  }
  return foldStateDictBatchNorms(file, stripDataParallelPrefix(out), batchnormEps);
}

function setupOf(config: ImportConfig, seed: number) {
  const train = importTrainConfig(config);
  return train.model.layers !== undefined ? networkSetup(train, seed, 0) : replicaSetup(train, seed, 0);
}

async function runReplica(config: ImportConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
  const file = config.files[ctx.index]!;
  const { train, evalTrain, test } = setupOf(config, ctx.seed);
  const theta = train.newConfig();
  theta.set(stateDictToTheta(file, readStateDict(file, config.batchnormEps), train.layout.tensors, train.layout.size));
  const tr = (evalTrain ?? train).evaluate(theta);
  const te = test.evaluate(theta);
  const name = replicaName(ctx.index);
  const run = ctx.run;
  const series = { train_loss: tr.loss, train_error: tr.error, test_loss: te.loss, test_error: te.error };
  for (const [k, v] of Object.entries(series)) run.writeArray(`per-replica/${name}/${k}`, new Float64Array([v]));
  run.writeArray(`per-replica/${name}/steps`, new Int32Array([0]));
  writeReplicaWeights(run, ctx.index, train.layout, theta, ctx.seed, { 'glassy.source': basename(file) });
  return {
    final_train_loss: tr.loss, final_train_error: tr.error, final_test_loss: te.loss, final_test_error: te.error, steps: 0,
  };
}

export const task: ReplicaTask<ImportConfig> = {
  validate(config, seed) {
    const train = importTrainConfig(config);
    checkTrainData(train, seed);
    // Every file maps onto the model before the run directory exists: a bad key refuses the whole import.
    const { train: landscape } = setupOf(config, seed);
    for (const f of config.files) stateDictToTheta(f, readStateDict(f, config.batchnormEps), landscape.layout.tensors, landscape.layout.size);
  },
  run: runReplica,
  async finalize(run, outcomes, config) {
    const summary = await finalizeNetworkRun(run, outcomes, importTrainConfig(config));
    for (const k of ['train_loss', 'train_error', 'test_loss', 'test_error']) summary[k] = summary[`final_${k}_mean`];
    return summary;
  },
  estimateMemory: (config) => networkReplicaMemory(importTrainConfig(config)),
};
