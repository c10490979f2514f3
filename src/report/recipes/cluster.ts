/** Recipe for `cluster`: overlap matrices, the dendrogram, P(q) and ultrametricity ([L]). */
import { matrixHeatmap } from '../plots/heatmap.js';
import { dendrogramHeatmap } from '../plots/dendrogram.js';
import { binSamples, histogramPlot, sharedEdges, type BinnedSeries, type CurveSeries } from '../plots/histogram.js';
import type { ItemDef, Recipe } from './types.js';
import { fmt } from '../plots/common.js';

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

/** Off-diagonal entries a < b of a square matrix. */
function offDiagonal(m: { data: Float64Array; rows: number; cols: number }): Float64Array {
  const out: number[] = [];
  for (let a = 0; a < m.rows; a++) for (let b = a + 1; b < m.cols; b++) out.push(m.data[a * m.cols + b] as number);
  return Float64Array.from(out);
}

/** [lo, hi] around the finite samples / occupied bins, padded so a narrow peak fills the plot. */
function fittedDomain(ranges: [number, number][]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const [a, b] of ranges) {
    if (Number.isFinite(a) && a < lo) lo = a;
    if (Number.isFinite(b) && b > hi) hi = b;
  }
  if (!Number.isFinite(lo)) return [-1, 1];
  const pad = Math.max(0.1 * (hi - lo), 0.02);
  return [Math.max(-1, lo - pad), Math.min(1, hi + pad)];
}

function occupied(edges: Float64Array, counts: Float64Array): [number, number] {
  let lo = NaN;
  let hi = NaN;
  counts.forEach((c, b) => {
    if (c > 0) {
      if (Number.isNaN(lo)) lo = edges[b] as number;
      hi = edges[b + 1] as number;
    }
  });
  return [lo, hi];
}

const range = (v: Float64Array): [number, number] => {
  const f = Array.from(v).filter(Number.isFinite);
  return f.length ? [Math.min(...f), Math.max(...f)] : [NaN, NaN];
};

/** A P(q) the run wrote before alignment, under any of the names it may use. */
const UNALIGNED_HIST = ['pq_hist_unaligned', 'pq_unaligned_hist', 'pq_unaligned'];

const pq: ItemDef = {
  kind: 'plot',
  name: 'pq',
  title: 'Overlap distribution P(q)',
  requires: ['pq_edges', 'pq_hist'],
  build(ctx) {
    const edges = ctx.vec('pq_edges');
    const counts = ctx.vec('pq_hist', edges.length - 1);
    const curves: CurveSeries[] = [];
    const series: BinnedSeries[] = [];
    const ranges: [number, number][] = [];
    const unalignedName = UNALIGNED_HIST.find((n) => ctx.has(n));
    const square = (n: string): boolean => ctx.has(n) && ctx.array(n).shape.length === 2 && ctx.array(n).shape[0] === ctx.array(n).shape[1];
    let note = '';
    if (ctx.has('pq_axis_edges') && ctx.has('pq_axis_hist_aligned')) {
      // The run's own common axis for P(q) before and after alignment (docs/run-format/cluster.md).
      const e = ctx.vec('pq_axis_edges');
      const after = ctx.vec('pq_axis_hist_aligned', e.length - 1);
      series.push({ name: 'after alignment', edges: e, counts: after });
      ranges.push(occupied(e, after));
      if (ctx.has('pq_axis_hist_unaligned')) {
        const before = ctx.vec('pq_axis_hist_unaligned', e.length - 1);
        series.push({ name: 'before alignment', edges: e, counts: before });
        ranges.push(occupied(e, before));
      }
    } else if (unalignedName) {
      // The run's own histograms, before and after alignment, on the run's bins.
      const u = ctx.vec(unalignedName, counts.length);
      series.push({ name: 'after alignment', edges, counts }, { name: 'before alignment', edges, counts: u });
      ranges.push(occupied(edges, counts), occupied(edges, u));
    } else if (square('overlap') && square('overlap_unaligned') && ctx.array('overlap').shape[0]! >= 3) {
      // Pairs a < b of the two overlap matrices, binned on shared edges over the range they occupy.
      const after = offDiagonal(ctx.mat('overlap'));
      const before = offDiagonal(ctx.mat('overlap_unaligned'));
      const bins = Math.max(10, Math.min(40, Math.round(2 * Math.sqrt(after.length))));
      const e = sharedEdges([after, before], bins);
      series.push({ name: 'after alignment', edges: e, counts: binSamples(after, e) }, { name: 'before alignment', edges: e, counts: binSamples(before, e) });
      ranges.push(range(after), range(before));
      note = `Histograms of the ${after.length} replica pairs a < b of overlap (aligned) and overlap_unaligned.`;
      if (after.every((v, i) => v === before[i])) note += ' Here alignment changed no overlap: the two histograms coincide.';
    } else {
      series.push({ name: 'P(q)', edges, counts });
      ranges.push(occupied(edges, counts));
    }
    if (ctx.has('pq_kde_x') && ctx.has('pq_kde_y')) {
      const x = ctx.vec('pq_kde_x');
      curves.push({ name: series.length > 1 ? 'KDE (after alignment)' : 'KDE', x, y: ctx.vec('pq_kde_y', x.length) });
    }
    const domain = fittedDomain(ranges);
    return histogramPlot({
      name: 'pq',
      title: 'Overlap distribution P(q)',
      x: { title: 'overlap q', domain },
      yTitle: 'P(q)',
      series,
      curves,
      legendTitle: null,
      outlines: series.length > 1,
      caption: [
        `The q axis spans the occupied range [${fmt(domain[0])}, ${fmt(domain[1])}] (q ∈ [−1, 1]).`,
        series.length > 1 ? 'Before alignment, permutation (or spin-flip) symmetry hides how close replicas are; alignment removes it.' : '',
        note,
        'Areas normalised to 1.',
      ].filter(Boolean).join(' '),
    });
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
