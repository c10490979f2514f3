/**
 * What max- and average-pooling share: PyTorch's floor output size ⌊(H − K)/S⌋ + 1 of a K×K window
 * moved S apart without padding, no parameters, and backward passes that are one linear map (the
 * adjoint of the forward routing) applied to δy and, unchanged, to R{δy}.
 */
import type { Float } from '../../core/backend.js';
import type { Shape, TensorSlice } from './layer.js';

export abstract class Pool2d {
  readonly inShape: Shape;
  readonly outShape: Shape;
  readonly inSize: number;
  readonly outSize: number;
  readonly params: TensorSlice[] = [];

  constructor(readonly token: string, inShape: Shape, readonly kernel: number, readonly stride: number) {
    const [c, h, w] = inShape as [number, number, number];
    const ho = Math.floor((h - kernel) / stride) + 1;
    const wo = Math.floor((w - kernel) / stride) + 1;
    this.inShape = [c, h, w];
    this.outShape = [c, ho, wo];
    this.inSize = c * h * w;
    this.outSize = c * ho * wo;
  }

  initialise(): void {}

  backward(_theta: Float, _x: Float, _y: Float, dy: Float, dx: Float | null, _g: Float | null, B: number): void {
    if (dx) this.adjoint(dy, dx, B);
  }

  rBackward(
    _theta: Float, _v: Float, _x: Float, _rx: Float | null, _y: Float, _dy: Float, rdy: Float,
    rdx: Float | null, _out: Float, B: number,
  ): void {
    if (rdx) this.adjoint(rdy, rdx, B);
  }

  /** dx ← the adjoint of the forward map applied to dy (dx is overwritten). */
  protected abstract adjoint(dy: Float, dx: Float, B: number): void;
}
