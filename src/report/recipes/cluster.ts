/** Recipe for `cluster`: overlap matrices, the dendrogram, P(q) and ultrametricity ([L]). */
import { matrixHeatmap } from '../plots/heatmap.js';
import { dendrogramHeatmap } from '../plots/dendrogram.js';
import { binSamples, histogramPlot, sharedEdges, type BinnedSeries, type CurveSeries } from '../plots/histogram.js';
import type { ItemDef, Recipe } from './types.js';

const overlap: ItemDef = {
  kind: 'plot',
  name: 'overlap',
  title: 'Replica overlaps q_ab',
  requires: ['overlap'],
  build(ctx) {
    const m = ctx.mat('overlap');
    if (m.rows !== m.cols) throw new Error(`overlap has shape [${m.rows}, ${m.cols}], expected square`);
    return matrixHeatmap({ name: 'overlap', title: 'Replica overlaps q_ab', subtitle: 'replicas in run order', values: m.data, n: m.rows, axisTitle: 'replica', colorTitle: 'q_ab' });
  },
};

const dendrogram: ItemDef = {
  kind: 'plot',
  name: 'dendrogram',
  title: 'Hierarchical clustering',
  requires: ['linkage', 'overlap_reordered'],
  build(ctx) {
    const m = ctx.mat('overlap_reordered');
    if (m.rows !== m.cols) throw new Error(`overlap_reordered has shape [${m.rows}, ${m.cols}], expected square`);
    const K = m.rows;
    const Z = ctx.mat('linkage', K - 1, 4);
    const leafOrder = ctx.has('leaf_order') ? ctx.vec('leaf_order', K) : undefined;
    return dendrogramHeatmap({
      name: 'dendrogram',
      title: 'Hierarchical clustering of replicas (distance 1 − q)',
      linkage: Z.data,
      K,
      reordered: m.data,
      ...(leafOrder ? { leafOrder } : {}),
      distanceTitle: '1 − q',
      axisTitle: 'replica',
      colorTitle: 'q_ab',
      caption: 'Leaves sit over their columns of the re-ordered overlap matrix; blocks on the diagonal are clusters.',
    });
  },
};

const pq: ItemDef = {
  kind: 'plot',
  name: 'pq',
  title: 'Overlap distribution P(q)',
  requires: ['pq_edges', 'pq_hist'],
  build(ctx) {
    const edges = ctx.vec('pq_edges');
    const counts = ctx.vec('pq_hist', edges.length - 1);
    const curves: CurveSeries[] = [];
    if (ctx.has('pq_kde_x') && ctx.has('pq_kde_y')) {
      const x = ctx.vec('pq_kde_x');
      curves.push({ name: 'KDE', x, y: ctx.vec('pq_kde_y', x.length) });
    }
    const series: BinnedSeries[] = [{ name: 'histogram', edges, counts }];
    return histogramPlot({ name: 'pq', title: 'Overlap distribution P(q)', x: { title: 'overlap q' }, yTitle: 'P(q)', series, curves });
  },
};

const ultrametric: ItemDef = {
  kind: 'plot',
  name: 'ultrametric',
  title: 'Ultrametricity of replica triangles',
  requires: ['ultrametric'],
  build(ctx) {
    const u = ctx.vec('ultrametric');
    const nul = ctx.has('ultrametric_null') ? ctx.vec('ultrametric_null') : null;
    const edges = sharedEdges(nul ? [u, nul] : [u], 30);
    const series: BinnedSeries[] = [{ name: 'replicas', edges, counts: binSamples(u, edges) }];
    if (nul) series.push({ name: 'null model', edges, counts: binSamples(nul, edges) });
    return histogramPlot({
      name: 'ultrametric',
      title: 'Ultrametricity of replica triangles',
      x: { title: 'ultrametricity statistic (0 = two largest sides equal)' },
      series,
      legendTitle: null,
      caption: 'Histograms normalised to unit area; a replica distribution piled up at 0 relative to the null model indicates ultrametric structure.',
    });
  },
};

export const clusterRecipe: Recipe = {
  protocol: 'cluster',
  description: 'Overlaps between replicas, their hierarchical clustering and ultrametricity.',
  items: [overlap, dendrogram, pq, ultrametric],
};
