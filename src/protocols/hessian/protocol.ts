/**
 * The light half of protocol `hessian` (its task is ../hessian.ts): the config schema — what `glassy
 * hessian --help` shows — the blocks of the computation (one replica each), and the Protocol object.
 */
import { z } from 'zod';
import { GlassyError, parseWith } from '../../core/errors.js';
import type { Protocol } from '../../executor/protocol.js';
import { DEFAULT_DENSE_MAX } from '../../observables/hessian/dense.js';

export const pspinTargetSchema = z.object({
  n: z.number().int().min(4).describe('spherical p-spin of N spins instead of a network run'),
  p: z.union([z.literal(2), z.literal(3), z.literal(4)]).default(3),
  /** Disorder sample of the couplings; the couplings and the random start derive from the run's seed. */
  sample: z.number().int().min(0).default(0).describe('p-spin disorder sample (couplings and start from the run seed)'),
  /** Gradient-descent steps on the sphere before measuring (0: the random point itself). */
  gdSteps: z.number().int().min(0).default(0).describe('p-spin: gradient-descent steps before measuring (0: the random point)'),
  dt: z.number().positive().default(0.05).describe('p-spin gradient-descent step'),
});

export const hessianConfigSchema = z.object({
  /** A complete `train` run (or null with `pspin`). */
  source: z.string().min(1).nullable().default(null),
  replica: z.number().int().min(0).default(0).describe('which replica of the run'),
  /** Training loss on the first n training samples (null: all of the replica's training samples). */
  subset: z.number().int().positive().nullable().default(null).describe('training loss on the first n training samples (none: all)'),
  /** Include the run's L2 term λ‖θ‖² (adds 2λ to every eigenvalue). Default: the bare training loss. */
  regularised: z.boolean().default(false).describe("include the run's L2 term (adds 2λ to every eigenvalue)"),
  pspin: pspinTargetSchema.nullable().default(null),
  /** Largest eigenvalues wanted (0: none). */
  top: z.number().int().min(0).default(10).describe('largest eigenvalues (0: none)'),
  /** Smallest (most negative) eigenvalues wanted (0: none). */
  bottom: z.number().int().min(0).default(0).describe('smallest (most negative) eigenvalues'),
  /** Store the Ritz vectors (float32). */
  vectors: z.boolean().default(true).describe('store the eigenvectors'),
  tol: z.number().gt(0).lt(1).default(1e-6).describe('Lanczos residual tolerance relative to ‖H‖'),
  maxIter: z.number().int().positive().optional().describe('most Hessian-vector products per Lanczos call'),
  density: z.boolean().default(false).describe('spectral density by stochastic Lanczos quadrature'),
  densityRuns: z.number().int().positive().default(10).describe('SLQ random probes (one replica each)'),
  densitySteps: z.number().int().positive().default(80).describe('SLQ Lanczos steps per probe'),
  densityPoints: z.number().int().min(2).default(1000).describe('density grid points'),
  sigma: z.number().positive().optional().describe("Gaussian broadening of the density (default: PyHessian's rule)"),
  trace: z.boolean().default(false).describe("trace by Hutchinson's estimator"),
  /** Hutchinson probe vectors. */
  samples: z.number().int().positive().default(100).describe('Hutchinson probe vectors'),
  /** Hutchinson probe vectors per replica. */
  traceBlock: z.number().int().positive().default(10).describe('Hutchinson probe vectors per replica (does not change the result)'),
  dense: z.boolean().default(false).describe('dense Hessian and its full spectrum (small P)'),
  denseMax: z.number().int().positive().default(DEFAULT_DENSE_MAX).describe('largest P for --dense'),
  /** |λ| ≤ zeroTol·max|λ| counts as zero. */
  zeroTol: z.number().gt(0).lt(1).default(1e-6).describe('|λ| ≤ r·max|λ| counts as zero'),
  gaussNewton: z.boolean().default(false).describe('also the generalised Gauss–Newton matrix J_fᵀ H_ℓ J_f (arrays gn_*)'),
  /** γ of the log-volume Σ log(1 + λ⁺/γ) (flatness.ts). */
  gamma: z.number().positive().default(1).describe('γ of the log-volume Σ log(1 + λ⁺/γ)'),
});

