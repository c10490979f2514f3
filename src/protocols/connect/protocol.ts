/**
 * The light half of protocol `connect` (its task is ../connect.ts): the config schema — what `glassy
 * connect --help` shows — the number of replicas (one per path method), and the Protocol object.
 */
import { z } from 'zod';
import { GlassyError, parseWith } from '../../core/errors.js';
import { betaLadder } from '../../core/parse.js';
import type { Protocol } from '../../executor/protocol.js';
import { l2FormSchema } from '../../landscapes/l2form.js';

/** Settings of the L2-anchored path (l2path.ts). */
export const l2PathSchema = z.object({
  /** The increasing β ladder (the first β acts on θ_a itself). */
  betas: z.array(z.number().min(0)).min(1).default(Array.from({ length: 26 }, (_, i) => Number((1e-4 * 10 ** (i / 5)).toPrecision(6)))),
  maxEpochs: z.number().int().positive().default(5),
  patience: z.number().int().positive().default(2),
  /** How β enters; Ersoy et al.'s path finder adds the penalty β‖θ − θ_b‖² (no ½) to the loss. */
  l2Form: l2FormSchema.default('penalty'),
  /** Early stopping on the training CE (Ersoy et al.) or on the objective. */
  stopOn: z.enum(['ce', 'objective']).default('objective'),
});

export type L2PathConfig = z.infer<typeof l2PathSchema>;

export const PATH_METHODS = ['linear', 'bezier', 'neb', 'l2'] as const;
export type PathMethodName = (typeof PATH_METHODS)[number];

const bezierSchema = z.object({
  /** Epochs of control-point training at most (steps = epochs × ⌈n/batch⌉). */
  epochs: z.number().positive().default(2).describe('epochs of control-point training at most'),
  /** Learning rate (default: the source run's). */
  lr: z.number().positive().optional().describe('learning rate of the control point (default: the source run\'s)'),
  /** Mini-batch size (default: the source run's). */
  batch: z.number().int().positive().optional().describe('mini-batch of the control-point training (default: the source run\'s)'),
  /** Points of the t grid on which the mean loss along the curve is measured (every epoch, and before/after). */
  evalPoints: z.number().int().min(2).default(11).describe('points of the t grid of the mean loss along the curve'),
  /** Stop when the mean loss along the curve changes by less than this (relative) over one epoch. */
  tolerance: z.number().positive().default(1e-3).describe('stop when the mean loss along the curve changes by less than this (relative) over an epoch'),
});

const nebSchema = z.object({
  images: z.number().int().min(1).default(8).describe('movable images of the band'),
  /** Iteration cap. */
  steps: z.number().int().min(1).default(1000).describe('iteration cap of the band'),
  /** auto: FIRE with full-batch gradients, plain gradient steps with mini-batches. */
  optimizer: z.enum(['auto', 'fire', 'gd']).default('auto').describe('auto: FIRE with full batches, gd with mini-batches'),
  /** Step size (gd: lr, default the source run's; FIRE: initial Δt, default 0.1). */
  lr: z.number().positive().optional().describe('step size (gd) or initial Δt (FIRE) (default: 0.1)'),
  spring: z.number().min(0).default(1).describe('spring constant'),
  /** Climbing image (Henkelman, Uberuaga & Jónsson 2000) from iteration `climbFrom` on. */
  climbing: z.boolean().default(true).describe('climbing image at the highest image (over a barrier)'),
  climbFrom: z.number().int().min(0).default(20).describe('iteration from which the highest image climbs'),
  /** Largest move of one image in one FIRE step (default: the image spacing |θ_a − θ_b|/(M + 1)). */
  maxMove: z.number().positive().optional().describe('largest move of an image in one FIRE step (default: the image spacing)'),
  /** Mini-batch size, or 'full' for full-batch gradients (default: full). */
  batch: z.union([z.number().int().positive(), z.literal('full')]).default('full').describe('mini-batch size, or full for full-batch gradients'),
  /** Converged when every image's full-batch NEB force norm is below this. */
  tolerance: z.number().positive().default(1e-4).describe('converged when every image\'s full-batch NEB force norm is below this'),
});


export const connectConfigSchema = z.object({
  /** The train run whose replicas are connected. */
  source: z.string().min(1),
  /** Replica indices (positional arguments arrive as text). */
  a: z.coerce.number().int().min(0),
  b: z.coerce.number().int().min(0),
  methods: z.array(z.enum(PATH_METHODS)).min(1).default(['linear']).describe(`path methods, comma-separated: ${PATH_METHODS.join(', ')}`),
  /** Points G of each profile, t_g = g/(G − 1). */
  points: z.number().int().min(2).default(41).describe('points along each path'),
  /** Align θ_b onto θ_a by weight matching before building the paths. */
  align: z.boolean().default(false).describe('align b onto a by weight matching first'),
  /** Training samples of the evaluations along paths (null: all). */
  trainSamples: z.number().int().positive().nullable().default(null).describe('training samples of the evaluations along paths (none: all)'),
  bezier: bezierSchema.default(bezierSchema.parse({})),
  neb: nebSchema.default(nebSchema.parse({})),
  /** Settings of the L2-anchored path (l2path.ts). */
  l2: l2PathSchema.default(l2PathSchema.parse({})),
});

