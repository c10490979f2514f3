/**
 * From a pool of samples (raw MNIST bytes, a user's file) to a Split: class filter and
 * relabelling, counts (first n or a seeded subset), conversion to Float32 with the normalisation
 * folded into the same single pass, and per-feature standardisation.
 */
import { GlassyError } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import { DataStream, type ByteInputs, type Split } from './dataset.js';
import type { Normalisation } from './spec.js';

/** Samples as read from their source, labels still the original values. */
export interface Pool {
  /** n×d values, row-major: raw bytes (MNIST family) or numbers (user files). */
  x: Uint8Array | Float32Array;
  labels: Int32Array;
  n: number;
  d: number;
  /** Per-sample shape when the source has one (images: [1, rows, cols]). */
  shape?: number[];
}

/** Rows kept and their new labels. */
export interface Selection {
  rows: Int32Array;
  y: Int32Array;
}

/**
 * Keep rows whose original label is a key of `classIndex` (relabelled to its value), then at most
 * `count` of them: the first ones, or a uniform random subset drawn with `rng` (kept in file order).
 * `field` names the count option in errors.
 */
export function selectRows(
  labels: Int32Array, classIndex: Map<number, number>, count: number | undefined,
  subset: 'first' | 'random', rng: Rng, field: string,
): Selection {
  let kept: number[] = [];
  for (let i = 0; i < labels.length; i++) if (classIndex.has(labels[i]!)) kept.push(i);
  if (count !== undefined) {
    if (count > kept.length) {
      throw GlassyError.invalid(field, count, `at most ${kept.length} (the samples available in the chosen classes)`);
    }
    if (subset === 'random') {
      // A partial Fisher–Yates shuffle: the first `count` entries are a uniform random subset.
      const a = Int32Array.from(kept);
      for (let i = 0; i < count; i++) {
        const j = i + rng.int(a.length - i);
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
      }
      kept = Array.from(a.subarray(0, count)).sort((p, q) => p - q);
    } else {
      kept = kept.slice(0, count);
    }
  }
  const rows = Int32Array.from(kept);
  const y = new Int32Array(rows.length);
  for (let r = 0; r < rows.length; r++) y[r] = classIndex.get(labels[rows[r]!]!)!;
  return { rows, y };
}

/**
 * The affine map x ↦ a·x + b of a pixel normalisation (applied to raw 0..255 values).
 * 'standard' uses MNIST's mean 0.1307 and std 0.3081 of x/255, the constants of Ersoy et al.'s
 * released code (torchvision's customary MNIST Normalize). 'feature' is done afterwards, from raw.
 */
export function pixelAffine(norm: Normalisation): { a: number; b: number } {
  switch (norm) {
    case 'unit': return { a: 1 / 255, b: 0 };
    case 'standard': return { a: 1 / (255 * 0.3081), b: -0.1307 / 0.3081 };
    case 'none':
    case 'feature': return { a: 1, b: 0 };
  }
}

/**
 * The selected rows as Float32, a·x + b in one pass — done when `x` is first read: a process that
 * only checks a data set's shape and labels (the command line, before it hands the replicas to
 * worker threads that load their own copy) never pays for the 60 000 × 784 floats of MNIST.
 */
export function materialise(pool: Pool, sel: Selection, affine: { a: number; b: number }, keepBytes = true): Split {
  const n = sel.rows.length;
  let x: Float32Array | null = null;
  let bytes: ByteInputs | undefined = keepBytes && pool.x instanceof Uint8Array
    ? { x: pool.x, d: pool.d, rows: sel.rows, a: affine.a, b: affine.b }
    : undefined;
  return {
    get bytes(): ByteInputs | undefined {
      return bytes;
    },
    get x(): Float32Array {
      if (!x) {
        x = new Float32Array(n * pool.d);
        // Two monomorphic copies of the loop: one element type per call site keeps V8's fast path.
        if (pool.x instanceof Uint8Array) copyRowsU8(pool.x, sel.rows, pool.d, affine.a, affine.b, x);
        else copyRowsF32(pool.x, sel.rows, pool.d, affine.a, affine.b, x);
      }
      return x;
    },
    set x(v: Float32Array) {
      x = v;
      bytes = undefined;
    },
    y: sel.y,
    n,
    // a·byte + b with finite a and b: nothing to scan for NaN or ±Inf.
    finite: pool.x instanceof Uint8Array && Number.isFinite(affine.a) && Number.isFinite(affine.b),
  };
}

