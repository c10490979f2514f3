/** Recipe for `l2sweep` ([E]): observables vs the L2 strength β, up and down sweeps, class accuracy. */
import { phasePlot, type PhasePanel } from '../plots/phase.js';
import { gridHeatmap } from '../plots/heatmap.js';
import { scatterPlot } from '../plots/scatter.js';
import type { Series } from '../plots/line.js';
import type { ItemDef, Recipe, RecipeContext, Table } from './types.js';
import { runningMedian } from '../../observables/transitions.js';

/** Indices of each sweep direction, in data order: direction > 0 = up, otherwise down. */
export function sweeps(ctx: RecipeContext, L: number): { name: string; idx: number[] }[] {
  if (!ctx.has('direction')) return [{ name: 'sweep', idx: Array.from({ length: L }, (_, i) => i) }];
  const d = ctx.vec('direction', L);
  const up: number[] = [];
  const down: number[] = [];
  d.forEach((v, i) => (v > 0 ? up : down).push(i));
  return [
    { name: 'up', idx: up },
    { name: 'down', idx: down },
  ].filter((s) => s.idx.length > 0);
}

/** The transitions β_c of summary.transitions (or summary.beta_c), labelled by sweep direction. */
export function transitionMarks(ctx: RecipeContext, direction?: string): { x: number; label: string }[] {
  const tr = ctx.summary('transitions');
  const marks: { x: number; label: string }[] = [];
  if (Array.isArray(tr)) {
    for (const t of tr) {
      if (typeof t === 'number' && Number.isFinite(t)) marks.push({ x: t, label: 'β_c' });
      if (!t || typeof t !== 'object') continue;
      const r = t as Record<string, unknown>;
      const b = r['beta_c'];
      const d = typeof r['direction'] === 'string' ? (r['direction'] as string) : '';
      if (typeof b !== 'number' || !Number.isFinite(b)) continue;
      if (direction && d && d !== direction) continue;
      // A transition the run found not significant is still marked, but says so.
      const sig = r['significant'] === false ? ' (n.s.)' : '';
      marks.push({ x: b, label: `β_c${d ? ` ${d === 'up' ? '↑' : '↓'}` : ''}${sig}` });
    }
  } else {
    const bc = ctx.summary('beta_c');
    if (Array.isArray(bc)) for (const b of bc) if (typeof b === 'number' && Number.isFinite(b)) marks.push({ x: b, label: 'β_c' });
  }
  return marks;
}

/** The β axis, naming the L2 convention when the run records it (penalty β‖θ − θ_ref‖² or Adam weight decay β). */
function betaTitle(ctx: RecipeContext): string {
  const c = ctx.manifest.config as Record<string, unknown> | undefined;
  const form = c?.['l2Form'] ?? (c?.['l2'] as Record<string, unknown> | undefined)?.['form'];
  if (form === 'penalty') return 'L2 strength β (penalty β‖θ − θ_ref‖²)';
  if (form === 'weight-decay') return 'L2 strength β (weight decay β, Adam)';
  return 'L2 strength β';
}

const pick = (a: Float64Array, idx: number[]): Float64Array => Float64Array.from(idx, (i) => a[i] as number);

const PANELS: { array: string; y: string; log: boolean }[] = [
  { array: 'epoch_train_loss', y: 'training CE, last-epoch mean', log: true },
  { array: 'train_loss', y: 'training CE at the end point', log: true },
  { array: 'theta_norm', y: 'r = ‖θ − θ_ref‖', log: false },
  { array: 'test_error', y: 'test error (fraction)', log: false },
  { array: 'lambda_min', y: 'λ_min of ∇²E', log: false },
];

