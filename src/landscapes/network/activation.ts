/**
 * relu | tanh | sigmoid | linear as layers (nn.ReLU, nn.Tanh, nn.Sigmoid, nn.Identity): element-wise,
 * on any shape. The arithmetic is the MLP's (landscapes/mlp/activation.ts), so both paths agree bit
 * for bit: δx = δy ⊙ φ'(x), R{y} = φ'(x) ⊙ R{x}, R{δx} = R{δy} ⊙ φ'(x) + δy ⊙ φ''(x) ⊙ R{x}.
 * A float32 ReLU's forward and backward steps use the backend's reluForward / reluBackward kernels
 * where it has them (the same selections, so the same bits).
 */
import type { Backend, Float } from '../../core/backend.js';
import { activate, mulDerivative, rBackward } from '../mlp/activation.js';
import type { Activation } from '../mlp/layout.js';
import type { Layer, Shape, TensorSlice } from './layer.js';

export const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'sigmoid', 'linear'];

export class ActivationLayer implements Layer {
  readonly outShape: Shape;
  readonly inSize: number;
  readonly outSize: number;
  readonly params: TensorSlice[] = [];

  constructor(
    readonly token: string, readonly kind: Activation, readonly inShape: Shape, size: number, private readonly backend?: Backend,
  ) {
    this.outShape = inShape;
    this.inSize = this.outSize = size;
  }

  initialise(): void {}
  prepare(): void {}

  forward(_theta: Float, x: Float, y: Float, B: number): void {
    const be = this.backend;
    if (this.kind === 'relu' && be?.reluForward && x instanceof Float32Array && y instanceof Float32Array) {
      be.reluForward(x, y, B * this.inSize);
      return;
    }
    activate(this.kind, x, y, B * this.inSize);
  }

  backward(_theta: Float, x: Float, y: Float, dy: Float, dx: Float | null, _g: Float | null, B: number): void {
    if (!dx) return;
    const n = B * this.inSize;
    const be = this.backend;
    if (this.kind === 'relu' && be?.reluBackward && x instanceof Float32Array && dy instanceof Float32Array && dx instanceof Float32Array) {
      be.reluBackward(x, dy, dx, n);
      return;
    }
    dx.set(dy.subarray(0, n));
    mulDerivative(this.kind, x, y, dx, n);
  }

  rForward(_theta: Float, _v: Float, x: Float, rx: Float | null, y: Float, ry: Float, B: number): void {
    const n = B * this.inSize;
    if (!rx) {
      ry.fill(0, 0, n);
      return;
    }
    ry.set(rx.subarray(0, n));
    mulDerivative(this.kind, x, y, ry, n);
  }

  rBackward(
    _theta: Float, _v: Float, x: Float, rx: Float | null, y: Float, dy: Float, rdy: Float,
    rdx: Float | null, _out: Float, B: number,
  ): void {
    if (!rdx) return;
    const n = B * this.inSize;
    rdx.set(rdy.subarray(0, n));
    if (rx) rBackward(this.kind, x, y, dy, rx, rdx, n);
    else mulDerivative(this.kind, x, y, rdx, n);
  }
}
