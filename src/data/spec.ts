/**
 * What a protocol's config says about its data: a `DataSpec`, validated by `dataSpecSchema` (zod).
 * Every option and default is documented in docs/data.md; the defaults are chosen so that a spec
 * of `{ source: 'mnist' }` is the papers' MNIST (60 000 / 10 000, pixels scaled to [0, 1]).
 */
import * as z from 'zod';
import { parseWith } from '../core/errors.js';

const count = z.number().int().positive();
const classList = z.array(z.number().int().nonnegative()).min(2)
  .refine((c) => new Set(c).size === c.length, 'classes must be distinct');

/** Options shared by data read from a fixed pool of samples (MNIST family, user files). */
const poolOptions = {
  /** Keep this many training / test samples (after the class filter). Default: all. */
  nTrain: count.optional(),
  nTest: z.number().int().nonnegative().optional(),
  /**
   * Which samples a count keeps. 'first' (default): the first n in file order — independent of
   * the seed, so runs with different seeds (and every replica) see the same data, and the same
   * as "the first n images" in papers. 'random': a seeded uniform subset (file order kept).
   */
  subset: z.enum(['first', 'random']).default('first'),
  /** Keep only these original labels, relabelled 0..k−1 in the order given (Ersoy et al. study digit subsets). */
  classes: classList.optional(),
  /** Seed of the data's own randomness; defaults to the run seed. */
  seed: z.number().int().nonnegative().optional(),
};

export const normalisations = ['none', 'unit', 'standard', 'feature'] as const;
export type Normalisation = (typeof normalisations)[number];

const mnistFamily = <N extends 'mnist' | 'fashion-mnist'>(name: N) => z.strictObject({
  source: z.literal(name),
  ...poolOptions,
  /**
   * 'unit': x/255 (default). 'standard': (x/255 − 0.1307)/0.3081, MNIST's mean and std as in Ersoy
   * et al.'s released code (also applied to Fashion-MNIST there). 'feature': per-pixel z-score from
   * the training split. 'none': raw 0..255.
   */
  normalise: z.enum(normalisations).default('unit'),
  /** A folder with {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] to read instead of the default. */
  dir: z.string().min(1).optional(),
});

/**
 * CIFAR-10 / CIFAR-100 from the binary distribution in `dir` (data/cifar.ts). 'standard' is MNIST's
 * mean and std, so it is not offered; 'unit' (x/255) is the default, 'feature' a per-pixel z-score.
 */
export const cifarSpecSchema = z.strictObject({
  source: z.enum(['cifar10', 'cifar100']),
  ...poolOptions,
  normalise: z.enum(['none', 'unit', 'feature']).default('unit'),
  /** The cifar-10-batches-bin or cifar-100-binary folder (required; absent: loading names the files expected). */
  dir: z.string().min(1).optional(),
  /** CIFAR-100: the 100 fine classes (default) or the 20 coarse superclasses. */
  labels: z.enum(['fine', 'coarse']).default('fine'),
});

export const mnistSpecSchema = mnistFamily('mnist');
export const fashionMnistSpecSchema = mnistFamily('fashion-mnist');

const synthetic = {
  /** Input dimension. */
  d: count,
  nTrain: count.default(1000),
  nTest: z.number().int().nonnegative().default(1000),
  seed: z.number().int().nonnegative().optional(),
};

export const teacherStudentSpecSchema = z.strictObject({
  source: z.literal('teacher-student'),
  ...synthetic,
  /** Hidden width of the teacher; 0 makes it a perceptron (linear teacher). */
  hidden: z.number().int().nonnegative().default(0),
  /** Teacher outputs; 1: a scalar teacher (soft committee machine when hidden > 0), regression with MSE. */
  nClasses: z.number().int().min(1).default(2),
  activation: z.enum(['relu', 'tanh']).default('relu'),
  /** Probability ε that a label is replaced by a uniformly chosen OTHER class. */
  labelNoise: z.number().min(0).max(1).default(0),
  normalise: z.enum(['none', 'feature']).default('none'),
});

