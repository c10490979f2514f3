/**
 * Phase diagrams: several observables against one control parameter (temperature, L2 strength λ),
 * stacked in panels that share the horizontal variable, each series (e.g. sweep up / down) coloured
 * the same in every panel so hysteresis loops line up by eye.
 */
import type { AxisOptions, Json, Plot, VlSpec } from '../spec.js';
import { themed, WIDTH } from '../theme.js';
import { lineLayers, mainNames, safeParam, seriesRows, withDropNote, type Series } from './line.js';
import type { ColorMode } from './common.js';

export interface PhasePanel {
  /** y axis (title with units). */
  y: AxisOptions;
  series: Series[];
}

export interface PhaseOptions {
  name: string;
  title: string;
  x: AxisOptions;
  panels: PhasePanel[];
  errorStyle?: 'band' | 'bars';
  color?: ColorMode;
  legendTitle?: string | null;
  /** Join points in sweep order (needed for up/down sweeps over the same λ). */
  keepOrder?: boolean;
  points?: boolean;
  /** Vertical marks (e.g. β_c) drawn in every panel, labelled in the top one. */
  marks?: { x: number; label: string }[];
  caption?: string;
}

export function phasePlot(opts: PhaseOptions): Plot {
  if (opts.panels.length === 0) throw new Error(`phase "${opts.name}": no panels`);
  let dropped = 0;
  // One colour per series name across all panels (vconcat shares the colour scale).
  const colorDomain = [...new Set(opts.panels.flatMap((p) => mainNames(p.series)))];
  const units: { [k: string]: Json }[] = opts.panels.map((p, k) => {
    const lineOpts = {
      name: `${safeParam(opts.name)}_${k}`,
      title: '',
      x: opts.x,
      y: p.y,
      series: p.series,
      colorDomain,
      ...(opts.errorStyle ? { errorStyle: opts.errorStyle } : {}),
      ...(opts.color ? { color: opts.color } : {}),
      ...(opts.legendTitle !== undefined ? { legendTitle: opts.legendTitle } : {}),
      ...(opts.keepOrder ? { keepOrder: true } : {}),
      ...(opts.points !== undefined ? { points: opts.points } : {}),
      ...(opts.marks ? { marks: k === 0 ? opts.marks : opts.marks.map((m) => ({ x: m.x, label: '' })) } : {}),
    };
    const { rows, dropped: d } = seriesRows(p.series, opts.x, p.y);
    dropped += d;
    return { width: WIDTH, height: 150, data: { values: rows }, layer: lineLayers(lineOpts, rows) };
  });
  const spec: VlSpec = themed({ title: opts.title, vconcat: units, spacing: 12 });
  const anyLogY: AxisOptions = { title: '', scale: opts.panels.some((p) => p.y.scale === 'log') ? 'log' : 'linear' };
  const caption = withDropNote(opts.caption, dropped, { x: opts.x, y: anyLogY });
  return { name: opts.name, title: opts.title, spec, ...(caption ? { caption } : {}) };
}
