/** Recipe for `aging` ([B]): Δ and C vs lag t for each waiting time, their t/t_w collapse, energy. */
import { linePlot, type Series } from '../plots/line.js';
import { fmt } from '../plots/common.js';
import type { ItemDef, Recipe, RecipeContext } from './types.js';
import { row } from './types.js';

/**
 * The control-parameter axis of a sweep run (`widths` of networks, `temperatures` of glasses), as
 * labels, or one unnamed point for a single-point run.
 */
function points(ctx: RecipeContext): string[] {
  if (ctx.has('widths')) return Array.from(ctx.vec('widths'), (w) => `width ${fmt(w)}`);
  if (ctx.has('temperatures')) return Array.from(ctx.vec('temperatures'), (T) => `T = ${fmt(T)}`);
  return [''];
}

/** At most this many waiting times per point when a run has several points (legibility). */
const TW_PER_POINT = 4;

function familySeries(ctx: RecipeContext, obs: 'delta' | 'corr', collapse: boolean): { series: Series[]; skipped: number } {
  const tw = ctx.vec('tw');
  const t = ctx.vec('t');
  const labels = points(ctx);
  // [points × tw, t]: a single-point run is the P = 1 case of a sweep.
  const mean = ctx.rowsOf(`${obs}_mean`, t.length);
  if (mean.rows !== labels.length * tw.length) throw new Error(`${obs}_mean has ${mean.rows} rows, expected ${labels.length} × ${tw.length}`);
  const se = ctx.has(`${obs}_se`) ? ctx.rowsOf(`${obs}_se`, t.length) : null;
  const series: Series[] = [];
  let skipped = 0;
  const stride = labels.length > 1 ? Math.max(1, Math.ceil(tw.length / TW_PER_POINT)) : 1;
  const picked = tw.map((_, k) => k).filter((k) => k % stride === 0 || k === tw.length - 1);
  labels.forEach((label, p) => {
    for (const k of picked) {
      const w = tw[k] as number;
      // t/t_w is undefined at t_w = 0 (DEEP-GLASS grids start at 0).
      if (collapse && !(w > 0)) {
        skipped++;
        continue;
      }
      const x = collapse ? t.map((v) => v / w) : t;
      const r = p * tw.length + k;
      series.push({ name: `${label ? `${label}, ` : ''}t_w = ${fmt(w)}`, x, y: row(mean, r), ...(se ? { se: row(se, r) } : {}), ...(label ? { group: label } : {}) });
    }
  });
  return { series, skipped };
}

function family(obs: 'delta' | 'corr', collapse: boolean): ItemDef {
  const isDelta = obs === 'delta';
  const name = `${obs}${collapse ? '_collapse' : ''}`;
  // Short axis titles: a rotated title longer than the plot pushes the plot away from its heading.
  const yTitle = isDelta ? 'Δ(t_w, t_w+t)' : 'C(t_w, t_w+t)';
  const title = `${isDelta ? 'Δ' : 'C'} vs ${collapse ? 't / t_w (aging collapse)' : 'lag t'}`;
  return {
    kind: 'plot',
    name,
    title,
    requires: ['tw', 't', `${obs}_mean`],
    build(ctx) {
      const { series, skipped } = familySeries(ctx, obs, collapse);
      if (series.length === 0) throw new Error('no waiting time t_w > 0 to rescale by');
      const notes = [
        isDelta ? 'Δ = |θ(t_w+t) − θ(t_w)|²/N, the mean squared displacement.' : 'C = θ(t_w)·θ(t_w+t)/N.',
        'One curve per waiting time t_w; bands are ± SE over replicas. Points where t_w + t exceeds the run are undefined and not drawn.',
        collapse ? 'Simple aging: curves for different t_w fall on one another when plotted against t/t_w.' : '',
        skipped ? `${skipped} waiting time(s) t_w = 0 left out (t/t_w undefined).` : '',
      ];
      return linePlot({
        name,
        title,
        x: { title: collapse ? 't / t_w' : 'lag t (SGD steps)', scale: 'log' },
        y: { title: yTitle, scale: isDelta ? 'log' : 'linear' },
        series,
        color: 'sequential',
        legendTitle: 'waiting time',
        caption: notes.filter(Boolean).join(' '),
      });
    },
  };
}

const energy: ItemDef = {
  kind: 'plot',
  name: 'energy',
  title: 'Energy (loss) vs time',
  requires: ['energy_times', 'energy_mean'],
  build(ctx) {
    const t = ctx.vec('energy_times');
    const labels = points(ctx);
    const mean = ctx.rowsOf('energy_mean', t.length);
    const se = ctx.has('energy_se') ? ctx.rowsOf('energy_se', t.length) : null;
    return linePlot({
      name: 'energy',
      title: 'Energy (loss) vs time',
      x: { title: 'time (SGD steps)', scale: 'log' },
      y: { title: 'energy / training loss' },
      series: labels.map((label, p) => ({ name: label || 'energy', x: t, y: row(mean, p), ...(se ? { se: row(se, p) } : {}) })),
    });
  },
};

export const agingRecipe: Recipe = {
  protocol: 'aging',
  description: 'Two-time observables after a quench: mean squared displacement Δ and correlation C.',
  items: [family('delta', false), family('corr', false), family('delta', true), family('corr', true), energy],
};
