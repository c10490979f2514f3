/**
 * Recipe for `surface`: the loss on a plane (Li et al. 2018; Garipov et al. 2018) as a contour map
 * with its colour bar, the minima and the connecting path marked, and as an isometric 3-D view.
 */
import { contourPlot, isometricPlot, prefersLog, type SurfaceOptions } from '../plots/surface.js';
import { fmt } from '../plots/common.js';
import type { ItemDef, Recipe, RecipeContext } from './types.js';

const LOSSES: { array: string; title: string; color: string }[] = [
  { array: 'surface_train_loss', title: 'training loss', color: 'training loss' },
  { array: 'surface_test_loss', title: 'test loss', color: 'test loss' },
  { array: 'surface_train_error', title: 'training error', color: 'training error' },
  { array: 'surface_test_error', title: 'test error', color: 'test error' },
];

function names(ctx: RecipeContext): string[] {
  const m = ctx.summary('marks');
  return Array.isArray(m) ? m.map((x, i) => (x && typeof x === 'object' && typeof (x as { name?: unknown }).name === 'string' ? (x as { name: string }).name : `point ${i}`)) : [];
}

function options(ctx: RecipeContext, array: string, title: string, color: string): SurfaceOptions {
  const alpha = ctx.vec('surface_alpha');
  const beta = ctx.vec('surface_beta');
  const values = ctx.mat(array, beta.length, alpha.length).data;
  if (!values.some((v) => Number.isFinite(v))) throw new Error(`${array} holds no finite value`);
  const distance = String(ctx.summary('coordinates') ?? '').startsWith('parameter-space');
  const pspin = ctx.summary('kind') === 'pspin';
  const marks: SurfaceOptions['marks'] = [];
  if (ctx.has('surface_marks_alpha') && ctx.has('surface_marks_beta')) {
    const a = ctx.vec('surface_marks_alpha');
    const b = ctx.vec('surface_marks_beta', a.length);
    const n = names(ctx);
    a.forEach((v, i) => marks.push({ name: n[i] ?? `point ${i}`, alpha: v, beta: b[i] as number }));
  }
  const path = ctx.has('surface_path_alpha') && ctx.has('surface_path_beta')
    ? { name: String(ctx.summary('path') ?? 'path'), alpha: ctx.vec('surface_path_alpha'), beta: ctx.vec('surface_path_beta') }
    : undefined;
  const log = !array.endsWith('error') && prefersLog(values);
  return {
    name: array,
    title: pspin ? 'Energy per spin on a plane through σ₀' : `${title[0]!.toUpperCase()}${title.slice(1)} on a plane`,
    subtitle: String(ctx.summary('plane') ?? ''),
    grid: { alpha, beta, values },
    alphaTitle: distance ? 'distance along û (θ_b − θ_a)' : 'α (direction δ)',
    betaTitle: distance ? 'distance along v̂' : 'β (direction η)',
    colorTitle: pspin ? 'energy per spin' : color,
    log,
    marks,
    ...(path ? { path } : {}),
  };
}

function caption(ctx: RecipeContext): string {
  const pspin = ctx.summary('kind') === 'pspin';
  const distance = String(ctx.summary('coordinates') ?? '').startsWith('parameter-space');
  const parts = [
    distance
      ? 'The plane through the marked points (Garipov et al. 2018): origin at the first point, û towards the second, v̂ the orthogonal part of the third; coordinates are distances in parameter space.'
      : pspin
        ? 'σ(α, β) = √N (σ₀ + αδ + βη)/|σ₀ + αδ + βη| with δ, η random tangent directions at σ₀ of norm √N (the plane projected onto the sphere).'
        : 'θ(α, β) = θ* + αδ + βη with δ, η Gaussian directions normalised filter by filter to θ* (Li et al. 2018, §4); biases are not moved.',
  ];
  const off = ctx.summary('path_max_off_plane');
  if (typeof off === 'number') parts.push(`Dashed: the ${String(ctx.summary('path'))} projected onto the plane (largest distance from the plane ${fmt(off)}; a Bézier curve lies in the plane of its three points).`);
  return parts.join(' ');
}

function contour(l: (typeof LOSSES)[number]): ItemDef {
  return {
    kind: 'plot',
    name: `${l.array}_contour`,
    title: `${l.title} on the plane (contours)`,
    requires: ['surface_alpha', 'surface_beta', l.array],
    build: (ctx) => contourPlot({ ...options(ctx, l.array, l.title, l.color), name: `${l.array}_contour`, caption: caption(ctx) }),
  };
}

function iso(l: (typeof LOSSES)[number]): ItemDef {
  return {
    kind: 'plot',
    name: `${l.array}_3d`,
    title: `${l.title} on the plane (3-D view)`,
    requires: ['surface_alpha', 'surface_beta', l.array],
    build(ctx) {
      const o = options(ctx, l.array, l.title, l.color);
      // Clip the view at 5 × the range between the minimum and the median: Li et al.'s plots also cap the loss.
      const v = Array.from(o.grid.values as Float64Array).filter(Number.isFinite).sort((a, b) => a - b);
      const median = v[Math.floor(v.length / 2)]!;
      const zMax = v[0]! + 5 * (median - v[0]!);
      return isometricPlot({ ...o, name: `${l.array}_3d`, title: `${o.title} (3-D)`, zMax: zMax > v[0]! ? zMax : v[v.length - 1]!, caption: 'Wireframe of the same grid seen from the (max α, max β) corner, coloured by height.' });
    },
  };
}

export const surfaceRecipe: Recipe = {
  protocol: 'surface',
  description: 'The loss on a two-dimensional plane of parameter space (Li et al. 2018; Garipov et al. 2018).',
  items: [contour(LOSSES[0]!), iso(LOSSES[0]!), contour(LOSSES[1]!), iso(LOSSES[1]!), contour(LOSSES[3]!)],
};
