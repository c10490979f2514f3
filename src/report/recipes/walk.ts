/**
 * Recipe for `walk` (Liao et al. protocol 1): the training loss of W walkers against the distance
 * from the minimum and against the step, the distribution of loss increments and their
 * autocorrelation along the walk (ruggedness).
 */
import { linePlot, type Series } from '../plots/line.js';
import { histogramPlot } from '../plots/histogram.js';
import type { ItemDef, Recipe, RecipeContext } from './types.js';
import { columnMeanSe } from './stats.js';
import { row } from './types.js';

/** Network walks record the training loss, spin-glass walks the energy per spin. */
function lossArray(ctx: RecipeContext): string {
  return ctx.has('walk_energy') ? 'walk_energy' : 'walk_train_loss';
}

function lossTitle(ctx: RecipeContext): string {
  return ctx.has('walk_energy') ? 'energy per spin e' : 'training loss';
}

const lossVsDistance: ItemDef = {
  kind: 'plot',
  name: 'loss_vs_distance',
  title: 'Loss (or energy per spin) against distance from the start',
  requires: ['walk_distance'],
  build(ctx) {
    const d = ctx.rowsOf('walk_distance');
    const l = ctx.rowsOf(lossArray(ctx), d.cols);
    const series: Series[] = [];
    for (let w = 0; w < l.rows; w++) series.push({ name: `walker ${w}`, x: row(d, w), y: row(l, w), role: 'thin' });
    return linePlot({
      name: 'loss_vs_distance', title: 'Training loss along the walks',
      subtitle: `${l.rows} walker${l.rows === 1 ? '' : 's'}`,
      x: { title: 'distance |x_t − x_0|' }, y: { title: lossTitle(ctx) }, series,
    });
  },
};

const lossVsStep: ItemDef = {
  kind: 'plot',
  name: 'loss_vs_step',
  title: 'Loss (or energy per spin) against step (mean ± SE over walkers)',
  requires: ['walk_steps'],
  build(ctx) {
    const s = ctx.vec('walk_steps');
    const l = ctx.rowsOf(lossArray(ctx), s.length);
    const { mean, se } = columnMeanSe(l);
    return linePlot({
      name: 'loss_vs_step', title: 'Training loss against step',
      x: { title: 'step' }, y: { title: lossTitle(ctx) },
      series: [{ name: `mean of ${l.rows}`, x: s, y: mean, ...(l.rows > 1 ? { se } : {}) }],
    });
  },
};

const increments: ItemDef = {
  kind: 'plot',
  name: 'increments',
  title: 'Distribution of loss increments ΔL',
  requires: ['walk_increments_edges', 'walk_increments_hist'],
  build(ctx) {
    const edges = ctx.vec('walk_increments_edges');
    return histogramPlot({
      name: 'increments', title: 'Loss increments along the walks', x: { title: 'ΔL per step' },
      series: [{ name: 'ΔL', edges, counts: ctx.vec('walk_increments_hist', edges.length - 1) }],
    });
  },
};

const autocorr: ItemDef = {
  kind: 'plot',
  name: 'increment_autocorr',
  title: 'Autocorrelation of loss increments',
  requires: ['walk_lags', 'walk_increment_autocorr'],
  build(ctx) {
    const lags = ctx.vec('walk_lags');
    return linePlot({
      name: 'increment_autocorr', title: 'Autocorrelation of ΔL along the walk',
      x: { title: 'lag (steps)' }, y: { title: 'autocorrelation' },
      series: [{ name: 'C(lag)', x: lags, y: ctx.vec('walk_increment_autocorr', lags.length) }],
      points: true,
    });
  },
};

export const walkRecipe: Recipe = {
  protocol: 'walk',
  description: 'Random walks from a trained minimum: loss against distance, ruggedness of the profile.',
  items: [lossVsDistance, lossVsStep, increments, autocorr],
};
