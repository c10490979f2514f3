/**
 * The config of a network run: data, model, loss, optimiser, mini-batches, L2, precision, what
 * differs between replicas, what is measured, and lockstep groups. It is the train protocol's
 * schema (`glassy train --help` shows it with every default), and every analysis of a network run
 * parses a source run's manifest with it, so it sits below the protocols: the model's field is
 * landscapes/model-schema.ts's, the optimiser's and flatten's are the dynamics'.
 */
import { z } from 'zod';
import { GlassyError, parseWith } from '../core/errors.js';
import { dataSpecSchema } from '../data/spec.js';
import { l2FormSchema } from '../landscapes/l2form.js';
import { checkModel, modelSchema } from '../landscapes/model-schema.js';
import { flattenSchema } from './flatten.js';

export const optimizerSchema = z.object({
  kind: z.enum(['sgd', 'momentum', 'adam', 'gd', 'langevin']).default('sgd').describe('update rule'),
  lr: z.number().positive().default(0.1).describe('learning rate η'),
  momentum: z.number().min(0).max(1).default(0.9).describe('momentum μ (--optimizer momentum)'),
  beta1: z.number().min(0).max(1).default(0.9).describe('Adam β₁'),
  beta2: z.number().min(0).max(1).default(0.999).describe('Adam β₂'),
  eps: z.number().positive().default(1e-8).describe('Adam ε'),
  temperature: z.number().min(0).default(0).describe('temperature T of --optimizer langevin'),
});

export const trainConfigSchema = z.object({
  data: dataSpecSchema.default(dataSpecSchema.parse({ source: 'mnist' })),
  model: modelSchema,
  loss: z.enum(['ce', 'mse', 'hinge']).default('ce').describe('ce: softmax cross-entropy; mse: to one-hot; hinge: multi-class margin'),
  optimizer: optimizerSchema.default(optimizerSchema.parse({})),
  batch: z.number().int().positive().default(128).describe('mini-batch size'),
  epochs: z.number().positive().default(5).describe('epochs (may be fractional)'),
  /** 'full' is forced for gradient descent ('gd'). */
  sampling: z.enum(['shuffle', 'replacement', 'full']).default('shuffle').describe('mini-batches: shuffle (each epoch a permutation), replacement, full'),
  /** L2 strength β, read in the convention `l2Form` (landscapes/l2form.ts). */
  l2: z.number().min(0).default(0).describe('L2 strength β, read as --l2-form says'),
  /** 'penalty': β‖θ‖² added to the loss; 'weight-decay': βθ added to the gradient (torch Adam weight_decay). */
  l2Form: l2FormSchema.default('penalty').describe('penalty: β‖θ‖² added to the loss; weight-decay: βθ added to the gradient as torch Adam(weight_decay=β), i.e. penalty β/2'),
  precision: z.enum(['f32', 'f64']).default('f32').describe('float precision of parameters and arithmetic'),
  init: z.enum(['pytorch', 'he']).default('pytorch').describe("initialisation: pytorch (nn.Linear's default) or he"),
  variant: z.enum(['init', 'order', 'both', 'subset']).default('both').describe('what differs between replicas'),
  /** Training-set size per replica for variant 'subset' (default: half the training set). */
  subsetSize: z.number().int().positive().optional().describe('training samples per replica with --variant subset (default: half)'),
  /** Number of log-spaced measurement times (epoch ends are added). */
  measurePoints: z.number().int().min(2).default(24).describe('log-spaced measurement times (epoch ends are added)'),
  /**
   * What a measurement evaluates (docs/run-format/train.md). 'lean': the training series are the
   * running epoch mean of the mini-batch losses and errors (no extra pass), the test series a fixed
   * subset of `measureSamples` test samples, and the whole test set at the last point. 'full': the
   * whole training set (or evalTrainSamples) and the whole test set at every point.
   */
  measure: z.enum(['lean', 'full']).default('lean')
    .describe('lean: training loss = running epoch mean of the mini-batches, test on --measure-samples, whole test set at the last point; full: whole sets at every point'),
  /** Test samples (the first ones) evaluated at the intermediate points of measure 'lean'. */
  measureSamples: z.number().int().positive().default(1000).describe('test samples evaluated at the intermediate points of --measure lean'),
  /** Training loss is measured on the first this-many training samples (null: all of them, or the running mean under measure 'lean'). */
  evalTrainSamples: z.number().int().positive().nullable().default(null)
    .describe('measure the training loss on the first n training samples (none: the running epoch mean under --measure lean, all under full)'),
  /** SGD steps between checkpoints (does not change results). */
  checkpointEvery: z.number().int().positive().default(2000),
  /** [curvature] Flatness-seeking training: SAM or Entropy-SGD (dynamics/flatten.ts); absent = plain. */
  flatten: flattenSchema.optional(),
  /**
   * Number of replicas K. Absent: the executor's count (runEnsemble's `replicas`, 1 on the command
   * line); recorded in the config when given, and needed there by `lockstep`.
   */
  replicas: z.number().int().positive().optional().describe('number of replicas K; 1 when not given'),
  /**
   * Ensembles in lockstep (dynamics/lockstep.ts): replicas 0..K-1 train in fixed groups of G
   * consecutive indices, each group stepped as one batched computation on a shared data order.
   */
  lockstep: z.number().int().positive().optional()
    .describe('train the replicas in groups of G as one batched computation (shared data order: --variant init)'),
});

