/**
 * `glassy report RUN`: the run's recipe → plots (SVG, PNG) and one self-contained report.html.
 * Everything is written atomically; a plot that cannot be drawn is listed, never fatal.
 */
import { existsSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../store/atomic.js';
import { VERSION } from '../version.js';
import { openRun, type RunSource } from './source.js';
import { evaluateRecipe, recipeFor, type ItemResult, type Recipe } from './recipes/index.js';
import { toVega, vegaToSvg, svgToPng } from './render.js';
import type { Plot } from './spec.js';
import { esc, figureHtml, kvTable, page, statusBadge, tableHtml, type RenderedPlot } from './html.js';
import { provenanceRows, statusRows, summaryRows, timingRows } from './provenance.js';

export interface ReportOptions {
  /** Write plots/<name>.png too (default true). */
  png?: boolean;
  /** PNG scale factor (default 2). */
  pngScale?: number;
  /** The protocol's recipe, as its registry line gives it (default: looked up by the run's protocol name). */
  recipe?: Recipe;
}

export interface PlotFiles {
  name: string;
  title: string;
  svg: string;
  png?: string;
}

export interface ReportResult {
  report: string;
  plots: PlotFiles[];
  unavailable: { name: string; title: string; reason: string }[];
  /** Milliseconds spent. */
  ms: number;
}

/** Compile and render one plot; a failure becomes a reason string. */
export async function renderPlot(plot: Plot): Promise<RenderedPlot> {
  const vg = toVega(plot.spec);
  const svg = await vegaToSvg(vg);
  return { plot, vega: vg, svg };
}

/** Build RUN/report.html and RUN/plots/*. */
export async function buildReport(runDir: string, opts: ReportOptions = {}): Promise<ReportResult> {
  const t0 = performance.now();
  const run = openRun(runDir);
  const recipe = opts.recipe ?? recipeFor(run.manifest.protocol, run.listArrays());
  const results = evaluateRecipe(recipe, run);
  const rendered = new Map<string, RenderedPlot>();
  const unavailable: ReportResult['unavailable'] = [];
  const plotFiles: PlotFiles[] = [];
  const plotsDir = join(run.dir, 'plots');
  for (const r of results) {
    if (r.status !== 'ok') {
      unavailable.push({ name: r.name, title: r.title, reason: r.reason });
      removeStale(plotsDir, r.name);
      continue;
    }
    if (r.kind !== 'plot') continue;
    try {
      const rp = await renderPlot(r.plot);
      rendered.set(r.name, rp);
    } catch (e) {
      unavailable.push({ name: r.name, title: r.title, reason: `could not be drawn: ${(e as Error).message}` });
    }
  }
  for (const rp of rendered.values()) {
    const svgPath = join(plotsDir, `${rp.plot.name}.svg`);
    writeFileAtomic(svgPath, rp.svg);
    const files: PlotFiles = { name: rp.plot.name, title: rp.plot.title, svg: svgPath };
    if (opts.png ?? true) {
      const pngPath = join(plotsDir, `${rp.plot.name}.png`);
      writeFileAtomic(pngPath, svgToPng(rp.svg, opts.pngScale ?? 2));
      files.png = pngPath;
    }
    plotFiles.push(files);
  }
  const html = reportHtml(run, recipe.description, results, rendered);
  const reportPath = join(run.dir, 'report.html');
  writeFileAtomic(reportPath, html);
  return { report: reportPath, plots: plotFiles, unavailable, ms: performance.now() - t0 };
}

function removeStale(plotsDir: string, name: string): void {
  // A plot that is no longer available must not leave last time's picture looking current.
  for (const ext of ['svg', 'png']) {
    const p = join(plotsDir, `${name}.${ext}`);
    if (existsSync(p)) rmSync(p, { force: true });
  }
}

/** The report page. */
export function reportHtml(run: RunSource, description: string, results: ItemResult[], rendered: Map<string, RenderedPlot>): string {
  const m = run.manifest;
  const name = basename(run.dir);
  const sections: string[] = [];
  sections.push(`<h1>${esc(name)} <span class="sub">— ${esc(m.protocol)}</span></h1>`);
  sections.push(`<p class="sub">${statusBadge(m.status)} ${esc(description)}</p>`);
  const running = m.status === 'running' ? '<p class="hint">This run is still running: the report shows what it had written when the report was made.</p>' : '';
  sections.push(running);
  const toc = results
    .map((r) => (r.status === 'ok' ? `<li><a href="#${r.kind}-${esc(r.name)}">${esc(r.title)}</a></li>` : `<li class="na">${esc(r.title)} — not available</li>`))
    .join('');
  sections.push(`<nav><ul>${toc}</ul></nav>`);

  sections.push('<h2 id="key-figures">Key figures</h2>');
  const summary = summaryRows(m);
  sections.push(summary.length ? kvTable(summary) : '<p class="na">The run recorded no summary.</p>');

  sections.push('<h2>Results</h2>');
  for (const r of results) {
    if (r.status !== 'ok') {
      sections.push(`<h3>${esc(r.title)}</h3><p class="na" data-unavailable="${esc(r.name)}">Not available: ${esc(r.reason)}.</p>`);
    } else if (r.kind === 'table') {
      sections.push(`<h3 id="table-${esc(r.name)}">${esc(r.title)}</h3>${tableHtml({ ...r.table, name: `${r.name}-data` })}`);
    } else {
      const rp = rendered.get(r.name);
      // The figure carries its own title; no heading above it to say the same thing twice.
      if (rp) sections.push(figureHtml(rp));
      else sections.push(`<h3>${esc(r.title)}</h3><p class="na" data-unavailable="${esc(r.name)}">Not available: could not be drawn.</p>`);
    }
  }

  sections.push('<h2>Status and timings</h2>');
  sections.push(kvTable([['status', m.status ?? 'unknown'], ...statusRows(m)]));
  const timings = timingRows(m);
  if (timings.length) sections.push(kvTable(timings));

  sections.push('<h2>Provenance</h2>');
  sections.push(kvTable(provenanceRows(m)));

  sections.push('<h2>Configuration</h2>');
  sections.push(`<pre id="config">${esc(JSON.stringify(m.config ?? null, null, 2))}</pre>`);

  const arrays = run.listArrays();
  sections.push(`<h2>Arrays</h2><p class="hint">${arrays.length} array(s) in <code>arrays/</code> (numpy: <code>np.load</code>): ${esc(arrays.join(', ') || 'none')}. SVG and PNG of every plot are in <code>plots/</code>.</p>`);
  sections.push(`<p class="hint">Generated by glassy ${esc(VERSION)} on ${esc(new Date().toISOString())}. Hover a plot for values; drag to pan and scroll to zoom line plots; double-click to reset.</p>`);

  const hasPlots = rendered.size > 0;
  return page({ title: `${name} — glassy report`, body: sections.join('\n'), withPlots: hasPlots });
}
