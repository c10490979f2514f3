/**
 * An ensemble in lockstep: K trainers of replicas of one network on the same data, stepped together
 * so that their mini-batch gradients are one batched computation (MlpLandscape.lockstepGradients).
 * This is what `torch.func.vmap` over a model ensemble does; on a CPU its gain is that the batch is
 * gathered once and the widest GEMMs (the first layer's) run K replicas wide.
 *
 * The fused pass needs the replicas to see the same mini-batch at the same step (a shared data
 * order: variant 'init', where replicas differ by their initialisation only). When their batches
 * differ (independent orders), each replica takes its own ordinary step — the same arithmetic as
 * Trainer.advance, so results never depend on whether a replica ran in lockstep.
 * Every trainer keeps its own θ, optimiser, schedule and checkpointable state.
 */
import type { Float } from '../core/backend.js';
import type { MlpLandscape } from '../landscapes/mlp/network.js';
import type { Trainer } from './trainer.js';

export class Lockstep<X extends Float> {
  private readonly losses: Float64Array;
  /** Each trainer's Σ loss and error count on its last mini-batch (its landscape's lastBatch), and the batch size. */
  readonly lastBatch: { lossSum: Float64Array; errors: Float64Array; size: number };
  private readonly thetas: X[];
  private readonly grads: X[];
  private readonly batches: Int32Array[];
  /** Steps taken fused and unfused (for reports and tests). */
  readonly counts = { fused: 0, separate: 0 };

  constructor(readonly landscape: MlpLandscape<X>, readonly trainers: readonly Trainer<X>[]) {
    for (const t of trainers) {
      if (t.landscape !== landscape) throw new RangeError('lockstep trainers must step the one landscape given');
    }
    this.losses = new Float64Array(trainers.length);
    this.lastBatch = { lossSum: new Float64Array(trainers.length), errors: new Float64Array(trainers.length), size: 0 };
    this.thetas = trainers.map((t) => t.theta);
    this.grads = trainers.map((t) => t.gradient);
    this.batches = trainers.map(() => new Int32Array(0));
  }

  /** One step of every trainer; returns the mini-batch losses (valid until the next call). */
  advance(): Float64Array {
    const K = this.trainers.length;
    for (let k = 0; k < K; k++) this.batches[k] = this.trainers[k]!.schedule.next();
    const first = this.batches[0]!;
    let shared = true;
    for (let k = 1; k < K && shared; k++) shared = sameBatch(first, this.batches[k]!);
    if (shared) {
      this.landscape.lockstepGradients(this.thetas, first, this.grads, this.losses, this.lastBatch);
      this.counts.fused++;
    } else {
      for (let k = 0; k < K; k++) {
        this.losses[k] = this.landscape.batchGradient(this.thetas[k]!, this.batches[k]!, this.grads[k]!);
        this.lastBatch.lossSum[k] = this.landscape.lastBatch.lossSum;
        this.lastBatch.errors[k] = this.landscape.lastBatch.errors;
      }
      this.counts.separate++;
    }
    this.lastBatch.size = first.length;
    for (let k = 0; k < K; k++) this.trainers[k]!.apply(this.losses[k]!);
    return this.losses;
  }
}

function sameBatch(a: Int32Array, b: Int32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