export type TrainConfig = z.infer<typeof trainConfigSchema>;

/** Cross-field checks after the schema; full-batch gradient descent forces 'full' sampling. */
export function checkTrainConfig(c: TrainConfig): TrainConfig {
  checkModel(c.model);
  if (c.optimizer.kind === 'gd') c.sampling = 'full';
  if (c.lockstep !== undefined) checkLockstep(c, c.lockstep);
  return c;
}

/** Lockstep needs what its fused pass assumes: one data order, an MLP, plain gradients, K known. */
function checkLockstep(c: TrainConfig, G: number): void {
  if (c.variant !== 'init') throw GlassyError.invalid('variant', c.variant, `'init' with lockstep ${G} (lockstep replicas share one data order)`);
  if (c.model.layers !== undefined) throw GlassyError.invalid('model', c.model.layers, `an MLP given by layer sizes with lockstep ${G}`);
  if (c.flatten !== undefined && c.flatten.kind !== 'none') throw GlassyError.invalid('flatten', c.flatten.kind, `'none' with lockstep ${G}`);
  if (c.replicas === undefined) throw GlassyError.invalid('replicas', c.replicas, `the replica count K in the config with lockstep ${G}`);
}

/**
 * The executor's units: one per replica, or with lockstep G one per group of G replicas
 * (⌈K/G⌉; the last group holds the rest). Groups follow from the config alone, never from the
 * executor, so the numbers are the same for any worker count, shards and resume. Absent K: the
 * caller's count.
 */
export function trainUnits(c: TrainConfig): number | undefined {
  if (c.replicas === undefined) return undefined;
  return c.lockstep === undefined ? c.replicas : Math.ceil(c.replicas / c.lockstep);
}

/** The replica indices unit `unit` trains: [unit] or its lockstep group [uG, min(uG + G, K)). */
export function unitMembers(c: TrainConfig, unit: number): number[] {
  if (c.lockstep === undefined) return [unit];
  const from = unit * c.lockstep, to = Math.min(from + c.lockstep, c.replicas!);
  return Array.from({ length: to - from }, (_, j) => from + j);
}

/** Parse a raw config; zod issues become one GlassyError naming the field. */
export function parseTrainConfig(raw: unknown): TrainConfig {
  return checkTrainConfig(parseWith(trainConfigSchema, raw));
}
