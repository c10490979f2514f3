/**
 * The `spinglass` protocol: equilibrium (and zero-temperature) measurements on the reference spin
 * glasses — SK, Edwards–Anderson in 2D/3D, Hopfield (ising.ts) and the spherical p-spin (pspin.ts) —
 * with the observables glassy measures on networks: energy, the replica overlap q_ab, P(q), ⟨q²⟩,
 * ⟨q⁴⟩, the Binder ratio, all disorder-averaged with standard errors (summary.ts; docs/papers.md; docs/spinglass.md; run format in docs/run-format/spinglass.md).
 *
 * One replica of the run = one disorder sample (task.ts), so K = `samples` and `--replicas` keeps
 * its meaning of thermal replicas per sample. This module is light (the schema and the CLI); the
 * simulation is loaded by `task()`.
 */
import type { Protocol } from '../../executor/protocol.js';
import { checkSpinglassConfig, spinglassConfigSchema, type SpinglassConfig } from './config.js';

function fmt(x: number, se: number): string {
  return Number.isFinite(se) ? `${x.toFixed(5)} ± ${se.toFixed(5)}` : x.toFixed(5);
}

/** One line per temperature: e, ⟨q²⟩ and (Ising) the Binder ratio, each ± its SE over samples. */
function describeSummary(s: Record<string, unknown>): string[] {
  const col = (k: string) => s[k] as number[] | undefined;
  const T = col('temperatures') ?? [];
  const g = col('binder');
  const lines = T.map((t, k) =>
    `T=${t.toPrecision(4)}  e=${fmt(col('energy')![k]!, col('energy_se')![k]!)}  q2=${fmt(col('q2')![k]!, col('q2_se')![k]!)}` +
    (g ? `  g=${fmt(g[k]!, col('binder_se')![k]!)}` : ''));
  if (typeof s['binder_note'] === 'string') lines.push(`(${s['binder_note']})`);
  return lines;
}

export const protocol: Protocol<SpinglassConfig> = {
  name: 'spinglass',
  schema: spinglassConfigSchema,
  check: checkSpinglassConfig,
  replicas: (c) => c.samples,
  cli: {
    description: 'spin glasses (SK, EA 2D/3D, Hopfield, spherical p-spin): energy, P(q), <q²>, Binder ratio over disorder samples',
    flags: {
      // Thermal replicas per sample keep their flag; the run's replicas are the samples.
      replicas: { flag: 'replicas', value: 'R' },
      samples: { value: 'M' },
      temperatures: { value: 'list' },
    },
    describeSummary,
  },
  task: async () => (await import('./task.js')).task,
};
