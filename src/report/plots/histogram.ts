/**
 * Histograms and densities (P(q), ultrametricity statistics, trace samples): pre-binned series
 * (edges + counts, as runs store P(q)), samples binned on shared edges so overlaid series compare
 * bin for bin, and smooth density curves (a KDE the run computed) drawn over the bars.
 */
import type { AxisOptions, Json, Plot, Row, VlSpec } from '../spec.js';
import { num } from '../spec.js';
import { HEIGHT, WIDTH, themed } from '../theme.js';
import { colorChannel, quantChannel, type ColorMode } from './common.js';

export interface BinnedSeries {
  name: string;
  /** B + 1 increasing bin edges. */
  edges: ArrayLike<number>;
  /** B counts (or densities). */
  counts: ArrayLike<number>;
}

export interface CurveSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export interface HistogramOptions {
  name: string;
  title: string;
  subtitle?: string;
  x: AxisOptions;
  /** y axis title; default "density". */
  yTitle?: string;
  yScale?: 'linear' | 'log';
  series: BinnedSeries[];
  /** Divide each series by (total × bin width) so areas are 1 and series with different counts compare. */
  normalize?: boolean;
  /** Overlaid curves (e.g. a KDE). */
  curves?: CurveSeries[];
  /** Vertical reference lines (e.g. a mean). */
  rules?: { label: string; x: number }[];
  color?: ColorMode;
  legendTitle?: string | null;
  /** Step outlines even for one or two series (where bars of two series would coincide and mix colours). */
  outlines?: boolean;
  caption?: string;
}

/** Equal-width edges spanning every finite value of all arrays (so overlaid series share bins). */
export function sharedEdges(arrays: ArrayLike<number>[], bins: number): Float64Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i] as number;
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  if (!Number.isFinite(lo)) {
    lo = 0;
    hi = 1;
  }
  if (hi === lo) {
    // One distinct value: a unit-wide bin around it rather than a zero-width one.
    lo -= 0.5;
    hi += 0.5;
  }
  const edges = new Float64Array(bins + 1);
  for (let b = 0; b <= bins; b++) edges[b] = lo + ((hi - lo) * b) / bins;
  return edges;
}

/** Count finite samples into bins [e_b, e_{b+1}) (the last bin closed). */
export function binSamples(values: ArrayLike<number>, edges: ArrayLike<number>): Float64Array {
  const B = edges.length - 1;
  const counts = new Float64Array(B);
  const lo = edges[0] as number;
  const hi = edges[B] as number;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v) || v < lo || v > hi) continue;
    // Binary search: edges need not be equal-width.
    let a = 0;
    let b = B;
    while (b - a > 1) {
      const m = (a + b) >> 1;
      if (v >= (edges[m] as number)) a = m;
      else b = m;
    }
    counts[a] = (counts[a] as number) + 1;
  }
  return counts;
}

/** Rows {series, x0, x1, y} for the bins; normalised to unit area when asked. */
export function binRows(series: BinnedSeries[], normalize: boolean): Row[] {
  const rows: Row[] = [];
  for (const s of series) {
    const B = s.counts.length;
    if (s.edges.length !== B + 1) throw new Error(`histogram "${s.name}": ${s.edges.length} edges for ${B} bins (need ${B + 1})`);
    let area = 0;
    for (let b = 0; b < B; b++) {
      const c = s.counts[b] as number;
      if (Number.isFinite(c)) area += c * ((s.edges[b + 1] as number) - (s.edges[b] as number));
    }
    const scale = normalize && area > 0 ? 1 / area : 1;
    for (let b = 0; b < B; b++) {
      rows.push({ series: s.name, x0: num(s.edges[b] as number), x1: num(s.edges[b + 1] as number), y: num((s.counts[b] as number) * scale) });
    }
  }
  return rows;
}

