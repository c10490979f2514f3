/**
 * HTML building blocks shared by the run report and the comparison page: one self-contained page
 * (inline CSS, inline vega, inline specs, pre-rendered SVG fallbacks), no external URL anywhere.
 */
import type { Json, Plot } from './spec.js';
import type { Table } from './recipes/types.js';
import { EMBED_JS, inlineJson, vegaBrowserBuild } from './assets.js';

/** Escape text for HTML element content and attribute values. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A plot rendered for the page: its spec compiled to Vega and its SVG (the no-JS fallback). */
export interface RenderedPlot {
  plot: Plot;
  vega: { [k: string]: Json };
  svg: string;
}

const CSS = `
:root { --fg: #1a1a1a; --muted: #5a5a5a; --line: #dddddd; --accent: #0072B2; }
* { box-sizing: border-box; }
body { font: 15px/1.45 "DejaVu Sans", "Liberation Sans", Helvetica, Arial, sans-serif; color: var(--fg); margin: 0; padding: 24px 32px 64px; max-width: 1200px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 20px 0 6px; }
.sub { color: var(--muted); margin: 0 0 16px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 14px; }
th, td { text-align: left; padding: 3px 12px 3px 0; border-bottom: 1px solid var(--line); vertical-align: top; max-width: 760px; overflow-wrap: break-word; }
th { white-space: nowrap; }
.table-wrap { overflow-x: auto; max-width: 100%; }
th { font-weight: 600; color: #333; }
td.num { font-variant-numeric: tabular-nums; }
pre { background: #f6f6f6; border: 1px solid var(--line); padding: 10px; overflow: auto; font-size: 13px; max-height: 420px; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px; font-weight: 600; color: white; }
.status-complete { background: #009E73; } .status-running { background: #0072B2; } .status-interrupted { background: #E69F00; color: #1a1a1a; } .status-failed { background: #D55E00; }
.status-unknown { background: #777; }
figure { margin: 18px 0 28px; }
figure .fallback { max-width: 100%; height: auto; }
figure.rendered .fallback { display: none; }
figcaption { color: var(--muted); font-size: 13px; max-width: 760px; margin-top: 4px; }
.na { color: var(--muted); font-style: italic; }
nav ul { columns: 2; padding-left: 18px; margin: 4px 0; }
.glassy-tip { position: fixed; display: none; background: rgba(255,255,255,0.96); border: 1px solid #999; padding: 4px 6px; font-size: 12px; pointer-events: none; z-index: 10; box-shadow: 0 1px 4px rgba(0,0,0,0.2); }
.glassy-tip th, .glassy-tip td { border: none; padding: 1px 6px 1px 0; }
.hint { color: var(--muted); font-size: 13px; }
`;

/** The whole page. `plots` decides whether vega and the embed script are inlined. */
export function page(opts: { title: string; body: string; withPlots: boolean; headExtra?: string }): string {
  const scripts = opts.withPlots
    ? `<script>${vegaBrowserBuild()}</script>\n<script>${EMBED_JS}</script>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="glassy">
${opts.headExtra ?? ''}
<title>${esc(opts.title)}</title>
<style>${CSS}</style>
</head>
<body>
${opts.body}
${scripts}
</body>
</html>
`;
}

/** A figure: live container, base64 SVG fallback image (isolated: inline SVGs would clash on ids), spec. */
export function figureHtml(r: RenderedPlot): string {
  const name = r.plot.name;
  const b64 = Buffer.from(r.svg, 'utf8').toString('base64');
  return `<figure id="plot-${esc(name)}" data-plot="${esc(name)}">
<div class="live"></div>
<img class="fallback" alt="${esc(r.plot.title)}" src="data:image/svg+xml;base64,${b64}">
<script type="application/json" id="spec-${esc(name)}">${inlineJson(r.vega)}</script>
${r.plot.caption ? `<figcaption>${esc(r.plot.caption)}</figcaption>` : ''}
</figure>`;
}

/** A two-column key/value table. */
export function kvTable(rows: [string, string][]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

export function tableHtml(t: Table): string {
  const head = `<tr>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const body = t.rows.map((r) => `<tr>${r.map((c) => `<td class="${typeof c === 'number' ? 'num' : ''}">${esc(c ?? '')}</td>`).join('')}</tr>`).join('');
  return `<div class="table-wrap"><table id="table-${esc(t.name)}">${head}${body}</table></div>${t.caption ? `<p class="hint">${esc(t.caption)}</p>` : ''}`;
}

/** A status badge. */
export function statusBadge(status: string | undefined): string {
  const s = status ?? 'unknown';
  const cls = ['complete', 'running', 'interrupted', 'failed'].includes(s) ? s : 'unknown';
  return `<span class="status status-${cls}">${esc(s)}</span>`;
}
