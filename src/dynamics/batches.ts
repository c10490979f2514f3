/**
 * Mini-batch schedules for SGD-like dynamics over n samples.
 * - 'shuffle' (without replacement): every epoch visits each sample once in a fresh random order,
 *   as PyTorch's DataLoader(shuffle=True); a final partial batch is kept (drop_last=False).
 * - 'replacement': every batch is B indices drawn uniformly with replacement (the i.i.d.-batch SGD of
 *   most theory papers).
 * - 'full': every step is the whole set (full-batch gradient descent).
 * The schedule is a pure function of its stream, and its state (stream + position in the epoch's
 * permutation) is checkpointed, so a resumed run draws exactly the same batches.
 */
import { Rng, type RngState } from '../core/rng.js';

export type Sampling = 'shuffle' | 'replacement' | 'full';

export interface BatchState {
  rng: RngState;
  order: Int32Array;
  position: number;
}

export class BatchSchedule {
  private rng: Rng;
  private order: Int32Array;
  private position: number;
  private readonly buffers = new Map<number, Int32Array>();

  constructor(readonly n: number, readonly batch: number, readonly sampling: Sampling, rng: Rng) {
    this.rng = rng;
    this.order = new Int32Array(n);
    for (let i = 0; i < n; i++) this.order[i] = i;
    // 'shuffle' starts an epoch on the first call; 'full' keeps the identity order.
    this.position = sampling === 'shuffle' ? n : 0;
  }

  /** Batches per epoch (the last may be partial). */
  get stepsPerEpoch(): number {
    if (this.sampling === 'full') return 1;
    return Math.ceil(this.n / this.batch);
  }

  /** The next batch of sample indices (a view valid until the next call). */
  next(): Int32Array {
    if (this.sampling === 'full') return this.order;
    if (this.sampling === 'replacement') {
      const b = this.buffer(this.batch);
      for (let i = 0; i < b.length; i++) b[i] = this.rng.int(this.n);
      return b;
    }
    if (this.position >= this.n) {
      this.rng.shuffle(this.order);
      this.position = 0;
    }
    const end = Math.min(this.position + this.batch, this.n);
    const b = this.order.subarray(this.position, end);
    this.position = end;
    return b;
  }

  private buffer(size: number): Int32Array {
    let b = this.buffers.get(size);
    if (!b) this.buffers.set(size, (b = new Int32Array(size)));
    return b;
  }

  state(): BatchState {
    return { rng: this.rng.state(), order: this.order.slice(), position: this.position };
  }

  restore(s: BatchState): void {
    this.rng = Rng.fromState(s.rng);
    this.order.set(s.order);
    this.position = s.position;
  }
}
