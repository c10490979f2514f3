/**
 * The `flatten` field of a train config: train with a flatness-seeking rule instead of the plain
 * mini-batch gradient — SAM (Foret et al. 2021; dynamics/sam.ts) or Entropy-SGD (Chaudhari et al.
 * 2017; dynamics/entropy-sgd.ts). Both are wrappers of the training landscape whose mini-batch
 * gradient is the rule's gradient, so the trainer and the optimisers are unchanged.
 */
import type { Float } from '../core/backend.js';
import type { SampledLandscape } from '../landscapes/landscape.js';
// The field's type is the train schema's (its one description); a type-only import runs no code upward.
import type { FlattenConfig } from '../protocols/train/protocol.js';
import { EntropySgdLandscape } from './entropy-sgd.js';
import { SamLandscape } from './sam.js';

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
