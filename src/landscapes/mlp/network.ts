/**
 * The network landscape: E(θ) = (1/n) Σ_μ ℓ(f(x_μ; θ), y_μ) + λ‖θ − θ_ref‖² over a fully connected
 * network of any depth whose parameters are ONE flat typed array (layout.ts).
 *
 * The L2 term follows Ersoy et al. (arXiv:2512.11866): β‖θ − θ_ref‖² over all weights and biases,
 * with no ½ factor, so its gradient is 2λ(θ − θ_ref) and it adds 2λ·I to the Hessian.
 *
 * Gradients are exact backpropagation; Hessian-vector products are exact, by Pearlmutter's
 * R-operator (Pearlmutter 1994, "Fast exact multiplication by the Hessian", Neural Computation 6):
 * one forward pass of R{·} alongside the ordinary one and one backward pass of R{·}, at about twice
 * the cost of a gradient. All dense work goes through the backend GEMM (core/); everything is done
 * in preallocated buffers, so the hot loop allocates nothing.
 */
import type { Backend, Float } from '../../core/backend.js';
import { gemm, getBackend } from '../../core/backends/index.js';
import { GlassyError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { inBackend, SampleInputs, type InputSource } from '../inputs.js';
import type { SampledLandscape } from '../landscape.js';
import { activate, derivativeInto, mulDerivative, rBackward } from './activation.js';
import { groupOffset, mlpLayout, packReplica, unpackReplica, type Activation, type MlpArchitecture, type MlpLayout, type TensorSlice } from './layout.js';
import { crossEntropyKernel, lossForward, lossHessianVector, type LossKind, type LossResult } from './loss.js';

export type Precision = 'f32' | 'f64';

/**
 * Samples the landscape averages over: inputs [n × d] row-major (InputSource: `x` may be a getter,
 * with the samples' bytes beside it, read only when a pass needs the values — landscapes/inputs.ts),
 * labels, optional real targets [n × C].
 */
export interface MlpData extends InputSource {
  y: Int32Array;
  targets?: Float32Array | Float64Array | null;
  n: number;
}

export interface MlpOptions {
  arch: MlpArchitecture;
  loss: LossKind;
  precision: Precision;
  /** L2 strength λ in λ‖θ − θ_ref‖² (default 0). */
  l2?: number;
  /** θ_ref of the L2 term (default: the origin). */
  l2Ref?: Float | null;
  /** Rows per chunk for full-data passes (bounds the workspace; default 1000). */
  chunk?: number;
  backend?: Backend;
}

export interface Evaluation {
  /** Mean loss over the samples (without the L2 term). */
  loss: number;
  /** Fraction of samples misclassified (argmax output ≠ label). */
  error: number;
}

type Alloc = (n: number) => Float;

/** Buffers for one pass over up to `rows` samples. */
class Workspace {
  /** Gather buffers for mini-batches. */
  readonly batchInput: Float;
  readonly batchTargets: Float | null;
  readonly batchLabels: Int32Array;
  /** The rows of the current pass: the gather buffers, or views into the data for contiguous chunks. */
  input: Float;
  targets: Float | null;
  labels: Int32Array;
  readonly z: Float[] = [];
  readonly act: Float[] = [];
  readonly dAct: Float[] = [];
  readonly dZ: Float[] = [];
  readonly rz: Float[] = [];
  readonly rAct: Float[] = [];
  readonly rd: Float[] = [];
  readonly rdTmp: Float;

  constructor(readonly rows: number, layout: MlpLayout, alloc: Alloc, withTargets: boolean) {
    const d = layout.arch.sizes[0]!;
    const C = layout.arch.sizes[layout.arch.sizes.length - 1]!;
    this.batchInput = this.input = alloc(rows * d);
    this.batchTargets = this.targets = withTargets ? alloc(rows * C) : null;
    this.batchLabels = this.labels = new Int32Array(rows);
    let widest = d;
    for (const L of layout.layers) {
      const m = rows * L.out;
      this.z.push(alloc(m));
      this.act.push(alloc(m));
      this.dAct.push(alloc(m));
      this.dZ.push(alloc(m));
      this.rz.push(alloc(m));
      this.rAct.push(alloc(m));
      this.rd.push(alloc(m));
      widest = Math.max(widest, L.out);
    }
    this.rdTmp = alloc(rows * widest);
  }
}

/**
 * Buffers of a lockstep pass of K replicas over B shared rows: the first layer of all replicas side
 * by side ([B × K·out₀], replica k in columns k·out₀ …), the deeper layers per replica.
 */
class LockstepWork {
  readonly z: Float;
  readonly act: Float;
  readonly dAct: Float;
  readonly dZ: Float;
  /** Per replica, layers 1 … L−1 (index l − 1). */
  readonly deep: Array<{ z: Float[]; act: Float[]; dAct: Float[]; dZ: Float[] }> = [];

  /** `forward`: the buffers of a forward pass only (groupEvaluate); the δ's stay empty. */
  constructor(readonly K: number, readonly rows: number, layout: MlpLayout, alloc: Alloc, forward = false) {
    const n1 = K * layout.layers[0]!.out;
    const back = (m: number) => alloc(forward ? 0 : m);
    this.z = alloc(rows * n1);
    this.act = alloc(rows * n1);
    this.dAct = back(rows * n1);
    this.dZ = back(rows * n1);
    for (let k = 0; k < K; k++) {
      const d = { z: [] as Float[], act: [] as Float[], dAct: [] as Float[], dZ: [] as Float[] };
      for (const L of layout.layers.slice(1)) {
        const m = rows * L.out;
        d.z.push(alloc(m));
        d.act.push(alloc(m));
        d.dAct.push(back(m));
        d.dZ.push(back(m));
      }
      this.deep.push(d);
    }
  }
}

/** Widest first layer (units, over the replicas of a block) that groupGradient runs as one GEMM. */
const LOCKSTEP_WIDTH = 1280;

/** Per-replica mini-batch figures of a lockstep step (each replica's `lastBatch`). */
export interface LockstepStats {
  lossSum: Float64Array;
  errors: Float64Array;
}

export class MlpLandscape<X extends Float = Float> implements SampledLandscape<X> {
  readonly name: string;
  readonly dim: number;
  readonly geometry = 'euclidean' as const;
  readonly layout: MlpLayout;
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
  private readonly outAct: Activation;
  private work: Workspace | null = null;
  /** Lockstep workspaces by block size (a full block and the last, smaller one). */
  private readonly lockWork = new Map<number, LockstepWork>();
  private lockEval: LockstepWork | null = null;
  /** lockstepEvaluate's group, and the flat copies of a perceptron's group passes. */
  private evalGroup: X | null = null;
  private flat: { th: X; g: X } | null = null;
  /** Each row's maximum and softmax normaliser, from the backend's cross-entropy kernel. */
  private ceRows = new Float64Array(0);
  /**
   * The data term of the last batchGradient call: Σ of per-sample losses (without L2), misclassified
   * rows, and rows. A training loop reads it to report the running epoch mean of mini-batch losses
   * (what a PyTorch loop prints) without a second forward pass.
   */
  readonly lastBatch = { lossSum: 0, errors: 0, size: 0 };

  constructor(opts: MlpOptions, data: MlpData) {
    const { arch } = opts;
    validateArch(arch);
    this.layout = mlpLayout(arch);
    this.dim = this.layout.size;
    this.loss = opts.loss;
    this.precision = opts.precision;
    this.backend = opts.backend ?? getBackend();
    this.nIn = arch.sizes[0]!;
    this.nOut = arch.sizes[arch.sizes.length - 1]!;
    this.outAct = arch.output ?? 'linear';
    if (opts.loss !== 'mse' && this.nOut < 2) {
      throw GlassyError.invalid('model', arch.sizes.join('-'), `at least 2 outputs (one per class) with --loss ${opts.loss}`);
    }
    if (opts.loss === 'mse' && this.nOut < 2 && !data.targets) {
      throw GlassyError.invalid('model', arch.sizes.join('-'), 'at least 2 outputs, or regression targets in the data (one output is regression)');
    }
    if (opts.loss === 'ce' && this.outAct !== 'linear') {
      throw GlassyError.invalid('output', this.outAct, "'linear' with --loss ce (softmax is applied by the loss)");
    }
    this.inputs = new SampleInputs(this.backend, opts.precision, data);
    const values = this.inputs.length, width = this.inputs.width ?? this.nIn;
    if (values !== data.n * this.nIn || width !== this.nIn) {
      throw GlassyError.invalid('data', `${values} input values for ${data.n} samples`, `n × ${this.nIn} values (the input width of the model)`);
    }
    if (data.y.length !== data.n) throw GlassyError.invalid('data.y', data.y.length, `${data.n} labels`);
    for (let i = 0; i < data.n; i++) {
      const c = data.y[i]!;
      if (!(c >= 0 && c < this.nOut)) {
        throw GlassyError.invalid(`label of sample ${i}`, c, `an integer in [0, ${this.nOut}) (the output width of the model)`);
      }
    }
    if (data.targets && data.targets.length !== data.n * this.nOut) {
      throw GlassyError.invalid('data.targets', data.targets.length, `n × ${this.nOut} values`);
    }
    this.alloc = opts.precision === 'f32'
      ? (n: number) => this.backend.allocF32(n)
      : (n: number) => this.backend.allocF64(n);
    // Inputs and targets live in the landscape's precision (and in backend memory, so GEMMs do not
    // copy them), one copy per source array: the replicas a worker runs, and their measurement
    // subsets, share it. The inputs are read when a pass first needs them (SampleInputs).
    const targets = data.targets ? inBackend(this.backend, opts.precision, data.targets) : null;
    this.data = { y: data.y, targets, n: data.n };
    this.nSamples = data.n;
    this.chunk = Math.max(1, Math.min(opts.chunk ?? 1000, data.n));
    this.l2 = opts.l2 ?? 0;
    this.l2Ref = (opts.l2Ref as X | null | undefined) ?? null;
    this.name = `mlp ${arch.sizes.join('-')} ${arch.activation} ${opts.loss}`;
  }

  /** The landscape of the first n samples only (without the L2 term): a fixed measurement subset. */
  firstSamples(n: number): MlpLandscape<X> {
    const k = Math.min(n, this.nSamples);
    const { y, targets } = this.data;
    const inputs = this.inputs.first(k, this.nIn);
    return new MlpLandscape<X>(
      { arch: this.layout.arch, loss: this.loss, precision: this.precision, backend: this.backend, chunk: this.chunk },
      {
        get x() {
          return inputs.x;
        },
        bytes: inputs.bytes,
        y: y.subarray(0, k), targets: targets ? targets.subarray(0, k * this.nOut) : null, n: k,
      },
    );
  }

  newConfig(): X {
    return this.alloc(this.dim) as X;
  }

  // ---- public landscape API ----------------------------------------------------------------

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
    // A contiguous run of samples (full batch, a fixed batch) is read in place; others are gathered.
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

  /** An array for a group of K replicas' parameters (layout.ts: groupOffset), zeroed. */
  newGroup(K: number): X {
    return this.alloc(K * this.dim) as X;
  }

  /**
   * Lockstep: the mini-batch gradients of K replicas of this network on ONE shared batch, as one
   * batched computation. `group` holds the replicas' parameters and `grad` receives their gradients,
   * both in the group layout (layout.ts: tensor t of replica k at K·t.offset + k·t.size), so the
   * first layer of all replicas is the matrix [W₁; …; W_K] in place: the forward pass is one GEMM
   * X·[W₁ … W_K]ᵀ and the weight gradient one GEMM δZᵀ·X written straight into `grad`; the batch is
   * gathered once; the deeper layers run per replica. losses[k] ← replica k's mini-batch loss with
   * the L2 term, as batchGradient. Arithmetic per replica is that of batchGradient (bias rows first,
   * then the GEMM accumulating; same reductions in the same order) except that the first layer's
   * GEMMs are wider. OpenBLAS's blocked kernels sum each element in an order that does not depend on
   * the width, so where both widths take them the replicas are bit-identical to batchGradient's; a
   * GEMM small enough (M·N·K ≤ 10⁶ on x86-64) for OpenBLAS's small-matrix kernels — the one-replica
   * first layer of 784→10→10 on a partial batch of < 128 rows — sums in another order, and the
   * replicas then agree to float rounding only (test/lockstep.test.ts checks both).
   * `stats` (optional) receives each replica's Σ loss and error count on the batch, as lastBatch.
   */
  groupGradient(group: X, K: number, batch: Int32Array, grad: X, losses: Float64Array, stats?: LockstepStats): void {
    if (group.length !== K * this.dim || grad.length !== K * this.dim) {
      throw new RangeError(`groupGradient: group and grad must hold ${K} × ${this.dim} values`);
    }
    const layers = this.layout.layers;
    if (layers.length < 2) {
      // A perceptron has no hidden layer to batch: each replica's ordinary step, through a flat copy.
      const { th, g } = this.flatScratch();
      for (let k = 0; k < K; k++) {
        unpackReplica(this.layout, K, k, group, th);
        losses[k] = this.batchGradient(th, batch, g);
        packReplica(this.layout, K, k, g, grad);
        if (stats) { stats.lossSum[k] = this.lastBatch.lossSum; stats.errors[k] = this.lastBatch.errors; }
      }
      return;
    }
    const B = batch.length;
    const w = isRun(batch, this.data.n) ? this.view(batch[0]!, B) : this.gather(batch);
    // Blocks of replicas whose first layers together are at most LOCKSTEP_WIDTH units wide: the
    // block's activations and their δ's (4 · B · width floats) then stay in cache. 64 replicas of
    // 784→10→10 are one block; those of 784→100→10 run in blocks of 12 (one GEMM each way per block).
    const per = Math.max(1, Math.floor(LOCKSTEP_WIDTH / layers[0]!.out));
    for (let k0 = 0; k0 < K; k0 += per) this.groupBlock(group, K, k0, Math.min(K, k0 + per), w, B, grad, losses, stats);
    if (this.l2 !== 0) this.addGroupL2(group, K, grad, losses);
  }

  /** groupGradient of replicas k0 … k1 − 1 of the group on the rows of `w`. */
  private groupBlock(group: X, K: number, k0: number, k1: number, w: Workspace, B: number, grad: X, losses: Float64Array, stats?: LockstepStats): void {
    const layers = this.layout.layers;
    const nk = k1 - k0;
    let lw = this.lockWork.get(nk);
    if (!lw || lw.rows < B) this.lockWork.set(nk, lw = new LockstepWork(nk, Math.max(B, w.rows), this.layout, this.alloc));
    const L0 = layers[0]!;
    const o0 = L0.out, n1 = nk * o0;
    const hidden = this.layout.arch.activation;
    const top = layers.length - 1;
    const slice = (a: X, t: TensorSlice, k: number) => a.subarray(groupOffset(t, K, k), groupOffset(t, K, k) + t.size);
    const block = (a: X, t: TensorSlice) => a.subarray(groupOffset(t, K, k0), groupOffset(t, K, k1));
    // First layer of the block's replicas: Z = b + X·[W_k0 … W_k1−1]ᵀ.
    if (L0.bias) fillRows(lw.z, block(group, L0.bias), B);
    gemm(this.backend, false, true, B, n1, L0.in, 1, w.input, L0.in, block(group, L0.weight), L0.in, L0.bias ? 1 : 0, lw.z, n1);
    this.activate(hidden, lw.z, lw.act, B * n1);
    for (let k = k0; k < k1; k++) {
      const j = k - k0, d = lw.deep[j]!;
      // Deeper layers of replica k, reading its columns of the first layer's activations.
      let a: Float = lw.act.subarray(j * o0), lda = n1;
      for (let l = 1; l <= top; l++) {
        const L = layers[l]!, z = d.z[l - 1]!;
        if (L.bias) fillRows(z, slice(group, L.bias, k), B);
        gemm(this.backend, false, true, B, L.out, L.in, 1, a, lda, slice(group, L.weight, k), L.in, L.bias ? 1 : 0, z, L.out);
        this.activate(l === top ? this.outAct : hidden, z, d.act[l - 1]!, B * L.out);
        a = d.act[l - 1]!;
        lda = L.out;
      }
      const f = d.act[top - 1]!;
      const res = this.lossOf(f, w, B, d.dAct[top - 1]!, 1 / B);
      const m = B * this.nOut;
      d.dZ[top - 1]!.set(d.dAct[top - 1]!.subarray(0, m));
      mulDerivative(this.outAct, d.z[top - 1]!, f, d.dZ[top - 1]!, m);
      // Backpropagation down to the first layer's δa (written into replica k's columns).
      for (let l = top; l >= 1; l--) {
        const L = layers[l]!, dz = d.dZ[l - 1]!;
        const below = l === 1 ? lw.act.subarray(j * o0) : d.act[l - 2]!;
        const ldb = l === 1 ? n1 : L.in;
        gemm(this.backend, true, false, L.out, L.in, B, 1, dz, L.out, below, ldb, 0, slice(grad, L.weight, k), L.in);
        if (L.bias) this.colSum(dz, B, L.out, grad, groupOffset(L.bias, K, k), 0);
        const W = slice(group, L.weight, k);
        if (l === 1) {
          gemm(this.backend, false, false, B, L.in, L.out, 1, dz, L.out, W, L.in, 0, lw.dAct.subarray(j * o0), n1);
        } else {
          const da = d.dAct[l - 2]!;
          gemm(this.backend, false, false, B, L.in, L.out, 1, dz, L.out, W, L.in, 0, da, L.in);
          this.derivativeInto(hidden, d.z[l - 2]!, d.act[l - 2]!, da, d.dZ[l - 2]!, B * L.in);
        }
      }
      losses[k] = res.sum / B;
      if (stats) { stats.lossSum[k] = res.sum; stats.errors[k] = res.errors; }
    }
    // First layer of the block: δZ = δA ⊙ φ'(Z), ∂E/∂[W_k0 … W_k1−1] = δZᵀ·X, bias sums — in place in `grad`.
    this.derivativeInto(hidden, lw.z, lw.act, lw.dAct, lw.dZ, B * n1);
    gemm(this.backend, true, false, n1, L0.in, B, 1, lw.dZ, n1, w.input, L0.in, 0, block(grad, L0.weight), L0.in);
    if (L0.bias) this.colSum(lw.dZ, B, n1, grad, groupOffset(L0.bias, K, k0), 0);
  }

  /** The L2 term of every replica of a group: grad += 2λ(θ − θ_ref), losses += λ‖θ − θ_ref‖², in batchGradient's order. */
  private addGroupL2(group: X, K: number, grad: X, losses: Float64Array): void {
    const c = 2 * this.l2, ref = this.l2Ref;
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (const t of this.layout.tensors) {
        const at = groupOffset(t, K, k);
        for (let i = 0; i < t.size; i++) {
          const dv = group[at + i]! - (ref ? ref[t.offset + i]! : 0);
          s += dv * dv;
        }
      }
      for (const t of this.layout.tensors) {
        const at = groupOffset(t, K, k);
        for (let i = 0; i < t.size; i++) grad[at + i] = grad[at + i]! + c * (group[at + i]! - (ref ? ref[t.offset + i]! : 0));
      }
      losses[k] = losses[k]! + this.l2 * s;
    }
  }

  hvp(theta: X, v: X, out: X): void {
    const n = this.data.n;
    for (let start = 0; start < n; start += this.chunk) {
      const B = Math.min(this.chunk, n - start);
      const w = this.view(start, B);
      this.forward(theta, w, B);
      this.top(w, B, true, 1 / n);
      this.backward(theta, w, B, null, 0);
      this.rForward(theta, v, w, B);
      this.rBackwardPass(theta, v, w, B, out, start === 0 ? 0 : 1, 1 / n);
    }
    if (this.l2 !== 0) {
      const c = 2 * this.l2;
      for (let i = 0; i < this.dim; i++) out[i] = out[i]! + c * v[i]!;
    }
  }

  /**
   * Generalised Gauss–Newton product G·v = J_fᵀ H_ℓ J_f v (+ 2λv), the
   * positive semi-definite part of the Hessian for convex losses (Schraudolph 2002, Neural Comput.
   * 14, 1723; Martens 2010; equal to the Fisher for CE with softmax, Martens 2020 §9.2). f is the
   * network output the loss sees (after the output non-linearity). Reuses the R-forward pass
   * (J_f v), the loss curvature, then ordinary backpropagation of H_ℓ J_f v — i.e. the R-operator
   * backward pass WITHOUT its second-derivative-of-activation and δz·V terms.
   */
  gnvp(theta: X, v: X, out: X): void {
    const n = this.data.n;
    const top = this.layout.layers.length - 1;
    for (let start = 0; start < n; start += this.chunk) {
      const B = Math.min(this.chunk, n - start);
      const w = this.view(start, B);
      this.forward(theta, w, B);
      this.rForward(theta, v, w, B);
      const m = B * this.nOut;
      lossHessianVector(this.loss, w.act[top]!, w.rAct[top]!, B, this.nOut, w.dAct[top]!, 1 / n);
      w.dZ[top]!.set(w.dAct[top]!.subarray(0, m));
      mulDerivative(this.outAct, w.z[top]!, w.act[top]!, w.dZ[top]!, m);
      this.backward(theta, w, B, out, start === 0 ? 0 : 1);
    }
    if (this.l2 !== 0) {
      const c = 2 * this.l2;
      for (let i = 0; i < this.dim; i++) out[i] = out[i]! + c * v[i]!;
    }
  }

  /**
   * Mean loss (without L2) and error over all samples: the misclassification rate, or for regression
   * (one output, real targets, MSE) the mean squared error ⟨(f − t)²⟩ — the generalisation error
   * ε_g on a test set (Saad & Solla 1995 write ε_g = ½⟨(σ − τ)²⟩, half of this).
   */
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
    const regression = this.nOut === 1 && this.data.targets !== null && this.loss === 'mse';
    return { loss: sum / n, error: regression ? sum / n : errors / n };
  }

  /**
   * evaluate() of K replicas given as flat θ's (the measurements of a lockstep run's files): packed
   * into a group, then groupEvaluate.
   */
  lockstepEvaluate(thetas: readonly X[], visit?: (k: number, start: number, B: number, f: Float) => void): Evaluation[] {
    const K = thetas.length;
    if (this.evalGroup?.length !== K * this.dim) this.evalGroup = this.newGroup(K);
    const group = this.evalGroup;
    thetas.forEach((t, k) => packReplica(this.layout, K, k, t, group));
    return this.groupEvaluate(group, K, visit);
  }

  /** One replica's θ and gradient, for the group passes that go replica by replica (kept: backend memory). */
  private flatScratch(): { th: X; g: X } {
    return this.flat ??= { th: this.newConfig(), g: this.newConfig() };
  }

  /**
   * evaluate() of the K replicas of a group (layout.ts: groupOffset): per chunk of rows the first
   * layer of every replica is one GEMM X·[W₁ … W_K]ᵀ, as in groupGradient; deeper layers and the
   * loss run per replica. Same chunks and reductions as evaluate(), so the results equal its own
   * wherever the GEMM kernels agree (docs/networks.md). `visit` (optional) sees each replica's
   * outputs f [B × C] of the rows start … start + B − 1 (valid during the call only).
   */
  groupEvaluate(group: X, K: number, visit?: (k: number, start: number, B: number, f: Float) => void): Evaluation[] {
    if (group.length !== K * this.dim) throw new RangeError(`groupEvaluate: group must hold ${K} × ${this.dim} values`);
    const layers = this.layout.layers;
    if (layers.length < 2) {
      if (visit) throw new RangeError('groupEvaluate with outputs needs a hidden layer');
      const { th } = this.flatScratch();
      return Array.from({ length: K }, (_, k) => { unpackReplica(this.layout, K, k, group, th); return this.evaluate(th); });
    }
    const n = this.data.n;
    const rows = Math.min(this.chunk, n);
    if (!this.lockEval || this.lockEval.K !== K || this.lockEval.rows < rows) this.lockEval = new LockstepWork(K, rows, this.layout, this.alloc, true);
    const lw = this.lockEval;
    const L0 = layers[0]!;
    const o0 = L0.out, n1 = K * o0;
    const hidden = this.layout.arch.activation;
    const top = layers.length - 1;
    const slice = (t: TensorSlice, k: number) => group.subarray(groupOffset(t, K, k), groupOffset(t, K, k) + t.size);
    const W0 = group.subarray(0, K * L0.weight.size);
    const b0 = L0.bias ? group.subarray(groupOffset(L0.bias, K, 0), groupOffset(L0.bias, K, K)) : null;
    const sums = new Float64Array(K), errors = new Float64Array(K);
    for (let start = 0; start < n; start += this.chunk) {
      const B = Math.min(this.chunk, n - start);
      const w = this.view(start, B);
      if (b0) fillRows(lw.z, b0, B);
      gemm(this.backend, false, true, B, n1, L0.in, 1, w.input, L0.in, W0, L0.in, b0 ? 1 : 0, lw.z, n1);
      this.activate(hidden, lw.z, lw.act, B * n1);
      for (let k = 0; k < K; k++) {
        const d = lw.deep[k]!;
        let a: Float = lw.act.subarray(k * o0), lda = n1;
        for (let l = 1; l <= top; l++) {
          const L = layers[l]!, z = d.z[l - 1]!;
          if (L.bias) fillRows(z, slice(L.bias, k), B);
          gemm(this.backend, false, true, B, L.out, L.in, 1, a, lda, slice(L.weight, k), L.in, L.bias ? 1 : 0, z, L.out);
          this.activate(l === top ? this.outAct : hidden, z, d.act[l - 1]!, B * L.out);
          a = d.act[l - 1]!;
          lda = L.out;
        }
        if (visit) visit(k, start, B, d.act[top - 1]!);
        const r = this.lossOf(d.act[top - 1]!, w, B, null, 1 / n);
        sums[k] = sums[k]! + r.sum;
        errors[k] = errors[k]! + r.errors;
      }
    }
    const regression = this.nOut === 1 && this.data.targets !== null && this.loss === 'mse';
    return Array.from({ length: K }, (_, k) => ({ loss: sums[k]! / n, error: regression ? sums[k]! / n : errors[k]! / n }));
  }

  /**
   * Network outputs f(x_μ; θ) for all samples, [n × C] (function-space overlaps, agreement between
   * replicas), or the activations of hidden layer `layer` (0-based), [n × width] (activation matching).
   */
  outputs(theta: X, layer = this.layout.layers.length - 1): Float64Array {
    const n = this.data.n;
    const width = this.layout.layers[layer]!.out;
    const out = new Float64Array(n * width);
    for (let start = 0; start < n; start += this.chunk) {
      const B = Math.min(this.chunk, n - start);
      const w = this.view(start, B);
      this.forward(theta, w, B);
      const a = w.act[layer]!;
      for (let i = 0; i < B * width; i++) out[start * width + i] = a[i]!;
    }
    return out;
  }

  /**
   * PyTorch's default nn.Linear initialisation (weights and biases U(−1/√fan_in, 1/√fan_in)), so
   * glassy's networks start where the papers' did; or 'he' (N(0, 2/fan_in), biases 0).
   */
  initialise(theta: X, rng: Rng, scheme: 'pytorch' | 'he' = 'pytorch'): void {
    for (const L of this.layout.layers) {
      const bound = 1 / Math.sqrt(L.in);
      const W = theta.subarray(L.weight.offset, L.weight.offset + L.weight.size);
      if (scheme === 'pytorch') rng.fillUniform(W, -bound, bound);
      else rng.fillNormal(W, Math.sqrt(2 / L.in));
      if (L.bias) {
        const b = theta.subarray(L.bias.offset, L.bias.offset + L.bias.size);
        if (scheme === 'pytorch') rng.fillUniform(b, -bound, bound);
        else b.fill(0);
      }
    }
  }

  // ---- passes ----------------------------------------------------------------------------

  private workspace(rows: number): Workspace {
    if (!this.work || this.work.rows < rows) {
      this.work = new Workspace(Math.max(rows, this.chunk), this.layout, this.alloc, !!this.data.targets);
    }
    return this.work;
  }

  /** A workspace whose rows are a contiguous chunk of the data (views: the data already lives in backend memory). */
  private view(start: number, B: number): Workspace {
    const w = this.workspace(B);
    const d = this.nIn;
    const C = this.nOut;
    const { y, targets } = this.data;
    w.input = this.inputs.all().subarray(start * d, (start + B) * d);
    w.labels = y.subarray(start, start + B);
    w.targets = targets ? targets.subarray(start * C, (start + B) * C) : null;
    return w;
  }

  /** A workspace holding the rows `batch` of the data (mini-batch gather). */
  private gather(batch: Int32Array): Workspace {
    const B = batch.length;
    const w = this.workspace(B);
    const d = this.nIn;
    const C = this.nOut;
    const { y, targets } = this.data;
    w.input = w.batchInput;
    w.labels = w.batchLabels;
    w.targets = w.batchTargets;
    for (let r = 0; r < B; r++) {
      const i = batch[r]!;
      if (!(i >= 0 && i < this.data.n)) throw new RangeError(`batch index ${i} outside [0, ${this.data.n})`);
      w.labels[r] = y[i]!;
    }
    // The inputs (B rows of the 60 000 × 784 of MNIST, say): one native call when the backend has it.
    this.inputs.gather(batch, d, w.input);
    if (targets && w.targets) for (let r = 0; r < B; r++) w.targets.set(targets.subarray(batch[r]! * C, batch[r]! * C + C), r * C);
    return w;
  }

  private forward(theta: X, w: Workspace, B: number): void {
    const layers = this.layout.layers;
    let a: Float = w.input;
    for (let l = 0; l < layers.length; l++) {
      const L = layers[l]!;
      const z = w.z[l]!;
      const W = theta.subarray(L.weight.offset, L.weight.offset + L.weight.size);
      // z = b + a·Wᵀ: [B × in]·[in × out]; the bias rows are copied in and the GEMM accumulates (β = 1).
      if (L.bias) fillRows(z, theta.subarray(L.bias.offset, L.bias.offset + L.out), B);
      gemm(this.backend, false, true, B, L.out, L.in, 1, a, L.in, W, L.in, L.bias ? 1 : 0, z, L.out);
      const kind = l === layers.length - 1 ? this.outAct : this.layout.arch.activation;
      this.activate(kind, z, w.act[l]!, B * L.out);
      a = w.act[l]!;
    }
  }

  /**
   * The loss of B rows of outputs f and, when g is given, g ← scale·∂ℓ/∂f: through the backend's
   * softmax cross-entropy kernel where it has one (the bits of lossForward's loop, whose cost is
   * V8's calls to Math.exp), else lossForward.
   */
  private lossOf(f: Float, w: Workspace, B: number, g: Float | null, scale: number): LossResult {
    const t = { labels: w.labels, targets: w.targets };
    const kernel = this.backend.softmaxCE;
    if (this.loss !== 'ce' || !kernel) return lossForward(this.loss, f, t, B, this.nOut, g, scale);
    if (this.ceRows.length < 2 * B) this.ceRows = new Float64Array(2 * B);
    return crossEntropyKernel(kernel, f, t, B, this.nOut, g, scale, this.ceRows);
  }

  /** Loss at the top; when `grad`, writes δf into dAct[top] and δz into dZ[top]. */
  private top(w: Workspace, B: number, grad: boolean, scale: number) {
    const top = this.layout.layers.length - 1;
    const f = w.act[top]!;
    const res = this.lossOf(f, w, B, grad ? w.dAct[top]! : null, scale);
    if (grad) {
      const m = B * this.nOut;
      const dz = w.dZ[top]!;
      dz.set(w.dAct[top]!.subarray(0, m));
      mulDerivative(this.outAct, w.z[top]!, f, dz, m);
    }
    return res;
  }

  /**
   * Backpropagation from dZ[top]: fills δa and δz of every layer and, when g is given,
   * g ← β·g + ∂E/∂θ (the R-operator pass needs the δ's only).
   */
  private backward(theta: X, w: Workspace, B: number, g: X | null, beta: 0 | 1): void {
    const layers = this.layout.layers;
    for (let l = layers.length - 1; l >= 0; l--) {
      const L = layers[l]!;
      const dz = w.dZ[l]!;
      if (g) {
        const a = l === 0 ? w.input : w.act[l - 1]!;
        const gW = g.subarray(L.weight.offset, L.weight.offset + L.weight.size);
        // ∂E/∂W = δzᵀ·a: [out × B]·[B × in]
        gemm(this.backend, true, false, L.out, L.in, B, 1, dz, L.out, a, L.in, beta, gW, L.in);
        if (L.bias) this.colSum(dz, B, L.out, g, L.bias.offset, beta);
      }
      if (l === 0) break;
      const W = theta.subarray(L.weight.offset, L.weight.offset + L.weight.size);
      const below = layers[l - 1]!;
      const da = w.dAct[l - 1]!;
      // δa = δz·W: [B × out]·[out × in]
      gemm(this.backend, false, false, B, L.in, L.out, 1, dz, L.out, W, L.in, 0, da, L.in);
      this.derivativeInto(this.layout.arch.activation, w.z[l - 1]!, w.act[l - 1]!, da, w.dZ[l - 1]!, B * below.out);
    }
  }

  /** R-operator forward pass: R{z_l} = R{a_{l−1}}·W_lᵀ + a_{l−1}·V_lᵀ + v_b, R{a_l} = φ'(z_l)·R{z_l}. */
  private rForward(theta: X, v: X, w: Workspace, B: number): void {
    const layers = this.layout.layers;
    for (let l = 0; l < layers.length; l++) {
      const L = layers[l]!;
      const rz = w.rz[l]!;
      const a = l === 0 ? w.input : w.act[l - 1]!;
      const V = v.subarray(L.weight.offset, L.weight.offset + L.weight.size);
      gemm(this.backend, false, true, B, L.out, L.in, 1, a, L.in, V, L.in, 0, rz, L.out);
      if (l > 0) {
        const W = theta.subarray(L.weight.offset, L.weight.offset + L.weight.size);
        gemm(this.backend, false, true, B, L.out, L.in, 1, w.rAct[l - 1]!, L.in, W, L.in, 1, rz, L.out);
      }
      if (L.bias) addBias(rz, v, L.bias.offset, B, L.out);
      const ra = w.rAct[l]!;
      const m = B * L.out;
      ra.set(rz.subarray(0, m));
      const kind = l === layers.length - 1 ? this.outAct : this.layout.arch.activation;
      mulDerivative(kind, w.z[l]!, w.act[l]!, ra, m);
    }
  }

  /** R-operator backward pass; out ← β·out + H·v (without the L2 term). */
  private rBackwardPass(theta: X, v: X, w: Workspace, B: number, out: X, beta: 0 | 1, scale: number): void {
    const layers = this.layout.layers;
    const top = layers.length - 1;
    // R{δf} = (∂²ℓ/∂f²)·R{f}, then through the output non-linearity.
    lossHessianVector(this.loss, w.act[top]!, w.rAct[top]!, B, this.nOut, w.rd[top]!, scale);
    rBackward(this.outAct, w.z[top]!, w.act[top]!, w.dAct[top]!, w.rz[top]!, w.rd[top]!, B * this.nOut);
    for (let l = top; l >= 0; l--) {
      const L = layers[l]!;
      const rdz = w.rd[l]!;
      const dz = w.dZ[l]!;
      const a = l === 0 ? w.input : w.act[l - 1]!;
      const oW = out.subarray(L.weight.offset, L.weight.offset + L.weight.size);
      // R{∂E/∂W} = R{δz}ᵀ·a + δzᵀ·R{a}
      gemm(this.backend, true, false, L.out, L.in, B, 1, rdz, L.out, a, L.in, beta, oW, L.in);
      if (l > 0) gemm(this.backend, true, false, L.out, L.in, B, 1, dz, L.out, w.rAct[l - 1]!, L.in, 1, oW, L.in);
      if (L.bias) this.colSum(rdz, B, L.out, out, L.bias.offset, beta);
      if (l === 0) break;
      const W = theta.subarray(L.weight.offset, L.weight.offset + L.weight.size);
      const V = v.subarray(L.weight.offset, L.weight.offset + L.weight.size);
      const below = l - 1;
      const rdBelow = w.rd[below]!;
      // R{δa} = R{δz}·W + δz·V
      gemm(this.backend, false, false, B, L.in, L.out, 1, rdz, L.out, W, L.in, 0, rdBelow, L.in);
      gemm(this.backend, false, false, B, L.in, L.out, 1, dz, L.out, V, L.in, 1, rdBelow, L.in);
      rBackward(this.layout.arch.activation, w.z[below]!, w.act[below]!, w.dAct[below]!, w.rz[below]!, rdBelow, B * L.in);
    }
  }

  // ---- activations: the backend's float32 ReLU kernels where it has them ------------------

  private activate(kind: Activation, z: Float, a: Float, n: number): void {
    const be = this.backend;
    if (kind === 'relu' && be.reluForward && z instanceof Float32Array && a instanceof Float32Array) be.reluForward(z, a, n);
    else activate(kind, z, a, n);
  }

  /** A layer's bias gradient: the backend's column sums where it has them (same bits), else the loop. */
  private colSum(m: Float, B: number, cols: number, g: Float, offset: number, beta: 0 | 1): void {
    if (this.backend.colSums && m.constructor === g.constructor) this.backend.colSums(m, B, cols, g, offset, beta);
    else colSum(m, B, cols, g, offset, beta);
  }

  private derivativeInto(kind: Activation, z: Float, a: Float, da: Float, dz: Float, n: number): void {
    const be = this.backend;
    if (kind === 'relu' && be.reluBackward && z instanceof Float32Array && da instanceof Float32Array && dz instanceof Float32Array) be.reluBackward(z, da, dz, n);
    else derivativeInto(kind, z, a, da, dz, n);
  }

  // ---- L2 ------------------------------------------------------------------------------

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

