/**
 * Heatmaps with a colour bar (viridis): square matrices such as replica overlaps q_ab, and grids of
 * a value over a quantitative x (e.g. accuracy per class along an L2 sweep).
 */
import type { AxisOptions, Json, Plot, Row, VlSpec } from '../spec.js';
import { num } from '../spec.js';
import { HEIGHT, SEQUENTIAL_SCHEME, WIDTH, themed } from '../theme.js';
import { quantChannel } from './common.js';

export interface MatrixOptions {
  name: string;
  title: string;
  subtitle?: string;
  /** Row-major n × n values. */
  values: ArrayLike<number>;
  n: number;
  /** Label of each row/column in display order (default "0".."n−1"). */
  labels?: string[];
  axisTitle: string;
  colorTitle: string;
  domain?: [number, number];
  caption?: string;
}

/** Side of the square in pixels: 240–480 px, so small matrices stay readable and large ones fit. */
export function matrixSide(n: number): number {
  return Math.min(480, Math.max(240, n * 12));
}

/** The unit spec of a matrix heatmap (no theme): shared with the dendrogram composite. */
export function matrixUnit(opts: MatrixOptions): { [k: string]: Json } {
  const { n } = opts;
  if (opts.values.length !== n * n) throw new Error(`matrix "${opts.name}": ${opts.values.length} values, expected ${n}×${n}`);
  const labels = opts.labels ?? Array.from({ length: n }, (_, i) => String(i));
  if (labels.length !== n) throw new Error(`matrix "${opts.name}": ${labels.length} labels for ${n} rows`);
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) rows.push({ row: labels[i] as string, col: labels[j] as string, v: num(opts.values[i * n + j] as number) });
  }
  const side = matrixSide(n);
  // Label every axis tick only while they stay legible.
  const axis: { [k: string]: Json } = n <= 40 ? { labelFontSize: n > 20 ? 8 : 11 } : { labels: false, ticks: false };
  const color: { [k: string]: Json } = {
    field: 'v',
    type: 'quantitative',
    title: opts.colorTitle,
    scale: opts.domain ? { scheme: SEQUENTIAL_SCHEME, domain: [opts.domain[0], opts.domain[1]] } : { scheme: SEQUENTIAL_SCHEME },
    legend: { gradientLength: Math.max(120, side - 20), gradientThickness: 14 },
  };
  return {
    width: side,
    height: side,
    data: { values: rows },
    mark: { type: 'rect' },
    encoding: {
      x: { field: 'col', type: 'ordinal', sort: labels, title: opts.axisTitle, axis: { ...axis, labelAngle: 0 }, scale: { paddingInner: 0, paddingOuter: 0 } },
      y: { field: 'row', type: 'ordinal', sort: labels, title: opts.axisTitle, axis, scale: { paddingInner: 0, paddingOuter: 0 } },
      color,
      tooltip: [
        { field: 'row', type: 'ordinal', title: 'a' },
        { field: 'col', type: 'ordinal', title: 'b' },
        { field: 'v', type: 'quantitative', title: opts.colorTitle, format: '.4~g' },
      ],
    },
  };
}

/** A square matrix heatmap (e.g. q_ab) with a viridis colour bar. */
export function matrixHeatmap(opts: MatrixOptions): Plot {
  const spec: VlSpec = themed({
    title: opts.subtitle ? { text: opts.title, subtitle: opts.subtitle } : opts.title,
    ...matrixUnit(opts),
  });
  return { name: opts.name, title: opts.title, spec, ...(opts.caption ? { caption: opts.caption } : {}) };
}

export interface GridOptions {
  name: string;
  title: string;
  /** Row-major ny × nx values: row r is category r, column c is at x[c]. */
  values: ArrayLike<number>;
  x: ArrayLike<number>;
  xAxis: AxisOptions;
  categories: string[];
  categoryTitle: string;
  colorTitle: string;
  domain?: [number, number];
  caption?: string;
}

/** Cell edges around sorted x positions: midpoints between neighbours, half a step beyond the ends. */
export function cellEdges(x: ArrayLike<number>): { x0: number[]; x1: number[] } {
  const n = x.length;
  const x0: number[] = [];
  const x1: number[] = [];
  for (let c = 0; c < n; c++) {
    const v = x[c] as number;
    const prev = c > 0 ? (x[c - 1] as number) : n > 1 ? v - ((x[1] as number) - v) : v - 0.5;
    const next = c < n - 1 ? (x[c + 1] as number) : n > 1 ? v + (v - (x[n - 2] as number)) : v + 0.5;
    x0.push((prev + v) / 2);
    x1.push((v + next) / 2);
  }
  return { x0, x1 };
}

/** A category × quantitative-x heatmap (cells span midway to their neighbours). */
export function gridHeatmap(opts: GridOptions): Plot {
  const nx = opts.x.length;
  const ny = opts.categories.length;
  if (opts.values.length !== nx * ny) throw new Error(`grid "${opts.name}": ${opts.values.length} values, expected ${ny}×${nx}`);
  const { x0, x1 } = cellEdges(opts.x);
  const rows: Row[] = [];
  for (let r = 0; r < ny; r++) {
    for (let c = 0; c < nx; c++) {
      rows.push({ cat: opts.categories[r] as string, x: num(opts.x[c] as number), x0: x0[c] as number, x1: x1[c] as number, v: num(opts.values[r * nx + c] as number) });
    }
  }
  const spec: VlSpec = themed({
    title: opts.title,
    width: WIDTH,
    height: Math.min(HEIGHT, Math.max(80, ny * 22)),
    data: { values: rows },
    mark: { type: 'rect' },
    encoding: {
      // The domain is exactly the cells' extent (no "nice" padding beside the first and last cell).
      x: quantChannel('x0', { ...opts.xAxis, domain: opts.xAxis.domain ?? [Math.min(...x0), Math.max(...x1)] }),
      x2: { field: 'x1' },
      y: { field: 'cat', type: 'ordinal', sort: opts.categories, title: opts.categoryTitle },
      color: {
        field: 'v',
        type: 'quantitative',
        title: opts.colorTitle,
        scale: opts.domain ? { scheme: SEQUENTIAL_SCHEME, domain: [opts.domain[0], opts.domain[1]] } : { scheme: SEQUENTIAL_SCHEME },
      },
      tooltip: [
        { field: 'cat', type: 'ordinal', title: opts.categoryTitle },
        { field: 'x', type: 'quantitative', title: opts.xAxis.title, format: '.4~g' },
        { field: 'v', type: 'quantitative', title: opts.colorTitle, format: '.4~g' },
      ],
    },
  });
  return { name: opts.name, title: opts.title, spec, ...(opts.caption ? { caption: opts.caption } : {}) };
}
