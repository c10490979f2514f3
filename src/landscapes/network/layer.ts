/**
 * One layer of a network (a network is a sequence of layers, network.ts): the contract every layer
 * module (dense, conv2d, maxpool, avgpool, flatten, activation) fulfils.
 *
 * Shapes are per sample, in PyTorch's order: [C, H, W] for images (NCHW in memory, the batch index
 * outermost) and [N] for vectors. A batch of B samples is B·size contiguous values.
 *
 * Each layer is y = f(x; θ_layer). Besides the forward pass it provides the three passes that exact
 * gradients and exact Hessian-vector products need (Pearlmutter 1994, "Fast exact multiplication by
 * the Hessian", Neural Computation 6, 147): with J_x, J_θ the Jacobians of f,
 *   backward:   δx = J_xᵀ δy,                        ∂E/∂θ = J_θᵀ δy
 *   rForward:   R{y} = J_x R{x} + J_θ v
 *   rBackward:  R{δx} = J_xᵀ R{δy} + R{J_x}ᵀ δy,     R{∂E/∂θ} = J_θᵀ R{δy} + R{J_θ}ᵀ δy
 * where R{·} = d/dr (·)(θ + r v)|_{r=0}. For the layers linear in x (dense, conv) R{J_x}ᵀ δy = Vᵀ δy and
 * R{J_θ}ᵀ δy is the weight gradient with x replaced by R{x}; for parameter-free layers only the
 * element-wise activations have a second-derivative term; max-pool is piecewise linear and routes
 * everything by the argmax recorded in the forward pass.
 */
import type { Float } from '../../core/backend.js';
import type { Rng } from '../../core/rng.js';

/** Per-sample shape: [C, H, W] or [N]. */
export type Shape = readonly number[];

/** A named tensor inside the flat parameter vector θ (PyTorch names and shapes). */
export interface TensorSlice {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

/** Allocates an array of the landscape's precision in backend memory. */
export type Alloc = (n: number) => Float;

export interface Layer {
  /** The spec token kind: 'dense', 'conv', 'maxpool', 'avgpool', 'flatten' or an activation name. */
  readonly kind: string;
  /** The spec token that made it, e.g. "conv(10,5)". */
  readonly token: string;
  readonly inShape: Shape;
  readonly outShape: Shape;
  /** Values per sample in and out. */
  readonly inSize: number;
  readonly outSize: number;
  /** Parameter tensors, weight first then bias (empty for parameter-free layers). */
  readonly params: TensorSlice[];
  /** PyTorch's default initialisation of this layer's parameters (nothing for parameter-free layers). */
  initialise(theta: Float, rng: Rng, scheme: 'pytorch' | 'he'): void;
  /** Scratch for batches of up to `rows` samples, allocated once (no allocation in the passes). */
  prepare(rows: number, alloc: Alloc): void;
  forward(theta: Float, x: Float, y: Float, B: number): void;
  /** δx ← J_xᵀ δy (skipped when dx is null); g ← β·g + J_θᵀ δy on this layer's slices (when g is given). */
  backward(theta: Float, x: Float, y: Float, dy: Float, dx: Float | null, g: Float | null, B: number, beta: 0 | 1): void;
  /** R{y} ← J_x R{x} + J_θ v; rx is null for the network input (R{input} = 0). */
  rForward(theta: Float, v: Float, x: Float, rx: Float | null, y: Float, ry: Float, B: number): void;
  /**
   * R{δx} ← J_xᵀ R{δy} + R{J_x}ᵀ δy (skipped when rdx is null); out ← β·out + J_θᵀ R{δy} + R{J_θ}ᵀ δy.
   * x, y, dy, rx are the forward, backward and R-forward values of this layer.
   */
  rBackward(
    theta: Float, v: Float, x: Float, rx: Float | null, y: Float, dy: Float, rdy: Float,
    rdx: Float | null, out: Float, B: number, beta: 0 | 1,
  ): void;
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** A view of one tensor of θ. */
export function slice(theta: Float, t: TensorSlice): Float {
  return theta.subarray(t.offset, t.offset + t.size);
}

/**
 * The parameters of an affine layer (Linear, Conv2d), named as nn.Sequential names them: the weight
 * [out, …] at `offset`, then the bias [out]; and their initialisation. PyTorch's default init:
 * kaiming_uniform(a=√5) = U(±1/√fan_in) for weights, U(±1/√fan_in) for biases; 'he': N(0, 2/fan_in), biases 0.
 */
export abstract class AffineParams {
  readonly weight: TensorSlice;
  readonly bias: TensorSlice | null;
  readonly params: TensorSlice[];

  constructor(index: number, weightShape: number[], offset: number, bias: boolean, private readonly fanIn: number) {
    const out = weightShape[0]!;
    const size = out * fanIn;
    this.weight = { name: `${index}.weight`, shape: weightShape, offset, size };
    this.bias = bias ? { name: `${index}.bias`, shape: [out], offset: offset + size, size: out } : null;
    this.params = this.bias ? [this.weight, this.bias] : [this.weight];
  }

  initialise(theta: Float, rng: Rng, scheme: 'pytorch' | 'he'): void {
    const bound = 1 / Math.sqrt(this.fanIn);
    const W = slice(theta, this.weight);
    if (scheme === 'pytorch') rng.fillUniform(W, -bound, bound);
    else rng.fillNormal(W, Math.sqrt(2 / this.fanIn));
    if (this.bias) {
      const b = slice(theta, this.bias);
      if (scheme === 'pytorch') rng.fillUniform(b, -bound, bound);
      else b.fill(0);
    }
  }
}

/** g[offset + j] ← β·g[offset + j] + Σ_r m[r, j] over B rows of `cols` entries. */
export function colSum(m: Float, B: number, cols: number, g: Float, offset: number, beta: 0 | 1): void {
  if (beta === 0) g.fill(0, offset, offset + cols);
  for (let r = 0; r < B; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) g[offset + j] = g[offset + j]! + m[o + j]!;
  }
}
