/**
 * The ensemble side of a network run (train, import): the four learning curves every network
 * replica writes under per-replica/, stacked by finalize into [K, T] arrays with their final values'
 * mean ± SE and the ensemble's test error, and the memory such a run needs. The outcomes are the
 * executor's units (one replica, or a lockstep group: the config's `unitMembers`); only their
 * indices are read, so this module needs nothing of the executor.
 */
import type { Float } from '../core/backend.js';
import { unitMembers, type TrainConfig } from '../dynamics/train-config.js';
import { testSetup } from '../landscapes/from-config.js';
import { modelSizes } from '../landscapes/mlp/layout.js';
import { MlpLandscape } from '../landscapes/mlp/network.js';
import { networkLayout } from '../landscapes/network/index.js';
import { readReplicaTheta, replicaName } from '../landscapes/weights.js';
import type { Run } from '../store/run.js';

/** The learning curves a network replica records at each measurement step. */
export const SERIES = ['train_loss', 'train_error', 'test_loss', 'test_error'] as const;

/** Stack the per-replica series into [K, T] ensemble arrays (axis 0 = replica). */
export async function finalizeNetworkRun(run: Run, outcomes: ReadonlyArray<{ index: number }>, config: TrainConfig): Promise<Record<string, unknown>> {
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
  const { ds, test } = testSetup(config, run.manifest.seed);
  const layout = test.layout;
  if (ds.nClasses <= 0 || ds.test.y.length === 0) return null;
  const n = ds.test.y.length;
  const C = ds.nClasses;
  const mean = new Float64Array(n * C);
  const e = new Float64Array(C);
  // Indexed loops, each exponential once (64 replicas × 10 000 samples: 0.46 s as views and for-of).
  const add = (f: Float | Float64Array, start: number, B: number) => {
    for (let r = 0; r < B; r++) {
      const o = r * C, m = (start + r) * C;
      if (config.loss === 'ce') {
        let max = -Infinity;
        for (let c = 0; c < C; c++) max = Math.max(max, f[o + c]!);
        let z = 0;
        for (let c = 0; c < C; c++) z += (e[c] = Math.exp(f[o + c]! - max));
        for (let c = 0; c < C; c++) mean[m + c]! += e[c]! / z;
      } else {
        for (let c = 0; c < C; c++) mean[m + c]! += f[o + c]!;
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

/** Memory one replica (or lockstep unit) of a network run needs, before its data is loaded. */
export function networkReplicaMemory(config: TrainConfig): number {
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
  // A lockstep unit holds its G members' weights, moments and activations, and the group's own
  // copies of their weights, gradients and moments (dynamics/lockstep.ts).
  const G = config.lockstep === undefined ? 1 : 2 * Math.min(config.lockstep, config.replicas ?? config.lockstep);
  return n * d * (4 + bytes) + G * (params * bytes * 6 + activations) + 64 * 1024 * 1024;
}

/** Memory finalize needs to stack K replicas' series. */
export function networkFinalizeMemory(config: TrainConfig, replicas: number): number {
  // The four [K, T] series stacked in f64, T ≤ the measurement points plus one per epoch.
  const T = config.measurePoints + Math.ceil(config.epochs) + 2;
  return replicas * T * SERIES.length * 8 * 2;
}