export type ConnectConfig = z.infer<typeof connectConfigSchema>;

/** Each method once. */
function checkConnectConfig(c: ConnectConfig): ConnectConfig {
  if (new Set(c.methods).size !== c.methods.length) throw GlassyError.invalid('method', c.methods.join(','), 'each method once');
  return c;
}

/** Parses a raw config (schema, then the method list). */
export function parseConnectConfig(raw: unknown): ConnectConfig {
  return checkConnectConfig(parseWith(connectConfigSchema, raw));
}

/** The warnings a reader must see beside the barriers: each unconverged optimisation, with its figures. */
export function convergenceWarnings(s: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (s['neb_converged'] === false) {
    out.push(`UNCONVERGED: neb stopped at ${String(s['neb_iterations'])} iterations with max force ${Number(s['neb_max_force']).toPrecision(3)} > tolerance ${String(s['neb_tolerance'])}; its barrier is an upper bound of the saddle, not the saddle (raise --neb-steps or --neb-lr)`);
  }
  if (s['bezier_converged'] === false) {
    out.push(`UNCONVERGED: bezier stopped at its cap of ${String(s['bezier_max_steps'])} steps with the mean loss along the curve still changing by ${Number(s['bezier_final_change']).toPrecision(3)} per epoch (raise --bezier-epochs)`);
  }
  return out;
}

function batchOrFull(text: string): number | 'full' {
  if (text === 'full') return 'full';
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) throw new Error(`expected a positive integer or "full" for --neb-batch, got "${text}"`);
  return v;
}

function methodList(text: string): string[] {
  const out = text.split(',').map((s) => s.trim());
  if (out.some((m) => m === '')) throw new Error(`expected methods separated by commas (${PATH_METHODS.join(', ')}), got "${text}"`);
  return out;
}

export const protocol: Protocol<ConnectConfig> = {
  name: 'connect',
  schema: connectConfigSchema,
  check: checkConnectConfig,
  replicas: (c) => c.methods.length,
  cli: {
    description: 'loss along paths between two replicas: linear, Bézier (Garipov et al. 2018), NEB with climbing image (Draxler et al. 2018), L2-anchored (Ersoy et al.)',
    arguments: [
      { name: 'run', field: 'source', description: 'a complete train run directory' },
      { name: 'a', field: 'a', description: 'replica index of the start' },
      { name: 'b', field: 'b', description: 'replica index of the end' },
    ],
    flags: {
      methods: { flag: 'method', value: 'list', parse: methodList },
      'bezier.epochs': { flag: 'bezier-epochs' }, 'bezier.lr': { flag: 'bezier-lr' }, 'bezier.batch': { flag: 'bezier-batch' },
      'bezier.evalPoints': { flag: 'bezier-eval-points' }, 'bezier.tolerance': { flag: 'bezier-tolerance' },
      'neb.images': { flag: 'neb-images' }, 'neb.steps': { flag: 'neb-steps' }, 'neb.optimizer': { flag: 'neb-optimizer' },
      'neb.lr': { flag: 'neb-lr' }, 'neb.spring': { flag: 'neb-spring' }, 'neb.climbing': { flag: 'neb-climbing' },
      'neb.climbFrom': { flag: 'neb-climb-from' }, 'neb.maxMove': { flag: 'neb-max-move' }, 'neb.tolerance': { flag: 'neb-tolerance' },
      'neb.batch': { flag: 'neb-batch', value: 'B|full', parse: batchOrFull },
      'l2.betas': { flag: 'l2-betas', value: 'ladder', parse: betaLadder, help: 'β ladder of --method l2: start:stop:step or a list; default: 26 geometric points 1e-4 … 10' },
      'l2.maxEpochs': { flag: 'l2-max-epochs', help: 'epochs per β of --method l2 at most' },
      'l2.patience': { flag: 'l2-patience', help: 'epochs without improvement before the next β' },
      'l2.l2Form': { flag: 'l2-form', help: 'how β enters --method l2: penalty β‖θ − θ_b‖² (Ersoy et al.\'s path finder) or weight-decay (penalty β/2)' },
      'l2.stopOn': { flag: 'l2-stop-on', help: 'early stopping of --method l2 on the training CE or the objective' },
    },
    outFrom: 'source',
    describeSummary(s) {
      const m = (k: string, p: string) => (s[k] as Record<string, number>)[p]!;
      return [
        `replicas ${String(s['a'])} → ${String(s['b'])}${s['aligned'] ? ' (aligned)' : ''}, |θa − θb| = ${Number(s['distance']).toPrecision(4)}`,
        ...(s['paths'] as string[]).map((p) => `${p}: barrier ${m('barriers', p).toPrecision(4)} at t = ${m('barrier_position', p).toFixed(3)} (max loss ${m('max_train_loss', p).toPrecision(4)}; test ${m('test_barriers', p).toPrecision(4)})`),
        // A barrier of an unconverged path is not a saddle: said beside the numbers.
        ...convergenceWarnings(s),
      ];
    },
  },
  task: async () => (await import('../connect.js')).task,
};
