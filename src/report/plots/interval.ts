/**
 * Interval ("forest") plot: one row per item, a point estimate with its confidence interval, a
 * reference line (e.g. zero correlation), and rows without power drawn grey and said so in the label.
 */
import type { Json, Plot, Row, VlSpec } from '../spec.js';
import { OKABE_ITO, WIDTH, themed } from '../theme.js';
import { num } from '../spec.js';

export interface IntervalRow {
  label: string;
  value: number;
  lo: number;
  hi: number;
  /** false: drawn grey, labelled "no power". */
  power: boolean;
}

export interface IntervalOptions {
  name: string;
  title: string;
  xTitle: string;
  rows: IntervalRow[];
  domain?: [number, number];
  reference?: number;
  caption?: string;
}

const NO_POWER = '#9a9a9a';

export function intervalPlot(opts: IntervalOptions): Plot {
  const values: Row[] = opts.rows.map((r) => ({
    label: r.power ? r.label : `${r.label} (no power)`,
    value: num(r.value),
    lo: num(r.lo),
    hi: num(r.hi),
    verdict: r.power ? 'has power' : 'no power',
  }));
  const y: { [k: string]: Json } = { field: 'label', type: 'nominal', title: null, axis: { labelLimit: 320 }, sort: values.map((v) => v['label'] as string) };
  const scale: { [k: string]: Json } = opts.domain ? { domain: [opts.domain[0], opts.domain[1]], nice: false, zero: false } : { zero: false };
  const x: { [k: string]: Json } = { field: 'value', type: 'quantitative', title: opts.xTitle, scale };
  const color: { [k: string]: Json } = {
    field: 'verdict',
    type: 'nominal',
    title: 'measurement',
    scale: { domain: ['has power', 'no power'], range: [OKABE_ITO[0] as string, NO_POWER] },
  };
  const spec: VlSpec = themed({
    title: opts.title,
    width: WIDTH,
    height: Math.max(60, 26 * values.length),
    data: { values },
    layer: [
      ...(opts.reference !== undefined
        ? [{ data: { values: [{ ref: opts.reference }] }, mark: { type: 'rule', strokeDash: [4, 3], color: '#555555' }, encoding: { x: { field: 'ref', type: 'quantitative' } } }]
        : []),
      { transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi)' }], mark: { type: 'rule', strokeWidth: 2.5 }, encoding: { y, x: { ...x, field: 'lo' }, x2: { field: 'hi' }, color } },
      {
        transform: [{ filter: 'isValid(datum.value)' }],
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          y,
          x,
          color,
          tooltip: [
            { field: 'label', type: 'nominal', title: 'measure' },
            { field: 'value', type: 'quantitative', title: opts.xTitle, format: '.3f' },
            { field: 'lo', type: 'quantitative', title: 'CI low', format: '.3f' },
            { field: 'hi', type: 'quantitative', title: 'CI high', format: '.3f' },
          ],
        },
      },
    ],
  });
  return { name: opts.name, title: opts.title, spec, ...(opts.caption ? { caption: opts.caption } : {}) };
}