export function histogramPlot(opts: HistogramOptions): Plot {
  const normalize = opts.normalize ?? true;
  const rows = binRows(opts.series, normalize);
  const names = [...new Set([...opts.series.map((s) => s.name), ...(opts.curves ?? []).map((c) => c.name)])];
  const color = colorChannel(names, opts.color ?? 'category', opts.legendTitle === undefined ? null : opts.legendTitle);
  const yTitle = opts.yTitle ?? (normalize ? 'density' : 'count');
  const yAxis: AxisOptions = { title: yTitle, scale: opts.yScale ?? 'linear' };
  const x = quantChannel('x0', opts.x);
  const layers: { [k: string]: Json }[] = [];
  const tooltip: Json[] = [
    { field: 'series', type: 'nominal', title: opts.legendTitle ?? 'series' },
    { field: 'x0', type: 'quantitative', title: 'from', format: '.4~g' },
    { field: 'x1', type: 'quantitative', title: 'to', format: '.4~g' },
    { field: 'y', type: 'quantitative', title: yTitle, format: '.4~g' },
  ];
  if (opts.series.length <= 2 && !opts.outlines) {
    // One or two series: translucent bars overlay legibly.
    layers.push({
      data: { values: rows },
      transform: yAxis.scale === 'log' ? [{ filter: 'datum.y > 0' }] : [],
      mark: { type: 'rect', opacity: opts.series.length === 1 ? 0.75 : 0.5, clip: true },
      encoding: { x, x2: { field: 'x1' }, y: { ...quantChannel('y', yAxis), stack: null }, ...(yAxis.scale === 'log' ? {} : { y2: { datum: 0 } }), color, tooltip },
    });
  } else {
    // Many series (one per temperature): step outlines, so none hides another.
    const steps: Row[] = [];
    for (const r of rows) {
      steps.push({ series: r['series'] as string, x: r['x0'] as number | null, y: r['y'] as number | null });
    }
    // close each outline at its last right edge
    for (const s of opts.series) {
      const last = rows.filter((r) => r['series'] === s.name).pop();
      if (last) steps.push({ series: s.name, x: last['x1'] as number | null, y: last['y'] as number | null });
    }
    layers.push({
      data: { values: steps },
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.8, clip: true },
      encoding: { x: quantChannel('x', opts.x), y: quantChannel('y', yAxis), color },
    });
    layers.push({
      data: { values: rows },
      mark: { type: 'rect', opacity: 0, clip: true },
      encoding: { x, x2: { field: 'x1' }, y: { ...quantChannel('y', yAxis), stack: null }, y2: { datum: 0 }, color, tooltip },
    });
  }
  for (const c of opts.curves ?? []) {
    if (c.x.length !== c.y.length) throw new Error(`curve "${c.name}": x has ${c.x.length} values, y has ${c.y.length}`);
    const crow: Row[] = [];
    for (let i = 0; i < c.x.length; i++) crow.push({ series: c.name, x: num(c.x[i] as number), y: num(c.y[i] as number) });
    layers.push({
      data: { values: crow },
      mark: { type: 'line', strokeWidth: 2.2, clip: true },
      encoding: { x: quantChannel('x', opts.x), y: quantChannel('y', yAxis), color },
    });
  }
  for (const r of opts.rules ?? []) {
    layers.push({
      data: { values: [{ x: num(r.x), label: r.label }] },
      mark: { type: 'rule', strokeDash: [5, 3], strokeWidth: 1.5, color: '#000000' },
      encoding: { x: { field: 'x', type: 'quantitative' }, tooltip: [{ field: 'label', type: 'nominal' }, { field: 'x', type: 'quantitative', format: '.4~g' }] },
    });
  }
  const spec: VlSpec = themed({
    title: opts.subtitle ? { text: opts.title, subtitle: opts.subtitle } : opts.title,
    width: WIDTH,
    height: HEIGHT,
    layer: layers,
  });
  return { name: opts.name, title: opts.title, spec, ...(opts.caption ? { caption: opts.caption } : {}) };
}
