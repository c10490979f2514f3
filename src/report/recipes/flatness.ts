/**
 * Recipe for `flatness`: is a flatter minimum a better one? Each flatness measure against test
 * error across replicas (and runs), with Spearman's ρ and its bootstrap 95 % CI; a measure whose
 * correlation cannot be told from chance with this many replicas is labelled "no power" rather
 * than shown as a number.
 */
import { intervalPlot, type IntervalRow } from '../plots/interval.js';
import { scatterPlot } from '../plots/scatter.js';
import { fmt } from '../plots/common.js';
import type { ItemDef, Recipe, RecipeContext, Table } from './types.js';

interface Correlation {
  measure: string;
  n: number;
  spearman: number;
  lo: number;
  hi: number;
  kendall: number;
  power: boolean;
  /** Why there is no power, when the run did not say. */
  reason: string;
}

const MEASURES: { name: string; title: string; log: boolean }[] = [
  { name: 'lambda_max', title: 'λ_max of the Hessian', log: true },
  { name: 'trace', title: 'tr H (Hutchinson)', log: false },
  { name: 'log_volume', title: 'log volume Σ log(1 + λ_i/γ)', log: false },
  { name: 'sharpness', title: 'ε-sharpness (Keskar et al.)', log: false },
  { name: 'local_entropy_gap', title: 'local-entropy gap', log: false },
  { name: 'mean_rise', title: 'mean loss rise under noise', log: false },
  { name: 'walk_ruggedness', title: 'walk ruggedness', log: false },
];

const n = (v: unknown): number => (typeof v === 'number' ? v : NaN);

/**
 * Power as the run states it (`power: false`, or a string saying "no power"); where the run says
 * nothing: no power when n < 5 or the 95 % CI of ρ covers more than half of [−1, 1].
 */
function powerOf(entry: Record<string, unknown>, nObs: number, lo: number, hi: number): { power: boolean; reason: string } {
  const p = entry['power'];
  const said = typeof entry['reason'] === 'string' ? (entry['reason'] as string) : '';
  if (typeof p === 'boolean') return { power: p, reason: p ? '' : said || 'the run reports no power' };
  // 'ok' | 'low' | 'none': a CI wider than half of [−1, 1] ('low') is no evidence either.
  if (p === 'ok') return { power: true, reason: '' };
  if (p === 'low') return { power: false, reason: said || `low power: 95 % CI [${fmt(lo)}, ${fmt(hi)}] covers more than half of [−1, 1]` };
  if (typeof p === 'string') return { power: false, reason: said || `the run reports power "${p}"` };
  if (p && typeof p === 'object' && typeof (p as { has?: unknown }).has === 'boolean') {
    const has = (p as { has: boolean }).has;
    return { power: has, reason: has ? '' : 'the run reports no power' };
  }
  if (!(nObs >= 5)) return { power: false, reason: `n = ${nObs} < 5 replicas` };
  if (!(hi - lo < 1)) return { power: false, reason: `95 % CI [${fmt(lo)}, ${fmt(hi)}] covers more than half of [−1, 1]` };
  return { power: true, reason: '' };
}

export function correlations(ctx: RecipeContext): Correlation[] {
  const raw = ctx.summary('correlations');
  if (!Array.isArray(raw)) throw new Error('the run has no summary.correlations');
  return raw
    .filter((e): e is Record<string, unknown> => !!e && typeof e === 'object' && typeof (e as { measure?: unknown }).measure === 'string')
    .map((e) => {
      const lo = n(e['spearman_lo']);
      const hi = n(e['spearman_hi']);
      const count = n(e['n']);
      return { measure: e['measure'] as string, n: count, spearman: n(e['spearman']), lo, hi, kendall: n(e['kendall']), ...powerOf(e, count, lo, hi) };
    });
}

/** "a, b: reason; c: other reason" — each reason said once. */
function noPowerText(cs: Correlation[]): string {
  const by = new Map<string, string[]>();
  for (const c of cs) by.set(c.reason, [...(by.get(c.reason) ?? []), c.measure]);
  return [...by].map(([reason, ms]) => `${ms.join(', ')} (${reason})`).join('; ');
}

