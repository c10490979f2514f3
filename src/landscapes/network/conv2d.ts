/**
 * conv(C, K[, stride[, padding]]): PyTorch's nn.Conv2d(C_in, C, K, stride, padding) with square
 * kernels, weights OIHW [C, C_in, K, K] and a bias [C]; output size ⌊(H + 2P − K)/S⌋ + 1 (floor, as
 * PyTorch).
 *
 * im2col + GEMM (Chellapilla et al. 2006): the K·K·C_in input values under every output position of
 * every sample of the batch are copied into the columns of col [C_in·K·K × B·H_out·W_out], whose row
 * index (c, kh, kw) is exactly the OIHW weight's column index, so each pass is ONE GEMM over the batch:
 *   Y = W · col        ([C × C_in·K·K]·[C_in·K·K × B·HW], channel-major "CNHW", then transposed to NCHW),
 *   ∂E/∂W = δY · colᵀ,  δx = col2im(Wᵀ · δY).
 * col is built in the forward pass and kept for the backward and R-operator passes of the same batch
 * (layer.ts: they always follow a forward pass); col of R{x}, the δcol and the CNHW buffers are
 * separate, all allocated once for the largest batch. The R-operator passes are the same products
 * with V (the direction) in place of W, or R{x} in place of x.
 *
 * The copies around the GEMMs (im2col, col2im, the NCHW ↔ channel-major transposes, the bias sums)
 * go through the backend's kernels where it has them (the BLAS addon: V8 does not vectorise these
 * loops, and they cost more than the GEMMs at MNIST sizes); the loops below are the fallback, and the
 * kernels reproduce them bit for bit.
 *
 * Layers with few input channels (C_in·K·K ≤ DIRECT_MAX_TAPS, stride 1: the first layer of an image
 * network) skip im2col where the backend has a direct convolution (Backend.convForward,
 * convWeightGrad): there the col copy is K² times the input and the GEMMs are too skinny for the BLAS
 * to run near its peak — the weight gradient of conv(1→10, 5) on MNIST is [10 × B·576]·[B·576 × 25].
 * They read x and δy in NCHW, so the transposes and the bias sums go too; the input gradient (not
 * needed for a first layer) still goes through GEMM + col2im.
 */
import type { Backend, ConvGeometry, Float } from '../../core/backend.js';
import { gemm } from '../../core/backends/index.js';
import { AffineParams, slice, type Alloc, type Layer, type Shape } from './layer.js';

/**
 * The largest C_in·K·K that takes the direct convolution: im2col + GEMM wins once the GEMM's inner
 * dimension is long (conv(10→20, 5) has 250), the direct kernel while it is short (MNIST's
 * conv(1→10, 5) has 25, an RGB 5×5 layer 75).
 */
export const DIRECT_MAX_TAPS = 80;

export interface ConvOptions {
  channels: number;
  kernel: number;
  stride: number;
  padding: number;
}

export class Conv2d extends AffineParams implements Layer {
  readonly kind = 'conv';
  readonly inShape: Shape;
  readonly outShape: Shape;
  readonly inSize: number;
  readonly outSize: number;
  /** C_in·K·K: the rows of col, the columns of the weight matrix. */
  private readonly ckk: number;
  /** H_out·W_out. */
  private readonly hw: number;
  private rows = 0;
  private alloc: Alloc | null = null;
  /** im2col of x, of R{x}, and the δcol of the backward passes: [CKK × rows·HW]. */
  private col: Float | null = null;
  private rcol: Float | null = null;
  private dcol: Float | null = null;
  /** Channel-major [C × rows·HW] outputs and output gradients. */
  private cn: Float | null = null;
  private cn2: Float | null = null;
  /** Whether cn2 holds this batch's δY (set by backward, cleared by forward), so rBackward need not redo it. */
  private dYReady = false;
  /** The im2col/col2im shape handed to the backend's kernels (batch set per call). */
  private readonly geometry: ConvGeometry;
  /** Whether this layer uses the backend's direct convolution instead of im2col + GEMM. */
  private readonly direct: boolean;

