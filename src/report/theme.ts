/**
 * One look for every figure: font sizes, axis styling and colour-blind-safe palettes.
 * Okabe–Ito (Okabe & Ito 2008, "Color Universal Design") for categories — distinguishable under
 * the common colour-vision deficiencies; viridis for heatmaps and ordered series (perceptually
 * uniform, readable in greyscale).
 */
import type { Json, VlSpec } from './spec.js';

/** Okabe–Ito, without the black (kept for means/fits) and with yellow last (weak on white). */
export const OKABE_ITO: readonly string[] = [
  '#0072B2', // blue
  '#E69F00', // orange
  '#009E73', // bluish green
  '#D55E00', // vermillion
  '#CC79A7', // reddish purple
  '#56B4E9', // sky blue
  '#F0E442', // yellow
];

/** Colour for a mean, a fit or a reference line: black reads as "the summary" next to Okabe–Ito. */
export const SUMMARY_COLOR = '#000000';

/** Vega scheme for continuous colour (heatmaps) and for ordered series (temperatures, waiting times). */
export const SEQUENTIAL_SCHEME = 'viridis';

/** Fonts: DejaVu/Liberation are what headless Linux boxes have; resvg resolves the first present. */
export const FONT = 'DejaVu Sans, Liberation Sans, Helvetica, Arial, sans-serif';

/** Default plot area in pixels; papers get a 2× PNG. */
export const WIDTH = 420;
export const HEIGHT = 280;

/** The shared Vega-Lite config block, applied to every spec by `themed`. */
export function themeConfig(): { [key: string]: Json } {
  return {
    font: FONT,
    background: 'white',
    padding: 8,
    view: { stroke: '#bbbbbb' },
    title: { fontSize: 15, fontWeight: 'bold', anchor: 'start', subtitleFontSize: 12, subtitleColor: '#444444' },
    axis: {
      labelFontSize: 12,
      titleFontSize: 13,
      titleFontWeight: 'normal',
      gridColor: '#e6e6e6',
      domainColor: '#555555',
      tickColor: '#555555',
    },
    legend: { labelFontSize: 12, titleFontSize: 12, titleFontWeight: 'normal', symbolStrokeWidth: 2 },
    header: { labelFontSize: 12, titleFontSize: 13 },
    range: { category: [...OKABE_ITO], ordinal: { scheme: SEQUENTIAL_SCHEME }, heatmap: { scheme: SEQUENTIAL_SCHEME } },
    line: { strokeWidth: 2 },
    point: { size: 30 },
  };
}

/** Wrap a spec with the schema URL-free header and the theme. (No $schema: reports stay offline.) */
export function themed(spec: VlSpec): VlSpec {
  const base: VlSpec = { config: themeConfig() };
  return { ...base, ...spec };
}
