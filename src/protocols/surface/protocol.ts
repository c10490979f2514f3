/**
 * The light half of protocol `surface` (its task is ../surface.ts): config schema, checks, CLI
 * description, K = the number of row blocks of the grid. Methods: docs/surface.md.
 */
import { z } from 'zod';
import { GlassyError, parseWith } from '../../core/errors.js';
import type { Protocol } from '../../executor/protocol.js';
import { intList } from '../../core/parse.js';

export const surfaceConfigSchema = z.object({
  /** A complete train run (null with `pspin`). */
  source: z.string().min(1).nullable().default(null),
  /** A spherical p-spin instead of a network: N spins, order p, a GD-descended point as the centre. */
  pspin: z
    .object({
      n: z.number().int().min(4),
      p: z.union([z.literal(2), z.literal(3), z.literal(4)]).default(3),
      seed: z.number().int().min(0).default(0),
      sample: z.number().int().min(0).default(0),
      gdSteps: z.number().int().min(0).default(2000),
      dt: z.number().positive().default(0.05),
    })
    .nullable()
    .default(null),
  /** The replica at the centre of Li et al.'s plane. */
  replica: z.number().int().min(0).default(0).describe('the replica at the centre of the random plane'),
  /** Three replicas a, b, c: the plane through them (Garipov et al.); null: Li et al.'s random plane. */
  through: z.array(z.number().int().min(0)).length(3).nullable().default(null),
  /** A connect run whose Bézier curve / NEB chain is drawn on the plane (and spans it without `through`). */
  path: z.string().min(1).nullable().default(null),
  /** Grid points per axis (G × G evaluations). */
  grid: z.number().int().min(2).max(401).default(21).describe('grid points per axis (G × G loss evaluations)'),
  /** Random plane: α, β ∈ [−range, range] (in units of the normalised directions). */
  range: z.number().positive().default(1).describe('random plane: α, β from −range to range (units of the normalised directions)'),
  /** Plane through points: the margin around them, as a fraction of their extent. */
  margin: z.number().min(0).default(0.25).describe('plane through points: margin around them, a fraction of their extent'),
  normalisation: z.enum(['filter', 'layer', 'none']).default('filter').describe('random directions scaled per filter (row), per layer, or as a whole (Li et al. 2018)'),
  /** Which loss is evaluated at every grid point (networks). */
  loss: z.enum(['train', 'test', 'both']).default('train').describe('the loss evaluated on the grid (networks)'),
  /** Training samples the loss is measured on (the first n; null: all). */
  trainSamples: z.number().int().positive().nullable().default(2000).describe('training samples the loss is measured on (the first n)'),
  /** Grid rows per replica (the unit of parallel work and of checkpoints); does not change the numbers. */
  rowsPerReplica: z.number().int().min(1).default(2).describe('grid rows per replica (the unit of parallel work; does not change the numbers)'),
});

export type SurfaceConfig = z.infer<typeof surfaceConfigSchema>;

/** Exactly one of a network run and a p-spin; the planes through points are for networks. */
function checkSurfaceConfig(c: SurfaceConfig): SurfaceConfig {
  if ((c.source === null) === (c.pspin === null)) {
    throw GlassyError.invalid('source', c.source, 'either a train run or a p-spin (--pspin-n), not both or neither');
  }
  if (c.pspin && (c.through || c.path)) throw GlassyError.invalid('through', c.through ?? c.path, 'a network run (the p-spin plane is a random plane through one minimum)');
  if (c.pspin && c.loss !== 'train') throw GlassyError.invalid('loss', c.loss, '"train" for the p-spin (its energy per spin)');
  return c;
}

/** Number of replicas (row blocks) of a config. */
export function surfaceReplicas(c: SurfaceConfig): number {
  return Math.ceil(c.grid / c.rowsPerReplica);
}


export function parseSurfaceConfig(raw: unknown): SurfaceConfig {
  return checkSurfaceConfig(parseWith(surfaceConfigSchema, raw));
}

export const protocol: Protocol<SurfaceConfig> = {
  name: 'surface',
  schema: surfaceConfigSchema,
  check: checkSurfaceConfig,
  replicas: surfaceReplicas,
  cli: {
    description: 'loss on a 2-D plane through a minimum (Li et al. 2018) or through three minima / a connect path (Garipov et al. 2018); networks and the spherical p-spin',
    arguments: [{ name: 'run', field: 'source', optional: true, description: 'a complete train run (or --pspin-n N)' }],
    flags: {
      'pspin.n': { flag: 'pspin-n', value: 'N', help: 'spherical p-spin of N spins instead of a network run' },
      'pspin.p': { flag: 'p', value: 'p', parse: Number, help: 'p-spin: interaction order 2, 3 or 4' },
      'pspin.sample': false,
      'pspin.gdSteps': { flag: 'gd-steps', value: 'n', help: 'p-spin: gradient-descent steps on the sphere to the centre' },
      'pspin.dt': { flag: 'dt', value: 'dt', help: 'p-spin: gradient-descent time step' },
      through: { value: 'a,b,c', parse: intList, help: 'the plane through three replicas instead of a random plane' },
      path: { value: 'connect-run', help: 'a connect run (bezier or neb) drawn on the plane; without --through its path spans the plane' },
    },
    outFrom: 'source',
    describeSummary: (s) => [`plane ${String(s['plane'])}; ${String(s['evaluations'])} points, ${s['kind'] === 'pspin' ? 'energy per spin' : 'training loss'} ${fmt(s['train_loss_min'])} … ${fmt(s['train_loss_max'])}`],
  },
  task: async () => (await import('../surface.js')).task,
};

function fmt(v: unknown): string {
  return typeof v === 'number' ? v.toPrecision(4) : String(v);
}
