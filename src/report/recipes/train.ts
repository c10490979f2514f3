/** Recipe for `train`: learning curves of K replicas (thin) with their mean ± SE (bold). */
import { linePlot, type Series } from '../plots/line.js';
import { fmt } from '../plots/common.js';
import type { ItemDef, Recipe, RecipeContext, Table } from './types.js';
import { columnMeanSe, meanSe } from './stats.js';
import { row } from './types.js';

const CURVES: { array: string; title: string; y: string; log: boolean }[] = [
  { array: 'train_loss', title: 'Training loss', y: 'training loss', log: true },
  { array: 'test_loss', title: 'Test loss', y: 'test loss', log: true },
  { array: 'train_error', title: 'Training error', y: 'training error (fraction)', log: false },
  { array: 'test_error', title: 'Test error', y: 'test error (fraction)', log: false },
];

function curve(array: string, title: string, y: string, log: boolean): ItemDef {
  return {
    kind: 'plot',
    name: array,
    title,
    requires: ['steps', array],
    build(ctx: RecipeContext) {
      const steps = ctx.vec('steps');
      const m = ctx.rowsOf(array, steps.length);
      const series: Series[] = [];
      for (let r = 0; r < m.rows; r++) series.push({ name: `replica ${r}`, x: steps, y: row(m, r), role: 'thin' });
      const { mean, se } = columnMeanSe(m);
      series.push({ name: `mean of ${m.rows}`, x: steps, y: mean, ...(m.rows > 1 ? { se } : {}) });
      return linePlot({
        name: array,
        title,
        subtitle: `${m.rows} replica${m.rows === 1 ? '' : 's'}: thin lines; mean ± SE: bold with band`,
        x: { title: 'time t (SGD steps)', scale: 'log' },
        y: { title: y, scale: log ? 'log' : 'linear' },
        series,
      });
    },
  };
}

const finalTable: ItemDef = {
  kind: 'table',
  name: 'final_test_error',
  title: 'Final test error per replica',
  requires: ['final_test_error'],
  build(ctx): Table {
    const v = ctx.vec('final_test_error');
    const s = meanSe(v);
    const rows: (string | number | null)[][] = Array.from(v, (e, i) => [String(i), fmt(e)]);
    rows.push(['mean ± SE', `${fmt(s.mean)} ± ${fmt(s.se)}`]);
    return { name: 'final_test_error', title: 'Final test error per replica', columns: ['replica', 'test error'], rows };
  },
};

export const trainRecipe: Recipe = {
  protocol: 'train',
  description: 'Learning curves of independently trained replicas.',
  items: [...CURVES.map((c) => curve(c.array, c.title, c.y, c.log)), finalTable],
};
