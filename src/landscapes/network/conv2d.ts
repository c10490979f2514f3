/**
 * conv(C, K[, stride[, padding]]): PyTorch's nn.Conv2d(C_in, C, K, stride, padding) with square
 * kernels, weights OIHW [C, C_in, K, K] and a bias [C]; output size ⌊(H + 2P − K)/S⌋ + 1 (floor, as
 * PyTorch).
 *
 * Each sample goes through im2col + one GEMM (Chellapilla et al. 2006): the K·K·C_in input values
 * under every output position are copied into the columns of col [C_in·K·K × H_out·W_out], whose row
 * index (c, kh, kw) is exactly the OIHW weight's column index, so
 *   y_b = W · col_b   ([C × C_in·K·K]·[C_in·K·K × H_out·W_out], already NCHW),
 *   ∂E/∂W += δy_b · col_bᵀ,   δx_b = col2im(Wᵀ · δy_b).
 * Per sample, not per batch: col stays small enough for the cache and needs no batch-sized buffer;
 * it is rebuilt in the backward pass rather than stored. The R-operator passes are the same products
 * with V (the direction) in place of W, or R{x} in place of x (layer.ts).
 */
import type { Backend, Float } from '../../core/backend.js';
import { gemm } from '../../core/backends/index.js';
import type { Rng } from '../../core/rng.js';
import { initialiseAffine, slice, type Alloc, type Layer, type Shape, type TensorSlice } from './layer.js';

export interface ConvOptions {
  channels: number;
  kernel: number;
  stride: number;
  padding: number;
}

export class Conv2d implements Layer {
  readonly kind = 'conv';
  readonly inShape: Shape;
  readonly outShape: Shape;
  readonly inSize: number;
  readonly outSize: number;
  readonly params: TensorSlice[];
  readonly weight: TensorSlice;
  readonly bias: TensorSlice | null;
  /** C_in·K·K: the rows of col, the columns of the weight matrix. */
  private readonly ckk: number;
  /** H_out·W_out. */
  private readonly hw: number;
  private col: Float | null = null;
  private col2: Float | null = null;

  constructor(
    readonly token: string, index: number, inShape: Shape, readonly opts: ConvOptions, offset: number, bias: boolean,
    private readonly backend: Backend,
  ) {
    const [cin, h, w] = inShape as [number, number, number];
    const { channels: c, kernel: k, stride: s, padding: p } = opts;
    const ho = Math.floor((h + 2 * p - k) / s) + 1;
    const wo = Math.floor((w + 2 * p - k) / s) + 1;
    this.inShape = [cin, h, w];
    this.outShape = [c, ho, wo];
    this.inSize = cin * h * w;
    this.hw = ho * wo;
    this.outSize = c * this.hw;
    this.ckk = cin * k * k;
    this.weight = { name: `${index}.weight`, shape: [c, cin, k, k], offset, size: c * this.ckk };
    this.bias = bias ? { name: `${index}.bias`, shape: [c], offset: offset + c * this.ckk, size: c } : null;
    this.params = this.bias ? [this.weight, this.bias] : [this.weight];
  }

  initialise(theta: Float, rng: Rng, scheme: 'pytorch' | 'he'): void {
    // nn.Conv2d's fan_in is C_in·K·K.
    initialiseAffine(theta, this.weight, this.bias, this.ckk, rng, scheme);
  }

  prepare(_rows: number, alloc: Alloc): void {
    if (!this.col) {
      this.col = alloc(this.ckk * this.hw);
      this.col2 = alloc(this.ckk * this.hw);
    }
  }

  forward(theta: Float, x: Float, y: Float, B: number): void {
    const W = slice(theta, this.weight);
    const col = this.col!;
    for (let b = 0; b < B; b++) {
      const yb = y.subarray(b * this.outSize, (b + 1) * this.outSize);
      this.fillBias(theta, yb);
      this.im2col(x, b * this.inSize, col);
      this.gemmForward(W, col, yb, this.bias ? 1 : 0);
    }
  }

  backward(theta: Float, x: Float, _y: Float, dy: Float, dx: Float | null, g: Float | null, B: number, beta: 0 | 1): void {
    const W = slice(theta, this.weight);
    const col = this.col!;
    const gW = g ? slice(g, this.weight) : null;
    if (g && this.bias && beta === 0) g.fill(0, this.bias.offset, this.bias.offset + this.bias.size);
    for (let b = 0; b < B; b++) {
      const dyb = dy.subarray(b * this.outSize, (b + 1) * this.outSize);
      if (g && gW) {
        this.im2col(x, b * this.inSize, col);
        this.gemmWeight(dyb, col, gW, b === 0 ? beta : 1);
        if (this.bias) this.addBiasGrad(dyb, g);
      }
      if (dx) {
        this.gemmInput(W, dyb, col, 0);
        this.col2im(col, dx, b * this.inSize);
      }
    }
  }

  rForward(theta: Float, v: Float, x: Float, rx: Float | null, _y: Float, ry: Float, B: number): void {
    const W = slice(theta, this.weight);
    const V = slice(v, this.weight);
    const col = this.col!;
    for (let b = 0; b < B; b++) {
      const ryb = ry.subarray(b * this.outSize, (b + 1) * this.outSize);
      this.fillBias(v, ryb);
      this.im2col(x, b * this.inSize, col);
      this.gemmForward(V, col, ryb, this.bias ? 1 : 0);
      if (rx) {
        this.im2col(rx, b * this.inSize, col);
        this.gemmForward(W, col, ryb, 1);
      }
    }
  }

