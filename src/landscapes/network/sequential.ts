/**
 * The landscape of a network that is a sequence of layers (layer.ts):
 *   E(θ) = (1/n) Σ_μ ℓ(f(x_μ; θ), y_μ) + λ‖θ − θ_ref‖²
 * with the losses of landscapes/mlp/loss.ts (softmax-CE, MSE, hinge) on the last layer's output and
 * the L2 convention of Ersoy et al. (no ½; as landscapes/mlp/network.ts).
 *
 * Gradient: one forward and one backward pass through the layers. Hessian-vector product: exact, by
 * Pearlmutter's R-operator (1994): forward, backward, R-forward and R-backward passes, each layer
 * supplying its own (layer.ts). Buffers are allocated once per chunk size and reused, so the training
 * loop allocates nothing; the R-operator buffers only when an HVP is first asked for.
 */
import type { Backend, Float } from '../../core/backend.js';
import { getBackend } from '../../core/backends/index.js';
import { GlassyError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { SampledLandscape } from '../landscape.js';
import { lossForward, lossHessianVector, type LossKind } from '../mlp/loss.js';
import type { Evaluation, MlpData, Precision } from '../mlp/network.js';
import { inBackend, SampleInputs } from '../inputs.js';
import type { Alloc, Layer, Shape } from './layer.js';
import { buildLayers, layoutOf, type NetworkLayout } from './layout.js';
import type { LayerSpec } from './spec.js';

export interface SequentialOptions {
  layers: readonly LayerSpec[];
  /** Per-sample input shape, e.g. [1, 28, 28]. */
  inputShape: Shape;
  loss: LossKind;
  precision: Precision;
  /** L2 strength λ in λ‖θ − θ_ref‖² (default 0). */
  l2?: number;
  l2Ref?: Float | null;
  /** Whether dense and conv layers have biases (default true, as PyTorch). */
  bias?: boolean;
  /** Rows per chunk for full-data passes (default: as many as fit ~1M activations per buffer, at most 1000). */
  chunk?: number;
  backend?: Backend;
}

/** Activation values per buffer that bound the default chunk (memory: a few such buffers per layer set). */
const CHUNK_VALUES = 1 << 20;

class Buffers {
  readonly y: Float[];
  readonly dy: Float[];
  ry: Float[] | null = null;
  rdy: Float[] | null = null;
  readonly batchInput: Float;
  readonly batchTargets: Float | null;
  readonly batchLabels: Int32Array;
  input: Float;
  targets: Float | null;
  labels: Int32Array;

  constructor(readonly rows: number, private readonly layers: readonly Layer[], private readonly alloc: Alloc, nIn: number, nOut: number, withTargets: boolean) {
    this.y = layers.map((l) => alloc(rows * l.outSize));
    this.dy = layers.map((l) => alloc(rows * l.outSize));
    this.batchInput = this.input = alloc(rows * nIn);
    this.batchTargets = this.targets = withTargets ? alloc(rows * nOut) : null;
    this.batchLabels = this.labels = new Int32Array(rows);
    for (const l of layers) l.prepare(rows, alloc);
  }

  rBuffers(): { ry: Float[]; rdy: Float[] } {
    if (!this.ry || !this.rdy) {
      this.ry = this.layers.map((l) => this.alloc(this.rows * l.outSize));
      this.rdy = this.layers.map((l) => this.alloc(this.rows * l.outSize));
    }
    return { ry: this.ry, rdy: this.rdy };
  }
}

export class SequentialLandscape<X extends Float = Float> implements SampledLandscape<X> {
  readonly name: string;
  readonly dim: number;
  readonly geometry = 'euclidean' as const;
  readonly layout: NetworkLayout;
  readonly layers: readonly Layer[];
  readonly nSamples: number;
  readonly backend: Backend;
  readonly loss: LossKind;
  readonly precision: Precision;
  l2: number;
  l2Ref: X | null;
  /** Labels, targets and the sample count; the inputs are `inputs`. */
  private readonly data: { y: Int32Array; targets: Float | null; n: number };
  private readonly inputs: SampleInputs;
  private readonly alloc: Alloc;
  private readonly chunk: number;
  private readonly nIn: number;
  private readonly nOut: number;
  private buf: Buffers | null = null;
  private readonly opts: SequentialOptions;
  /** Σ loss, errors and rows of the last batchGradient (the running epoch mean of train.ts). */
  readonly lastBatch = { lossSum: 0, errors: 0, size: 0 };

  constructor(opts: SequentialOptions, data: MlpData) {
    this.opts = opts;
    this.backend = opts.backend ?? getBackend();
    this.layers = buildLayers(opts.layers, opts.inputShape, this.backend, opts.bias ?? true);
    this.layout = layoutOf(opts.layers, opts.inputShape, this.layers);
    this.dim = this.layout.size;
    this.loss = opts.loss;
    this.precision = opts.precision;
    this.nIn = this.layers[0]!.inSize;
    this.nOut = this.layout.outputs;
    this.inputs = new SampleInputs(this.backend, opts.precision, data);
    checkData(this.layout, opts.loss, data, this.inputs, this.nIn, this.nOut);
    this.alloc = opts.precision === 'f32' ? (n) => this.backend.allocF32(n) : (n) => this.backend.allocF64(n);
    const targets = data.targets ? inBackend(this.backend, opts.precision, data.targets) : null;
    this.data = { y: data.y, targets, n: data.n };
    this.nSamples = data.n;
    const perSample = this.layers.reduce((s, l) => Math.max(s, l.outSize), 1);
    const fit = Math.max(1, Math.floor(CHUNK_VALUES / perSample));
    this.chunk = Math.max(1, Math.min(opts.chunk ?? Math.min(1000, fit), data.n));
    this.l2 = opts.l2 ?? 0;
    this.l2Ref = (opts.l2Ref as X | null | undefined) ?? null;
    this.name = `network ${this.layout.spec} ${opts.loss}`;
  }

  newConfig(): X {
    return this.alloc(this.dim) as X;
  }

  /** The same network on its first n samples (a fixed measurement subset). */
  firstSamples(n: number): SequentialLandscape<X> {
    const k = Math.min(n, this.nSamples);
    const { y, targets } = this.data;
    const inputs = this.inputs.first(k, this.nIn);
    return new SequentialLandscape<X>(this.opts, {
      get x() {
        return inputs.x;
      },
      bytes: inputs.bytes,
      y: y.subarray(0, k), targets: targets ? targets.subarray(0, k * this.nOut) : null, n: k,
    });
  }

  energy(theta: X): number {
    return this.evaluate(theta).loss + this.l2Energy(theta);
  }

  gradient(theta: X, g: X): number {
    const n = this.data.n;
    let sum = 0;
    for (let start = 0; start < n; start += this.chunk) {
      const B = Math.min(this.chunk, n - start);
      const w = this.view(start, B);
      this.forward(theta, w, B);
      sum += this.top(w, B, true, 1 / n).sum;
      this.backward(theta, w, B, g, start === 0 ? 0 : 1);
    }
    this.addL2Gradient(theta, g);
    return sum / n + this.l2Energy(theta);
  }

  batchGradient(theta: X, batch: Int32Array, g: X): number {
    const B = batch.length;
    const w = isRun(batch, this.data.n) ? this.view(batch[0]!, B) : this.gather(batch);
    this.forward(theta, w, B);
    const { sum, errors } = this.top(w, B, true, 1 / B);
    this.lastBatch.lossSum = sum;
    this.lastBatch.errors = errors;
    this.lastBatch.size = B;
    this.backward(theta, w, B, g, 0);
    this.addL2Gradient(theta, g);
    return sum / B + this.l2Energy(theta);
  }

  hvp(theta: X, v: X, out: X): void {
    const n = this.data.n;
    for (let start = 0; start < n; start += this.chunk) {
      const B = Math.min(this.chunk, n - start);
      const w = this.view(start, B);
      this.forward(theta, w, B);
      this.top(w, B, true, 1 / n);
      this.backward(theta, w, B, null, 0);
      this.rPasses(theta, v, w, B, out, start === 0 ? 0 : 1, 1 / n);
    }
    if (this.l2 !== 0) {
      const c = 2 * this.l2;
      for (let i = 0; i < this.dim; i++) out[i] = out[i]! + c * v[i]!;
    }
  }

  /**
   * Generalised Gauss–Newton product G·v = J_fᵀ H_ℓ J_f v (+ 2λv), the positive semi-definite part of
   * the Hessian for convex losses (Schraudolph 2002, Neural Comput. 14, 1723; Martens 2010), f the
   * output the loss sees. The R-forward pass gives J_f v at the output, the loss curvature H_ℓ
   * (lossHessianVector, with the loss's 1/n) multiplies it, and ordinary backpropagation of H_ℓ J_f v
   * through every layer's backward pass gives J_fᵀ(H_ℓ J_f v): the R-operator's backward pass without
   * its second-derivative terms. The same product as MlpLandscape.gnvp.
   */
  gnvp(theta: X, v: X, out: X): void {
    const n = this.data.n;
    const L = this.layers.length;
    for (let start = 0; start < n; start += this.chunk) {
      const B = Math.min(this.chunk, n - start);
      const w = this.view(start, B);
      this.forward(theta, w, B);
      const { ry, rdy } = w.rBuffers();
      for (let l = 0; l < L; l++) {
        const x = l === 0 ? w.input : w.y[l - 1]!;
        this.layers[l]!.rForward(theta, v, x, l === 0 ? null : ry[l - 1]!, w.y[l]!, ry[l]!, B);
      }
      lossHessianVector(this.loss, w.y[L - 1]!, ry[L - 1]!, B, this.nOut, rdy[L - 1]!, 1 / n);
      // Backpropagation with δ = H_ℓ J_f v: the rdy buffers carry it down (their R meaning is unused here).
      for (let l = L - 1; l >= 0; l--) {
        const x = l === 0 ? w.input : w.y[l - 1]!;
        this.layers[l]!.backward(theta, x, w.y[l]!, rdy[l]!, l === 0 ? null : rdy[l - 1]!, out, B, start === 0 ? 0 : 1);
      }
    }
    if (this.l2 !== 0) {
      const c = 2 * this.l2;
      for (let i = 0; i < this.dim; i++) out[i] = out[i]! + c * v[i]!;
    }
  }

  evaluate(theta: X): Evaluation {
    const n = this.data.n;
    let sum = 0;
    let errors = 0;
    for (let start = 0; start < n; start += this.chunk) {
      const B = Math.min(this.chunk, n - start);
      const w = this.view(start, B);
      this.forward(theta, w, B);
      const r = this.top(w, B, false, 1 / n);
      sum += r.sum;
      errors += r.errors;
    }
    return { loss: sum / n, error: errors / n };
  }

  /**
   * The output of token `layer` (default: the last, the network outputs) for every sample, [n × size]
   * with size = the product of that token's output shape (NCHW per sample for images).
   */
  outputs(theta: X, layer = this.layers.length - 1): Float64Array {
    const L = this.layers[layer];
    if (!L) throw GlassyError.invalid('layer', layer, `a token index in [0, ${this.layers.length})`);
    const n = this.data.n;
    const width = L.outSize;
    const out = new Float64Array(n * width);
    for (let start = 0; start < n; start += this.chunk) {
      const B = Math.min(this.chunk, n - start);
      const w = this.view(start, B);
      this.forward(theta, w, B, layer + 1);
      const a = w.y[layer]!;
      for (let i = 0; i < B * width; i++) out[start * width + i] = a[i]!;
    }
    return out;
  }

  /** PyTorch's default initialisation of every layer (layer.ts), or 'he'. */
  initialise(theta: X, rng: Rng, scheme: 'pytorch' | 'he' = 'pytorch'): void {
    for (const l of this.layers) l.initialise(theta, rng, scheme);
  }

  // ---- passes --------------------------------------------------------------------------------

  private buffers(rows: number): Buffers {
    if (!this.buf || this.buf.rows < rows) {
      this.buf = new Buffers(Math.max(rows, this.chunk), this.layers, this.alloc, this.nIn, this.nOut, !!this.data.targets);
    }
    return this.buf;
  }

  private view(start: number, B: number): Buffers {
    const w = this.buffers(B);
    const { y, targets } = this.data;
    w.input = this.inputs.all().subarray(start * this.nIn, (start + B) * this.nIn);
    w.labels = y.subarray(start, start + B);
    w.targets = targets ? targets.subarray(start * this.nOut, (start + B) * this.nOut) : null;
    return w;
  }

  private gather(batch: Int32Array): Buffers {
    const B = batch.length;
    const w = this.buffers(B);
    const d = this.nIn, C = this.nOut;
    const { y, targets } = this.data;
    w.input = w.batchInput;
    w.labels = w.batchLabels;
    w.targets = w.batchTargets;
    for (let r = 0; r < B; r++) {
      const i = batch[r]!;
      if (!(i >= 0 && i < this.data.n)) throw new RangeError(`batch index ${i} outside [0, ${this.data.n})`);
      w.labels[r] = y[i]!;
      if (targets && w.targets) w.targets.set(targets.subarray(i * C, i * C + C), r * C);
    }
    this.inputs.gather(batch, d, w.input);
    return w;
  }

  private forward(theta: X, w: Buffers, B: number, upTo = this.layers.length): void {
    let x: Float = w.input;
    for (let l = 0; l < upTo; l++) {
      this.layers[l]!.forward(theta, x, w.y[l]!, B);
      x = w.y[l]!;
    }
  }

  private top(w: Buffers, B: number, grad: boolean, scale: number) {
    const t = this.layers.length - 1;
    return lossForward(this.loss, w.y[t]!, { labels: w.labels, targets: w.targets }, B, this.nOut, grad ? w.dy[t]! : null, scale);
  }

  /** From δ of the output (dy[top]) down: δ of every layer's output and, when g is given, g ← β·g + ∂E/∂θ. */
  private backward(theta: X, w: Buffers, B: number, g: X | null, beta: 0 | 1): void {
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const x = l === 0 ? w.input : w.y[l - 1]!;
      const dx = l === 0 ? null : w.dy[l - 1]!;
      this.layers[l]!.backward(theta, x, w.y[l]!, w.dy[l]!, dx, g, B, beta);
    }
  }

  /** R-forward then R-backward; out ← β·out + H·v (without L2). Needs forward and backward done. */
  private rPasses(theta: X, v: X, w: Buffers, B: number, out: X, beta: 0 | 1, scale: number): void {
    const { ry, rdy } = w.rBuffers();
    const L = this.layers.length;
    for (let l = 0; l < L; l++) {
      const x = l === 0 ? w.input : w.y[l - 1]!;
      this.layers[l]!.rForward(theta, v, x, l === 0 ? null : ry[l - 1]!, w.y[l]!, ry[l]!, B);
    }
    // R{δf} = (∂²ℓ/∂f²)·R{f}
    lossHessianVector(this.loss, w.y[L - 1]!, ry[L - 1]!, B, this.nOut, rdy[L - 1]!, scale);
    for (let l = L - 1; l >= 0; l--) {
      const x = l === 0 ? w.input : w.y[l - 1]!;
      const rx = l === 0 ? null : ry[l - 1]!;
      const rdx = l === 0 ? null : rdy[l - 1]!;
      this.layers[l]!.rBackward(theta, v, x, rx, w.y[l]!, w.dy[l]!, rdy[l]!, rdx, out, B, beta);
    }
  }

  private l2Energy(theta: X): number {
    if (this.l2 === 0) return 0;
    const ref = this.l2Ref;
    let s = 0;
    for (let i = 0; i < this.dim; i++) {
      const d = theta[i]! - (ref ? ref[i]! : 0);
      s += d * d;
    }
    return this.l2 * s;
  }

  private addL2Gradient(theta: X, g: X): void {
    if (this.l2 === 0) return;
    const c = 2 * this.l2;
    const ref = this.l2Ref;
    for (let i = 0; i < this.dim; i++) g[i] = g[i]! + c * (theta[i]! - (ref ? ref[i]! : 0));
  }
}

