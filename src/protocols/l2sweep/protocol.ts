/**
 * The light half of protocol `l2sweep` (its task is ../l2sweep.ts): the config schema — with the
 * paper's network, data and optimiser as defaults (Ersoy et al.: 784→128→128→10 sigmoid, MNIST
 * standardised, Adam at 1.5e-3, batch 64, up to 50 epochs per β with patience 5) — and the Protocol.
 */
import { z } from 'zod';
import { parseWith } from '../../core/errors.js';
import { betaLadder } from '../../core/parse.js';
import { dataSpecSchema } from '../../data/spec.js';
import type { Protocol } from '../../executor/protocol.js';
import { l2FormSchema } from '../../landscapes/l2form.js';
import { optimizerSchema } from '../../dynamics/train-config.js';
import { modelSchema } from '../../landscapes/model-schema.js';
import { trainFlags } from '../network-flags.js';

const stateRef = z.object({ run: z.string().min(1), replica: z.number().int().min(0).default(0) });

/** The paper's network and data (Ersoy et al.): 784→128→128→10 sigmoid, MNIST standardised. */
const ERSOY_MODEL = modelSchema.parse({ sizes: [784, 128, 128, 10], activation: 'sigmoid' });

export const l2sweepConfigSchema = z.object({
  data: dataSpecSchema.default(dataSpecSchema.parse({ source: 'mnist', normalise: 'standard' })),
  model: modelSchema.default(ERSOY_MODEL),
  loss: z.enum(['ce', 'mse', 'hinge']).default('ce').describe('ce: softmax cross-entropy; mse: to one-hot; hinge: multi-class margin'),
  optimizer: optimizerSchema.default(optimizerSchema.parse({ kind: 'adam', lr: 1.5e-3 })),
  batch: z.number().int().positive().default(64).describe('mini-batch size'),
  precision: z.enum(['f32', 'f64']).default('f32').describe('float precision of parameters and arithmetic'),
  init: z.enum(['pytorch', 'he']).default('pytorch').describe("initialisation: pytorch (nn.Linear's default) or he"),
  /** The β ladder in the order of the upward sweep (the first point starts from the initial state). */
  betas: z.array(z.number().min(0)).min(1).describe('L2 strengths β: start:stop:step or an increasing list (Ersoy et al.: 0:0.1:2e-4)'),
  /** How β enters: Adam-coupled weight decay βθ (Ersoy et al.'s main sweep) or the penalty β‖θ − θ_ref‖². */
  l2Form: l2FormSchema.default('weight-decay').describe("how β enters: weight-decay (βθ added to the gradient, torch Adam weight_decay; the paper's main sweep) or penalty (β‖θ − θ_ref‖²)"),
  /** 'up' (the ladder as given), 'down' (reversed), 'both' (up then back down: hysteresis). */
  direction: z.enum(['up', 'down', 'both']).default('up').describe('up (ladder order), down, or both (hysteresis)'),
  maxEpochs: z.number().int().positive().default(50).describe('epochs per β at most'),
  patience: z.number().int().positive().default(5).describe('stop a β after this many epochs without improvement'),
  /**
   * What early stopping watches: the epoch-mean training CE as Ersoy et al.'s code does ('ce'), or
   * the regularised objective L_β ('objective': the quantity the dynamics actually minimises, which
   * keeps converging when a large β pushes CE up).
   */
  stopOn: z.enum(['ce', 'objective']).default('ce').describe('early stopping watches the training CE (paper) or the objective L_β'),
  /** Keep the Adam moments across β (Ersoy et al.'s CNN variant); default: a fresh state per β. */
  inheritOptimizer: z.boolean().default(false).describe('keep the Adam state across β (default: fresh per β)'),
  /** θ_ref: the origin, or a replica of a train run (mode connectivity). */
  reference: stateRef.nullable().default(null).describe('θ_ref: a replica RUN#i of a train run (none: the origin)'),
  /** The starting state: trained from scratch at the first β, or a replica of a train run. */
  start: stateRef.nullable().default(null).describe('start from a replica RUN#i of a train run (none: train from scratch at the first β)'),
  /** Extreme Hessian eigenvalues per β: k of each kind (0: off), on `hessianSamples` training samples. */
  hessianK: z.number().int().min(0).default(0).describe('extreme Hessian eigenvalues per β (0: off)'),
  hessianSamples: z.number().int().positive().default(2000).describe('training samples for the Hessian'),
  /** Points inserted between the two β of each detected jump (0: no refinement). */
  refine: z.number().int().min(0).default(0).describe('points inserted inside each detected jump'),
  /** A transition: a training-CE step beyond the local trend by at least jumpZ × the sweep's noise σ. */
  /**
   * Which training CE is the order parameter. Ersoy et al.'s Train_Loss is the mean mini-batch CE
   * of the last epoch (their code.py), smooth enough for z = 10; the end-point CE over the whole
   * training set is ~7× noisier at lr 1.5e-3 and hides the first jumps (docs/l2sweep.md).
   */
  orderParameter: z.enum(['epoch', 'end']).default('epoch').describe("training CE the transitions are read from: epoch (mean mini-batch CE of the last epoch at each β, the authors' Train_Loss) or end (whole training set at the final θ)"),
  jumpZ: z.number().positive().default(10).describe("a transition: a training-CE jump of at least z × the sweep's grid-to-grid noise σ"),
  /** A class is "encoded" when its test accuracy exceeds this. */
  classThreshold: z.number().min(0).max(1).default(0.5).describe('accuracy above which a class counts as encoded'),
  /** Save θ at every grid point (arrays states/...), usable later as θ_ref or start. */
  saveStates: z.boolean().default(true).describe('save θ at every β'),
});

