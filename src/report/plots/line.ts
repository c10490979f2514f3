/**
 * Line plots: several series, each optionally with a mean ± SE band (or error bars), thin
 * per-replica traces under a bold mean, linear/log/semi-log axes, and zoom/pan in the browser
 * (an interval selection bound to the scales: drag to pan, wheel to zoom, double-click to reset).
 */
import type { AxisOptions, Json, Plot, Row, VlSpec } from '../spec.js';
import { num } from '../spec.js';
import { HEIGHT, OKABE_ITO, SUMMARY_COLOR, WIDTH, themed } from '../theme.js';
import { colorChannel, filterPlaceable, placeable, quantChannel, type ColorMode } from './common.js';

export interface Series {
  /** Legend label (unique within a plot). */
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Standard error: drawn as y ± se. */
  se?: ArrayLike<number>;
  /** Colour group (default: the name). Series of one group share a colour, e.g. one run's t_w curves. */
  group?: string;
  /**
   * 'thin' = an individual replica: light, no legend, under the summaries;
   * 'reference' = a theory line (dashed black, named in the caption, not in the legend).
   */
  role?: 'main' | 'thin' | 'reference';
}

export interface LineOptions {
  name: string;
  title: string;
  subtitle?: string;
  x: AxisOptions;
  y: AxisOptions;
  series: Series[];
  /** 'band' (default) for dense curves, 'bars' for a few points (e.g. vs temperature). */
  errorStyle?: 'band' | 'bars';
  /** Draw a dot at every point (default: true with error bars, false otherwise). */
  points?: boolean;
  /** false: points only, not joined (a scatter of several series with a legend). */
  lines?: boolean;
  /** category (Okabe–Ito) or sequential (viridis, for ordered families like tw or T). */
  color?: ColorMode;
  /** Legend title (e.g. "t_w (steps)"). */
  legendTitle?: string | null;
  /** Join points in data order (sweeps up then down) rather than sorted by x. */
  keepOrder?: boolean;
  /** Vertical marks at given x (e.g. transitions β_c), each a grey dotted rule with its label on top. */
  marks?: { x: number; label: string }[];
  /** Colour domain (series names) shared across panels; default: this plot's main series. */
  colorDomain?: string[];
  caption?: string;
  width?: number;
  height?: number;
}

/** Vertical marks (transitions): dark grey, apart from the Okabe–Ito series colours. */
const MARK_COLOR = '#555555';

/** Legend entries drawn as opaque strokes, whatever the band and hover layers merged into it. */
export const LINE_LEGEND: { [k: string]: Json } = {
  symbolType: 'stroke',
  symbolStrokeWidth: 2.5,
  symbolOpacity: 1,
  encode: { symbols: { update: { opacity: { value: 1 } } } },
};

/** Above this many points a series gets no invisible hover targets (keeps the page light). */
const MAX_HOVER_POINTS = 4000;

/** Rows for the series: x, y, lo, hi, series, role, i (data order). */
export function seriesRows(series: Series[], x: AxisOptions, y: AxisOptions): { rows: Row[]; dropped: number } {
  const rows: Row[] = [];
  for (const s of series) {
    if (s.x.length !== s.y.length) throw new Error(`series "${s.name}": x has ${s.x.length} values, y has ${s.y.length}`);
    if (s.se && s.se.length !== s.y.length) throw new Error(`series "${s.name}": se has ${s.se.length} values, y has ${s.y.length}`);
    for (let i = 0; i < s.y.length; i++) {
      const yv = num(s.y[i] as number);
      const se = s.se ? num(s.se[i] as number) : null;
      rows.push({
        series: s.name,
        group: s.group ?? s.name,
        role: s.role ?? 'main',
        i,
        x: num(s.x[i] as number),
        y: yv,
        lo: yv !== null && se !== null ? yv - se : null,
        hi: yv !== null && se !== null ? yv + se : null,
      });
    }
  }
  const out = filterPlaceable(rows, x, y);
  if (y.scale === 'log') clampLogBand(out.rows);
  return out;
}

