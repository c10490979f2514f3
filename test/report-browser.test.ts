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

for (const protocol of ['train', 'cluster', 'aging', 'l2sweep', 'spinglass']) {
  test(`${protocol} report renders offline in Chromium: every plot live, no errors, no requests`, { skip }, async () => {
    const dir = runs[protocol] as string;
    const expected = evaluateRecipe(recipeFor(protocol), Run.open(dir)).filter((r) => r.kind === 'plot').map((r) => r.name);
    const { page, errors, blocked } = await watchedPage((u) => u.startsWith('file://'));
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
    await page.waitForSelector('body[data-plots-rendered="true"]', { timeout: 20000 });
    const figures = await page.$$eval('figure[data-plot]', (fs) => fs.map((f) => f.getAttribute('data-plot')));
    assert.deepEqual(figures, expected);
    for (const name of expected) {
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
    assert.deepEqual(rows, [
      ['aging', 'complete', 'complete'],
      ['cluster', 'complete', 'complete'],
      ['l2sweep', 'complete', 'complete'],
      ['spinglass', 'complete', 'complete'],
      ['train', 'complete', 'complete'],
    ]);
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
