/**
 * The `walk` protocol — random walks from a minimum, protocol (1) of Liao et al. (arXiv:2407.20724),
 * on a network (network.ts: θ of a trained replica, loss against distance, optional re-training) or
 * on a spin glass (spins.ts: a final configuration of a spinglass run, energy per spin against
 * distance and overlap). One task for both: a replica is ONE WALKER, its randomness
 * Rng.stream(seed, Stream.walk, walker); walkers checkpoint and run on any executor, and the
 * reduction writes the same walk_* arrays for both kinds (docs/run-format/walk.md).
 */
import { GlassyError } from '../../core/errors.js';
import { runEnsemble, type EnsembleOptions } from '../../executor/ensemble.js';
import type { ReplicaContext, ReplicaOutcomeOk, ReplicaSummary, ReplicaTask } from '../../executor/replica.js';
import { Run } from '../../store/run.js';
import { parseWalkConfig, type WalkConfig } from './config.js';
import { finalizeNetworkWalk, NETWORK_WALKER_BYTES, prepareWalk, runNetworkWalker } from './network.js';
import { finalizeSpinWalk, prepareSpinWalk, runSpinWalker } from './spins.js';

export * from './config.js';
export { prepareWalk, randomStep, testSteps } from './network.js';
export { prepareSpinWalk } from './spins.js';
export { walkerName } from './increments.js';

export const task: ReplicaTask<WalkConfig> = {
  protocol: 'walk',
  parseConfig: parseWalkConfig,
  run(config: WalkConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
    return config.kind === 'spinglass' ? runSpinWalker(config, ctx) : runNetworkWalker(config, ctx);
  },
  finalize(run: Run, outcomes: ReplicaOutcomeOk[], config: WalkConfig): Promise<Record<string, unknown>> {
    return config.kind === 'spinglass' ? finalizeSpinWalk(run, outcomes, config) : finalizeNetworkWalk(run, outcomes, config);
  },
  estimateMemory(config: WalkConfig): number {
    // A glass: the configurations of the source are read once (≤ 2^30 spins as float64 at worst, usually far less).
    return config.kind === 'spinglass' ? 256 * 1024 * 1024 : NETWORK_WALKER_BYTES;
  },
};

/** Checks the source (before any run directory exists); returns its seed, the walk's default. */
export function prepare(config: WalkConfig): { seed: number } {
  return config.kind === 'spinglass' ? prepareSpinWalk(config) : prepareWalk(config);
}

/** Library entry point: check, create the run, walk (in this thread unless an executor is given), reduce. */
export async function runWalk(config: WalkConfig, outDir: string, opts: Omit<EnsembleOptions, 'replicas'> & { seed?: number; overwrite?: boolean } = {}): Promise<Record<string, unknown>> {
  const { seed, overwrite, ...exec } = opts;
  const src = prepare(config);
  const run = Run.create(outDir, { protocol: 'walk', config, seed: seed ?? src.seed }, { overwrite: overwrite ?? false });
  const r = await runEnsemble(run, task, { executor: 'inprocess', progress: 'none', handleSignals: false, ...exec, replicas: config.walkers });
  if (r.status !== 'complete') throw new GlassyError(`walk ${run.dir}: ${r.status}`, 'run', run.dir, 'a complete run');
  return { run: run.dir, ...r.summary };
}
