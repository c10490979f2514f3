/**
 * The configuration of the `walk` protocol: one schema per trajectory kind, told apart by `kind`.
 * 'network' walks the parameters θ of a trained replica of a `train` run; 'spinglass' walks a final
 * configuration of a `spinglass` run. A config without `kind` is a network walk (runs made before the
 * spin trajectory joined the protocol).
 */
import { z } from 'zod';
import { zodError } from '../train.js';

const common = {
  source: z.string().min(1),
  /** The replica whose configuration is the starting point. */
  replica: z.number().int().min(0).default(0),
  /** Walkers W (= the ensemble's replica count). */
  walkers: z.number().int().min(1).default(4),
  steps: z.number().int().min(1).default(1000),
  /** Metropolis temperature on the loss / energy; 0: every step accepted. */
  temperature: z.number().min(0).default(0),
  /** Bins of the histogram of increments. */
  bins: z.number().int().min(2).default(50),
  /** Largest lag of the increment autocorrelation (clamped to S − 1). */
  maxLag: z.number().int().min(1).default(50),
  /** Steps between checkpoints (does not change results). */
  checkpointEvery: z.number().int().positive().default(200),
};

export const networkWalkSchema = z.object({
  kind: z.literal('network'),
  ...common,
  /** Step size h ≥ 0 (isotropic: the step norm; filter: the fraction of each row norm). */
  stepSize: z.number().min(0),
  directions: z.enum(['isotropic', 'filter']).default('isotropic'),
  /** The escape distance is the first distance where L > L(θ_0) + threshold. */
  threshold: z.number().positive().default(0.1),
  /** Epochs of re-training from each end point with the source run's optimizer (0: none). */
  retrainEpochs: z.number().min(0).default(0),
  /** Training samples the walk's loss is measured on (the first n; null: all). */
  trainSamples: z.number().int().positive().nullable().default(2000),
  /** Steps between test-set evaluations (null: S/20, at least 1); step S is always measured. */
  testEvery: z.number().int().positive().nullable().default(null),
});

export const spinWalkSchema = z.object({
  kind: z.literal('spinglass'),
  ...common,
  /** Which temperature's and which disorder sample's configuration to start from. */
  temperatureIndex: z.number().int().min(0).default(0),
  sample: z.number().int().min(0).default(0),
  /** Ising: spins flipped per step. */
  flips: z.number().int().min(1).default(1),
  /** p-spin: norm of the tangent step. */
  stepSize: z.number().min(0).default(0.1),
  /** Escape: first distance where e exceeds e(x_0) + threshold (per spin). */
  threshold: z.number().positive().default(0.05),
});

export const walkConfigSchema = z.preprocess(
  (raw) => (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && !('kind' in raw) ? { ...raw, kind: 'network' } : raw),
  z.discriminatedUnion('kind', [networkWalkSchema, spinWalkSchema]),
);

export type NetworkWalkConfig = z.infer<typeof networkWalkSchema>;
export type SpinWalkConfig = z.infer<typeof spinWalkSchema>;
export type WalkConfig = NetworkWalkConfig | SpinWalkConfig;

export function parseWalkConfig(raw: unknown): WalkConfig {
  const r = walkConfigSchema.safeParse(raw);
  if (!r.success) throw zodError(r.error, raw);
  return r.data;
}
