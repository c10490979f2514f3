/**
 * The configuration of the `walk` protocol. `kind` says what is walked: 'network' — the parameters
 * θ of a trained replica of a `train` run — or 'spinglass' — a final configuration of a `spinglass`
 * run; a new run takes it from the source run's protocol (task.prepare), and a config without it is
 * a network walk (runs made before the spin trajectory joined the protocol). One flat schema, so the
 * command's flags are generated from it; fields of the other kind are ignored.
 */
import { z } from 'zod';
import { GlassyError } from '../../core/errors.js';

export const walkConfigSchema = z.strictObject({
  source: z.string().min(1).describe('the run the walkers start from (a complete train or spinglass run)'),
  kind: z.enum(['network', 'spinglass']).default('network').describe('what is walked (set from the source run)'),
  replica: z.number().int().min(0).default(0).describe('the replica whose minimum (configuration) the walkers start from'),
  walkers: z.number().int().min(1).default(4).describe('independent walkers W (the replicas of the run)'),
  steps: z.number().int().min(1).default(1000).describe('steps per walker'),
  stepSize: z.number().min(0).optional()
    .describe('network: the norm of every isotropic step, or the fraction of each unit\'s weight norm (filter) (required); p-spin: the norm of the tangent step (default: 0.1)'),
  temperature: z.number().min(0).default(0).describe('Metropolis temperature on the loss / energy (0: every step accepted)'),
  threshold: z.number().positive().optional().describe('escape: the first distance where the loss (energy per spin) exceeds its start + threshold (default: 0.1; glasses 0.05)'),
  bins: z.number().int().min(2).default(50).describe('bins of the increment histogram'),
  maxLag: z.number().int().min(1).default(50).describe('largest lag of the increment autocorrelation'),
  checkpointEvery: z.number().int().positive().default(200).describe('steps between checkpoints (does not change results)'),
  // Networks.
  directions: z.enum(['isotropic', 'filter']).default('isotropic').describe('network: isotropic Gaussian steps, or filter-normalised (Li et al. 2018)'),
  retrainEpochs: z.number().min(0).default(0).describe('network: re-train each end point with the source optimizer for this many epochs (0: no)'),
  trainSamples: z.number().int().positive().nullable().default(2000).describe('network: training samples the loss is measured on (the first n; "all": every one)'),
  testEvery: z.number().int().positive().nullable().default(null).describe('network: steps between test-set evaluations; none = S/20'),
  // Glasses.
  temperatureIndex: z.number().int().min(0).default(0).describe('spin glass: which temperature\'s configuration to start from'),
  sample: z.number().int().min(0).default(0).describe('spin glass: which disorder sample'),
  flips: z.number().int().min(1).default(1).describe('spin glass: spins flipped per step (Ising models)'),
});

type Parsed = z.output<typeof walkConfigSchema>;
export type NetworkWalkConfig = Parsed & { kind: 'network'; stepSize: number; threshold: number };
export type SpinWalkConfig = Parsed & { kind: 'spinglass'; stepSize: number; threshold: number };
export type WalkConfig = NetworkWalkConfig | SpinWalkConfig;

/** The per-kind defaults and the network's required step size (the protocol's `check`; idempotent). */
export function checkWalkConfig(c: Parsed): WalkConfig {
  if (c.kind === 'network') {
    if (c.stepSize === undefined) throw GlassyError.invalid('--step-size', undefined, 'a step size h ≥ 0 (e.g. --step-size 0.05)');
    return { ...c, kind: 'network', stepSize: c.stepSize, threshold: c.threshold ?? 0.1 };
  }
  return { ...c, kind: 'spinglass', stepSize: c.stepSize ?? 0.1, threshold: c.threshold ?? 0.05 };
}
