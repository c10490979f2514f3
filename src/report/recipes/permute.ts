/**
 * Recipe for `permute` (Liao et al., protocol 2): the barrier between θ and a permuted copy Pθ
 * against the number of hidden units k the permutation moves, and against the distance |θ − Pθ|,
 * then the loss along each path. E(Pθ) = E(θ) exactly, so any barrier is the landscape's, not a
 * difference between end points.
 */
import { linePlot, type Series } from '../plots/line.js';
import { columnMeanSe } from './stats.js';
import type { ItemDef, Recipe, RecipeContext } from './types.js';
import { pathsRecipe } from './paths.js';

const BARRIERS: { array: string; name: string }[] = [
  { array: 'permute_barrier', name: 'training loss' },
  { array: 'permute_barrier_test', name: 'test loss' },
];

/** [K, R] as rows of repeats (a 1-D array is K rows of one repeat). */
function perK(ctx: RecipeContext, name: string, K: number): { data: Float64Array; rows: number; cols: number } {
  const m = ctx.rowsOf(name);
  if (m.rows === K) return m;
  if (m.rows === 1 && m.cols === K) return { data: m.data, rows: K, cols: 1 };
  throw new Error(`${name} has ${m.rows} rows, expected one per k (${K})`);
}

/** Mean (± SE over repeats) of each k's row. */
function rowMeans(m: { data: Float64Array; rows: number; cols: number }): { mean: Float64Array; se: Float64Array } {
  // columnMeanSe works on columns: transpose the [K, R] block.
  const t = new Float64Array(m.data.length);
  for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) t[c * m.rows + r] = m.data[r * m.cols + c] as number;
  return columnMeanSe({ data: t, rows: m.cols, cols: m.rows });
}

const vsK: ItemDef = {
  kind: 'plot',
  name: 'barrier_vs_k',
  title: 'Barrier vs number of permuted units',
  requires: ['permute_k', 'permute_barrier', 'permute_displaced'],
  build(ctx) {
    const k = ctx.vec('permute_k');
    const K = k.length;
    const displaced = rowMeans(perK(ctx, 'permute_displaced', K)).mean;
    const series: Series[] = [];
    for (const b of BARRIERS) {
      if (!ctx.has(b.array)) continue;
      const m = perK(ctx, b.array, K);
      const { mean, se } = rowMeans(m);
      series.push({ name: b.name, x: displaced, y: mean, ...(m.cols > 1 ? { se } : {}) });
    }
    const random = Array.from(k).some((v) => v < 0);
    return linePlot({
      name: 'barrier_vs_k',
      title: 'Barrier vs number of permuted units',
      x: { title: 'hidden units moved by P (summed over layers)' },
      y: { title: 'barrier max_t E − ½(E(θ) + E(Pθ))' },
      series,
      errorStyle: 'bars',
      points: true,
      legendTitle: 'barrier of',
      caption: [
        'Straight path θ → Pθ for permutations moving k units (Liao et al., protocol 2); x is the number of units the permutation actually moved.',
        random ? 'k = random (a uniform permutation) is placed at the units it moved.' : '',
        'Error bars: ± SE over repeats (none with one repeat).',
      ].filter(Boolean).join(' '),
    });
  },
};

const vsDistance: ItemDef = {
  kind: 'plot',
  name: 'barrier_vs_distance',
  title: 'Barrier vs distance |θ − Pθ|',
  requires: ['permute_distance', 'permute_barrier'],
  build(ctx) {
    const d = ctx.rowsOf('permute_distance');
    const order = Array.from(d.data, (_, i) => i).sort((a, b) => (d.data[a] as number) - (d.data[b] as number));
    const series: Series[] = [];
    for (const b of BARRIERS) {
      if (!ctx.has(b.array)) continue;
      const y = ctx.rowsOf(b.array).data;
      if (y.length !== d.data.length) throw new Error(`${b.array} has ${y.length} values, permute_distance ${d.data.length}`);
      series.push({ name: b.name, x: Float64Array.from(order, (i) => d.data[i] as number), y: Float64Array.from(order, (i) => y[i] as number) });
    }
    return linePlot({
      name: 'barrier_vs_distance',
      title: 'Barrier vs distance |θ − Pθ|',
      x: { title: 'distance |θ − Pθ|' },
      y: { title: 'barrier' },
      series,
      lines: false,
      legendTitle: 'barrier of',
      caption: 'Every permutation path (all k and repeats), ordered by the distance between its end points.',
    });
  },
};

export const permuteRecipe: Recipe = {
  protocol: 'permute',
  description: 'Permutation-interpolation (Liao et al., protocol 2): barriers between θ and permuted copies Pθ, against k and distance; loss along each path.',
  items: [vsK, vsDistance, ...pathsRecipe.items],
};