/** The B rows of z [B × row.length] ← row, by doubling copies (log₂ B calls instead of B). */
function fillRows(z: Float, row: Float, B: number): void {
  const w = row.length;
  z.set(row, 0);
  let done = 1;
  while (done < B) {
    const k = Math.min(done, B - done);
    z.copyWithin(done * w, 0, k * w);
    done += k;
  }
}

/** Whether batch = [s, s+1, …, s+B−1] inside [0, n). */
function isRun(batch: Int32Array, n: number): boolean {
  const s = batch[0]!;
  if (!(s >= 0) || s + batch.length > n) return false;
  for (let r = 1; r < batch.length; r++) if (batch[r] !== s + r) return false;
  return true;
}

function addBias(z: Float, p: Float, offset: number, B: number, out: number): void {
  for (let r = 0; r < B; r++) {
    const o = r * out;
    for (let j = 0; j < out; j++) z[o + j] = z[o + j]! + p[offset + j]!;
  }
}

/** g[offset + j] ← β·g[offset + j] + Σ_r m[r, j]. */
function colSum(m: Float, B: number, cols: number, g: Float, offset: number, beta: 0 | 1): void {
  if (beta === 0) g.fill(0, offset, offset + cols);
  for (let r = 0; r < B; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) g[offset + j] = g[offset + j]! + m[o + j]!;
  }
}

export function validateArch(arch: MlpArchitecture): void {
  if (!Array.isArray(arch.sizes) || arch.sizes.length < 2) {
    throw GlassyError.invalid('model', arch.sizes, 'at least two layer sizes, e.g. 784-100-10');
  }
  for (const s of arch.sizes) {
    if (!Number.isInteger(s) || s < 1) throw GlassyError.invalid('model', arch.sizes.join('-'), 'positive integer layer sizes, e.g. 784-100-10');
  }
}
