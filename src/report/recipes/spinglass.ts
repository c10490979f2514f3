/** Recipe for `spinglass`: thermodynamics vs temperature, P(q) per temperature, relaxation in MC time. */
import { linePlot, type Series } from '../plots/line.js';
import { histogramPlot, type BinnedSeries } from '../plots/histogram.js';
import { fmt } from '../plots/common.js';
import type { ItemDef, Recipe } from './types.js';
import { row } from './types.js';

function vsT(name: string, title: string, y: string): ItemDef {
  return {
    kind: 'plot',
    name: `${name}_vs_T`,
    title,
    requires: ['temperatures', `${name}_mean`, `${name}_se`],
    build(ctx) {
      const T = ctx.vec('temperatures');
      const series: Series[] = [{ name, x: T, y: ctx.vec(`${name}_mean`, T.length), se: ctx.vec(`${name}_se`, T.length) }];
      return linePlot({
        name: `${name}_vs_T`,
        title,
        subtitle: 'mean ± SE over disorder samples',
        x: { title: 'temperature T' },
        y: { title: y },
        series,
        errorStyle: 'bars',
        points: true,
      });
    },
  };
}

/** Labels for per-temperature series, e.g. "T = 0.5". */
export function tLabels(T: ArrayLike<number>): string[] {
  return Array.from(T, (t) => `T = ${fmt(t)}`);
}

const pq: ItemDef = {
  kind: 'plot',
  name: 'pq',
  title: 'Overlap distribution P(q) per temperature',
  requires: ['temperatures', 'pq_edges', 'pq_hist'],
  build(ctx) {
    const T = ctx.vec('temperatures');
    const edges = ctx.vec('pq_edges');
    const h = ctx.rowsOf('pq_hist', edges.length - 1);
    if (h.rows !== T.length) throw new Error(`pq_hist has ${h.rows} rows, expected one per temperature (${T.length})`);
    const labels = tLabels(T);
    const series: BinnedSeries[] = labels.map((name, r) => ({ name, edges, counts: row(h, r) }));
    return histogramPlot({ name: 'pq', title: 'Overlap distribution P(q)', x: { title: 'overlap q' }, yTitle: 'P(q)', series, color: 'sequential', legendTitle: 'temperature' });
  },
};

const relax: ItemDef = {
  kind: 'plot',
  name: 'energy_vs_time',
  title: 'Energy vs Monte Carlo time',
  requires: ['temperatures', 'energy_times', 'energy_vs_time'],
  build(ctx) {
    const T = ctx.vec('temperatures');
    const t = ctx.vec('energy_times');
    const e = ctx.mat('energy_vs_time', T.length, t.length);
    const labels = tLabels(T);
    return linePlot({
      name: 'energy_vs_time',
      title: 'Energy vs Monte Carlo time',
      x: { title: 'time t (MC sweeps)', scale: 'log' },
      y: { title: 'energy per spin e' },
      series: labels.map((name, r) => ({ name, x: t, y: row(e, r) })),
      color: 'sequential',
      legendTitle: 'temperature',
    });
  },
};

export const spinglassRecipe: Recipe = {
  protocol: 'spinglass',
  description: 'Monte Carlo of a spin glass over a temperature grid.',
  items: [
    vsT('energy', 'Energy per spin vs temperature', 'energy per spin e'),
    vsT('q2', 'Mean squared overlap vs temperature', '⟨q²⟩'),
    vsT('binder', 'Binder cumulant vs temperature', 'Binder cumulant g'),
    pq,
    relax,
  ],
};
