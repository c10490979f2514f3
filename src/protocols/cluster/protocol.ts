/**
 * The light half of protocol `cluster` (its task is ../cluster.ts): the config schema — what `glassy
 * cluster --help` shows — the replicas (blocks of alignments) a config asks for, and the Protocol object.
 */
import { z } from 'zod';
import type { Protocol } from '../../executor/protocol.js';
import type { ClusterSummary } from '../cluster.js';

export const clusterConfigSchema = z.object({
  /** The run whose replicas are analysed (a `train` or `spinglass` run). */
  source: z.string().min(1),
  /** What the source holds (filled in from the source run when the run is created). */
  sourceKind: z.enum(['network', 'spinglass']),
  /** Its replicas K (network replicas, or replicas per disorder sample). */
  sourceReplicas: z.number().int().min(3),
  overlap: z.enum(['params', 'aligned', 'outputs']).default('aligned').describe('params: as trained; aligned: after weight matching (networks) or spin flip; outputs: test-set outputs'),
  linkage: z.enum(['single', 'complete', 'average', 'ward']).default('average').describe('agglomerative linkage'),
  /**
   * Alignment of network replicas: 'pairwise' aligns b onto a for every pair (exact, K²/2 matchings);
   * 'reference' aligns every replica onto replica 0 once (K matchings), the practical choice for
   * large K. 'auto': pairwise up to 64 replicas.
   */
  align: z.enum(['auto', 'pairwise', 'reference']).default('auto').describe('network alignment: every pair, or all onto replica 0 (auto: pairwise up to 64 replicas)'),
  /**
   * How hidden units are matched: by their weights (Ainsworth et al. 2023, weight matching) or by
   * the correlation of their activations on a probe batch of `probe` training samples (activation
   * matching, Ainsworth et al. §3.1; Li et al. 2015).
   */
  alignMethod: z.enum(['weights', 'activations']).default('weights').describe('match hidden units by their weights, or by their activations on a probe batch'),
  probe: z.number().int().positive().default(1000).describe('training samples of the activation-matching probe batch'),
  /** Spin-glass runs: which temperature (index) and disorder sample. */
  temperatureIndex: z.number().int().min(0).default(0).describe('spin glasses: which temperature of the run'),
  sample: z.number().int().min(0).default(0).describe('spin glasses: which disorder sample to cluster (P(q) uses all)'),
  bins: z.number().int().min(2).default(50).describe('P(q) histogram bins'),
  /** Null model of the ultrametricity statistic's distribution (arrays ultrametric_null). */
  nullModel: z.enum(['gaussian', 'shuffle']).default('shuffle').describe("null model of the ultrametricity statistic's distribution"),
  /** Permutations of the ultrametricity test (p ≥ 1/(permutations + 1)). */
  permutations: z.number().int().min(1).default(199).describe('permutations of the ultrametricity test (p ≥ 1/(B+1))'),
  /** Alignments (pairs of replicas) per replica of the run. */
  pairBlock: z.number().int().positive().default(8).describe('alignments per replica of the run (does not change the result)'),
});

export type ClusterConfig = z.infer<typeof clusterConfigSchema>;

/** The pairs whose alignment the replicas compute, or null when there is nothing to align (one replica). */
export function alignmentPairs(config: ClusterConfig, kind: 'network' | 'spinglass', K: number): Array<[number, number]> | null {
  if (kind !== 'network' || config.overlap !== 'aligned') return null;
  const pairwise = config.align === 'pairwise' || (config.align === 'auto' && K <= 64);
  const pairs: Array<[number, number]> = [];
  for (let a = 0; a < (pairwise ? K : 1); a++) for (let b = a + 1; b < K; b++) pairs.push([a, b]);
  return pairs;
}

/** Replicas of a cluster run: blocks of `pairBlock` alignments, or 1. */
export function clusterBlocks(config: ClusterConfig): number {
  const pairs = alignmentPairs(config, config.sourceKind, config.sourceReplicas);
  return pairs ? Math.ceil(pairs.length / config.pairBlock) : 1;
}

export const protocol: Protocol<ClusterConfig> = {
  name: 'cluster',
  schema: clusterConfigSchema,
  replicas: clusterBlocks,
  cli: {
    description: 'overlap matrix, P(q), dendrogram and ultrametricity (with a permutation test) of the replicas of a train or spinglass run',
    arguments: [{ name: 'run', field: 'source', description: 'a complete train or spinglass run directory' }],
    flags: { sourceKind: false, sourceReplicas: false, nullModel: { flag: 'null' } },
    outFrom: 'source',
    describeSummary(raw) {
      const s = raw as unknown as ClusterSummary;
      return [
        `K = ${s.replicas}, ⟨q⟩ = ${s.q_mean.toFixed(4)}` + (s.q_mean_unaligned !== undefined ? ` (unaligned ${s.q_mean_unaligned.toFixed(4)})` : '') +
        `, cophenetic correlation ${s.cophenetic_correlation.toFixed(3)}`,
        `ultrametricity: mean K ${s.ultrametric_mean.toFixed(3)} vs ${s.ultrametric_permutation_null_mean.toFixed(3)} for permuted distances, ` +
        (s.ultrametric_has_power ? `p = ${s.ultrametric_p_value.toPrecision(2)}, effect ${s.ultrametric_effect_size.toFixed(2)} null SDs` : 'no power') + ` (${s.ultrametric_note})`,
      ];
    },
  },
  task: async () => (await import('../cluster.js')).task,
};
