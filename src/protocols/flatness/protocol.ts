/**
 * The light half of protocol `flatness` (its task is ../flatness.ts): config schema, CLI
 * description, K = the replicas of all source runs.
 */
import { z } from 'zod';
import { GlassyError, parseWith } from '../../core/errors.js';
import type { Protocol } from '../../executor/protocol.js';

export const flatnessConfigSchema = z.object({
  /** The train runs, absolute paths (prepare resolves them). */
  sources: z.array(z.string().min(1)).min(1),
  /** Replicas of each source (filled in by prepare). */
  counts: z.array(z.number().int().positive()).min(1),
  subset: z.number().int().positive().nullable().default(null).describe('Hessian and losses on the first n training samples (none: all)'),
  top: z.number().int().positive().default(5).describe('top eigenvalues for λ_max and the log-volume'),
  tol: z.number().gt(0).lt(1).default(1e-5).describe('Lanczos residual tolerance relative to ‖H‖'),
  volumeGamma: z.number().positive().default(1).describe('γ of the log-volume Σ log(1 + λ⁺/γ) over the top k'),
  traceSamples: z.number().int().min(0).default(30).describe('Hutchinson probes of the trace (0: skip)'),
  epsilon: z.number().positive().default(1e-3).describe("Keskar et al.'s box size ε"),
  sharpnessSteps: z.number().int().min(0).default(10).describe('ascent steps of the ε-sharpness (0: skip)'),
  entropyGamma: z.number().positive().default(1e4).describe('local entropy coupling γ (θ′ ~ N(θ, 1/γ))'),
  entropySamples: z.number().int().min(0).default(32).describe('local entropy samples (0: skip)'),
  entropyBeta: z.number().positive().default(1).describe('local entropy inverse temperature β'),
  bootstrap: z.number().int().positive().default(2000).describe('bootstrap resamples of the confidence intervals'),
  /** Walk runs whose increments give the ruggedness (resolved by the command). */
  walks: z.array(z.object({
    run: z.string(), source: z.string(), replica: z.number().int().min(0),
    ruggedness: z.number(), autocorr: z.number().nullable(),
  })).default([]),
});

export type FlatnessConfig = z.infer<typeof flatnessConfigSchema>;

/** One replica count per source. */
function checkFlatnessConfig(c: FlatnessConfig): FlatnessConfig {
  if (c.counts.length !== c.sources.length) throw GlassyError.invalid('counts', c.counts, `one replica count per source (${c.sources.length})`);
  return c;
}

export function parseFlatnessConfig(raw: unknown): FlatnessConfig {
  return checkFlatnessConfig(parseWith(flatnessConfigSchema, raw));
}

export const protocol: Protocol<FlatnessConfig> = {
  name: 'flatness',
  schema: flatnessConfigSchema,
  check: checkFlatnessConfig,
  replicas: (c) => c.counts.reduce((a, b) => a + b, 0),
  cli: {
    description: 'λ_max, trace, log-volume, ε-sharpness and local entropy of every replica of train runs; Spearman/Kendall correlations with the test error',
    arguments: [{ name: 'runs', field: 'sources', variadic: true, description: 'complete train runs (e.g. differing in batch size, lr, L2, width, SAM)' }],
    flags: {
      counts: false,
      subset: { flag: 'train-samples', value: 'n', aliases: ['subset'] },
      walks: { flag: 'walk', value: 'runs', variadic: true, parse: (t) => t, help: 'walk runs from these replicas: their loss-increment spread is the ruggedness' },
    },
    outFrom: 'sources',
    describeSummary(summary) {
      const rows = (summary['correlations'] ?? []) as Array<Record<string, number | string>>;
      const f = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : 'n/a');
      return rows.map((r) => `${String(r['measure']).padEnd(18)} Spearman ${f(r['spearman'])} [${f(r['spearman_lo'])}, ${f(r['spearman_hi'])}]  Kendall ${f(r['kendall'])} [${f(r['kendall_lo'])}, ${f(r['kendall_hi'])}]`);
    },
  },
  task: async () => (await import('../flatness.js')).task,
};