export type L2SweepConfig = z.infer<typeof l2sweepConfigSchema>;

export function parseL2SweepConfig(raw: unknown): L2SweepConfig {
  return parseWith(l2sweepConfigSchema, raw);
}

/** "RUN" or "RUN#i" → a replica of a train run. */
function stateRefText(text: string): { run: string; replica: number } {
  const m = /^(.+?)(?:#(\d+))?$/.exec(text);
  if (!m) throw new Error(`expected RUN or RUN#replica, got "${text}"`);
  return { run: m[1]!, replica: m[2] ? Number(m[2]) : 0 };
}

export const protocol: Protocol<L2SweepConfig> = {
  name: 'l2sweep',
  schema: l2sweepConfigSchema,
  cli: {
    description: 'train along a ladder of L2 strengths β (warm-started), detect phase transitions and hysteresis (Ersoy et al.)',
    groups: ['data'],
    describeSummary(s) {
      const lines: string[] = [];
      if (typeof s['l2_convention'] === 'string') lines.push(`β: ${s['l2_convention']}`);
      const f = (v: unknown, d = 4): string => (typeof v === 'number' && Number.isFinite(v) ? v.toPrecision(d) : '—');
      const list = (v: unknown): string => (v as number[]).join(',') || '—';
      for (const t of (s['transitions'] ?? []) as Array<Record<string, unknown>>) {
        const ci = t['ci'] as [unknown, unknown];
        lines.push(`${t['direction']} β ${f(t['beta_before'])}–${f(t['beta_after'])}: CE jump ${f(t['size'], 3)} [${f(ci[0], 3)}, ${f(ci[1], 3)}], z ${f(t['z'], 2)}; `
          + `accuracy ${f(100 * (t['accuracy_before'] as number), 3)} → ${f(100 * (t['accuracy_after'] as number), 3)} %; classes lost ${list(t['classes_lost'])}`
          + `${t['direction'] === 'up' ? ` (since the previous: ${list(t['classes_lost_since_previous'])})` : ''} [${(t['observables'] as string[]).join(', ')}]`);
      }
      return lines;
    },
    flags: {
      ...trainFlags,
      betas: { flag: 'l2', value: 'ladder', parse: betaLadder, aliases: ['lambdas'] },
      hessianSamples: { flag: 'train-samples', value: 'n', aliases: ['hessian-samples'] },
      reference: { value: 'run[#i]', parse: stateRefText },
      start: { value: 'run[#i]', parse: stateRefText },
    },
  },
  task: async () => (await import('../l2sweep.js')).task,
};
