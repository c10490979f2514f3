/**
 * A value over a plane (the loss surface of `glassy surface`), two ways:
 * - a contour map: the grid as a viridis heat map with a labelled colour bar, iso-lines at levels
 *   equally spaced in the colour scale (marching squares: Lorensen & Cline 1987, the 2-D case;
 *   within a cell the line is placed by linear interpolation along the cell's edges), marked points
 *   (minima) labelled, and a path (Bézier/NEB) drawn over it;
 * - an isometric wireframe of the same grid, coloured by height (a 3-D view that needs no WebGL and
 *   renders to SVG and PNG like every other figure).
 * Both are Vega-Lite specs: the geometry (cells, iso-line segments, projected wires) is computed here.
 */
import type { Json, Plot, Row, VlSpec } from '../spec.js';
import { num } from '../spec.js';
import { SEQUENTIAL_SCHEME, themed } from '../theme.js';
import { fmt } from './common.js';

export interface SurfaceGrid {
  /** Column coordinates (G_α). */
  alpha: ArrayLike<number>;
  /** Row coordinates (G_β). */
  beta: ArrayLike<number>;
  /** Row-major [G_β, G_α]: values[i·G_α + j] at (α_j, β_i). */
  values: ArrayLike<number>;
}

export interface SurfaceOptions {
  name: string;
  title: string;
  subtitle?: string;
  grid: SurfaceGrid;
  alphaTitle: string;
  betaTitle: string;
  colorTitle: string;
  /** Colour (and contour) scale: log when every value is positive and they span > 1 decade. */
  log?: boolean;
  marks?: { name: string; alpha: number; beta: number }[];
  path?: { name: string; alpha: ArrayLike<number>; beta: ArrayLike<number> };
  levels?: number;
  caption?: string;
}

const SIDE = 380;

/** Cell edges halfway between grid coordinates (the outer ones mirrored). */
function edges(c: ArrayLike<number>): Float64Array {
  const n = c.length;
  const e = new Float64Array(n + 1);
  for (let i = 1; i < n; i++) e[i] = 0.5 * ((c[i - 1] as number) + (c[i] as number));
  e[0] = (c[0] as number) - ((e[1] as number) - (c[0] as number));
  e[n] = (c[n - 1] as number) + ((c[n - 1] as number) - (e[n - 1] as number));
  return e;
}

/** Whether a log colour scale suits the values (all positive, more than a decade apart). */
export function prefersLog(values: ArrayLike<number>): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) continue;
    if (v <= 0) return false;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return hi / lo > 10;
}

/**
 * Iso-line segments of a grid at `level` (marching squares). Ambiguous saddle cells are resolved
 * by the cell-centre average, the usual choice.
 */
export function contourSegments(g: SurfaceGrid, level: number): [number, number, number, number][] {
  const A = g.alpha.length;
  const B = g.beta.length;
  const v = (i: number, j: number): number => g.values[i * A + j] as number;
  const out: [number, number, number, number][] = [];
  const lerp = (x0: number, x1: number, f0: number, f1: number): number => x0 + ((level - f0) / (f1 - f0)) * (x1 - x0);
  for (let i = 0; i + 1 < B; i++) {
    for (let j = 0; j + 1 < A; j++) {
      const f = [v(i, j), v(i, j + 1), v(i + 1, j + 1), v(i + 1, j)] as const; // counter-clockwise from (α_j, β_i)
      if (!f.every(Number.isFinite)) continue;
      const a0 = g.alpha[j] as number;
      const a1 = g.alpha[j + 1] as number;
      const b0 = g.beta[i] as number;
      const b1 = g.beta[i + 1] as number;
      // Crossing points on the four edges (bottom, right, top, left), where the level is crossed.
      const pts: ([number, number] | null)[] = [
        (f[0] < level) !== (f[1] < level) ? [lerp(a0, a1, f[0], f[1]), b0] : null,
        (f[1] < level) !== (f[2] < level) ? [a1, lerp(b0, b1, f[1], f[2])] : null,
        (f[2] < level) !== (f[3] < level) ? [lerp(a1, a0, f[2], f[3]), b1] : null,
        (f[3] < level) !== (f[0] < level) ? [a0, lerp(b1, b0, f[3], f[0])] : null,
      ];
      const hit = pts.map((p, k) => (p ? k : -1)).filter((k) => k >= 0);
      if (hit.length === 2) {
        const [p, q] = [pts[hit[0]!]!, pts[hit[1]!]!];
        out.push([p[0], p[1], q[0], q[1]]);
      } else if (hit.length === 4) {
        const centre = (f[0] + f[1] + f[2] + f[3]) / 4;
        // Pair the crossings so the centre's side is connected through the cell.
        const pairs = (centre < level) === (f[0] < level) ? [[0, 1], [2, 3]] : [[0, 3], [1, 2]];
        for (const [s, t] of pairs) out.push([pts[s!]![0], pts[s!]![1], pts[t!]![0], pts[t!]![1]]);
      }
    }
  }
  return out;
}

