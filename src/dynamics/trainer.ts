/**
 * One training trajectory: a sampled landscape, a configuration θ, an update rule and a batch
 * schedule, stepped one mini-batch at a time. Protocols (train, aging, l2sweep, walks that re-train)
 * all move networks through this class, so the step, the divergence check and the checkpointed
 * state are written once.
 */
import type { Float } from '../core/backend.js';
import { GlassyError } from '../core/errors.js';
import type { RngState } from '../core/rng.js';
import type { SampledLandscape } from '../landscapes/landscape.js';
import type { BatchSchedule } from './batches.js';
import type { Optimizer } from './optimizers.js';

/** The trajectory's resumable state, in the shape of an executor Checkpoint (arrays + JSON meta). */
export interface TrainerState {
  arrays: Record<string, Float | Int32Array>;
  meta: { step: number; optStep: number; position: number; rng: Record<string, RngState> };
}

export class Trainer<X extends Float> {
  /** SGD steps taken so far. */
  step = 0;
  private readonly grad: X;

  constructor(
    readonly landscape: SampledLandscape<X>,
    readonly theta: X,
    readonly optimizer: Optimizer,
    readonly schedule: BatchSchedule,
    /** For error messages: which replica and what learning rate. */
    private readonly label: { replica: number; lr: number },
  ) {
    this.grad = landscape.newConfig();
  }

  /** One update on the next mini-batch; returns the mini-batch loss (with the landscape's L2 term). */
  advance(): number {
    const loss = this.landscape.batchGradient(this.theta, this.schedule.next(), this.grad);
    this.apply(loss);
    return loss;
  }

  /** The gradient buffer the update reads (a lockstep pass fills it for several trainers at once). */
  get gradient(): X {
    return this.grad;
  }

  /** The update from the gradient already in `gradient`, whose mini-batch loss was `loss`. */
  apply(loss: number): void {
    this.checkLoss(loss);
    this.optimizer.step(this.theta, this.grad);
    this.step++;
  }

  /** Refuses a non-finite mini-batch loss: the step diverged (one line naming --lr). */
  checkLoss(loss: number): void {
    if (!Number.isFinite(loss)) {
      throw new GlassyError(
        `replica ${this.label.replica} diverged at step ${this.step}: mini-batch loss is ${loss}; lower --lr (now ${this.label.lr})`,
        'lr', this.label.lr, 'a smaller learning rate',
      );
    }
  }

  state(): TrainerState {
    const opt = this.optimizer.state();
    const bs = this.schedule.state();
    const arrays: Record<string, Float | Int32Array> = { theta: this.theta.slice(), order: bs.order };
    for (const [k, v] of Object.entries(opt.arrays)) arrays[`opt.${k}`] = v;
    return {
      arrays,
      meta: { step: this.step, optStep: opt.step, position: bs.position, rng: { order: bs.rng, ...(opt.rng ? { noise: opt.rng } : {}) } },
    };
  }

  restore(s: { arrays: Record<string, unknown>; meta: Record<string, unknown> }): void {
    const meta = s.meta as TrainerState['meta'];
    this.theta.set(s.arrays['theta'] as Float);
    const optArrays: Record<string, Float> = {};
    for (const [k, v] of Object.entries(s.arrays)) if (k.startsWith('opt.')) optArrays[k.slice(4)] = v as Float;
    this.optimizer.restore({ step: meta.optStep, arrays: optArrays, ...(meta.rng['noise'] ? { rng: meta.rng['noise'] } : {}) });
    this.schedule.restore({ rng: meta.rng['order']!, order: s.arrays['order'] as Int32Array, position: meta.position });
    this.step = meta.step;
  }
}