/** On a log axis a band y − se ≤ 0 cannot be drawn: clip it at the smallest positive value shown. */
function clampLogBand(rows: Row[]): void {
  let floor = Infinity;
  for (const r of rows) {
    for (const k of ['y', 'lo'] as const) {
      const v = r[k];
      if (typeof v === 'number' && v > 0 && v < floor) floor = v;
    }
  }
  for (const r of rows) if (typeof r['lo'] === 'number' && r['lo'] <= 0) r['lo'] = floor;
}

/** The layers of a line plot (no data, no top-level keys): reused by phase diagrams' panels. */
export function lineLayers(opts: LineOptions, rows: Row[]): { [k: string]: Json }[] {
  const names = opts.colorDomain ?? mainNames(opts.series);
  const colorMode = opts.color ?? 'category';
  // A lone main series over thin replicas is "the mean": black reads as the summary.
  const loneMean = names.length === 1 && opts.series.some((s) => s.role === 'thin');
  // One series needs no legend: the axis title names it.
  const lone = names.length === 1 && !loneMean;
  const shared: { [k: string]: Json } | null = loneMean || lone
    ? null
    : { ...colorChannel(names, colorMode, opts.legendTitle === undefined ? null : opts.legendTitle), field: 'group' };
  // Vega-Lite merges the legends of all layers on one colour scale, and `legend: null` on any layer
  // removes the merged legend altogether; so every layer carries the same legend (opaque strokes).
  const legend: { [k: string]: Json } = opts.lines === false ? { ...LINE_LEGEND, symbolType: 'circle' } : LINE_LEGEND;
  const color: { [k: string]: Json } = shared ? { ...shared, legend } : { value: lone ? (OKABE_ITO[0] as string) : SUMMARY_COLOR };
  const x = quantChannel('x', opts.x);
  const y = quantChannel('y', opts.y);
  const order: { [k: string]: Json } = opts.keepOrder ? { order: { field: 'i', type: 'quantitative' } } : {};
  const isMain = { filter: "datum.role === 'main'" };
  // Every layer states the same legend, so whichever Vega-Lite's merge keeps, it draws opaque strokes.
  const quiet: { [k: string]: Json } = color;
  const layers: { [k: string]: Json }[] = [];
  const hasThin = opts.series.some((s) => s.role === 'thin');
  if (hasThin) {
    layers.push({
      transform: [{ filter: "datum.role === 'thin'" }],
      mark: { type: 'line', strokeWidth: 0.9, opacity: 0.55, color: '#8c8c8c', clip: true },
      encoding: { x, y, detail: { field: 'series', type: 'nominal' }, ...order },
    });
  }
  const hasSe = opts.series.some((s) => s.se !== undefined);
  if (hasSe) {
    const withSe = [isMain, { filter: 'isValid(datum.lo) && isValid(datum.hi)' }];
    if ((opts.errorStyle ?? 'band') === 'band') {
      layers.push({
        transform: withSe,
        mark: { type: 'area', opacity: 0.25, clip: true },
        encoding: { x, y: { ...quantChannel('lo', opts.y) }, y2: { field: 'hi' }, color: quiet, detail: { field: 'series', type: 'nominal' }, ...order },
      });
    } else {
      layers.push({
        transform: withSe,
        mark: { type: 'rule', strokeWidth: 1.5, clip: true },
        encoding: { x, y: { ...quantChannel('lo', opts.y) }, y2: { field: 'hi' }, color: quiet },
      });
    }
  }
  if (opts.series.some((s) => s.role === 'reference')) {
    layers.push({
      transform: [{ filter: "datum.role === 'reference'" }],
      mark: { type: 'line', strokeWidth: 1.5, strokeDash: [6, 4], color: SUMMARY_COLOR, clip: true },
      encoding: { x, y, detail: { field: 'series', type: 'nominal' }, ...order },
    });
  }
  const marks = (opts.marks ?? []).filter((m) => placeable(m.x, opts.x.scale));
  if (marks.length > 0) {
    const mx = quantChannel('mx', opts.x);
    layers.push({
      data: { values: marks.map((m) => ({ mx: m.x, label: m.label })) },
      mark: { type: 'rule', strokeDash: [2, 3], strokeWidth: 1.2, color: MARK_COLOR },
      encoding: { x: mx, tooltip: [{ field: 'label', type: 'nominal', title: 'mark' }] },
    });
    layers.push({
      data: { values: marks.map((m) => ({ mx: m.x, label: m.label })) },
      mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, dy: 2, angle: 0, fontSize: 11, color: MARK_COLOR },
      encoding: { x: mx, y: { value: 0 }, text: { field: 'label', type: 'nominal' } },
    });
  }
  const manyPoints = rows.length > MAX_HOVER_POINTS;
  layers.push({
    transform: [isMain],
    mark: opts.lines === false ? { type: 'point', filled: true, size: 50, clip: true } : { type: 'line', strokeWidth: hasThin ? 2.6 : 2, clip: true },
    encoding: { x, y, color, detail: { field: 'series', type: 'nominal' }, ...order },
    // Zoom/pan: bind an interval selection to the scales (Vega-Lite "bind: scales").
    params: [{ name: `zoom_${safeParam(opts.name)}`, select: { type: 'interval', encodings: ['x', 'y'] }, bind: 'scales' }],
  });
  const points = opts.points ?? opts.errorStyle === 'bars';
  if (points || !manyPoints) {
    const tooltip: Json[] = [
      { field: 'series', type: 'nominal', title: opts.legendTitle ?? 'series' },
      { field: 'x', type: 'quantitative', title: opts.x.title, format: '.4~g' },
      { field: 'y', type: 'quantitative', title: opts.y.title, format: '.4~g' },
    ];
    if (hasSe) tooltip.push({ field: 'hi', type: 'quantitative', title: 'y + SE', format: '.4~g' });
    layers.push({
      transform: [isMain],
      // Invisible unless asked for: the dots are the hover targets for tooltips.
      mark: { type: 'point', filled: true, size: points ? 36 : 60, opacity: points ? 1 : 0, clip: true },
      encoding: { x, y, color: quiet, tooltip },
    });
  }
  return layers;
}

