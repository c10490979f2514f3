/**
 * Synthetic data whose generating law is known, the controlled settings of the statistical
 * physics of learning (Engel & Van den Broeck, "Statistical Mechanics of Learning", 2001;
 * Gardner & Derrida 1989 for the teacher–student perceptron):
 *
 * - teacher–student: x ~ N(0, I_d); a random teacher network f*(x) = W2 φ(W1 x) (or W x when
 *   hidden = 0) with weights N(0, 1/fan_in), so every pre-activation has unit variance; label
 *   y = argmax_c f*(x)_c, flipped with probability ε to a uniformly chosen OTHER class; targets = f*(x).
 * - gaussian-mixture: class means μ_c ~ N(0, separation²/d · I_d), x = μ_y + N(0, I_d); balanced classes.
 * - linear-regression: x ~ N(0, I_d), w* ~ N(0, 1/d · I_d), target = x·w* + σ ξ (the convex case).
 *
 * Every draw comes from its own `Rng.stream(seed, Stream.data, DataStream.*)`, so e.g. nTest does
 * not change the training set, and label noise at two values of ε flips nested sets of samples
 * (one uniform per sample, compared with ε).
 */
import { GlassyError } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import { DataStream, type Dataset, type Split, type Teacher } from './dataset.js';
import type { GaussianMixtureSpec, LinearRegressionSpec, TeacherStudentSpec } from './spec.js';
import { standardiseFeatures } from './transform.js';

function gaussianInputs(n: number, d: number, rng: Rng): Float32Array {
  const x = new Float32Array(n * d);
  rng.fillNormal(x);
  return x;
}

/** Teacher weights in the mlp layout (<2l>.weight [out, in] row-major, no biases), N(0, 1/fan_in). */
export function randomTeacher(sizes: number[], activation: Teacher['activation'], rng: Rng): Teacher {
  let total = 0;
  for (let l = 0; l + 1 < sizes.length; l++) total += sizes[l]! * sizes[l + 1]!;
  const theta = new Float32Array(total);
  let off = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const size = sizes[l]! * sizes[l + 1]!;
    rng.fillNormal(theta.subarray(off, off + size), 1 / Math.sqrt(sizes[l]!));
    off += size;
  }
  return { sizes, activation, bias: false, theta };
}

/**
 * Teacher outputs f*(x) for n row-major inputs (n × sizes[last]), accumulated in float64.
 * Plain loops: this runs once per data set, and data/ must not depend on the kernels of layers above.
 */
export function teacherForward(t: Teacher, x: Float32Array, n: number): Float64Array {
  let h: Float64Array = Float64Array.from(x);
  let off = 0;
  const L = t.sizes.length - 1;
  for (let l = 0; l < L; l++) {
    const inp = t.sizes[l]!;
    const out = t.sizes[l + 1]!;
    const next = new Float64Array(n * out);
    for (let i = 0; i < n; i++) {
      for (let o = 0; o < out; o++) {
        let s = 0;
        const w = off + o * inp;
        for (let k = 0; k < inp; k++) s += t.theta[w + k]! * h[i * inp + k]!;
        if (l < L - 1) s = t.activation === 'relu' ? Math.max(0, s) : t.activation === 'tanh' ? Math.tanh(s) : s;
        next[i * out + o] = s;
      }
    }
    off += inp * out;
    h = next;
  }
  return h;
}

/** argmax over each row of an n×c matrix (first maximum on ties). */
export function argmaxRows(f: Float64Array, n: number, c: number): Int32Array {
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < c; k++) if (f[i * c + k]! > f[i * c + best]!) best = k;
    y[i] = best;
  }
  return y;
}

/**
 * With probability eps replace each label by a uniformly chosen other class. Two numbers are drawn
 * per sample whatever eps is, so the flipped sets are nested as eps grows. Returns the flip count.
 */
export function flipLabels(y: Int32Array, nClasses: number, eps: number, rng: Rng): number {
  let flipped = 0;
  for (let i = 0; i < y.length; i++) {
    const u = rng.uniform();
    const shift = 1 + rng.int(nClasses - 1);
    if (u < eps) {
      y[i] = (y[i]! + shift) % nClasses;
      flipped++;
    }
  }
  return flipped;
}

