/**
 * The kernel layer: the one place where dense linear algebra happens. Everything above (landscapes,
 * dynamics, observables) calls these few kernels on flat typed arrays, so a faster backend can be
 * swapped in without touching the layers above (docs/backends.md).
 *
 * Conventions: row-major (C order) matrices, BLAS semantics
 *   C ← α·op(A)·op(B) + β·C,  op(A) is m×k, op(B) is k×n, C is m×n,
 * with leading dimensions lda, ldb, ldc counted in elements (row strides). β = 0 means C is
 * overwritten (NaNs in C do not propagate), as in BLAS.
 */
export type Float = Float32Array | Float64Array;

export type BackendName = 'blas' | 'wasm' | 'reference';

export interface Backend {
  readonly name: BackendName;
  /** A one-line description for manifests and benchmarks, e.g. "OpenBLAS 0.3.21 (cblas_sgemm)". */
  readonly description: string;

  sgemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number,
    alpha: number, a: Float32Array, lda: number, b: Float32Array, ldb: number,
    beta: number, c: Float32Array, ldc: number,
  ): void;

  dgemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number,
    alpha: number, a: Float64Array, lda: number, b: Float64Array, ldb: number,
    beta: number, c: Float64Array, ldc: number,
  ): void;

  /**
   * Arrays the backend can use without copying (for the WebAssembly backend: views into its
   * linear memory). Hot buffers (parameters, activations, gradients) should come from here;
   * any other typed array is still accepted by the kernels, at the cost of a copy.
   */
  allocF32(n: number): Float32Array;
  /**
   * Optional level-1 kernels (the BLAS backend has them): y ← αx + y and x ← αx over whole arrays of
   * one precision. The optimisers' updates use them when present (vec.ts falls back to loops).
   */
  axpy?(alpha: number, x: Float, y: Float): void;
  scal?(alpha: number, x: Float): void;
  allocF64(n: number): Float64Array;

  /**
   * Optional: out[r·d … r·d + d) ← x[rows[r]·d … rows[r]·d + d) for every r (a mini-batch gather),
   * x and out of one precision; throws a RangeError for a row index outside x. Callers fall back to
   * copying rows themselves when it is absent.
   */
  gatherRows?(x: Float, d: number, rows: Int32Array, out: Float): void;

  /**
   * Optional: a mini-batch of byte inputs normalised on the way, out[r·d + j] ← a·src[rows[batch[r]]·d + j] + b,
   * computed in double and rounded to float32 as JavaScript would (data/dataset.ts ByteInputs: sample
   * i is row rows[i] of src); throws a RangeError for an index outside rows or src. Callers fall back
   * to the float32 inputs without it.
   */
  gatherBytes?(src: Uint8Array, d: number, rows: Int32Array, batch: Int32Array, a: number, b: number, out: Float32Array): void;

  /**
   * Optional float32 ReLU steps of a network pass (the BLAS addon has them; callers fall back to
   * JavaScript loops): a[i] = z[i] > 0 ? z[i] : 0, and dz[i] = z[i] > 0 ? da[i] : 0, for i < n.
   */
  reluForward?(z: Float32Array, a: Float32Array, n: number): void;
  reluBackward?(z: Float32Array, da: Float32Array, dz: Float32Array, n: number): void;

  /**
   * Optional column sums (an MLP layer's bias gradient): g[offset + j] ← β·g[offset + j] + Σ_r m[r·cols + j]
   * over r < B, the rows added in order in the arrays' precision (bit-identical to the JavaScript loop
   * in landscapes/mlp/network.ts), β 0 or 1; m and g of one precision.
   */
  colSums?(m: Float, B: number, cols: number, g: Float, offset: number, beta: 0 | 1): void;

  /**
   * Optional softmax cross-entropy of B rows of C outputs f (the BLAS addon has it; callers fall back
   * to loss.ts's loop, whose bits it reproduces): per row r, m = the first maximum, z = Σ_k e^(f_rk − m)
   * summed in double with k ascending; when g is given, g_rk = e^(f_rk − m)·scale/z − scale·[k = y_r];
   * rows[2r] ← m, rows[2r + 1] ← z. Returns the rows whose first maximum is not their label.
   */
  softmaxCE?(f: Float, labels: Int32Array, B: number, C: number, g: Float | null, scale: number, rows: Float64Array): number;

  /**
   * Optional steps of a convolutional network pass (the BLAS addon has them; landscapes/network falls
   * back to its JavaScript loops, which they reproduce bit for bit). All arrays of one call share a
   * precision; extents are checked and a RangeError thrown before anything is written.
   * - im2col: col[(c,kh,kw), b·HW + (oh,ow)] ← x[b, c, oh·S − P + kh, ow·S − P + kw] (0 outside the
   *   image), x NCHW [B × C_in × H × W], col [C_in·K·K × B·H_out·W_out];
   * - col2im: its adjoint, dx ← 0 then every col entry added back where im2col took it from;
   * - swapAxes: dst[q, p, l] ← src[p, q, l] + bias[p] (+0 without bias), src [P × Q × L];
   * - rowSums: out[r] ← β·out[r] + Σ_i a[r·n + i], summed left to right in double, β 0 or 1;
   * - maxPool: y[o] ← the maximum of window o (K×K, stride S, floor output size) of the planes of x,
   *   argmax[o] ← its index in x (first maximum on ties, first NaN wins, as PyTorch's CPU kernel);
   * - scatterAdd: dx[0 … m) ← 0, then dx[argmax[o]] += dy[o] for o < n in order.
   */
  im2col?(x: Float, col: Float, geometry: ConvGeometry): void;
  col2im?(col: Float, dx: Float, geometry: ConvGeometry): void;
  swapAxes?(src: Float, dst: Float, p: number, q: number, l: number, bias: Float | null): void;
  rowSums?(a: Float, rows: number, n: number, out: Float, beta: 0 | 1): void;
  maxPool?(x: Float, y: Float, argmax: Int32Array, geometry: PoolGeometry): void;
  scatterAdd?(dy: Float, argmax: Int32Array, n: number, dx: Float, m: number): void;

  /**
   * Optional direct convolution, stride 1 (the BLAS addon on CPUs with AVX2 and FMA): for layers with
   * few input channels it replaces im2col + GEMM, whose col copy and skinny products cost more than
   * the arithmetic. x [B × C_in × H × W] and y, δy [B × C_out × H_out × W_out] in NCHW, weights OIHW,
   * zero padding P; all arrays of one precision; β is 0 (overwrite) or 1 (accumulate).
   * - convForward: y ← β·y + (W ⋆ x + bias), bias null for none;
   * - convWeightGrad: gW ← β·gW + Σ over the batch of δy ⋆ x, gb ← β·gb + Σ δy (gb null: skipped).
   * Summation order is the kernel's own (not the GEMM's), fixed, so results repeat bit for bit.
   */
  convForward?(x: Float, w: Float, bias: Float | null, y: Float, beta: 0 | 1, geometry: ConvGeometry, outChannels: number): void;
  convWeightGrad?(x: Float, dy: Float, gw: Float, gb: Float | null, beta: 0 | 1, geometry: ConvGeometry, outChannels: number): void;

  /**
   * Optional: whether the kernels read and write this array in place, without a copy (every typed
   * array on the BLAS and reference backends; only allocF32/allocF64 arrays on WebAssembly). Absent
   * means "only arrays from allocF32/allocF64".
   */
  usesInPlace?(a: Float): boolean;

  /**
   * Optional: give an array from allocF32/allocF64 back to the backend (the WebAssembly backend
   * reuses its linear memory; the others let the garbage collector do it). The array must not be
   * used afterwards. Arrays the backend did not allocate are ignored.
   */
  free?(a: Float): void;

  /**
   * Optional: threads one GEMM call may use inside this process (BLAS). glassy defaults to 1 and
   * parallelises across replicas instead (docs/backends.md).
   */
  setThreads?(n: number): void;
}

/** The shape of one im2col/col2im call: batch B of C_in × H × W images, K×K kernel, stride S, padding P. */
export interface ConvGeometry {
  batch: number; channels: number; height: number; width: number;
  kernel: number; stride: number; padding: number; outHeight: number; outWidth: number;
}

/** The shape of one max-pool call: `planes` (batch × channels) planes of H × W, K×K windows, stride S. */
export interface PoolGeometry {
  planes: number; height: number; width: number; kernel: number; stride: number; outHeight: number; outWidth: number;
}