  constructor(
    readonly token: string, index: number, inShape: Shape, readonly opts: ConvOptions, offset: number, bias: boolean,
    private readonly backend: Backend,
  ) {
    const [cin, h, w] = inShape as [number, number, number];
    const { channels: c, kernel: k, stride: s, padding: p } = opts;
    // nn.Conv2d's fan_in is C_in·K·K.
    super(index, [c, cin, k, k], offset, bias, cin * k * k);
    const ho = Math.floor((h + 2 * p - k) / s) + 1;
    const wo = Math.floor((w + 2 * p - k) / s) + 1;
    this.inShape = [cin, h, w];
    this.outShape = [c, ho, wo];
    this.inSize = cin * h * w;
    this.hw = ho * wo;
    this.outSize = c * this.hw;
    this.ckk = cin * k * k;
    this.geometry = { batch: 0, channels: cin, height: h, width: w, kernel: k, stride: s, padding: p, outHeight: ho, outWidth: wo };
    this.direct = s === 1 && this.ckk <= DIRECT_MAX_TAPS && !!backend.convForward && !!backend.convWeightGrad;
  }

  prepare(rows: number, alloc: Alloc): void {
    if (rows <= this.rows) return;
    this.rows = rows;
    this.alloc = alloc;
    const n = rows * this.hw;
    // The direct path needs col and the channel-major buffers only for the input gradient
    // (allocated on first use: a first layer never asks for it).
    this.col = this.direct ? null : alloc(this.ckk * n);
    this.dcol = this.direct ? null : alloc(this.ckk * n);
    this.cn = this.direct ? null : alloc(this.opts.channels * n);
    this.cn2 = this.direct ? null : alloc(this.opts.channels * n);
    this.rcol = null;
  }

  forward(theta: Float, x: Float, y: Float, B: number): void {
    this.dYReady = false;
    if (this.direct) {
      this.convDirect(x, slice(theta, this.weight), this.bias ? slice(theta, this.bias) : null, y, B, 0);
      return;
    }
    const col = this.col!;
    this.im2col(x, B, col);
    this.gemmForward(slice(theta, this.weight), col, B, 0);
    this.toNchw(B, y, theta);
  }

  backward(theta: Float, x: Float, _y: Float, dy: Float, dx: Float | null, g: Float | null, B: number, beta: 0 | 1): void {
    if (!g && !dx) return; // the first layer in the HVP's backward pass: only δ's above it are needed
    if (this.direct) {
      if (g) this.weightDirect(x, dy, g, B, beta, true);
      if (dx) this.inputGradient(theta, dy, null, null, B, dx);
      return;
    }
    const dY = this.cn2!;
    this.toCnhw(dy, B, dY);
    this.dYReady = true;
    if (g) {
      this.gemmWeight(dY, this.col!, B, slice(g, this.weight), beta);
      if (this.bias) this.biasGrad(dY, B, g, beta);
    }
    if (dx) {
      const dcol = this.dcol!;
      this.gemmInput(slice(theta, this.weight), dY, B, dcol, 0);
      this.col2im(dcol, B, dx);
    }
  }

  rForward(theta: Float, v: Float, x: Float, rx: Float | null, _y: Float, ry: Float, B: number): void {
    // R{Y} = V·col(x) + W·col(R{x}) + v_b
    if (this.direct) {
      this.convDirect(x, slice(v, this.weight), this.bias ? slice(v, this.bias) : null, ry, B, 0);
      if (rx) this.convDirect(rx, slice(theta, this.weight), null, ry, B, 1);
      return;
    }
    this.gemmForward(slice(v, this.weight), this.col!, B, 0);
    if (rx) {
      const rcol = this.rCol();
      this.im2col(rx, B, rcol);
      this.gemmForward(slice(theta, this.weight), rcol, B, 1);
    }
    this.toNchw(B, ry, v);
  }

  rBackward(
    theta: Float, v: Float, x: Float, rx: Float | null, _y: Float, dy: Float, rdy: Float,
    rdx: Float | null, out: Float, B: number, beta: 0 | 1,
  ): void {
    if (this.direct) {
      // R{∂E/∂W} = R{δY} ⋆ x + δY ⋆ R{x};  R{δx} = Wᵀ ⋆ R{δY} + Vᵀ ⋆ δY
      this.weightDirect(x, rdy, out, B, beta, true);
      if (rx) this.weightDirect(rx, dy, out, B, 1, false);
      if (rdx) this.inputGradient(theta, rdy, v, dy, B, rdx);
      return;
    }
    const dY = this.cn2!;
    const rdY = this.cn!;
    if (!this.dYReady) this.toCnhw(dy, B, dY);
    this.toCnhw(rdy, B, rdY);
    // R{∂E/∂W} = R{δY}·col(x)ᵀ + δY·col(R{x})ᵀ  (col(R{x}) is from this batch's rForward)
    const oW = slice(out, this.weight);
    this.gemmWeight(rdY, this.col!, B, oW, beta);
    if (rx) this.gemmWeight(dY, this.rCol(), B, oW, 1);
    if (this.bias) this.biasGrad(rdY, B, out, beta);
    // R{δx} = col2im(Wᵀ R{δY} + Vᵀ δY)
    if (rdx) {
      const dcol = this.dcol!;
      this.gemmInput(slice(theta, this.weight), rdY, B, dcol, 0);
      this.gemmInput(slice(v, this.weight), dY, B, dcol, 1);
      this.col2im(dcol, B, rdx);
    }
  }

