/**
 * avgpool(K[, stride]): PyTorch's nn.AvgPool2d(K, stride = K), no padding, floor output size
 * ⌊(H − K)/S⌋ + 1: y = the mean of each K×K window. Linear and parameter-free, so the R-forward pass is
 * the same average of R{x} and the backward passes spread δy/K² over the window.
 */
import type { Float } from '../../core/backend.js';
import type { Layer, Shape, TensorSlice } from './layer.js';

export class AvgPool implements Layer {
  readonly kind = 'avgpool';
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
  prepare(): void {}

  forward(_theta: Float, x: Float, y: Float, B: number): void {
    this.average(x, y, B);
  }

  backward(_theta: Float, _x: Float, _y: Float, dy: Float, dx: Float | null, _g: Float | null, B: number): void {
    if (dx) this.spread(dy, dx, B);
  }

  rForward(_theta: Float, _v: Float, _x: Float, rx: Float | null, _y: Float, ry: Float, B: number): void {
    if (rx) this.average(rx, ry, B);
    else ry.fill(0, 0, B * this.outSize);
  }

  rBackward(
    _theta: Float, _v: Float, _x: Float, _rx: Float | null, _y: Float, _dy: Float, rdy: Float,
    rdx: Float | null, _out: Float, B: number,
  ): void {
    if (rdx) this.spread(rdy, rdx, B);
  }

  private average(x: Float, y: Float, B: number): void {
    const [c, h, w] = this.inShape as [number, number, number];
    const [, ho, wo] = this.outShape as [number, number, number];
    const k = this.kernel, s = this.stride, inv = 1 / (k * k);
    let o = 0;
    for (let plane = 0; plane < B * c; plane++) {
      const base = plane * h * w;
      for (let oh = 0; oh < ho; oh++) {
        for (let ow = 0; ow < wo; ow++, o++) {
          let sum = 0;
          for (let kh = 0; kh < k; kh++) {
            const row = base + (oh * s + kh) * w + ow * s;
            for (let kw = 0; kw < k; kw++) sum += x[row + kw]!;
          }
          y[o] = sum * inv;
        }
      }
    }
  }

  /** The adjoint of average: dx ← 0, then each window gets δy/K². */
  private spread(dy: Float, dx: Float, B: number): void {
    const [c, h, w] = this.inShape as [number, number, number];
    const [, ho, wo] = this.outShape as [number, number, number];
    const k = this.kernel, s = this.stride, inv = 1 / (k * k);
    dx.fill(0, 0, B * this.inSize);
    let o = 0;
    for (let plane = 0; plane < B * c; plane++) {
      const base = plane * h * w;
      for (let oh = 0; oh < ho; oh++) {
        for (let ow = 0; ow < wo; ow++, o++) {
          const d = dy[o]! * inv;
          for (let kh = 0; kh < k; kh++) {
            const row = base + (oh * s + kh) * w + ow * s;
            for (let kw = 0; kw < k; kw++) dx[row + kw] = dx[row + kw]! + d;
          }
        }
      }
    }
  }
}
