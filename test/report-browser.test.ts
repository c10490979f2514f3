/**
 * Reports in a real browser (Chromium through playwright-core): offline, no console errors, every
 * plot of the recipe rendered live; then `glassy serve` end to end. Skipped, with a message, only
 * when Chromium is not installed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildReport } from '../src/report/report.js';
import { evaluateRecipe, recipeFor } from '../src/report/recipes/index.js';
import { Run } from '../src/store/run.js';
import { startServer, type GlassyServer } from '../src/report/serve.js';
import * as F from './report-fixtures.js';

const CHROMIUM = process.env['GLASSY_CHROMIUM'] ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `Chromium not found at ${CHROMIUM} (install chromium or set GLASSY_CHROMIUM)`;
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

let root = '';
let browser: Browser | undefined;
const runs: Record<string, string> = {};

before(async () => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'glassy-browser-'));
  const makers: Record<string, (d: string) => string> = {
    train: F.makeTrain,
    cluster: F.makeCluster,
    aging: (d) => F.makeAging(d),
    l2sweep: F.makeL2sweep,
    spinglass: F.makeSpinglass,
    hessian: F.makeHessian,
    connect: (d) => F.makePaths(d),
    permute: F.makePermute,
    flatness: F.makeFlatness,
    surface: F.makeSurface,
  };
  for (const [k, mk] of Object.entries(makers)) {
    runs[k] = mk(join(root, k));
    await buildReport(runs[k] as string, { png: false });
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** A page that records console errors and blocks (and records) every request off its own origin. */
async function watchedPage(allowed: (url: string) => boolean): Promise<{ page: Page; errors: string[]; blocked: string[] }> {
  const page = await (browser as Browser).newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  const blocked: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (allowed(url)) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  return { page, errors, blocked };
}

/** Data marks drawn by the live (JS) rendering of one figure. */
async function liveMarks(page: Page, name: string): Promise<number> {
  // tsconfig has no DOM lib: describe the few DOM members used inside the browser callback.
  type El = { tagName: string; getAttribute(n: string): string | null };
  type Root = { querySelectorAll(s: string): { forEach(f: (e: El) => void): void } };
  return page.$eval(`figure[data-plot="${name}"] .live`, (el) => {
    let n = 0;
    (el as unknown as Root).querySelectorAll('svg .mark-line path, svg .mark-area path, svg .mark-rect path, svg .mark-symbol path, svg .mark-rule line').forEach((m: El) => {
      const d = m.getAttribute('d');
      if (m.tagName === 'line' || (d !== null && d.length > 2)) n++;
    });
    return n;
  });
}

for (const protocol of ['train', 'cluster', 'aging', 'l2sweep', 'spinglass', 'hessian', 'permute', 'flatness', 'surface']) {
  test(`${protocol} report renders offline in Chromium: every plot live, no errors, no requests`, { skip }, async () => {
    const dir = runs[protocol] as string;
    const expected = evaluateRecipe(recipeFor(protocol), Run.open(dir)).filter((r) => r.kind === 'plot').map((r) => r.name);
    const { page, errors, blocked } = await watchedPage((u) => u.startsWith('file://'));
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
    await page.waitForSelector('body[data-plots-rendered="true"]', { timeout: 20000 });
    const figures = await page.$$eval('figure[data-plot]', (fs) => fs.map((f) => f.getAttribute('data-plot')));
    assert.deepEqual(figures, expected.filter((n) => evaluateRecipe(recipeFor(protocol), Run.open(dir)).find((r) => r.name === n)?.status === 'ok'));
    for (const name of figures as string[]) {
      assert.equal(await page.$eval(`figure[data-plot="${name}"]`, (f) => f.classList.contains('rendered')), true, name);
      const marks = await liveMarks(page, name);
      assert.ok(marks > 0, `${protocol}/${name}: ${marks} data marks`);
    }
    // hover a data point: the tooltip shows values
    if (protocol === 'train') {
      const box = await page.$('figure[data-plot="train_loss"] .live svg');
      assert.ok(box);
      const pt = await page.$('figure[data-plot="train_loss"] .live .mark-symbol path');
      assert.ok(pt);
      await pt.hover({ force: true });
      await page.waitForSelector('.glassy-tip', { state: 'visible', timeout: 5000 });
      assert.match(await page.$eval('.glassy-tip', (t) => t.textContent ?? ''), /time t \(SGD steps\)/);
    }
    assert.deepEqual(errors, [], 'console errors');
    assert.deepEqual(blocked, [], 'network requests attempted');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `report-${protocol}.png`), fullPage: true });
    await page.close();
  });
}

