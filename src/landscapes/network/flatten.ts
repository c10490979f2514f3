/**
 * flatten: PyTorch's nn.Flatten() — [C, H, W] → [C·H·W]. NCHW storage is already that order, so the
 * values are copied unchanged; it exists so that the shapes (and the dense layer's [out, C·H·W] weight)
 * say what PyTorch's do.
 */
import type { Float } from '../../core/backend.js';
import { sizeOf, type Layer, type Shape, type TensorSlice } from './layer.js';

export class Flatten implements Layer {
  readonly kind = 'flatten';
  readonly outShape: Shape;
  readonly inSize: number;
  readonly outSize: number;
  readonly params: TensorSlice[] = [];

  constructor(readonly token: string, readonly inShape: Shape) {
    this.inSize = this.outSize = sizeOf(inShape);
    this.outShape = [this.inSize];
  }

  initialise(): void {}
  prepare(): void {}

  forward(_theta: Float, x: Float, y: Float, B: number): void {
    y.set(x.subarray(0, B * this.inSize));
  }

  backward(_theta: Float, _x: Float, _y: Float, dy: Float, dx: Float | null, _g: Float | null, B: number): void {
    if (dx) dx.set(dy.subarray(0, B * this.inSize));
  }

  rForward(_theta: Float, _v: Float, _x: Float, rx: Float | null, _y: Float, ry: Float, B: number): void {
    if (rx) ry.set(rx.subarray(0, B * this.inSize));
    else ry.fill(0, 0, B * this.inSize);
  }

  rBackward(
    _theta: Float, _v: Float, _x: Float, _rx: Float | null, _y: Float, _dy: Float, rdy: Float,
    rdx: Float | null, _out: Float, B: number,
  ): void {
    if (rdx) rdx.set(rdy.subarray(0, B * this.inSize));
  }
}
