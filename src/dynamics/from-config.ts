/**
 * A Trainer from a training config: the mini-batch schedule and the update rule built from the
 * config fields every network protocol shares (`optimizer`, `batch`, `sampling`), with the data
 * order and the optimiser's noise drawn from the two streams the caller names. One place, so
 * train, l2sweep and aging build the same trajectory from the same config and seeds.
 */
import type { Float } from '../core/backend.js';
import type { Rng } from '../core/rng.js';
import type { SampledLandscape } from '../landscapes/landscape.js';
import { BatchSchedule, type Sampling } from './batches.js';
import { type OptimizerConfig, createOptimizer } from './optimizers.js';
import { Trainer } from './trainer.js';

export interface TrainingConfig {
  optimizer: OptimizerConfig & { lr: number };
  batch: number;
  sampling: Sampling;
}

export interface TrainingStreams {
  /** Draws the mini-batch order. */
  order: Rng;
  /** The optimiser's noise (Langevin); unused by the others. */
  noise: Rng;
}

/**
 * `landscape` is what the trainer steps on (a SAM / Entropy-SGD wrapper, or the training landscape
 * itself); the batches index its samples. `replica` names the trajectory in error messages.
 */
export function trainerFromConfig<X extends Float>(
  landscape: SampledLandscape<X>, theta: X, config: TrainingConfig, streams: TrainingStreams, replica: number,
): Trainer<X> {
  const schedule = new BatchSchedule(landscape.nSamples, config.batch, config.sampling, streams.order);
  const optimizer = createOptimizer(config.optimizer, landscape.dim, theta, streams.noise);
  return new Trainer(landscape, theta, optimizer, schedule, { replica, lr: config.optimizer.lr });
}
