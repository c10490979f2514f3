/**
 * `glassy compare RUN1 RUN2 ...`: observables that several runs share, overlaid ON THE SAME AXES —
 * a network ensemble's P(q) over an SK run's, Δ(t_w, t_w+t) of a network over p-spin's, Hessian
 * spectra — and a list of what only one run has. Each comparable knows how to pull its series out of
 * any protocol's arrays; runs lacking them are simply not in that plot.
 */
import { basename, dirname, join, relative, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { GlassyError } from '../core/errors.js';
import { writeFileAtomic } from '../store/atomic.js';
import { VERSION } from '../version.js';
import { openRun, type RunSource } from './source.js';
import { RecipeContext, row } from './recipes/types.js';
import { columnMeanSe } from './recipes/stats.js';
import { linePlot, type Series } from './plots/line.js';
import { binSamples, histogramPlot, sharedEdges, type BinnedSeries } from './plots/histogram.js';
import { fmt } from './plots/common.js';
import type { Plot } from './spec.js';
import { renderPlot } from './report.js';
import { svgToPng } from './render.js';
import { esc, figureHtml, page, statusBadge, type RenderedPlot } from './html.js';
import type { PlotFiles } from './report.js';

/** One run's contribution to a comparable. */
interface Part<T> {
  label: string;
  data: T;
}

/**
 * An observable that can be overlaid across runs. (Method syntax on purpose: it lets a
 * Comparable<PqData> sit in the list of Comparable<unknown>, each pairing its own extract and build.)
 */
export interface Comparable<T> {
  name: string;
  title: string;
  /** This run's data, or null if it has none (exceptions also count as "has none"). */
  extract(ctx: RecipeContext, label: string): T | null;
  build(parts: Part<T>[]): Plot;
}

type PqData = { edges: Float64Array; counts: Float64Array; note: string };

const pq: Comparable<PqData> = {
  name: 'pq',
  title: 'Overlap distribution P(q)',
  extract(ctx) {
    if (!ctx.has('pq_edges') || !ctx.has('pq_hist')) return null;
    const edges = ctx.vec('pq_edges');
    const h = ctx.rowsOf('pq_hist', edges.length - 1);
    if (h.rows === 1) return { edges, counts: row(h, 0), note: '' };
    // Per-temperature P(q) (spin glass): the lowest temperature, where the glass phase shows.
    const T = ctx.vec('temperatures', h.rows);
    let k = 0;
    T.forEach((t, i) => (t < (T[k] as number) ? (k = i) : 0));
    return { edges, counts: row(h, k), note: ` (T = ${fmt(T[k] as number)})` };
  },
  build(parts) {
    const series: BinnedSeries[] = parts.map((p) => ({ name: p.label + p.data.note, edges: p.data.edges, counts: p.data.counts }));
    return histogramPlot({
      name: 'pq',
      title: 'Overlap distribution P(q)',
      x: { title: 'overlap q' },
      yTitle: 'P(q)',
      series,
      legendTitle: 'run',
      caption: 'Each histogram normalised to unit area. A spin-glass run contributes its lowest temperature.',
    });
  },
};

const ultrametric: Comparable<{ u: Float64Array; nul: Float64Array | null }> = {
  name: 'ultrametric',
  title: 'Ultrametricity statistics',
  extract(ctx) {
    if (!ctx.has('ultrametric')) return null;
    return { u: ctx.vec('ultrametric'), nul: ctx.has('ultrametric_null') ? ctx.vec('ultrametric_null') : null };
  },
  build(parts) {
    const all = parts.flatMap((p) => (p.data.nul ? [p.data.u, p.data.nul] : [p.data.u]));
    const edges = sharedEdges(all, 30);
    const series: BinnedSeries[] = [];
    for (const p of parts) {
      series.push({ name: p.label, edges, counts: binSamples(p.data.u, edges) });
      if (p.data.nul) series.push({ name: `${p.label} (null model)`, edges, counts: binSamples(p.data.nul, edges) });
    }
    return histogramPlot({
      name: 'ultrametric',
      title: 'Ultrametricity statistics',
      x: { title: 'ultrametricity statistic (0 = two largest sides equal)' },
      series,
      legendTitle: 'run',
      caption: 'Shared bins; each histogram normalised to unit area.',
    });
  },
};

type Family = {
  tw: Float64Array;
  t: Float64Array;
  mean: { data: Float64Array; rows: number; cols: number };
  se: { data: Float64Array; rows: number; cols: number } | null;
  /** Time per step: the p-spin's dt (time = steps·dt), 1 for SGD steps and MC sweeps. */
  dt: number;
  /** The μ the run fitted for this observable (NaN: none). */
  mu: number;
  unit: string;
};

type AgingObs = 'delta' | 'corr_norm';

/** The time step of a run whose time is steps·dt (the p-spin's Langevin/GD), else 1. */
function timeStep(ctx: RecipeContext): number {
  const s = ctx.summary('dt');
  if (typeof s === 'number' && s > 0) return s;
  const c = ctx.manifest.config as Record<string, unknown> | undefined;
  const d = c?.['dt'] ?? (c?.['pspin'] as Record<string, unknown> | undefined)?.['dt'];
  return typeof d === 'number' && d > 0 ? d : 1;
}

function family(obs: AgingObs): (ctx: RecipeContext) => Family | null {
  return (ctx) => {
    if (!ctx.has('tw') || !ctx.has('t') || !ctx.has(`${obs}_mean`)) return null;
    const tw = ctx.vec('tw');
    const t = ctx.vec('t');
    // A sweep run stores [points × tw, t]: compare its first point.
    const all = ctx.rowsOf(`${obs}_mean`, t.length);
    const first = (m: { data: Float64Array; cols: number }) => ({ data: m.data.subarray(0, tw.length * m.cols), rows: tw.length, cols: m.cols });
    const mean = first(all);
    const se = ctx.has(`${obs}_se`) ? first(ctx.rowsOf(`${obs}_se`, t.length)) : null;
    const dt = timeStep(ctx);
    const muName = obs === 'delta' ? 'mu_delta' : 'mu_corr';
    const mu = ctx.has(muName) ? (ctx.vec(muName)[0] ?? NaN) : NaN;
    const landscape = String(ctx.summary('landscape') ?? '');
    const unit = dt !== 1 ? 'time steps·dt' : landscape === 'mlp' ? 'SGD steps' : landscape ? 'sweeps or steps' : 'steps';
    return { tw, t, mean, se, dt, mu, unit };
  };
}

function agingComparable(obs: AgingObs, collapse: boolean): Comparable<Family> {
  const isDelta = obs === 'delta';
  const name = `aging_${obs}${collapse ? '_collapse' : ''}`;
  const sym = isDelta ? 'Δ' : 'Ĉ';
  const title = `${sym}(t_w, t_w+t) vs ${collapse ? 't / t_w^μ' : 'time t'}`;
  return {
    name,
    title,
    extract: family(obs),
    build(parts) {
      const series: Series[] = [];
      const notes: string[] = [];
      for (const p of parts) {
        const { tw, t, mean, se, dt, mu } = p.data;
        const m = Number.isFinite(mu) ? mu : 1;
        notes.push(`${p.label}: ${p.data.unit}${collapse ? `, μ = ${Number.isFinite(mu) ? fmt(mu) : '1 (not fitted)'}` : ''}`);
        for (let k = 0; k < tw.length; k++) {
          const w = (tw[k] as number) * dt;
          if (collapse && !(w > 0)) continue;
          const scale = Math.pow(w, m);
          series.push({
            name: `${p.label}: t_w = ${fmt(w)}`,
            group: p.label,
            x: t.map((v) => (collapse ? (v * dt) / scale : v * dt)),
            y: row(mean, k),
            ...(se ? { se: row(se, k) } : {}),
          });
        }
      }
      return linePlot({
        name,
        title,
        x: { title: collapse ? 't / t_w^μ' : 'time t (steps·dt for the p-spin)', scale: 'log' },
        y: { title: isDelta ? 'Δ(t_w, t_w+t)' : 'Ĉ(t_w, t_w+t)', scale: isDelta ? 'log' : 'linear' },
        series,
        legendTitle: 'run',
        caption: `One colour per run, one curve per waiting time t_w (hover for t_w). Time: ${notes.join('; ')}.${collapse ? ' Each run collapsed at its own fitted μ.' : ''}`,
      });
    },
  };
}

const hessianDensity: Comparable<{ x: Float64Array; y: Float64Array }> = {
  name: 'hessian_density',
  title: 'Hessian spectral density',
  extract(ctx) {
    if (!ctx.has('density_x') || !ctx.has('density_y')) return null;
    const x = ctx.vec('density_x');
    return { x, y: ctx.vec('density_y', x.length) };
  },
  build(parts) {
    // Floor the log axis at 1e-6 of the highest peak: below lies only Gaussian-broadening tail.
    let peak = 0;
    for (const p of parts) for (const v of p.data.y) if (Number.isFinite(v) && v > peak) peak = v;
    const floor = peak > 0 ? peak * 1e-6 : 1e-12;
    return linePlot({
      name: 'hessian_density',
      title: 'Hessian spectral density',
      x: { title: 'eigenvalue λ' },
      y: { title: 'density ρ(λ)', scale: 'log', domain: [floor, Math.max(peak * 2, floor * 10)] },
      series: parts.map((p) => ({ name: p.label, x: p.data.x, y: p.data.y.map((v) => (v < floor ? floor : v)) })),
      legendTitle: 'run',
      caption: `Stochastic Lanczos quadrature densities. The axis starts at 10⁻⁶ of the highest peak (${fmt(floor)}; lower values are drawn on it).`,
    });
  },
};

const hessianTop: Comparable<Float64Array> = {
  name: 'hessian_eigenvalues',
  title: 'Top Hessian eigenvalues',
  extract(ctx) {
    return ctx.has('eigenvalues') ? ctx.vec('eigenvalues') : null;
  },
  build(parts) {
    return linePlot({
      name: 'hessian_eigenvalues',
      title: 'Top Hessian eigenvalues',
      x: { title: 'index i (as stored)' },
      y: { title: 'eigenvalue λ_i' },
      series: parts.map((p) => ({ name: p.label, x: p.data.map((_, i) => i + 1), y: p.data })),
      points: true,
      legendTitle: 'run',
    });
  },
};

function trainCurve(array: string, title: string, yTitle: string, log: boolean): Comparable<{ steps: Float64Array; mean: Float64Array; se: Float64Array; K: number }> {
  return {
    name: `train_${array}`,
    title,
    extract(ctx) {
      if (!ctx.has('steps') || !ctx.has(array)) return null;
      const steps = ctx.vec('steps');
      const m = ctx.rowsOf(array, steps.length);
      return { steps, ...columnMeanSe(m), K: m.rows };
    },
    build(parts) {
      return linePlot({
        name: `train_${array}`,
        title,
        subtitle: 'mean ± SE over each run\'s replicas',
        x: { title: 'time t (SGD steps)', scale: 'log' },
        y: { title: yTitle, scale: log ? 'log' : 'linear' },
        series: parts.map((p) => ({ name: `${p.label} (${p.data.K})`, x: p.data.steps, y: p.data.mean, ...(p.data.K > 1 ? { se: p.data.se } : {}) })),
        legendTitle: 'run (replicas)',
      });
    },
  };
}

/** Everything compare knows how to overlay, in page order. Add one here to compare a new observable. */
export const COMPARABLES: readonly Comparable<unknown>[] = [
  pq,
  ultrametric,
  agingComparable('delta', false),
  agingComparable('delta', true),
  agingComparable('corr_norm', false),
  agingComparable('corr_norm', true),
  hessianDensity,
  hessianTop,
  trainCurve('test_error', 'Test error vs time', 'test error (fraction)', false),
  trainCurve('train_loss', 'Training loss vs time', 'training loss', true),
];

export interface CompareResult {
  report: string;
  plots: PlotFiles[];
  /** Comparables present in exactly one run: name → that run's label. */
  onlyOne: { name: string; title: string; run: string }[];
  ms: number;
}

/** Short unique labels: the directory name, with its parent where two runs share a name. */
export function runLabels(dirs: string[]): string[] {
  const base = dirs.map((d) => basename(resolve(d)));
  return base.map((b, i) => (base.indexOf(b) !== base.lastIndexOf(b) ? `${basename(dirname(resolve(dirs[i] as string)))}/${b}` : b));
}

export async function buildComparison(runDirs: string[], outDir: string, opts: { png?: boolean } = {}): Promise<CompareResult> {
  const t0 = performance.now();
  if (runDirs.length < 2) throw GlassyError.invalid('runs', runDirs, 'at least two run directories to compare');
  const runs: RunSource[] = runDirs.map((d) => openRun(d));
  const labels = runLabels(runDirs);
  const ctxs = runs.map((r) => new RecipeContext(r));
  const rendered: RenderedPlot[] = [];
  const onlyOne: CompareResult['onlyOne'] = [];
  const notes: string[] = [];
  for (const c of COMPARABLES) {
    const parts: Part<unknown>[] = [];
    const problems: string[] = [];
    ctxs.forEach((ctx, i) => {
      try {
        const d = c.extract(ctx, labels[i] as string);
        if (d !== null) parts.push({ label: labels[i] as string, data: d });
      } catch (e) {
        problems.push(`${labels[i]}: ${(e as Error).message}`);
      }
    });
    const problemNote = problems.length ? ` (unusable data: ${problems.join('; ')})` : '';
    if (parts.length >= 2) {
      try {
        rendered.push(await renderPlot(c.build(parts)));
        if (problemNote) notes.push(`<p class="na">${esc(c.title)}: ${esc(problemNote.trim())}</p>`);
      } catch (e) {
        notes.push(`<p class="na">${esc(c.title)}: could not be drawn (${esc((e as Error).message)}).</p>`);
      }
    } else if (parts.length === 1) {
      onlyOne.push({ name: c.name, title: c.title, run: (parts[0] as Part<unknown>).label });
    } else if (problemNote) {
      notes.push(`<p class="na">${esc(c.title)}: ${esc(problemNote.trim())}</p>`);
    }
  }
  const out = resolve(outDir);
  const plotFiles: PlotFiles[] = [];
  for (const rp of rendered) {
    const svg = join(out, 'plots', `${rp.plot.name}.svg`);
    writeFileAtomic(svg, rp.svg);
    const f: PlotFiles = { name: rp.plot.name, title: rp.plot.title, svg };
    if (opts.png ?? true) {
      f.png = join(out, 'plots', `${rp.plot.name}.png`);
      writeFileAtomic(f.png, svgToPng(rp.svg));
    }
    plotFiles.push(f);
  }
  const reportPath = join(out, 'compare.html');
  writeFileAtomic(reportPath, compareHtml(runs, labels, out, rendered, onlyOne, notes));
  return { report: reportPath, plots: plotFiles, onlyOne, ms: performance.now() - t0 };
}

function compareHtml(runs: RunSource[], labels: string[], out: string, rendered: RenderedPlot[], onlyOne: CompareResult['onlyOne'], notes: string[]): string {
  const body: string[] = [];
  body.push(`<h1>Comparison of ${runs.length} runs</h1>`);
  body.push('<p class="sub">Observables the runs share, on the same axes.</p>');
  const rows = runs
    .map((r, i) => {
      const rep = join(r.dir, 'report.html');
      const link = existsSync(rep) ? `<a href="${esc(relative(out, rep).split('\\').join('/'))}">report</a>` : '<span class="na">no report yet</span>';
      return `<tr><td>${esc(labels[i])}</td><td>${esc(r.manifest.protocol)}</td><td>${statusBadge(r.manifest.status)}</td><td>${esc(r.manifest.seed ?? '')}</td><td>${esc(r.manifest.created ?? '')}</td><td>${link}</td></tr>`;
    })
    .join('');
  body.push(`<h2>Runs</h2><table><tr><th>run</th><th>protocol</th><th>status</th><th>seed</th><th>created</th><th></th></tr>${rows}</table>`);
  body.push('<h2>Shared observables</h2>');
  if (rendered.length === 0) body.push('<p class="na">These runs share no observable that compare knows how to overlay.</p>');
  for (const rp of rendered) body.push(figureHtml(rp));
  body.push(...notes);
  body.push('<h2>Only in one run</h2>');
  body.push(
    onlyOne.length
      ? `<ul id="only-one">${onlyOne.map((o) => `<li>${esc(o.title)} — only in <b>${esc(o.run)}</b></li>`).join('')}</ul>`
      : '<p class="na">Nothing: every observable found is shared or absent everywhere.</p>',
  );
  body.push(`<p class="hint">Generated by glassy ${esc(VERSION)} on ${esc(new Date().toISOString())}.</p>`);
  return page({ title: `glassy comparison: ${labels.join(', ')}`, body: body.join('\n'), withPlots: rendered.length > 0 });
}
