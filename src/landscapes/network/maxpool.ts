/**
 * maxpool(K[, stride]): PyTorch's nn.MaxPool2d(K, stride = K), no padding, floor output size
 * ⌊(H − K)/S⌋ + 1. The forward pass records, for each output, the input position of its window's
 * maximum (the first one in row-major order on ties, as PyTorch's CPU kernel); everything after is
 * routed by that argmax: δx[argmax] += δy, R{y} = R{x}[argmax], R{δx}[argmax] += R{δy}. Max-pool is
 * piecewise linear, so away from ties its second derivative is zero and this routing is exact.
 * The forward pass and the scatter go through the backend's maxPool / scatterAdd kernels where it has
 * them (bit-identical to the loops below, which are the fallback).
 */
import type { Backend, Float, PoolGeometry } from '../../core/backend.js';
import type { Layer, Shape } from './layer.js';
import { Pool2d } from './pool.js';

export class MaxPool extends Pool2d implements Layer {
  readonly kind = 'maxpool';
  /** Index (within the batch buffer) of each output's maximum, from the last forward pass. */
  private argmax = new Int32Array(0);
  private readonly geometry: PoolGeometry;

  constructor(token: string, inShape: Shape, kernel: number, stride: number, private readonly backend?: Backend) {
    super(token, inShape, kernel, stride);
    const [, h, w] = this.inShape as [number, number, number];
    const [, ho, wo] = this.outShape as [number, number, number];
    this.geometry = { planes: 0, height: h, width: w, kernel, stride, outHeight: ho, outWidth: wo };
  }

  prepare(rows: number): void {
    if (this.argmax.length < rows * this.outSize) this.argmax = new Int32Array(rows * this.outSize);
  }

  forward(_theta: Float, x: Float, y: Float, B: number): void {
    const [c, h, w] = this.inShape as [number, number, number];
    const [, ho, wo] = this.outShape as [number, number, number];
    const k = this.kernel, s = this.stride;
    const idx = this.argmax;
    if (this.backend?.maxPool) {
      this.geometry.planes = B * c;
      this.backend.maxPool(x, y, idx, this.geometry);
      return;
    }
    if (k === 2 && s === 2) {
      this.forward2(x, y, B * c, h, w, ho, wo);
      return;
    }
    let o = 0;
    for (let plane = 0; plane < B * c; plane++) {
      const base = plane * h * w;
      for (let oh = 0; oh < ho; oh++) {
        for (let ow = 0; ow < wo; ow++, o++) {
          let best = base + oh * s * w + ow * s;
          let m = x[best]!;
          for (let kh = 0; kh < k; kh++) {
            const row = base + (oh * s + kh) * w + ow * s;
            for (let kw = 0; kw < k; kw++) {
              const v = x[row + kw]!;
              // NaN propagates as in PyTorch: the first NaN of the window wins it.
              if (m === m && (v > m || v !== v)) { m = v; best = row + kw; }
            }
          }
          y[o] = m;
          idx[o] = best;
        }
      }
    }
  }

  /** The common 2×2, stride-2 window, unrolled (same tie rule as the general loop; a NaN wins its window). */
  private forward2(x: Float, y: Float, planes: number, h: number, w: number, ho: number, wo: number): void {
    const idx = this.argmax;
    let o = 0;
    for (let plane = 0; plane < planes; plane++) {
      const base = plane * h * w;
      for (let oh = 0; oh < ho; oh++) {
        let i0 = base + 2 * oh * w;
        let i1 = i0 + w;
        for (let ow = 0; ow < wo; ow++, o++, i0 += 2, i1 += 2) {
          const a = x[i0]!, b = x[i0 + 1]!, c = x[i1]!, d = x[i1 + 1]!;
          let m = a, best = i0;
          if (b > m) { m = b; best = i0 + 1; }
          if (c > m) { m = c; best = i1; }
          if (d > m) { m = d; best = i1 + 1; }
          const s = a + b + c + d;
          if (s !== s) {
            // a NaN (or ±∞ of both signs) in the window: the first NaN wins, as in PyTorch
            best = a !== a ? i0 : b !== b ? i0 + 1 : c !== c ? i1 : d !== d ? i1 + 1 : best;
            m = x[best]!;
          }
          y[o] = m;
          idx[o] = best;
        }
      }
    }
  }

  rForward(_theta: Float, _v: Float, _x: Float, rx: Float | null, _y: Float, ry: Float, B: number): void {
    const n = B * this.outSize;
    if (!rx) {
      ry.fill(0, 0, n);
      return;
    }
    const idx = this.argmax;
    for (let o = 0; o < n; o++) ry[o] = rx[idx[o]!]!;
  }

  /** dx ← 0; dx[argmax[o]] += dy[o]. */
  protected adjoint(dy: Float, dx: Float, B: number): void {
    if (this.backend?.scatterAdd) {
      this.backend.scatterAdd(dy, this.argmax, B * this.outSize, dx, B * this.inSize);
      return;
    }
    dx.fill(0, 0, B * this.inSize);
    const idx = this.argmax;
    const n = B * this.outSize;
    for (let o = 0; o < n; o++) {
      const i = idx[o]!;
      dx[i] = dx[i]! + dy[o]!;
    }
  }
}