export const gaussianMixtureSpecSchema = z.strictObject({
  source: z.literal('gaussian-mixture'),
  ...synthetic,
  nClasses: z.number().int().min(2).default(2),
  /** Class means μ_c ~ N(0, separation²/d · I), so |μ_c| ≈ separation and |μ_a − μ_b| ≈ √2·separation. */
  separation: z.number().nonnegative().default(2),
  normalise: z.enum(['none', 'feature']).default('none'),
});

export const linearRegressionSpecSchema = z.strictObject({
  source: z.literal('linear-regression'),
  ...synthetic,
  /** Standard deviation σ of the additive Gaussian noise on the targets. */
  noise: z.number().nonnegative().default(0.1),
});

export const filesSpecSchema = z.strictObject({
  source: z.literal('files'),
  ...poolOptions,
  /** Training inputs: .npy [n, d…] (with `labels`) or .csv (last column = label). */
  train: z.string().min(1),
  /** Labels of `train` when it is a .npy: a .npy of shape [n] with integer values. */
  labels: z.string().min(1).optional(),
  /** Test inputs, same formats; without it a seeded random `testFraction` of `train` is held out. */
  test: z.string().min(1).optional(),
  testLabels: z.string().min(1).optional(),
  testFraction: z.number().min(0).lt(1).default(0.2),
  normalise: z.enum(normalisations).default('none'),
});

const baseSpecSchema = z.discriminatedUnion('source', [
  mnistSpecSchema, fashionMnistSpecSchema, cifarSpecSchema, teacherStudentSpecSchema, gaussianMixtureSpecSchema, filesSpecSchema,
]);

export const randomLabelsSpecSchema = z.strictObject({
  source: z.literal('random-labels'),
  /** The data whose inputs are kept (any classification source). */
  base: baseSpecSchema,
  /**
   * Probability that a TRAINING label is replaced by a uniform random class (which may equal the
   * true one), as Zhang et al. 2017 ("Understanding deep learning requires rethinking
   * generalization") corrupt labels; 1 = completely random labels. Test labels stay true, so test
   * accuracy measures generalisation (chance level at fraction 1).
   */
  fraction: z.number().min(0).max(1).default(1),
  seed: z.number().int().nonnegative().optional(),
});

export const dataSpecSchema = z.discriminatedUnion('source', [
  mnistSpecSchema, fashionMnistSpecSchema, cifarSpecSchema, teacherStudentSpecSchema, gaussianMixtureSpecSchema,
  linearRegressionSpecSchema, filesSpecSchema, randomLabelsSpecSchema,
]);

/** A data spec as written by a user (defaults optional). */
export type DataSpec = z.input<typeof dataSpecSchema>;
/** A validated data spec with defaults filled in. */
export type ResolvedDataSpec = z.output<typeof dataSpecSchema>;
export type MnistSpec = z.output<typeof mnistSpecSchema>;
export type FashionMnistSpec = z.output<typeof fashionMnistSpecSchema>;
export type CifarSpec = z.output<typeof cifarSpecSchema>;
export type TeacherStudentSpec = z.output<typeof teacherStudentSpecSchema>;
export type GaussianMixtureSpec = z.output<typeof gaussianMixtureSpecSchema>;
export type LinearRegressionSpec = z.output<typeof linearRegressionSpecSchema>;
export type FilesSpec = z.output<typeof filesSpecSchema>;
export type RandomLabelsSpec = z.output<typeof randomLabelsSpecSchema>;

/** Validate a spec; the first problem becomes a GlassyError `data.<field>: got <value>, expected <...>`. */
export function parseDataSpec(spec: unknown): ResolvedDataSpec {
  return parseWith(dataSpecSchema, spec, 'data');
}

/** The files a data spec reads (a queue worker elsewhere gets copies: ReplicaTask.inputs). */
export function dataFiles(spec: unknown): string[] {
  if (typeof spec !== 'object' || spec === null || (spec as { source?: unknown }).source !== 'files') return [];
  const f = spec as Partial<Record<'train' | 'labels' | 'test' | 'testLabels', unknown>>;
  return [f.train, f.labels, f.test, f.testLabels].filter((p): p is string => typeof p === 'string');
}
