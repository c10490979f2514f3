/** Small helpers shared by the plot builders: encodings, colour scales, log-axis filtering. */
import type { AxisOptions, Json, Row } from '../spec.js';
import { OKABE_ITO, SEQUENTIAL_SCHEME } from '../theme.js';

/** How series are coloured: categories (Okabe–Ito) or an ordered family (viridis), e.g. one per tw. */
export type ColorMode = 'category' | 'sequential';

/** A quantitative positional channel with the axis title and scale type. */
export function quantChannel(field: string, axis: AxisOptions, extra: { [k: string]: Json } = {}): { [k: string]: Json } {
  const scale: { [k: string]: Json } = { type: axis.scale ?? 'linear' };
  // zero: false — physics axes (energies, losses on a window) rarely want 0 forced in.
  scale['zero'] = false;
  // Log axes: Vega's "nice" rounds out to whole decades, wasting most of the plot on empty space.
  if (axis.scale === 'log') scale['nice'] = false;
  if (axis.domain) {
    scale['domain'] = [axis.domain[0], axis.domain[1]];
    scale['nice'] = false;
  }
  return { field, type: 'quantitative', title: axis.title, scale, ...extra };
}

/** Colour channel over series names, keeping the caller's order in the legend. */
export function colorChannel(names: string[], mode: ColorMode, title: string | null): { [k: string]: Json } {
  const scale: { [k: string]: Json } =
    mode === 'category'
      ? names.length <= OKABE_ITO.length
        ? { domain: names, range: names.map((_, i) => OKABE_ITO[i % OKABE_ITO.length] as string) }
        : // More categories than Okabe–Ito has colours (e.g. ten digit classes): no colour may repeat.
          { domain: names, scheme: names.length <= 10 ? 'tableau10' : 'category20' }
      : // extent stops short of viridis's pale yellow end, which vanishes on white.
        { domain: names, scheme: { name: SEQUENTIAL_SCHEME, extent: [0, 0.85] } };
  return { field: 'series', type: mode === 'category' ? 'nominal' : 'ordinal', title, scale, sort: names };
}

/** True when the value can be placed on an axis of this scale. */
export function placeable(v: number | null, scale: AxisOptions['scale']): v is number {
  if (v === null || !Number.isFinite(v)) return false;
  return scale === 'log' ? v > 0 : true;
}

/** Keep rows whose x/y fields are placeable on their axes; returns the kept rows and the count dropped. */
export function filterPlaceable(rows: Row[], x: AxisOptions, y: AxisOptions, xf = 'x', yf = 'y'): { rows: Row[]; dropped: number } {
  const kept: Row[] = [];
  let dropped = 0;
  for (const r of rows) {
    const xv = r[xf];
    const yv = r[yf];
    if (typeof xv === 'number' && typeof yv === 'number' && placeable(xv, x.scale) && placeable(yv, y.scale)) kept.push(r);
    else if (!(xv === null || yv === null)) dropped++;
    // rows with null (NaN: "undefined here", e.g. aging where tw + t > T) are not counted as dropped.
  }
  return { rows: kept, dropped };
}

/** A number formatted for captions and tables: 4 significant digits, exponent when far from 1. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return Number(v.toPrecision(4)).toString();
  return v.toExponential(3);
}