export function teacherStudent(spec: TeacherStudentSpec, seed: number): Dataset {
  const s = spec.seed ?? seed;
  const { d, nClasses: C } = spec;
  // One output: a scalar teacher, learned by regression on its output (no labels).
  const scalar = C === 1;
  if (scalar && spec.labelNoise > 0) {
    throw GlassyError.invalid('data.labelNoise', spec.labelNoise, '0 for a scalar teacher (nClasses 1: regression, no labels to flip)');
  }
  const sizes = spec.hidden > 0 ? [d, spec.hidden, C] : [d, C];
  const teacher = randomTeacher(sizes, spec.hidden > 0 ? spec.activation : 'linear', Rng.stream(s, Stream.data, DataStream.teacher));
  // The soft committee machine (Saad & Solla 1995, PRE 52, 4225): τ(x) = Σ_n g(B_n·x), the hidden
  // units summed with unit weights.
  if (scalar && spec.hidden > 0) teacher.theta.fill(1, d * spec.hidden);
  const make = (n: number, inputs: number): Split => {
    const x = gaussianInputs(n, d, Rng.stream(s, Stream.data, inputs));
    const f = teacherForward(teacher, x, n);
    return { x, y: argmaxRows(f, n, C), n, targets: Float32Array.from(f) };
  };
  const train = make(spec.nTrain, DataStream.trainInputs);
  const test = make(spec.nTest, DataStream.testInputs);
  // Noise on the training labels only: test labels stay the teacher's, so test error measures
  // how well the student learned the rule (Engel & Van den Broeck's generalisation error).
  const flipped = scalar ? 0 : flipLabels(train.y, C, spec.labelNoise, Rng.stream(s, Stream.data, DataStream.trainLabelNoise));
  if (spec.normalise === 'feature') standardiseFeatures(train, test, d);
  return {
    name: 'teacher-student',
    nFeatures: d,
    nClasses: scalar ? 0 : C,
    classes: scalar ? [] : Array.from({ length: C }, (_, i) => i),
    train,
    test,
    nTargets: C,
    teacher,
    description: {
      source: 'teacher-student', d, hidden: spec.hidden, nClasses: C, activation: teacher.activation,
      teacherSizes: sizes, inputs: 'N(0, 1)',
      weightInit: scalar && spec.hidden > 0 ? 'hidden N(0, 1/d), output weights 1 (soft committee machine), no biases' : 'N(0, 1/fan_in), no biases',
      ...(scalar ? { task: 'regression on the teacher output (MSE); test error = ⟨(f − τ)²⟩' } : {}),
      nTrain: spec.nTrain, nTest: spec.nTest, labelNoise: spec.labelNoise, labelsFlipped: flipped,
      normalise: spec.normalise, seed: s,
    },
  };
}

export function gaussianMixture(spec: GaussianMixtureSpec, seed: number): Dataset {
  const s = spec.seed ?? seed;
  const { d, nClasses: C, separation } = spec;
  const means = new Float64Array(C * d);
  Rng.stream(s, Stream.data, DataStream.means).fillNormal(means, separation / Math.sqrt(d));
  const make = (n: number, inputs: number, labels: number): Split => {
    // Balanced classes (n mod C of them get one extra sample), in random order.
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) y[i] = i % C;
    Rng.stream(s, Stream.data, labels).shuffle(y);
    const x = gaussianInputs(n, d, Rng.stream(s, Stream.data, inputs));
    for (let i = 0; i < n; i++) {
      const m = y[i]! * d;
      for (let j = 0; j < d; j++) x[i * d + j]! += means[m + j]!;
    }
    return { x, y, n };
  };
  const train = make(spec.nTrain, DataStream.trainInputs, DataStream.trainLabels);
  const test = make(spec.nTest, DataStream.testInputs, DataStream.testLabels);
  if (spec.normalise === 'feature') standardiseFeatures(train, test, d);
  return {
    name: 'gaussian-mixture',
    nFeatures: d,
    nClasses: C,
    classes: Array.from({ length: C }, (_, i) => i),
    train,
    test,
    description: {
      source: 'gaussian-mixture', d, nClasses: C, separation, means: 'N(0, separation²/d · I)', noise: 'N(0, I)',
      nTrain: spec.nTrain, nTest: spec.nTest, normalise: spec.normalise, seed: s,
    },
  };
}

export function linearRegression(spec: LinearRegressionSpec, seed: number): Dataset {
  const s = spec.seed ?? seed;
  const { d, noise } = spec;
  const teacher = randomTeacher([d, 1], 'linear', Rng.stream(s, Stream.data, DataStream.teacher));
  const make = (n: number, inputs: number, noiseStream: number): Split => {
    const x = gaussianInputs(n, d, Rng.stream(s, Stream.data, inputs));
    const f = teacherForward(teacher, x, n);
    const rng = Rng.stream(s, Stream.data, noiseStream);
    const targets = new Float32Array(n);
    for (let i = 0; i < n; i++) targets[i] = f[i]! + noise * rng.normal();
    return { x, y: new Int32Array(n), n, targets };
  };
  return {
    name: 'linear-regression',
    nFeatures: d,
    nClasses: 0,
    classes: [],
    train: make(spec.nTrain, DataStream.trainInputs, DataStream.trainTargetNoise),
    test: make(spec.nTest, DataStream.testInputs, DataStream.testTargetNoise),
    nTargets: 1,
    teacher,
    description: {
      source: 'linear-regression', d, noise, weights: 'w* ~ N(0, 1/d)', inputs: 'N(0, 1)',
      nTrain: spec.nTrain, nTest: spec.nTest, seed: s,
    },
  };
}