  // ---- kernels ---------------------------------------------------------------------------------

  /** y ← β·y + (W ⋆ x + bias) through the backend's direct convolution. */
  private convDirect(x: Float, W: Float, bias: Float | null, y: Float, B: number, beta: 0 | 1): void {
    this.geometry.batch = B;
    this.backend.convForward!(x, W, bias, y, beta, this.geometry, this.opts.channels);
  }

  /** g_W ← β·g_W + δY ⋆ x (and g_b ← β·g_b + Σ δY when withBias) through the direct convolution. */
  private weightDirect(x: Float, dy: Float, g: Float, B: number, beta: 0 | 1, withBias: boolean): void {
    this.geometry.batch = B;
    const gb = withBias && this.bias ? slice(g, this.bias) : null;
    this.backend.convWeightGrad!(x, dy, slice(g, this.weight), gb, beta, this.geometry, this.opts.channels);
  }

  /**
   * dx ← col2im(Wᵀ·δY), or col2im(Wᵀ·δY + Vᵀ·δY₂) when a second term is given (the R-backward pass),
   * for the direct path, whose forward pass builds no col: θ or v hold W and V; the channel-major
   * buffers are allocated on first use (never, for a first layer).
   */
  private inputGradient(theta: Float, dy: Float, v: Float | null, dy2: Float | null, B: number, dx: Float): void {
    const n = this.rows * this.hw;
    if (!this.cn2) {
      this.cn = this.alloc!(this.opts.channels * n);
      this.cn2 = this.alloc!(this.opts.channels * n);
      this.dcol = this.alloc!(this.ckk * n);
    }
    const dcol = this.dcol!;
    this.toCnhw(dy, B, this.cn2);
    this.gemmInput(slice(theta, this.weight), this.cn2, B, dcol, 0);
    if (v && dy2) {
      this.toCnhw(dy2, B, this.cn!);
      this.gemmInput(slice(v, this.weight), this.cn!, B, dcol, 1);
    }
    this.col2im(dcol, B, dx);
  }

  private rCol(): Float {
    if (!this.rcol) this.rcol = this.alloc!(this.ckk * this.rows * this.hw);
    return this.rcol;
  }

  /** cn ← W·col + β·cn: [C × CKK]·[CKK × B·HW]. */
  private gemmForward(W: Float, col: Float, B: number, beta: 0 | 1): void {
    const n = B * this.hw;
    gemm(this.backend, false, false, this.opts.channels, n, this.ckk, 1, W, this.ckk, col, n, beta, this.cn!, n);
  }

  /** gW ← δY·colᵀ + β·gW: [C × B·HW]·[B·HW × CKK]. */
  private gemmWeight(dY: Float, col: Float, B: number, gW: Float, beta: 0 | 1): void {
    const n = B * this.hw;
    gemm(this.backend, false, true, this.opts.channels, this.ckk, n, 1, dY, n, col, n, beta, gW, this.ckk);
  }

  /** dcol ← Wᵀ·δY + β·dcol: [CKK × C]·[C × B·HW]. */
  private gemmInput(W: Float, dY: Float, B: number, dcol: Float, beta: 0 | 1): void {
    const n = B * this.hw;
    gemm(this.backend, true, false, this.ckk, n, this.opts.channels, 1, W, this.ckk, dY, n, beta, dcol, n);
  }