test('glassy serve in Chromium: index lists runs with status, report link works, traversal refused', { skip }, async () => {
  const s: GlassyServer = await startServer({ dir: root, port: 0 });
  try {
    assert.equal(s.host, '127.0.0.1');
    const origin = s.url.replace(/\/$/, '');
    const { page, errors, blocked } = await watchedPage((u) => u.startsWith(`${origin}/`));
    await page.goto(s.url);
    const rows = await page.$$eval('#runs tr[data-run]', (trs) => trs.map((tr) => [tr.getAttribute('data-run'), tr.getAttribute('data-status'), tr.querySelector('.status')?.textContent]));
    assert.deepEqual(rows, Object.keys(runs).sort().map((r) => [r, 'complete', 'complete']));
    await page.click('tr[data-run="cluster"] a');
    await page.waitForSelector('body[data-plots-rendered="true"]', { timeout: 20000 });
    assert.equal(page.url(), `${origin}/cluster/report.html`);
    assert.ok((await liveMarks(page, 'dendrogram')) > 0);
    assert.deepEqual(errors, []);
    assert.deepEqual(blocked, []);
    for (const p of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/cluster/..%2f..%2fetc%2fpasswd']) {
      const r = await F.rawGet(s.port, p);
      assert.ok(r.status === 403 || r.status === 404, `${p} → ${r.status}`);
    }
    // the browser normalises ".." itself; what reaches the server must still be confined
    const resp = await page.request.get(`${origin}/%2e%2e/%2e%2e/etc/passwd`);
    assert.ok(resp.status() === 403 || resp.status() === 404, `encoded traversal → ${resp.status()}`);
    await page.close();
  } finally {
    await s.close();
  }
});

/** What the rendered (live) SVG of a figure shows: series colours, legends, their labels and titles. */
async function rendered(page: Page, name: string): Promise<{ lineColours: string[]; fills: number; legends: { title: string; labels: string[]; gradient: boolean }[]; texts: string[] }> {
  type El = { getAttribute(n: string): string | null; textContent: string | null; querySelectorAll(s: string): ArrayLike<El> };
  return page.$eval(`figure[data-plot="${name}"] .live svg`, (svg) => {
    const root = svg as unknown as El;
    const all = (el: El, sel: string): El[] => Array.from(el.querySelectorAll(sel));
    // Summary/reference/mark colours (black, greys, white) are not series.
    const neutral = new Set(['#000000', '#000', '#555555', '#8c8c8c', 'white', '#ffffff', 'none', 'transparent']);
    const colours = new Set<string>();
    for (const p of all(root, '.mark-line path')) {
      const c = (p.getAttribute('stroke') ?? '').toLowerCase();
      if (c && !neutral.has(c)) colours.add(c);
    }
    const fills = new Set<string>();
    for (const p of all(root, '.mark-rect path')) fills.add(p.getAttribute('fill') ?? '');
    for (const p of all(root, '.mark-rule line')) {
      const c = (p.getAttribute('stroke') ?? '').toLowerCase();
      if (c && !neutral.has(c)) fills.add(c);
    }
    const legends = all(root, '[aria-roledescription="legend"]').map((g) => ({
      title: all(g, '.role-legend-title text').map((t) => t.textContent ?? '').join(' '),
      labels: all(g, '.role-legend-label text').map((t) => t.textContent ?? ''),
      gradient: all(g, '.role-legend-gradient').length > 0 || (g.getAttribute('aria-label') ?? '').includes('Gradient'),
    }));
    const texts = all(root, 'text').map((t) => t.textContent ?? '');
    return { lineColours: [...colours], fills: fills.size, legends, texts };
  });
}

