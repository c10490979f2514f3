/**
 * The light half of protocol `permute` (its task is ../permute.ts): the config schema — what `glassy
 * permute --help` shows — the number of replicas a config asks for, and the Protocol object.
 */
import { z } from 'zod';
import { parseWith } from '../../core/errors.js';
import type { Protocol } from '../../executor/protocol.js';
import type { PermuteSummary } from '../permute.js';

export const permuteConfigSchema = z.object({
  source: z.string().min(1),
  /** The replica whose θ is permuted. */
  replica: z.number().int().min(0).default(0).describe('the replica whose θ is permuted'),
  /** Displaced units per hidden layer (0, or 2 … width), or 'random' for a uniform permutation. */
  swaps: z.array(z.union([z.number().int().min(0), z.literal('random')])).min(1).default(['random']).describe('displaced units per hidden layer (0 or 2..width), or random; a list gives the dependence on k'),
  /** How the k displaced units are permuted: one k-cycle, or k/2 transpositions. */
  shape: z.enum(['cycle', 'transpositions']).default('cycle').describe('how the k displaced units are permuted'),
  /** Independent permutations per k. */
  repeats: z.number().int().min(1).default(1).describe('independent permutations per k'),
  /** Points G of each profile. */
  points: z.number().int().min(2).default(41).describe('points along each path'),
  /** Also the straight path between these two replicas, before and after weight matching. */
  pair: z.tuple([z.number().int().min(0), z.number().int().min(0)]).nullable().default(null).describe('also the straight path between replicas a,b, before and after weight matching'),
  /** Training samples of the evaluations (null: all). */
  trainSamples: z.number().int().positive().nullable().default(null).describe('training samples of the evaluations (none: all)'),
});

export type PermuteConfig = z.infer<typeof permuteConfigSchema>;

export function parsePermuteConfig(raw: unknown): PermuteConfig {
  return parseWith(permuteConfigSchema, raw);
}

/** One replica per permutation (swaps × repeats), and two for the pair (raw, aligned). */
export function permuteReplicas(config: PermuteConfig): number {
  return config.swaps.length * config.repeats + (config.pair ? 2 : 0);
}

/** "random,2,10,50" → ['random', 2, 10, 50]. */
function swapList(value: string): Array<number | 'random'> {
  return value.split(',').map((p) => {
    const t = p.trim();
    if (t === 'random') return 'random';
    const v = Number(t);
    if (t === '' || !Number.isInteger(v) || v < 0) throw new Error(`expected non-negative integers or "random" separated by commas, got "${value}"`);
    return v;
  });
}

/** "0,1" → [0, 1]. */
function pairOf(value: string): [number, number] {
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(value);
  if (!m) throw new Error(`expected two replica indices a,b, got "${value}"`);
  return [Number(m[1]), Number(m[2])];
}

export const protocol: Protocol<PermuteConfig> = {
  name: 'permute',
  schema: permuteConfigSchema,
  replicas: permuteReplicas,
  cli: {
    description: 'loss along θ → Pθ for hidden-unit permutations P (barrier vs displaced units k), and θa → θb before/after alignment',
    arguments: [{ name: 'run', field: 'source', description: 'a complete train run directory' }],
    flags: {
      swaps: { value: 'k,...', parse: swapList },
      pair: { value: 'a,b', parse: pairOf },
    },
    outFrom: 'source',
    describeSummary(raw) {
      const s = raw as unknown as PermuteSummary;
      const lines = [`|E(Pθ) − E(θ)| ≤ ${s.invariance_max_abs.toExponential(2)}`];
      lines.push(...s.per_k.map((r) => `k = ${r.k}: barrier ${r.barrier.toPrecision(4)} (test ${r.test_barrier.toPrecision(4)}), |θ − Pθ| = ${r.distance.toPrecision(4)}`));
      if (s.pair_barrier_linear !== undefined) lines.push(`pair: barrier ${s.pair_barrier_linear.toPrecision(4)} before alignment, ${s.pair_barrier_aligned!.toPrecision(4)} after`);
      return lines;
    },
  },
  task: async () => (await import('../permute.js')).task,
};
