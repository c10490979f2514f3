/** Recipe for `hessian`: top eigenvalues, spectral density (log y, as PyHessian), trace samples. */
import { linePlot } from '../plots/line.js';
import { histogramPlot, binSamples, sharedEdges } from '../plots/histogram.js';
import { fmt } from '../plots/common.js';
import type { ItemDef, Recipe } from './types.js';
import { meanSe } from './stats.js';

const eigen: ItemDef = {
  kind: 'plot',
  name: 'eigenvalues',
  title: 'Top Hessian eigenvalues',
  requires: ['eigenvalues'],
  build(ctx) {
    const ev = ctx.vec('eigenvalues');
    const rank = Float64Array.from(ev, (_, i) => i + 1);
    return linePlot({
      name: 'eigenvalues',
      title: 'Top Hessian eigenvalues',
      x: { title: 'index i (as stored)' },
      y: { title: 'eigenvalue λ_i' },
      series: [{ name: 'eigenvalues', x: rank, y: ev }],
      points: true,
      caption: `λ range [${fmt(Math.min(...ev))}, ${fmt(Math.max(...ev))}].`,
    });
  },
};

const density: ItemDef = {
  kind: 'plot',
  name: 'density',
  title: 'Hessian spectral density',
  requires: ['density_x', 'density_y'],
  build(ctx) {
    const x = ctx.vec('density_x');
    const y = ctx.vec('density_y', x.length);
    // The Gaussian broadening's tails reach 1e-18 and below; a log axis down there is all tail.
    // Floor at 1e-6 of the peak (six decades, PyHessian's plots show about as many) and say so.
    let peak = 0;
    for (const v of y) if (Number.isFinite(v) && v > peak) peak = v;
    if (!(peak > 0)) throw new Error('density_y has no positive value');
    const floor = peak * DENSITY_DECADES_FLOOR;
    return linePlot({
      name: 'density',
      title: 'Hessian spectral density',
      subtitle: 'stochastic Lanczos quadrature; log scale as in PyHessian',
      x: { title: 'eigenvalue λ' },
      y: { title: 'density ρ(λ)', scale: 'log', domain: [floor, peak * 2] },
      series: [{ name: 'density', x, y: y.map((v) => (v < floor ? floor : v)) }],
      caption: `The density axis starts at 10⁻⁶ of the peak (${fmt(floor)}; lower values are drawn on it): below it lies only the tail of the Gaussian broadening (σ = ${fmt(Number(ctx.summary('density_sigma') ?? NaN))}).`,
    });
  },
};

/** Lowest density shown, relative to the peak. */
const DENSITY_DECADES_FLOOR = 1e-6;

const trace: ItemDef = {
  kind: 'plot',
  name: 'trace',
  title: 'Hutchinson trace samples',
  requires: ['trace_samples'],
  build(ctx) {
    const s = ctx.vec('trace_samples');
    const { mean, se, n } = meanSe(s);
    const edges = sharedEdges([s], Math.max(5, Math.min(30, Math.round(Math.sqrt(n)))));
    return histogramPlot({
      name: 'trace',
      title: 'Hutchinson trace samples',
      subtitle: `tr H ≈ ${fmt(mean)} ± ${fmt(se)} (n = ${n})`,
      x: { title: 'vᵀHv for random v' },
      yTitle: 'count',
      normalize: false,
      series: [{ name: 'samples', edges, counts: binSamples(s, edges) }],
      rules: [{ label: 'mean', x: mean }],
      legendTitle: null,
    });
  },
};

export const hessianRecipe: Recipe = {
  protocol: 'hessian',
  description: 'Curvature at a minimum: Lanczos eigenvalues, spectral density, Hutchinson trace.',
  items: [eigen, density, trace],
};