/** Contour levels equally spaced on the colour scale (log or linear), strictly inside the range. */
export function contourLevels(values: ArrayLike<number>, n: number, log: boolean): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isFinite(v) && (!log || v > 0)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (!(hi > lo)) return [];
  const t = (x: number) => (log ? Math.log(x) : x);
  const u = (x: number) => (log ? Math.exp(x) : x);
  return Array.from({ length: n }, (_, k) => u(t(lo) + ((t(hi) - t(lo)) * (k + 1)) / (n + 1)));
}

function colorScale(opts: SurfaceOptions): { [k: string]: Json } {
  return opts.log ? { type: 'log', scheme: SEQUENTIAL_SCHEME } : { scheme: SEQUENTIAL_SCHEME };
}

/** The contour map. */
export function contourPlot(opts: SurfaceOptions): Plot {
  const { alpha, beta, values } = opts.grid;
  const A = alpha.length;
  const ea = edges(alpha);
  const eb = edges(beta);
  const cells: Row[] = [];
  for (let i = 0; i < beta.length; i++) {
    for (let j = 0; j < A; j++) {
      const v = num(values[i * A + j] as number);
      cells.push({ a0: ea[j] as number, a1: ea[j + 1] as number, b0: eb[i] as number, b1: eb[i + 1] as number, a: alpha[j] as number, b: beta[i] as number, v: opts.log && v !== null && v <= 0 ? null : v });
    }
  }
  const levels = contourLevels(values, opts.levels ?? 10, opts.log ?? false);
  const segs: Row[] = [];
  for (const level of levels) for (const [x, y, x2, y2] of contourSegments(opts.grid, level)) segs.push({ x, y, x2, y2, level });
  const xDomain = [ea[0] as number, ea[A] as number];
  const yDomain = [eb[0] as number, eb[beta.length] as number];
  const x = { field: 'a0', type: 'quantitative', title: opts.alphaTitle, scale: { domain: xDomain, nice: false, zero: false } };
  const y = { field: 'b0', type: 'quantitative', title: opts.betaTitle, scale: { domain: yDomain, nice: false, zero: false } };
  const layers: { [k: string]: Json }[] = [
    {
      data: { values: cells },
      mark: { type: 'rect' },
      encoding: {
        x,
        x2: { field: 'a1' },
        y,
        y2: { field: 'b1' },
        color: { field: 'v', type: 'quantitative', title: opts.colorTitle, scale: colorScale(opts), legend: { gradientLength: SIDE - 40, gradientThickness: 14 } },
        tooltip: [
          { field: 'a', type: 'quantitative', title: opts.alphaTitle, format: '.3~g' },
          { field: 'b', type: 'quantitative', title: opts.betaTitle, format: '.3~g' },
          { field: 'v', type: 'quantitative', title: opts.colorTitle, format: '.4~g' },
        ],
      },
    },
    {
      data: { values: segs },
      mark: { type: 'rule', color: 'white', strokeWidth: 0.9, opacity: 0.75 },
      encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, x2: { field: 'x2' }, y2: { field: 'y2' } },
    },
  ];
  if (opts.path && opts.path.alpha.length > 1) {
    const pts: Row[] = Array.from(opts.path.alpha, (a, k) => ({ x: a, y: opts.path!.beta[k] as number, k, name: opts.path!.name }));
    layers.push({
      data: { values: pts },
      mark: { type: 'line', color: '#D55E00', strokeWidth: 2.5, strokeDash: [6, 3], point: { filled: true, size: 16, color: '#D55E00' }, clip: true },
      encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, order: { field: 'k', type: 'quantitative' }, tooltip: [{ field: 'name', type: 'nominal', title: 'path' }] },
    });
  }
  if (opts.marks && opts.marks.length > 0) {
    const m: Row[] = opts.marks.map((p) => ({ x: p.alpha, y: p.beta, name: p.name }));
    layers.push(
      { data: { values: m }, mark: { type: 'point', shape: 'diamond', filled: true, size: 110, color: 'white', stroke: 'black', strokeWidth: 1.2 }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, tooltip: [{ field: 'name', type: 'nominal', title: 'point' }] } },
      { data: { values: m }, mark: { type: 'text', dx: 8, dy: -8, align: 'left', fontSize: 12, fontWeight: 'bold', color: 'white', stroke: 'black', strokeWidth: 0.3 }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, text: { field: 'name', type: 'nominal' } } },
    );
  }
  const spec: VlSpec = themed({
    title: opts.subtitle ? { text: opts.title, subtitle: opts.subtitle } : opts.title,
    width: SIDE,
    height: SIDE,
    layer: layers,
  });
  const levelNote = levels.length ? `White lines: ${levels.length} contours equally spaced on the ${opts.log ? 'log ' : ''}colour scale, from ${fmt(levels[0]!)} to ${fmt(levels[levels.length - 1]!)}.` : '';
  return { name: opts.name, title: opts.title, spec, caption: [opts.caption, levelNote].filter(Boolean).join(' ') };
}