const phase: ItemDef = {
  kind: 'plot',
  name: 'phase',
  title: 'Observables vs L2 strength β',
  requires: ['lambdas'],
  build(ctx) {
    const lam = ctx.vec('lambdas');
    const groups = sweeps(ctx, lam.length);
    const panels: PhasePanel[] = [];
    for (const p of PANELS) {
      if (!ctx.has(p.array)) continue;
      const v = ctx.vec(p.array, lam.length);
      // Not measured in this run (e.g. λ_min without --hessian-k): no empty panel.
      if (!v.some((x) => Number.isFinite(x))) continue;
      const series: Series[] = groups.map((g) => ({ name: g.name, x: pick(lam, g.idx), y: pick(v, g.idx) }));
      if (p.array === 'lambda_min') {
        // The fold condition of [E]: a continuation minimum loses stability where λ_min reaches −2c,
        // c the penalty coefficient: c = λ ('penalty'), λ/2 ('weight-decay', torch Adam weight_decay).
        const wd = (ctx.manifest.config as { l2Form?: string } | undefined)?.l2Form === 'weight-decay';
        series.push({ name: wd ? '−λ (fold)' : '−2λ (fold)', x: lam, y: lam.map((l) => (wd ? -l : -2 * l)), role: 'reference' });
      }
      panels.push({ y: { title: p.y, scale: p.log ? 'log' : 'linear' }, series });
    }
    if (panels.length === 0) throw new Error(`none of ${PANELS.map((p) => p.array).join(', ')} is present`);
    const marks = transitionMarks(ctx);
    return phasePlot({
      name: 'phase',
      title: 'Observables vs L2 strength β',
      marks,
      x: { title: betaTitle(ctx) },
      panels,
      keepOrder: true,
      points: lam.length <= 200,
      legendTitle: 'sweep',
      caption: [
        groups.length > 1 ? 'Up and down sweeps drawn separately: where they differ the system shows hysteresis.' : '',
        panels.some((p) => p.series.some((x) => x.role === 'reference')) ? 'Dashed: −2c (c the penalty coefficient: λ, or λ/2 in the weight-decay form); a continuation minimum loses stability (a fold) where λ_min reaches it.' : '',
        (ctx.manifest.config as { l2Form?: string } | undefined)?.l2Form === 'weight-decay'
          ? 'λ on the weight-decay axis (torch Adam weight_decay=λ, penalty (λ/2)‖θ‖²), as Ersoy et al. report it.' : '',
        marks.length ? `Dotted verticals: the ${marks.length} transition(s) β_c the run detected (↑ up sweep, ↓ down sweep; table "transitions" above).` : 'The run reports no transition.',
      ].filter(Boolean).join(' '),
    });
  },
};

function classAccuracy(direction: 'up' | 'down' | 'all'): ItemDef {
  const name = direction === 'down' ? 'class_accuracy_down' : 'class_accuracy';
  const title = `Accuracy per class vs β${direction === 'all' ? '' : ` (${direction} sweep)`}`;
  return {
    kind: 'plot',
    name,
    title,
    requires: direction === 'down' ? ['lambdas', 'class_accuracy', 'direction'] : ['lambdas', 'class_accuracy'],
    build(ctx) {
      const lam = ctx.vec('lambdas');
      const m = ctx.mat('class_accuracy', lam.length);
      const groups = sweeps(ctx, lam.length);
      const want = direction === 'down' ? 'down' : ctx.has('direction') ? 'up' : 'sweep';
      const g = groups.find((s) => s.name === want);
      if (!g) throw new Error(`no ${want} sweep in direction`);
      // Cells need increasing x: sort this sweep's points by β.
      const idx = [...g.idx].sort((a, b) => (lam[a] as number) - (lam[b] as number));
      const values = new Float64Array(m.cols * idx.length);
      for (let c = 0; c < m.cols; c++) idx.forEach((i, k) => (values[c * idx.length + k] = m.data[i * m.cols + c] as number));
      return gridHeatmap({
        name,
        title: want === 'sweep' ? title : `Accuracy per class vs β (${want} sweep)`,
        values,
        x: pick(lam, idx),
        xAxis: { title: betaTitle(ctx) },
        categories: Array.from({ length: m.cols }, (_, c) => String(c)),
        categoryTitle: 'class',
        colorTitle: 'accuracy',
        domain: [0, 1],
        caption: 'Classes are lost in groups as β crosses a transition.',
      });
    },
  };
}

/** Sweeps longer than this get running-median lines (class_accuracy_lines), over 2·SMOOTH_HALF + 1 points. */
const SMOOTH_ABOVE = 60;
const SMOOTH_HALF = 4;