  /** y[b, o, p] ← cn[o, b·HW + p] + bias[o] (bias from p: θ in the forward pass, v in the R-forward pass). */
  private toNchw(B: number, y: Float, p: Float): void {
    const cn = this.cn!;
    const hw = this.hw, C = this.opts.channels, n = B * hw;
    const b0 = this.bias ? this.bias.offset : -1;
    if (this.backend.swapAxes) {
      this.backend.swapAxes(cn, y, C, B, hw, b0 >= 0 ? p.subarray(b0, b0 + C) : null);
      return;
    }
    for (let o = 0; o < C; o++) {
      const bo = b0 >= 0 ? p[b0 + o]! : 0;
      for (let b = 0; b < B; b++) {
        const src = o * n + b * hw;
        const dst = b * this.outSize + o * hw;
        for (let q = 0; q < hw; q++) y[dst + q] = cn[src + q]! + bo;
      }
    }
  }

  /** cn[o, b·HW + p] ← d[b, o, p]. */
  private toCnhw(d: Float, B: number, cn: Float): void {
    const hw = this.hw, C = this.opts.channels, n = B * hw;
    if (this.backend.swapAxes) {
      this.backend.swapAxes(d, cn, B, C, hw, null);
      return;
    }
    for (let o = 0; o < C; o++) {
      for (let b = 0; b < B; b++) {
        const dst = o * n + b * hw;
        const src = b * this.outSize + o * hw;
        for (let q = 0; q < hw; q++) cn[dst + q] = d[src + q]!;
      }
    }
  }

  /** g_b[o] ← β·g_b[o] + Σ over the batch and positions of δY[o, ·]. */
  private biasGrad(dY: Float, B: number, g: Float, beta: 0 | 1): void {
    const n = B * this.hw;
    const off = this.bias!.offset;
    if (this.backend.rowSums) {
      this.backend.rowSums(dY, this.opts.channels, n, g.subarray(off, off + this.opts.channels), beta);
      return;
    }
    for (let o = 0; o < this.opts.channels; o++) {
      let s = 0;
      for (let q = o * n, end = q + n; q < end; q++) s += dY[q]!;
      g[off + o] = (beta === 0 ? 0 : g[off + o]!) + s;
    }
  }

  /** col[(c,kh,kw), b·HW + (oh,ow)] ← x[b, c, oh·S − P + kh, ow·S − P + kw], zero outside the image (padding). */
  private im2col(x: Float, B: number, col: Float): void {
    if (this.backend.im2col) {
      this.geometry.batch = B;
      this.backend.im2col(x, col, this.geometry);
      return;
    }
    const [cin, h, w] = this.inShape as [number, number, number];
    const [, ho, wo] = this.outShape as [number, number, number];
    const { kernel: k, stride: s, padding: p } = this.opts;
    const hw = this.hw, ld = B * hw, inSize = this.inSize;
    const plain = s === 1 && p === 0;
    let r = 0;
    for (let c = 0; c < cin; c++) {
      for (let kh = 0; kh < k; kh++) {
        for (let kw = 0; kw < k; kw++, r++) {
          for (let b = 0; b < B; b++) {
            const xc = b * inSize + c * h * w;
            let o = r * ld + b * hw;
            for (let oh = 0; oh < ho; oh++) {
              const ih = oh * s - p + kh;
              if (ih < 0 || ih >= h) {
                col.fill(0, o, o + wo);
                o += wo;
                continue;
              }
              const row = xc + ih * w;
              if (plain) {
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
  }

  /** dx ← the adjoint of im2col: every col entry added back to the input position it was copied from. */
  private col2im(col: Float, B: number, dx: Float): void {
    if (this.backend.col2im) {
      this.geometry.batch = B;
      this.backend.col2im(col, dx, this.geometry);
      return;
    }
    const [cin, h, w] = this.inShape as [number, number, number];
    const [, ho, wo] = this.outShape as [number, number, number];
    const { kernel: k, stride: s, padding: p } = this.opts;
    const hw = this.hw, ld = B * hw, inSize = this.inSize;
    const plain = s === 1 && p === 0;
    dx.fill(0, 0, B * inSize);
    let r = 0;
    for (let c = 0; c < cin; c++) {
      for (let kh = 0; kh < k; kh++) {
        for (let kw = 0; kw < k; kw++, r++) {
          for (let b = 0; b < B; b++) {
            const xc = b * inSize + c * h * w;
            let o = r * ld + b * hw;
            for (let oh = 0; oh < ho; oh++) {
              const ih = oh * s - p + kh;
              if (ih < 0 || ih >= h) {
                o += wo;
                continue;
              }
              const row = xc + ih * w;
              if (plain) {
                const dst = row + kw;
                for (let ow = 0; ow < wo; ow++) dx[dst + ow] = dx[dst + ow]! + col[o + ow]!;
                o += wo;
              } else {
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
  }
}
