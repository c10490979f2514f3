/** Recipe for `paths`: loss and error along P paths between minima (names from manifest.summary.paths). */
import { linePlot } from '../plots/line.js';
import type { ItemDef, Recipe, RecipeContext } from './types.js';
import { row } from './types.js';

/** Path names: summary.paths as strings or objects with a name; "path i" where absent. */
export function pathNames(ctx: RecipeContext, P: number): string[] {
  const raw = ctx.summary('paths');
  const names: string[] = [];
  for (let p = 0; p < P; p++) {
    const v = Array.isArray(raw) ? (raw[p] as unknown) : undefined;
    if (typeof v === 'string') names.push(v);
    else if (v && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string') names.push((v as { name: string }).name);
    else names.push(`path ${p}`);
  }
  // Duplicate names would merge series; make them unique.
  return names.map((n, i) => (names.indexOf(n) === i ? n : `${n} (${i})`));
}

function along(array: string, title: string, y: string, log: boolean): ItemDef {
  return {
    kind: 'plot',
    name: array,
    title,
    requires: ['path_t', array],
    build(ctx) {
      const t = ctx.vec('path_t');
      const m = ctx.rowsOf(array, t.length);
      const names = pathNames(ctx, m.rows);
      return linePlot({
        name: array,
        title,
        x: { title: 'position along path t (0 = start, 1 = end)' },
        y: { title: y, scale: log ? 'log' : 'linear' },
        // Repeats of one path kind ("perm k=4 #0", "perm k=4 #1") share a colour.
        series: names.map((name, p) => ({ name, group: name.replace(/ #\d+$/, ''), x: t, y: row(m, p) })),
        legendTitle: 'path',
      });
    },
  };
}

export const pathsRecipe: Recipe = {
  protocol: 'paths',
  description: 'Loss and error along interpolation paths between minima.',
  items: [
    along('path_train_loss', 'Training loss along paths', 'training loss', true),
    along('path_test_loss', 'Test loss along paths', 'test loss', true),
    along('path_test_error', 'Test error along paths', 'test error (fraction)', false),
  ],
};