/** Accuracy of each class vs β, one line per class, the sweeps in separate panels. */
const classLines: ItemDef = {
  kind: 'plot',
  name: 'class_accuracy_lines',
  title: 'Accuracy per class vs β',
  requires: ['lambdas', 'class_accuracy'],
  build(ctx) {
    const lam = ctx.vec('lambdas');
    const m = ctx.mat('class_accuracy', lam.length);
    const groups = sweeps(ctx, lam.length);
    const classes = Array.from({ length: m.cols }, (_, c) => `class ${c}`);
    // On a long ladder a class's accuracy flickers from point to point (a collapsed network names
    // one class, a different one at each β), and ten raw lines fill the frame: there each line is
    // a running median, which keeps the steps; the heatmap keeps the raw values.
    const smooth = lam.length > SMOOTH_ABOVE;
    const panels: PhasePanel[] = groups.map((g) => {
      const idx = [...g.idx].sort((a, b) => (lam[a] as number) - (lam[b] as number));
      return {
        y: { title: groups.length > 1 ? `accuracy (${g.name} sweep)` : 'accuracy', domain: [0, 1] },
        series: classes.map((name, c) => {
          const raw = Float64Array.from(idx, (i) => m.data[i * m.cols + c] as number);
          return { name, x: pick(lam, idx), y: smooth ? runningMedian(raw, SMOOTH_HALF) : raw };
        }),
      };
    });
    return phasePlot({
      name: 'class_accuracy_lines',
      title: 'Accuracy per class vs β',
      x: { title: betaTitle(ctx) },
      panels,
      legendTitle: 'class',
      points: !smooth, // point markers only on short ladders, where the lines are raw
      marks: transitionMarks(ctx),
      caption: 'Test accuracy of each class; classes drop out in groups at the transitions (dotted). One panel per sweep direction.' +
        (smooth ? ` Each line is the running median of ${2 * SMOOTH_HALF + 1} neighbouring β (the sweep has ${lam.length} points); the heatmap shows every point.` : ''),
    });
  },
};

const scatter: ItemDef = {
  kind: 'plot',
  name: 'error_vs_norm',
  title: 'Test error vs ‖θ − θ_ref‖',
  requires: ['theta_norm', 'test_error'],
  build(ctx) {
    const r = ctx.vec('theta_norm');
    const lam = ctx.has('lambdas') ? ctx.vec('lambdas', r.length) : null;
    return scatterPlot({
      name: 'error_vs_norm',
      title: 'Test error vs ‖θ − θ_ref‖',
      x: { title: 'r = ‖θ − θ_ref‖' },
      y: { title: 'test error (fraction)' },
      xs: r,
      ys: ctx.vec('test_error', r.length),
      ...(lam ? { labels: Array.from(lam, (l) => `β = ${l}`) } : {}),
    });
  },
};

interface TransitionRow {
  direction: string; beta_before: number; beta_after: number; beta_c: number; observables: string[];
  size: number | null; ci: [number | null, number | null]; z: number | null;
  accuracy_before: number; accuracy_after: number; classes_lost: number[]; classes_gained: number[];
}

const num = (v: number | null | undefined, digits = 3): string => (typeof v === 'number' && Number.isFinite(v) ? v.toPrecision(digits) : '—');

/** The detected transitions with their significance, from the run summary (protocols/l2sweep.ts). */
const transitionTable: ItemDef = {
  kind: 'table',
  name: 'transitions',
  title: 'Transitions',
  requires: [],
  build(ctx): Table {
    const list = ctx.summary('transitions');
    if (!Array.isArray(list)) throw new Error('no transitions in the summary');
    const rows = (list as TransitionRow[]).map((t) => [
      t.direction, `${num(t.beta_before)} – ${num(t.beta_after)}`, num(t.beta_c),
      t.size === null || t.size === undefined ? '—' : `${num(t.size)} [${num(t.ci[0])}, ${num(t.ci[1])}]`, typeof t.z === 'number' && Number.isFinite(t.z) ? t.z.toFixed(1) : '—',
      `${(100 * t.accuracy_before).toFixed(0)} → ${(100 * t.accuracy_after).toFixed(0)} %`,
      t.classes_lost.join(', ') || '—', t.observables.join(', '),
    ]);
    const form = ctx.summary('l2_convention');
    const detection = ctx.summary('detection');
    return {
      name: 'transitions', title: 'Transitions',
      columns: ['sweep', 'β interval', 'β_c', 'CE jump [95 % CI]', 'z = jump/σ', 'test accuracy', 'classes lost', 'detected by'],
      rows,
      caption: [rows.length === 0 ? 'No jump beyond the noise.' : '', typeof form === 'string' ? `β: ${form}.` : '', typeof detection === 'string' ? `Rule: ${detection}.` : ''].filter(Boolean).join(' '),
    };
  },
};

export const l2sweepRecipe: Recipe = {
  protocol: 'l2sweep',
  description: 'The L2 probe: training with an L2 pull of strength λ, swept up (and down).',
  items: [transitionTable, phase, classLines, classAccuracy('all'), classAccuracy('down'), scatter],
};
