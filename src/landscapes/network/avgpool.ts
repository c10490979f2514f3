/**
 * avgpool(K[, stride]): PyTorch's nn.AvgPool2d(K, stride = K), no padding, floor output size
 * ⌊(H − K)/S⌋ + 1: y = the mean of each K×K window. Linear and parameter-free, so the R-forward pass is
 * the same average of R{x} and the backward passes spread δy/K² over the window.
 */
import type { Float } from '../../core/backend.js';
import type { Layer } from './layer.js';
import { Pool2d } from './pool.js';

export class AvgPool extends Pool2d implements Layer {
  readonly kind = 'avgpool';

  prepare(): void {}

  forward(_theta: Float, x: Float, y: Float, B: number): void {
    this.average(x, y, B);
  }

  rForward(_theta: Float, _v: Float, _x: Float, rx: Float | null, _y: Float, ry: Float, B: number): void {
    if (rx) this.average(rx, ry, B);
    else ry.fill(0, 0, B * this.outSize);
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
  protected adjoint(dy: Float, dx: Float, B: number): void {
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
