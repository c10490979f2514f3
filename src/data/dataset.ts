/**
 * The data a network landscape is built on: a training split (the landscape's samples) and a test
 * split (generalisation), as flat row-major Float32 arrays — the layout the GEMM kernels of core/
 * consume without copying.
 */

export interface Split {
  /** n×d inputs, row-major. */
  x: Float32Array;
  /** Class labels 0..C−1 (all zeros for pure regression data). */
  y: Int32Array;
  n: number;
  /** n×k real targets for regression (teacher outputs, linear-regression responses). */
  targets?: Float32Array;
  /**
   * True when `x` is finite by construction (bytes scaled by finite constants): loadDataset skips
   * its scan, so a process that only checks the data's shape never converts the inputs.
   */
  finite?: boolean;
  /**
   * The inputs as the bytes they were read as (MNIST's pixels), while `x` is their conversion: a
   * training loop can gather mini-batches from these, reading a quarter of the memory, and never
   * convert the whole set. Absent when the inputs are not bytes or `x` was replaced (per-feature
   * standardisation).
   */
  readonly bytes?: ByteInputs | undefined;
}

/**
 * Inputs kept as bytes: sample i is row rows[i] of x (d bytes); byte v reads as a·v + b rounded to
 * float32, the value the split's `x` holds for it (the pixel normalisation, data/transform.ts).
 */
export interface ByteInputs {
  x: Uint8Array;
  d: number;
  rows: Int32Array;
  a: number;
  b: number;
}

/**
 * The generating network of synthetic data, as a flat parameter vector in the layout of
 * src/landscapes/mlp/layout.ts (`<2l>.weight` [out, in], row-major, no biases), so that
 * student–teacher overlaps can be measured with the same code as replica overlaps.
 */
export interface Teacher {
  sizes: number[];
  activation: 'relu' | 'tanh' | 'linear';
  bias: false;
  theta: Float32Array;
}

export interface Dataset {
  /** e.g. "mnist", "fashion-mnist", "teacher-student", "random-labels(mnist)". */
  name: string;
  nFeatures: number;
  /** Per-sample shape of the inputs for convolutional networks, e.g. [1, 28, 28] (NCHW without N); absent: flat [nFeatures]. */
  inputShape?: number[];
  /** Number of classes C (0 for pure regression data). */
  nClasses: number;
  /** The original label of each class index (after relabelling by a class filter). */
  classes: number[];
  train: Split;
  test: Split;
  /** JSON-able description for the run manifest: source, sizes, options, files read. */
  description: Record<string, unknown>;
  /** k, the number of real targets per sample, when `targets` are present. */
  nTargets?: number;
  /** The teacher of synthetic data (teacher-student, linear-regression). */
  teacher?: Teacher;
}

/**
 * Sub-indices of `Rng.stream(seed, Stream.data, sub)`: one independent stream per use, so that
 * e.g. changing nTest does not change the training inputs. Append only: renumbering would change
 * every data set generated before.
 */
export const DataStream = {
  subsetTrain: 1,
  subsetTest: 2,
  holdout: 3,
  teacher: 4,
  trainInputs: 5,
  testInputs: 6,
  trainLabelNoise: 7,
  means: 8,
  trainLabels: 9,
  testLabels: 10,
  trainTargetNoise: 11,
  testTargetNoise: 12,
  randomLabels: 13,
} as const;
