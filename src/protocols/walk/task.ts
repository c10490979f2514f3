/**
 * The replica task of `walk` (a replica = one walker): the network or the spin trajectory by the
 * config's kind, and the matching reduction.
 */
import type { ReplicaContext, ReplicaOutcomeOk, ReplicaSummary, ReplicaTask } from '../../executor/replica.js';
import { Run } from '../../store/run.js';
import type { WalkConfig } from './config.js';
import { finalizeNetworkWalk, NETWORK_WALKER_BYTES, prepareWalk, runNetworkWalker } from './network.js';
import { finalizeSpinWalk, prepareSpinWalk, runSpinWalker } from './spins.js';

export const task: ReplicaTask<WalkConfig> = {
  /** A new run walks what its source holds: a spinglass run's configurations, or a train run's θ. */
  prepare(raw: Record<string, unknown>): Record<string, unknown> {
    if (raw['kind'] !== undefined || typeof raw['source'] !== 'string') return raw;
    return { ...raw, kind: Run.open(raw['source']).manifest.protocol === 'spinglass' ? 'spinglass' : 'network' };
  },
  validate(config: WalkConfig): void {
    if (config.kind === 'spinglass') prepareSpinWalk(config);
    else prepareWalk(config);
  },
  run(config: WalkConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
    return config.kind === 'spinglass' ? runSpinWalker(config, ctx) : runNetworkWalker(config, ctx);
  },
  // The source run (its weights, configurations and data config); a files data set of the source is not copied.
  inputs: (config: WalkConfig) => [config.source],
  finalize(run: Run, outcomes: ReplicaOutcomeOk[], config: WalkConfig): Promise<Record<string, unknown>> {
    return config.kind === 'spinglass' ? finalizeSpinWalk(run, outcomes, config) : finalizeNetworkWalk(run, outcomes, config);
  },
  estimateMemory(config: WalkConfig): number {
    // A glass: one configuration, its landscape and the series (the source's arrays are read once).
    return config.kind === 'spinglass' ? 256 * 1024 * 1024 : NETWORK_WALKER_BYTES;
  },
};