/** Names of the series that get a colour (main series), in order. */
export function mainNames(series: Series[]): string[] {
  return [...new Set(series.filter((s) => (s.role ?? 'main') === 'main').map((s) => s.group ?? s.name))];
}

/** A complete line plot. */
export function linePlot(opts: LineOptions): Plot {
  const { rows, dropped } = seriesRows(opts.series, opts.x, opts.y);
  const spec: VlSpec = themed({
    title: opts.subtitle ? { text: opts.title, subtitle: opts.subtitle } : opts.title,
    width: opts.width ?? WIDTH,
    height: opts.height ?? HEIGHT,
    data: { values: rows },
    layer: lineLayers(opts, rows),
  });
  const caption = withDropNote(opts.caption, dropped, opts);
  return { name: opts.name, title: opts.title, spec, ...(caption ? { caption } : {}) };
}

/** Say how many points a log axis could not show, so a missing point is never a silent surprise. */
export function withDropNote(caption: string | undefined, dropped: number, opts: { x: AxisOptions; y: AxisOptions }): string | undefined {
  if (dropped === 0) return caption;
  const logs = [opts.x.scale === 'log' ? 'x' : null, opts.y.scale === 'log' ? 'y' : null].filter(Boolean).join(' and ');
  const note = `${dropped} point(s) with non-positive ${logs || 'values'} are not shown on the log axis.`;
  return caption ? `${caption} ${note}` : note;
}

/** Selection names must be identifiers. */
export function safeParam(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}