const forest: ItemDef = {
  kind: 'plot',
  name: 'correlation_forest',
  title: 'Rank correlation of each flatness measure with test error',
  requires: [],
  build(ctx) {
    const cs = correlations(ctx).filter((c) => Number.isFinite(c.spearman));
    if (cs.length === 0) throw new Error('no measure has a finite correlation (fewer than 3 replicas?)');
    const rows: IntervalRow[] = cs.map((c) => ({ label: `${c.measure} (n = ${c.n})`, value: c.spearman, lo: c.lo, hi: c.hi, power: c.power }));
    const none = cs.filter((c) => !c.power);
    return intervalPlot({
      name: 'correlation_forest',
      title: 'Spearman ρ(measure, test error) with 95 % CI',
      xTitle: 'Spearman ρ',
      rows,
      domain: [-1, 1],
      reference: 0,
      caption: [
        'A positive ρ: sharper minima (larger measure) generalise worse. Bars: bootstrap 95 % CI over replicas.',
        none.length ? `No power (grey): ${noPowerText(none)}. These correlations cannot be told from chance; train more replicas or vary the training set-up.` : '',
      ].filter(Boolean).join(' '),
    });
  },
};

const table: ItemDef = {
  kind: 'table',
  // Named as the summary key: the key figures then leave the raw list to this table.
  name: 'correlations',
  title: 'Correlations with test error',
  requires: [],
  build(ctx): Table {
    const cs = correlations(ctx);
    const f = (v: number): string | null => (Number.isFinite(v) ? fmt(v) : null);
    return {
      name: 'correlations',
      title: 'Correlations with test error',
      columns: ['measure', 'n', 'Spearman ρ', '95 % CI', 'Kendall τ', 'verdict'],
      rows: cs.map((c) => [
        c.measure,
        Number.isFinite(c.n) ? c.n : null,
        c.power ? f(c.spearman) : `(${f(c.spearman) ?? '—'})`,
        Number.isFinite(c.lo) ? `[${fmt(c.lo)}, ${fmt(c.hi)}]` : '—',
        c.power ? f(c.kendall) : `(${f(c.kendall) ?? '—'})`,
        !Number.isFinite(c.spearman) ? 'not measured' : c.power ? 'has power' : `no power: ${c.reason}`,
      ]),
      caption: 'Values in parentheses have no power: do not read them as evidence either way.',
    };
  },
};

function measureScatter(m: { name: string; title: string; log: boolean }): ItemDef {
  return {
    kind: 'plot',
    name: `${m.name}_vs_test_error`,
    title: `${m.title} vs test error`,
    requires: [m.name, 'test_error'],
    build(ctx: RecipeContext) {
      const x = ctx.vec(m.name);
      const y = ctx.vec('test_error', x.length);
      if (!x.some((v) => Number.isFinite(v))) throw new Error(`${m.name} was not measured (all NaN)`);
      const c = ctx.summary('correlations') ? correlations(ctx).find((e) => e.measure === m.name) : undefined;
      const subtitle = !c || !Number.isFinite(c.spearman)
        ? 'no rank correlation (fewer than 3 finite values)'
        : c.power
          ? `Spearman ρ = ${fmt(c.spearman)}, 95 % CI [${fmt(c.lo)}, ${fmt(c.hi)}], n = ${c.n}`
          : `No power (${c.reason}): ρ = ${fmt(c.spearman)} is not evidence.`;
      const src = ctx.has('source_index') ? ctx.vec('source_index', x.length) : null;
      const rep = ctx.has('replica_index') ? ctx.vec('replica_index', x.length) : null;
      return scatterPlot({
        name: `${m.name}_vs_test_error`,
        title: `${m.title} vs test error`,
        x: { title: m.title, scale: m.log && x.every((v) => !(v <= 0)) ? 'log' : 'linear' },
        y: { title: 'test error (fraction)' },
        xs: x,
        ys: y,
        subtitle,
        ...(src && rep ? { labels: Array.from(x, (_, i) => `run ${src[i]}, replica ${rep[i]}`) } : {}),
        caption: 'One point per replica. Dashed: least-squares line (a guide; the test is the rank correlation).',
      });
    },
  };
}

export const flatnessRecipe: Recipe = {
  protocol: 'flatness',
  description: 'Flatness measures against test error across replicas, with rank correlations, bootstrap CIs and a power verdict.',
  items: [forest, table, ...MEASURES.map(measureScatter)],
};