export type HessianConfig = z.infer<typeof hessianConfigSchema>;

export function parseHessianConfig(raw: unknown): HessianConfig {
  return checkHessianConfig(parseWith(hessianConfigSchema, raw));
}

function checkHessianConfig(c: HessianConfig): HessianConfig {
  if ((c.source === null) === (c.pspin === null)) {
    throw GlassyError.invalid('source', c.source, 'either a train run or a p-spin target (--pspin-n), not both or neither');
  }
  if (c.top === 0 && c.bottom === 0 && !c.density && !c.trace && !c.dense) {
    throw GlassyError.invalid('top', 0, 'something to compute: --top k, --bottom k, --density, --trace or --dense');
  }
  if (c.gaussNewton && c.pspin) throw GlassyError.invalid('gaussNewton', true, 'a network run (the Gauss–Newton matrix needs network outputs)');
  return c;
}

/** One replica's share of the computation. `first` is the first probe (slq, trace). */
export interface HessianPart {
  prefix: '' | 'gn_';
  kind: 'top' | 'bottom' | 'slq' | 'trace' | 'dense';
  first: number;
  count: number;
}

/** The replicas of a hessian run, in order: per operator, top, bottom, SLQ probes, trace blocks, dense. */
export function hessianParts(config: HessianConfig): HessianPart[] {
  const parts: HessianPart[] = [];
  for (const prefix of config.gaussNewton ? (['', 'gn_'] as const) : ([''] as const)) {
    if (config.top > 0) parts.push({ prefix, kind: 'top', first: 0, count: 1 });
    if (config.bottom > 0) parts.push({ prefix, kind: 'bottom', first: 0, count: 1 });
    if (config.density) for (let r = 0; r < config.densityRuns; r++) parts.push({ prefix, kind: 'slq', first: r, count: 1 });
    if (config.trace) {
      for (let i = 0; i < config.samples; i += config.traceBlock) parts.push({ prefix, kind: 'trace', first: i, count: Math.min(config.traceBlock, config.samples - i) });
    }
    if (config.dense) parts.push({ prefix, kind: 'dense', first: 0, count: 1 });
  }
  return parts;
}

export const protocol: Protocol<HessianConfig> = {
  name: 'hessian',
  schema: hessianConfigSchema,
  check: checkHessianConfig,
  replicas: (c) => hessianParts(c).length,
  cli: {
    description: 'Hessian eigenvalues (Lanczos), spectral density (SLQ), trace (Hutchinson), dense spectrum; of a network replica or a p-spin configuration',
    arguments: [{ name: 'run', field: 'source', optional: true, description: 'a complete train run (or use --pspin-n)' }],
    flags: {
      'pspin.n': { flag: 'pspin-n', value: 'N' },
      'pspin.p': { flag: 'p', value: 'p', parse: Number, help: 'p-spin order 2, 3 or 4' },
      'pspin.sample': { flag: 'pspin-sample' },
      subset: { flag: 'train-samples', value: 'n', aliases: ['subset'] },   // one flag per concept (flatness, walk, permute, connect)
      // --samples means disorder samples elsewhere (spinglass, aging): Hutchinson's vectors are probes.
      samples: { flag: 'probes', value: 'n', aliases: ['samples'] },
    },
    outFrom: 'source',
    describeSummary(s) {
      const parts = [`P = ${String(s['dim'])}`];
      if (s['lambda_max'] !== undefined) parts.push(`λ_max = ${(s['lambda_max'] as number).toPrecision(6)}`);
      if (s['lambda_min'] !== undefined) parts.push(`λ_min = ${(s['lambda_min'] as number).toPrecision(6)}`);
      if (s['trace'] !== undefined) parts.push(`tr H = ${(s['trace'] as number).toPrecision(5)} ± ${(s['trace_se'] as number).toPrecision(2)}`);
      if (s['dense_negative'] !== undefined) parts.push(`dense: ${String(s['dense_negative'])} negative, ${String(s['dense_near_zero'])} near zero`);
      return [parts.join(', ')];
    },
  },
  task: async () => (await import('../hessian.js')).task,
};
