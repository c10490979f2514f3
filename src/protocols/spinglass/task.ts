/**
 * The replica task of `spinglass` (its heavy half; protocol.ts is the light one).
 *
 * What a replica is: ONE DISORDER SAMPLE m (replica index m = 0..M−1, M = `samples`), with its R
 * thermal replicas (or R parallel-tempering ladders) at every temperature. The replicas of a sample
 * must run together because q_ab is measured between them at equal times; samples are independent,
 * so they are what the executors (local pool, BullMQ queue, `--shard i/n` + `glassy merge`) spread,
 * and what `glassy resume` continues from its checkpoint after a kill (ising.ts, pspin.ts).
 */
import type { ReplicaContext, ReplicaSummary, ReplicaTask } from '../../executor/replica.js';
import { measuredTemperatures, spinCount, type SpinglassConfig } from './config.js';
import { runIsingSample } from './ising.js';
import { runPSpinSample } from './pspin.js';
import { finalizeSpinglass } from './summary.js';

export const task: ReplicaTask<SpinglassConfig> = {
  run(config: SpinglassConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
    return config.model === 'pspin' ? runPSpinSample(config, ctx) : runIsingSample(config, ctx);
  },
  finalize: finalizeSpinglass,
  estimateMemory(cfg: SpinglassConfig): number {
    const N = spinCount(cfg);
    const K = measuredTemperatures(cfg).length;
    const R = cfg.replicas;
    const p = cfg.p ?? 3;
    const couplings = cfg.model === 'pspin'
      ? (8 * N ** p) / (p === 4 ? 24 : p === 3 ? 6 : 2)
      : cfg.model === 'sk' || cfg.model === 'hopfield' ? 8 * N * N : 8 * 2 * 3 * N;
    // Chains (spins + fields), stored configurations, and their copies in a checkpoint.
    return couplings + 3 * K * R * N * 9 + 16 * 1024 * 1024;
  },
};