/**
 * An isometric wireframe of the grid: x = (α̂ − β̂)·cos 30°, y = (α̂ + β̂)·sin 30° + 1.2·ẑ with α̂,
 * β̂ ∈ [0, 1] the grid position and ẑ ∈ [0, 1] the height (values clipped at `zMax` so one spike
 * does not flatten the rest); wires drawn back to front, each coloured by its mean height.
 */
export function isometricPlot(opts: SurfaceOptions & { zMax?: number }): Plot {
  const { alpha, beta, values } = opts.grid;
  const A = alpha.length;
  const B = beta.length;
  const t = (v: number): number => (opts.log ? Math.log10(v) : v);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isFinite(v) && (!opts.log || v > 0)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  const top = Math.min(hi, opts.zMax ?? hi);
  const z = (v: number): number => (hi > lo ? (t(Math.min(Math.max(v, lo), top)) - t(lo)) / (t(top) - t(lo) || 1) : 0);
  const c30 = Math.cos(Math.PI / 6);
  const s30 = Math.sin(Math.PI / 6);
  // The viewer looks from large α̂ + β̂ towards the origin corner: small α̂ + β̂ is at the back.
  const P = (i: number, j: number): [number, number, number] => {
    const a = A > 1 ? j / (A - 1) : 0;
    const b = B > 1 ? i / (B - 1) : 0;
    const v = values[i * A + j] as number;
    const h = Number.isFinite(v) ? z(v) : NaN;
    return [(a - b) * c30, -(a + b) * s30 + 1.2 * h, a + b];
  };
  const wires: Row[] = [];
  const add = (p: [number, number, number], q: [number, number, number], v: number): void => {
    if (!Number.isFinite(p[1]) || !Number.isFinite(q[1])) return;
    wires.push({ x: p[0], y: p[1], x2: q[0], y2: q[1], depth: -(p[2] + q[2]), v: num(v) });
  };
  for (let i = 0; i < B; i++) {
    for (let j = 0; j < A; j++) {
      const v = values[i * A + j] as number;
      if (j + 1 < A) add(P(i, j), P(i, j + 1), 0.5 * (v + (values[i * A + j + 1] as number)));
      if (i + 1 < B) add(P(i, j), P(i + 1, j), 0.5 * (v + (values[(i + 1) * A + j] as number)));
    }
  }
  // Back to front: later rules are drawn over earlier ones.
  wires.sort((p, q) => (q['depth'] as number) - (p['depth'] as number));
  wires.forEach((w, k) => (w['k'] = k));
  // Labels along the two front edges: α runs along b̂ = 1 (lower left), β along α̂ = 1 (lower right).
  const axisLabels: Row[] = [
    { x: -0.5 * c30 - 0.06, y: -0.75 - 0.1, label: `${opts.alphaTitle}: ${fmt(alpha[0] as number)} → ${fmt(alpha[A - 1] as number)}`, angle: 30 },
    { x: 0.5 * c30 + 0.06, y: -0.75 - 0.1, label: `${opts.betaTitle}: ${fmt(beta[B - 1] as number)} ← ${fmt(beta[0] as number)}`, angle: -30 },
  ];
  const none = { axis: null, scale: { domain: [-c30 - 0.15, c30 + 0.15], nice: false, zero: false } };
  const spec: VlSpec = themed({
    title: { text: opts.title, subtitle: opts.subtitle ?? `isometric view; height and colour: ${opts.colorTitle}` },
    width: SIDE + 40,
    height: SIDE,
    view: { stroke: null },
    layer: [
      {
        data: { values: wires },
        mark: { type: 'rule', strokeWidth: 1.1 },
        encoding: {
          x: { field: 'x', type: 'quantitative', ...none },
          y: { field: 'y', type: 'quantitative', axis: null, scale: { domain: [-1 - 0.3, 1.2 + 0.1], nice: false, zero: false } },
          x2: { field: 'x2' },
          y2: { field: 'y2' },
          color: { field: 'v', type: 'quantitative', title: opts.colorTitle, scale: { ...colorScale(opts), ...(top < hi ? { domainMax: top, clamp: true } : {}) }, legend: { gradientLength: SIDE - 60, gradientThickness: 14 } },
          order: { field: 'k', type: 'quantitative' },
        },
      },
      {
        data: { values: axisLabels },
        mark: { type: 'text', fontSize: 12, color: '#333333' },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, text: { field: 'label', type: 'nominal' }, angle: { field: 'angle', type: 'quantitative', scale: null } },
      },
    ],
  });
  const clipNote = top < hi ? ` Heights above ${fmt(top)} are drawn at ${fmt(top)} (the colour bar saturates there).` : '';
  return { name: opts.name, title: opts.title, spec, caption: `${opts.caption ?? ''}${clipNote}`.trim() };
}
