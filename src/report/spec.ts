/**
 * The types every plot builder speaks. A plot is a Vega-Lite spec held as plain JSON: it is what
 * goes to the headless renderer (SVG/PNG) and, compiled to Vega, into the HTML report — one spec,
 * two renderings, so the picture in the paper and the one in the browser cannot drift apart.
 */

/** Any JSON value. Specs are JSON so they can be inlined in a report and diffed in tests. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A Vega-Lite top-level spec as JSON (validated by vega-lite's compiler, not by TypeScript). */
export type VlSpec = { [key: string]: Json };

/** One row of a data table in a spec. NaN/±Infinity are stored as null (JSON has no NaN). */
export type Row = { [key: string]: number | string | null };

/** Axis scale kinds the builders offer. 'log' needs strictly positive values. */
export type AxisScale = 'linear' | 'log' | 'symlog';

/** An axis: its title (with units, e.g. "time t (SGD steps)") and scale. */
export interface AxisOptions {
  title: string;
  scale?: AxisScale;
  /** Fixed domain; otherwise taken from the data. */
  domain?: [number, number];
}

/** A finished plot: a file-safe name, a title for the page, the spec and an optional caption. */
export interface Plot {
  name: string;
  title: string;
  spec: VlSpec;
  caption?: string;
}

/** A JSON-safe number: NaN and infinities become null so Vega-Lite filters them as invalid. */
export function num(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