/** Checks the data against the network: input size, labels within the outputs, targets. */
export function checkData(layout: NetworkLayout, loss: LossKind, data: MlpData, inputs: SampleInputs, nIn: number, nOut: number): void {
  if (loss !== 'mse' && nOut < 2) throw GlassyError.invalid('model', layout.spec, `at least 2 outputs (one per class) with --loss ${loss}`);
  if (inputs.length !== data.n * nIn || (inputs.width ?? nIn) !== nIn) {
    throw GlassyError.invalid('data', `${inputs.length} input values for ${data.n} samples`, `n × ${nIn} values (input shape [${layout.inputShape.join(', ')}])`);
  }
  if (data.y.length !== data.n) throw GlassyError.invalid('data.y', data.y.length, `${data.n} labels`);
  for (let i = 0; i < data.n; i++) {
    const c = data.y[i]!;
    if (!(c >= 0 && c < nOut)) throw GlassyError.invalid(`label of sample ${i}`, c, `an integer in [0, ${nOut}) (the output width of the model)`);
  }
  if (data.targets && data.targets.length !== data.n * nOut) throw GlassyError.invalid('data.targets', data.targets.length, `n × ${nOut} values`);
}

function isRun(batch: Int32Array, n: number): boolean {
  const s = batch[0]!;
  if (!(s >= 0) || s + batch.length > n) return false;
  for (let r = 1; r < batch.length; r++) if (batch[r] !== s + r) return false;
  return true;
}
