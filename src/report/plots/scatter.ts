/**
 * Scatter with a least-squares line and Pearson's r printed in the subtitle. The fit is done in the
 * coordinates shown (log10 on a log axis), because that is the line the eye compares with.
 */
import { pairMoments } from '../../core/moments.js';
import type { AxisOptions, Json, Plot, Row, VlSpec } from '../spec.js';
import { HEIGHT, OKABE_ITO, SUMMARY_COLOR, WIDTH, themed } from '../theme.js';
import { fmt, placeable, quantChannel } from './common.js';

export interface ScatterOptions {
  name: string;
  title: string;
  x: AxisOptions;
  y: AxisOptions;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  /** Optional label per point (tooltip). */
  labels?: string[];
  /** Replaces the default subtitle (Pearson r of the fit), e.g. with a rank correlation and its CI. */
  subtitle?: string;
  caption?: string;
}

export interface LinearFit {
  n: number;
  slope: number;
  intercept: number;
  /** Pearson correlation coefficient. */
  r: number;
}

/** Ordinary least squares y = intercept + slope·x and Pearson r; NaN when undefined (n < 2, no spread). */
export function linearFit(xs: ArrayLike<number>, ys: ArrayLike<number>): LinearFit {
  const { n, mx, my, sxx, sxy, syy } = pairMoments(xs, ys);
  const slope = n >= 2 && sxx > 0 ? sxy / sxx : NaN;
  return { n, slope, intercept: my - slope * mx, r: n >= 2 && sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN };
}

export function scatterPlot(opts: ScatterOptions): Plot {
  if (opts.xs.length !== opts.ys.length) throw new Error(`scatter "${opts.name}": ${opts.xs.length} x values, ${opts.ys.length} y values`);
  const tx = (v: number, s: AxisOptions['scale']): number => (s === 'log' ? Math.log10(v) : v);
  const ux = (v: number, s: AxisOptions['scale']): number => (s === 'log' ? 10 ** v : v);
  const pts: Row[] = [];
  const fx: number[] = [];
  const fy: number[] = [];
  for (let i = 0; i < opts.xs.length; i++) {
    const x = opts.xs[i] as number;
    const y = opts.ys[i] as number;
    if (!placeable(x, opts.x.scale) || !placeable(y, opts.y.scale)) continue;
    pts.push({ x, y, label: opts.labels?.[i] ?? String(i) });
    fx.push(tx(x, opts.x.scale));
    fy.push(tx(y, opts.y.scale));
  }
  const fit = linearFit(fx, fy);
  const line: Row[] = [];
  if (Number.isFinite(fit.slope)) {
    const lo = Math.min(...fx);
    const hi = Math.max(...fx);
    for (let k = 0; k <= 40; k++) {
      const u = lo + ((hi - lo) * k) / 40;
      line.push({ x: ux(u, opts.x.scale), y: ux(fit.intercept + fit.slope * u, opts.y.scale) });
    }
  }
  const space = opts.x.scale === 'log' || opts.y.scale === 'log' ? ' (fit in log coordinates)' : '';
  const subtitle = opts.subtitle ?? (Number.isFinite(fit.r)
    ? `Pearson r = ${fit.r.toFixed(3)}, slope = ${fmt(fit.slope)}, n = ${fit.n}${space}`
    : `n = ${fit.n}: too few distinct points for a fit`);
  // Pixel padding so points at the extremes are not cut in half by the frame.
  const padded = (c: { [k: string]: Json }): { [k: string]: Json } => ({ ...c, scale: { ...(c['scale'] as { [k: string]: Json }), padding: 12 } });
  const x = padded(quantChannel('x', opts.x));
  // The y axis spans the points: a fit extrapolated over a wide x range (an L2 sweep's norms, most
  // near 10 and a few near 100) would otherwise stretch it far beyond them (a test error axis
  // from −3 to 2); the line is clipped at the frame instead.
  const yValues = pts.map((p) => p.y as number);
  const yLo = Math.min(...yValues), yHi = Math.max(...yValues);
  const yBase = padded(quantChannel('y', opts.y));
  const y = yLo < yHi ? { ...yBase, scale: { ...(yBase['scale'] as { [k: string]: Json }), domain: [yLo, yHi] } } : yBase;
  const spec: VlSpec = themed({
    title: { text: opts.title, subtitle },
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: pts },
        mark: { type: 'point', filled: true, size: 50, opacity: 0.85, color: OKABE_ITO[0] as string, clip: true },
        encoding: {
          x,
          y,
          tooltip: [
            { field: 'label', type: 'nominal', title: 'point' },
            { field: 'x', type: 'quantitative', title: opts.x.title, format: '.4~g' },
            { field: 'y', type: 'quantitative', title: opts.y.title, format: '.4~g' },
          ],
        },
        params: [{ name: `zoom_${opts.name.replace(/[^A-Za-z0-9_]/g, '_')}`, select: 'interval', bind: 'scales' }],
      },
      { data: { values: line }, mark: { type: 'line', color: SUMMARY_COLOR, strokeWidth: 1.5, strokeDash: [6, 3], clip: true }, encoding: { x, y } },
    ],
  });
  return { name: opts.name, title: opts.title, spec, caption: [opts.caption, subtitle].filter(Boolean).join(' ') };
}
