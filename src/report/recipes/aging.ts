/**
 * Recipe for `aging` ([B]): Δ and the normalised correlation Ĉ vs lag t for each waiting time, and
 * their collapse against t/t_w^μ at the μ the run fitted (μ = 1 is simple aging; the fit is the
 * point of the protocol, so the figure shows the fitted value, not μ = 1), raw C, energy.
 */
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

type Obs = 'delta' | 'corr' | 'corr_norm';

/** What one unit of the run's time axis is: SGD steps, MC sweeps, or Langevin steps of length dt. */
function timeUnit(ctx: RecipeContext): string {
  const dt = ctx.summary('dt');
  if (typeof dt === 'number') return `steps of dt = ${fmt(dt)}; time = steps·dt`;
  const l = ctx.summary('landscape');
  return l === 'mlp' ? 'SGD steps' : l === 'sk' || l === 'ising3d' ? 'MC sweeps' : 'steps';
}

/** The fitted collapse exponent μ of each point (mu_delta for Δ, mu_corr for Ĉ and C); NaN = not fitted. */
function fittedMu(ctx: RecipeContext, obs: Obs, P: number): Float64Array {
  const name = obs === 'delta' ? 'mu_delta' : 'mu_corr';
  if (!ctx.has(name)) return new Float64Array(P).fill(NaN);
  const mu = ctx.vec(name);
  return mu.length === P ? mu : new Float64Array(P).fill(NaN);
}

function familySeries(ctx: RecipeContext, obs: Obs, collapse: boolean): { series: Series[]; skipped: number; mus: number[] } {
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
  const mus = Array.from(fittedMu(ctx, obs, labels.length), (m) => (Number.isFinite(m) ? m : 1));
  // One point: a colour per waiting time. Several points: a colour per point (legend by point).
  const byPoint = labels.length > 1;
  labels.forEach((label, p) => {
    const mu = mus[p] as number;
    for (const k of picked) {
      const w = tw[k] as number;
      // t/t_w^μ is undefined at t_w = 0 (DEEP-GLASS grids start at 0).
      if (collapse && !(w > 0)) {
        skipped++;
        continue;
      }
      const scale = Math.pow(w, mu);
      const x = collapse ? t.map((v) => v / scale) : t;
      const r = p * tw.length + k;
      series.push({ name: `${label ? `${label}, ` : ''}t_w = ${fmt(w)}`, x, y: row(mean, r), ...(se ? { se: row(se, r) } : {}), ...(byPoint ? { group: label } : {}) });
    }
  });
  return { series, skipped, mus };
}

const OBS_TEXT: Record<Obs, { symbol: string; y: string; note: string }> = {
  delta: { symbol: 'Δ', y: 'Δ(t_w, t_w+t)', note: 'Δ = |θ(t_w+t) − θ(t_w)|²/N, the mean squared displacement.' },
  corr: { symbol: 'C', y: 'C(t_w, t_w+t)', note: 'C = θ(t_w)·θ(t_w+t)/N, not normalised (for a network it grows with |θ|; see Ĉ).' },
  corr_norm: { symbol: 'Ĉ', y: 'Ĉ(t_w, t_w+t)', note: 'Ĉ = θ(t_w)·θ(t_w+t)/(|θ(t_w)||θ(t_w+t)|), the normalised correlation the μ fit uses (Ĉ = C on the sphere).' },
};

function family(obs: Obs, collapse: boolean): ItemDef {
  const text = OBS_TEXT[obs];
  const name = `${obs}${collapse ? '_collapse' : ''}`;
  const title = `${text.symbol} vs ${collapse ? 't / t_w^μ (aging collapse at the fitted μ)' : 'lag t'}`;
  return {
    kind: 'plot',
    name,
    title,
    requires: ['tw', 't', `${obs}_mean`],
    build(ctx) {
      const { series, skipped, mus } = familySeries(ctx, obs, collapse);
      if (series.length === 0) throw new Error('no waiting time t_w > 0 to rescale by');
      const labels = points(ctx);
      const muName = obs === 'delta' ? 'mu_delta' : 'mu_corr';
      const fitted = fittedMu(ctx, obs, labels.length);
      const muText = labels
        .map((l, p) => `${l ? `${l}: ` : ''}μ = ${Number.isFinite(fitted[p] as number) ? fmt(mus[p] as number) : '1 (no fitted μ in the run)'}`)
        .join('; ');
      const notes = [
        text.note,
        `${labels.length > 1 ? 'One colour per point of the sweep, one curve per waiting time t_w' : 'One curve per waiting time t_w'}; bands are ± SE over replicas. Points where t_w + t exceeds the run are undefined and not drawn.`,
        collapse ? `Curves are plotted against t/t_w^μ with the μ fitted by the run (${muName}): ${muText}. μ = 1 is simple aging, μ < 1 subaging; the curves fall on one master curve when the scaling holds.` : '',
        skipped ? `${skipped} waiting time(s) t_w = 0 left out (t/t_w^μ undefined).` : '',
      ];
      return linePlot({
        name,
        title,
        x: { title: collapse ? 't / t_w^μ' : `lag t (${timeUnit(ctx)})`, scale: 'log' },
        y: { title: text.y, scale: obs === 'delta' ? 'log' : 'linear' },
        series,
        color: labels.length > 1 ? 'category' : 'sequential',
        legendTitle: labels.length > 1 ? 'sweep point' : 'waiting time',
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
      x: { title: `time (${timeUnit(ctx)})`, scale: 'log' },
      y: { title: 'energy / training loss' },
      series: labels.map((label, p) => ({ name: label || 'energy', x: t, y: row(mean, p), ...(se ? { se: row(se, p) } : {}) })),
    });
  },
};

export const agingRecipe: Recipe = {
  protocol: 'aging',
  description: 'Two-time observables after a quench: mean squared displacement Δ and normalised correlation Ĉ, and their aging collapse at the fitted μ.',
  items: [family('delta', false), family('corr_norm', false), family('delta', true), family('corr_norm', true), family('corr', false), energy],
};