  rBackward(
    theta: Float, v: Float, x: Float, rx: Float | null, _y: Float, dy: Float, rdy: Float,
    rdx: Float | null, out: Float, B: number, beta: 0 | 1,
  ): void {
    const W = slice(theta, this.weight);
    const V = slice(v, this.weight);
    const oW = slice(out, this.weight);
    const col = this.col!;
    const col2 = this.col2!;
    if (this.bias && beta === 0) out.fill(0, this.bias.offset, this.bias.offset + this.bias.size);
    for (let b = 0; b < B; b++) {
      const dyb = dy.subarray(b * this.outSize, (b + 1) * this.outSize);
      const rdyb = rdy.subarray(b * this.outSize, (b + 1) * this.outSize);
      // R{∂E/∂W} = R{δy}·col(x)ᵀ + δy·col(R{x})ᵀ
      this.im2col(x, b * this.inSize, col);
      this.gemmWeight(rdyb, col, oW, b === 0 ? beta : 1);
      if (rx) {
        this.im2col(rx, b * this.inSize, col2);
        this.gemmWeight(dyb, col2, oW, 1);
      }
      if (this.bias) this.addBiasGrad(rdyb, out);
      // R{δx} = col2im(Wᵀ R{δy} + Vᵀ δy)
      if (rdx) {
        this.gemmInput(W, rdyb, col, 0);
        this.gemmInput(V, dyb, col, 1);
        this.col2im(col, rdx, b * this.inSize);
      }
    }
  }

  // ---- kernels ---------------------------------------------------------------------------------

  /** y_b ← W·col + β·y_b: [C × CKK]·[CKK × HW]. */
  private gemmForward(W: Float, col: Float, yb: Float, beta: 0 | 1): void {
    const c = this.opts.channels;
    gemm(this.backend, false, false, c, this.hw, this.ckk, 1, W, this.ckk, col, this.hw, beta, yb, this.hw);
  }

  /** gW ← δy_b·colᵀ + β·gW: [C × HW]·[HW × CKK]. */
  private gemmWeight(dyb: Float, col: Float, gW: Float, beta: 0 | 1): void {
    const c = this.opts.channels;
    gemm(this.backend, false, true, c, this.ckk, this.hw, 1, dyb, this.hw, col, this.hw, beta, gW, this.ckk);
  }

  /** col ← Wᵀ·δy_b + β·col: [CKK × C]·[C × HW]. */
  private gemmInput(W: Float, dyb: Float, col: Float, beta: 0 | 1): void {
    const c = this.opts.channels;
    gemm(this.backend, true, false, this.ckk, this.hw, c, 1, W, this.ckk, dyb, this.hw, beta, col, this.hw);
  }

  private fillBias(p: Float, yb: Float): void {
    if (!this.bias) return;
    const hw = this.hw;
    for (let o = 0; o < this.opts.channels; o++) yb.fill(p[this.bias.offset + o]!, o * hw, (o + 1) * hw);
  }

  private addBiasGrad(dyb: Float, g: Float): void {
    const hw = this.hw;
    const off = this.bias!.offset;
    for (let o = 0; o < this.opts.channels; o++) {
      let s = 0;
      for (let p = o * hw, end = p + hw; p < end; p++) s += dyb[p]!;
      g[off + o] = g[off + o]! + s;
    }
  }

  /** col[(c,kh,kw), (oh,ow)] ← x[base + c·H·W + ih·W + iw], zero outside the image (padding). */
  private im2col(x: Float, base: number, col: Float): void {
    const [cin, h, w] = this.inShape as [number, number, number];
    const [, ho, wo] = this.outShape as [number, number, number];
    const { kernel: k, stride: s, padding: p } = this.opts;
    let r = 0;
    for (let c = 0; c < cin; c++) {
      const xc = base + c * h * w;
      for (let kh = 0; kh < k; kh++) {
        for (let kw = 0; kw < k; kw++, r++) {
          let o = r * this.hw;
          for (let oh = 0; oh < ho; oh++) {
            const ih = oh * s - p + kh;
            if (ih < 0 || ih >= h) {
              col.fill(0, o, o + wo);
              o += wo;
              continue;
            }
            const row = xc + ih * w;
            if (s === 1 && p === 0) {
              // contiguous run: the common unpadded stride-1 case
              const src = row + kw;
              for (let ow = 0; ow < wo; ow++) col[o + ow] = x[src + ow]!;
              o += wo;
            } else {
              for (let ow = 0; ow < wo; ow++, o++) {
                const iw = ow * s - p + kw;
                col[o] = iw >= 0 && iw < w ? x[row + iw]! : 0;
              }
            }
          }
        }
      }
    }
  }

  /** dx[base + …] ← Σ of the col entries that im2col copied from each input position (its adjoint). */
  private col2im(col: Float, dx: Float, base: number): void {
    const [cin, h, w] = this.inShape as [number, number, number];
    const [, ho, wo] = this.outShape as [number, number, number];
    const { kernel: k, stride: s, padding: p } = this.opts;
    dx.fill(0, base, base + this.inSize);
    let r = 0;
    for (let c = 0; c < cin; c++) {
      const xc = base + c * h * w;
      for (let kh = 0; kh < k; kh++) {
        for (let kw = 0; kw < k; kw++, r++) {
          let o = r * this.hw;
          for (let oh = 0; oh < ho; oh++) {
            const ih = oh * s - p + kh;
            if (ih < 0 || ih >= h) {
              o += wo;
              continue;
            }
            const row = xc + ih * w;
            for (let ow = 0; ow < wo; ow++, o++) {
              const iw = ow * s - p + kw;
              if (iw >= 0 && iw < w) dx[row + iw] = dx[row + iw]! + col[o]!;
            }
          }
        }
      }
    }
  }
}