/** The figure each protocol exists for, and what its rendered SVG must say. */
/** `legend: null`: one series (a mean over thin replicas, a single density) needs none. */
const DEFINING: Record<string, { figure: string; legend: RegExp | null; text?: RegExp }> = {
  train: { figure: 'train_loss', legend: null },
  cluster: { figure: 'pq', legend: /before alignment/ },
  aging: { figure: 'corr_norm_collapse', legend: /t_w = 10/ },
  l2sweep: { figure: 'phase', legend: /^up$|^down$/, text: /β_c/ },
  spinglass: { figure: 'pq', legend: /./ },
  hessian: { figure: 'density', legend: null, text: /density/ },
  permute: { figure: 'barrier_vs_k', legend: /test loss/ },
  flatness: { figure: 'correlation_forest', legend: /no power/, text: /no power/ },
  surface: { figure: 'surface_train_loss_contour', legend: /training loss/ },
  connect: { figure: 'path_train_loss', legend: /permuted-linear/ },
};

for (const [protocol, want] of Object.entries(DEFINING)) {
  test(`${protocol}: the defining figure (${want.figure}) is drawn, and every multi-series plot has a legend or a labelled colour scale`, { skip }, async () => {
    const dir = runs[protocol] as string;
    const { page, errors } = await watchedPage((u) => u.startsWith('file://'));
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
    await page.waitForSelector('body[data-plots-rendered="true"]', { timeout: 20000 });
    const figures = (await page.$$eval('figure[data-plot]', (fs) => fs.map((f) => f.getAttribute('data-plot')))) as string[];
    assert.ok(figures.includes(want.figure), `${protocol}: ${want.figure} among ${figures.join(', ')}`);
    for (const name of figures) {
      const r = await rendered(page, name);
      const entries = r.legends.flatMap((l) => l.labels);
      if (r.lineColours.length >= 2) {
        assert.ok(entries.length >= r.lineColours.length || r.legends.some((l) => l.gradient && l.title), `${protocol}/${name}: ${r.lineColours.length} coloured series but legend entries [${entries.join(', ')}]`);
      }
      if (r.fills >= 3) {
        assert.ok(r.legends.some((l) => l.title.length > 0 || l.labels.length >= 2), `${protocol}/${name}: ${r.fills} colours but no labelled legend or colour bar`);
      }
      if (name === want.figure && want.legend) {
        const legend = want.legend;
        assert.ok(r.legends.length > 0, `${protocol}/${name}: no legend`);
        assert.ok([...entries, ...r.legends.map((l) => l.title)].some((t) => legend.test(t)), `${protocol}/${name}: legend [${entries.join(', ')}] lacks ${legend}`);
      }
      if (name === want.figure) {
        if (want.text) assert.ok(r.texts.some((t) => want.text!.test(t)), `${protocol}/${name}: no text matching ${want.text}`);
      }
    }
    assert.deepEqual(errors, []);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `report-${protocol}.png`), fullPage: true });
    await page.close();
  });
}

test('compare: every overlaid plot names its runs in a legend; the p-spin is on physical time', { skip }, async () => {
  const { buildComparison } = await import('../src/report/compare.js');
  const pspin = F.makeAging(join(root, 'pspin-aging'), { scale: 0.01 });
  const out = join(root, 'compare');
  await buildComparison([runs['cluster'] as string, runs['spinglass'] as string, runs['aging'] as string, pspin], out, { png: false });
  const { page, errors } = await watchedPage((u) => u.startsWith('file://'));
  await page.goto(pathToFileURL(join(out, 'compare.html')).href);
  await page.waitForSelector('body[data-plots-rendered="true"]', { timeout: 20000 });
  const figures = (await page.$$eval('figure[data-plot]', (fs) => fs.map((f) => f.getAttribute('data-plot')))) as string[];
  assert.ok(figures.length >= 4);
  for (const name of figures) {
    const r = await rendered(page, name);
    const entries = r.legends.flatMap((l) => l.labels);
    assert.ok(r.legends.some((l) => /run/.test(l.title)), `${name}: no "run" legend`);
    assert.ok(entries.some((e) => e.includes('pspin-aging') || e.includes('cluster')), `${name}: legend [${entries.join(', ')}]`);
  }
  assert.ok((await rendered(page, 'aging_delta')).texts.some((t) => /time t/.test(t)));
  assert.deepEqual(errors, []);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'compare.png'), fullPage: true });
  await page.close();
});