function copyRowsU8(src: Uint8Array, rows: Int32Array, d: number, a: number, b: number, x: Float32Array): void {
  for (let r = 0; r < rows.length; r++) {
    const off = rows[r]! * d;
    const o = r * d;
    for (let j = 0; j < d; j++) x[o + j] = src[off + j]! * a + b;
  }
}

function copyRowsF32(src: Float32Array, rows: Int32Array, d: number, a: number, b: number, x: Float32Array): void {
  for (let r = 0; r < rows.length; r++) {
    const off = rows[r]! * d;
    const o = r * d;
    for (let j = 0; j < d; j++) x[o + j] = src[off + j]! * a + b;
  }
}

/**
 * Per-feature z-score with the TRAINING split's mean and standard deviation (population std),
 * applied to both splits so that no test information leaks into training. A feature constant on
 * the training set (MNIST's corner pixels) is only centred: dividing by 0 would make it NaN.
 * Returns the statistics for the manifest-free record of what was done.
 */
export function standardiseFeatures(train: Split, test: Split, d: number): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  const { x, n } = train;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) mean[j]! += x[o + j]!;
  }
  for (let j = 0; j < d; j++) mean[j]! /= Math.max(n, 1);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) {
      const t = x[o + j]! - mean[j]!;
      sq[j]! += t * t;
    }
  }
  const std = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(sq[j]! / Math.max(n, 1));
    std[j] = s > 0 ? s : 1;
  }
  for (const split of [train, test]) {
    for (let i = 0; i < split.n; i++) {
      const o = i * d;
      for (let j = 0; j < d; j++) split.x[o + j] = (split.x[o + j]! - mean[j]!) / std[j]!;
    }
  }
  return { mean, std };
}

/** The identity class map over the given original labels (sorted), or the user's class filter. */
export function classIndexFor(present: Iterable<number>, filter: number[] | undefined, source: string): { map: Map<number, number>; classes: number[] } {
  const have = new Set(present);
  if (filter) {
    const missing = filter.filter((c) => !have.has(c));
    if (missing.length) {
      throw GlassyError.invalid('data.classes', filter, `labels present in ${source} (${[...have].sort((p, q) => p - q).join(', ')})`);
    }
    return { map: new Map(filter.map((c, i) => [c, i])), classes: [...filter] };
  }
  const classes = [...have].sort((p, q) => p - q);
  return { map: new Map(classes.map((c, i) => [c, i])), classes };
}

/** What every source's spec says about turning its pools into splits. */
export interface SplitOptions {
  nTrain?: number | undefined;
  nTest?: number | undefined;
  subset: 'first' | 'random';
  normalise: Normalisation;
}

/**
 * The train and test splits of every source: rows selected from each pool on the data set's own
 * seeded streams, normalised in one pass, then standardised per feature ('feature', `d` features)
 * with the training statistics.
 */
export function selectSplits(
  train: Pool, test: Pool, classIndex: Map<number, number>, spec: SplitOptions, seed: number, d: number,
): { trainSplit: Split; testSplit: Split } {
  const selTrain = selectRows(train.labels, classIndex, spec.nTrain, spec.subset, Rng.stream(seed, Stream.data, DataStream.subsetTrain), 'data.nTrain');
  const selTest = selectRows(test.labels, classIndex, spec.nTest, spec.subset, Rng.stream(seed, Stream.data, DataStream.subsetTest), 'data.nTest');
  const affine = pixelAffine(spec.normalise);
  // Per-feature standardisation rewrites x in place, so its splits keep no bytes.
  const keepBytes = spec.normalise !== 'feature';
  const trainSplit = materialise(train, selTrain, affine, keepBytes);
  const testSplit = materialise(test, selTest, affine, keepBytes);
  if (spec.normalise === 'feature') standardiseFeatures(trainSplit, testSplit, d);
  return { trainSplit, testSplit };
}
