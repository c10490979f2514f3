/**
 * dense(N): PyTorch's nn.Linear on flat inputs, y = x Wᵀ + b with W of shape [out, in] (row-major)
 * and b of shape [out]. All products are one backend GEMM over the batch.
 */
import type { Backend, Float } from '../../core/backend.js';
import { gemm } from '../../core/backends/index.js';
import { AffineParams, colSum, slice, type Layer, type Shape } from './layer.js';

export class Dense extends AffineParams implements Layer {
  readonly kind = 'dense';
  readonly inShape: Shape;
  readonly outShape: Shape;
  readonly inSize: number;
  readonly outSize: number;

  constructor(readonly token: string, index: number, inSize: number, out: number, offset: number, bias: boolean, private readonly backend: Backend) {
    super(index, [out, inSize], offset, bias, inSize);
    this.inShape = [inSize];
    this.outShape = [out];
    this.inSize = inSize;
    this.outSize = out;
  }

  prepare(): void {}

  forward(theta: Float, x: Float, y: Float, B: number): void {
    const { inSize: n, outSize: m } = this;
    // y = b + x·Wᵀ: bias rows copied in, the GEMM accumulates (β = 1).
    if (this.bias) {
      const b = slice(theta, this.bias);
      for (let r = 0; r < B; r++) y.set(b, r * m);
    }
    gemm(this.backend, false, true, B, m, n, 1, x, n, slice(theta, this.weight), n, this.bias ? 1 : 0, y, m);
  }

  backward(theta: Float, x: Float, _y: Float, dy: Float, dx: Float | null, g: Float | null, B: number, beta: 0 | 1): void {
    const { inSize: n, outSize: m } = this;
    if (g) {
      // ∂E/∂W = δyᵀ·x, ∂E/∂b = Σ_rows δy
      gemm(this.backend, true, false, m, n, B, 1, dy, m, x, n, beta, slice(g, this.weight), n);
      if (this.bias) colSum(dy, B, m, g, this.bias.offset, beta);
    }
    // δx = δy·W
    if (dx) gemm(this.backend, false, false, B, n, m, 1, dy, m, slice(theta, this.weight), n, 0, dx, n);
  }

  rForward(theta: Float, v: Float, x: Float, rx: Float | null, _y: Float, ry: Float, B: number): void {
    const { inSize: n, outSize: m } = this;
    // R{y} = x·Vᵀ + R{x}·Wᵀ + v_b
    if (this.bias) {
      const vb = slice(v, this.bias);
      for (let r = 0; r < B; r++) ry.set(vb, r * m);
    }
    gemm(this.backend, false, true, B, m, n, 1, x, n, slice(v, this.weight), n, this.bias ? 1 : 0, ry, m);
    if (rx) gemm(this.backend, false, true, B, m, n, 1, rx, n, slice(theta, this.weight), n, 1, ry, m);
  }

  rBackward(
    theta: Float, v: Float, x: Float, rx: Float | null, _y: Float, dy: Float, rdy: Float,
    rdx: Float | null, out: Float, B: number, beta: 0 | 1,
  ): void {
    const { inSize: n, outSize: m } = this;
    const oW = slice(out, this.weight);
    // R{∂E/∂W} = R{δy}ᵀ·x + δyᵀ·R{x}
    gemm(this.backend, true, false, m, n, B, 1, rdy, m, x, n, beta, oW, n);
    if (rx) gemm(this.backend, true, false, m, n, B, 1, dy, m, rx, n, 1, oW, n);
    if (this.bias) colSum(rdy, B, m, out, this.bias.offset, beta);
    // R{δx} = R{δy}·W + δy·V
    if (rdx) {
      gemm(this.backend, false, false, B, n, m, 1, rdy, m, slice(theta, this.weight), n, 0, rdx, n);
      gemm(this.backend, false, false, B, n, m, 1, dy, m, slice(v, this.weight), n, 1, rdx, n);
    }
  }
}
