/**
 * The `flatten` field of a train config: train with a flatness-seeking rule instead of the plain
 * mini-batch gradient — SAM (Foret et al. 2021; dynamics/sam.ts) or Entropy-SGD (Chaudhari et al.
 * 2017; dynamics/entropy-sgd.ts). Both are wrappers of the training landscape whose mini-batch
 * gradient is the rule's gradient, so the trainer and the optimisers are unchanged.
 */
import { z } from 'zod';
import type { Float } from '../core/backend.js';
import type { SampledLandscape } from '../landscapes/landscape.js';
import { ENTROPY_SGD_DEFAULTS, EntropySgdLandscape } from './entropy-sgd.js';
import { SamLandscape } from './sam.js';

/** The `flatten` field's schema (the train config holds it; its defaults are the rules' own). */
export const flattenSchema = z.object({
  kind: z.enum(['none', 'sam', 'entropy-sgd']).default('none').describe('flatness-seeking rule'),
  /** SAM radius ρ (Foret et al.: 0.05). */
  rho: z.number().positive().default(0.05).describe('SAM radius ρ'),
  /** Entropy-SGD coupling γ and its scoping rate γ₁ (γ_t = γ(1+γ₁)^t). */
  gamma: z.number().positive().default(ENTROPY_SGD_DEFAULTS.gamma).describe('Entropy-SGD coupling γ'),
  scoping: z.number().min(0).default(ENTROPY_SGD_DEFAULTS.scoping).describe('Entropy-SGD scoping γ₁ in γ_t = γ(1+γ₁)^t'),
  /** Entropy-SGD inner SGLD steps L, step size η′, noise ε, averaging α. */
  innerSteps: z.number().int().positive().default(ENTROPY_SGD_DEFAULTS.innerSteps).describe('Entropy-SGD inner SGLD steps L'),
  innerLr: z.number().positive().default(ENTROPY_SGD_DEFAULTS.innerLr).describe("Entropy-SGD inner step size η'"),
  noise: z.number().min(0).default(ENTROPY_SGD_DEFAULTS.noise).describe('Entropy-SGD SGLD noise ε'),
  alpha: z.number().gt(0).max(1).default(ENTROPY_SGD_DEFAULTS.alpha).describe('Entropy-SGD averaging weight α'),
});

export type FlattenConfig = z.infer<typeof flattenSchema>;

/** The landscape the trainer should step on: the training landscape itself, or its SAM / Entropy-SGD wrapper. */
export function flattenedLandscape<X extends Float>(
  train: SampledLandscape<X>, flatten: FlattenConfig | undefined, seed: number, replica: number,
): SampledLandscape<X> {
  if (!flatten || flatten.kind === 'none') return train;
  if (flatten.kind === 'sam') return new SamLandscape(train, flatten.rho);
  return new EntropySgdLandscape(train, flatten, seed, replica);
}

/** After a checkpoint restore: the Entropy-SGD wrapper's outer-step counter follows the trainer. */
export function restoreFlattened<X extends Float>(landscape: SampledLandscape<X>, step: number): void {
  if (landscape instanceof EntropySgdLandscape) landscape.step = step;
}
