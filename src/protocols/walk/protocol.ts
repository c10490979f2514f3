/**
 * The `walk` protocol — random walks from a minimum, protocol (1) of Liao et al. (arXiv:2407.20724),
 * on a network (network.ts: θ of a trained replica, loss against distance, optional re-training) or
 * on a spin glass (spins.ts: a final configuration of a spinglass run, energy per spin against
 * distance and overlap). One task for both (task.ts): a replica is ONE WALKER, its randomness
 * Rng.stream(seed, Stream.walk, walker); walkers checkpoint and run on any executor, and the
 * reduction writes the same walk_* arrays for both kinds (docs/run-format/walk.md).
 */
import type { ZodType } from 'zod';
import type { Protocol } from '../../executor/protocol.js';
import { checkWalkConfig, walkConfigSchema, type WalkConfig } from './config.js';

function describeSummary(s: Record<string, unknown>): string[] {
  const f = (v: unknown) => (typeof v === 'number' ? v.toPrecision(4) : String(v));
  if (s['kind'] === 'spinglass') {
    return [`e(x0) = ${f(s['start_energy'])}, final ⟨e⟩ = ${f(s['final_energy_mean'])}, ⟨q(x_t, x_0)⟩ = ${f(s['final_overlap_mean'])}, acceptance ${f(s['acceptance_mean'])}, escaped ${f(s['escaped_fraction'])}`];
  }
  return [`L(θ0) = ${f(s['start_train_loss'])}, final ⟨L⟩ = ${f(s['final_train_loss_mean'])}, ⟨|θ−θ0|⟩ = ${f(s['final_distance_mean'])} (h√S = ${f(s['random_walk_distance'])}), acceptance ${f(s['acceptance_mean'])}, escaped ${f(s['escaped_fraction'])}`];
}

export const protocol: Protocol<WalkConfig> = {
  name: 'walk',
  // The schema's output is completed by `check` (per-kind defaults) into a WalkConfig.
  schema: walkConfigSchema as unknown as ZodType<WalkConfig>,
  check: checkWalkConfig,
  replicas: (c) => c.walkers,
  cli: {
    description: 'random walks from a trained minimum or a glass configuration: loss vs distance, escape distance, ruggedness of the increments',
    arguments: [{ name: 'run', field: 'source', description: 'a complete train or spinglass run directory' }],
    flags: {
      kind: false,
      checkpointEvery: false,
      trainSamples: { parse: (t) => (t === 'all' ? null : positiveInt(t)), value: 'n|all' },
    },
    outFrom: 'source',
    describeSummary,
  },
  task: async () => (await import('./task.js')).task,
};

function positiveInt(t: string): number {
  const v = Number(t);
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`expected a positive integer or "all", got "${t}"`);
  return v;
}
