/** Recipes on synthetic runs, report.html and plots/ on disk, compare, and the CLI commands. */
import { statSync } from 'node:fs';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Run } from '../src/store/run.js';
import { evaluateRecipe, recipeFor, knownProtocols } from '../src/report/recipes/index.js';
import { buildReport } from '../src/report/report.js';
import { buildComparison } from '../src/report/compare.js';
import type { Json } from '../src/report/spec.js';
import * as F from './report-fixtures.js';

let root = '';
const runs: Record<string, string> = {};
const BIN = fileURLToPath(new URL('../../bin/glassy.js', import.meta.url));

before(() => {
  root = mkdtempSync(join(tmpdir(), 'glassy-report-'));
  runs['train'] = F.makeTrain(join(root, 'train'));
  runs['spinglass'] = F.makeSpinglass(join(root, 'spinglass'));
  runs['cluster'] = F.makeCluster(join(root, 'cluster'));
  runs['aging'] = F.makeAging(join(root, 'aging'));
  runs['hessian'] = F.makeHessian(join(root, 'hessian'));
  runs['paths'] = F.makePaths(join(root, 'paths'));
  runs['l2sweep'] = F.makeL2sweep(join(root, 'l2sweep'));
  runs['permute'] = F.makePermute(join(root, 'permute'));
  runs['flatness'] = F.makeFlatness(join(root, 'flatness'));
  runs['surface'] = F.makeSurface(join(root, 'surface'));
});
after(() => rmSync(root, { recursive: true, force: true }));

const EXPECTED: Record<string, string[]> = {
  train: ['train_loss', 'test_loss', 'train_error', 'test_error', 'final_test_error'],
  spinglass: ['energy_vs_T', 'q2_vs_T', 'binder_vs_T', 'pq', 'energy_vs_time'],
  cluster: ['overlap', 'dendrogram', 'pq', 'ultrametric'],
  aging: ['delta', 'corr_norm', 'delta_collapse', 'corr_norm_collapse', 'corr', 'energy'],
  hessian: ['eigenvalues', 'density', 'trace'],
  paths: ['path_train_loss', 'path_test_loss', 'path_test_error'],
  l2sweep: ['transitions', 'phase', 'class_accuracy_lines', 'class_accuracy', 'class_accuracy_down', 'error_vs_norm'],
  permute: ['barrier_vs_k', 'barrier_vs_distance', 'path_train_loss', 'path_test_loss', 'path_test_error'],
  flatness: ['correlation_forest', 'correlations', 'lambda_max_vs_test_error', 'trace_vs_test_error', 'log_volume_vs_test_error', 'sharpness_vs_test_error', 'local_entropy_gap_vs_test_error', 'mean_rise_vs_test_error', 'walk_ruggedness_vs_test_error'],
  surface: ['surface_train_loss_contour', 'surface_train_loss_3d', 'surface_test_loss_contour', 'surface_test_loss_3d', 'surface_test_error_contour'],
};

/** Items a fixture leaves out on purpose (the run did not measure them). */
const ABSENT: Record<string, string[]> = {
  flatness: ['sharpness_vs_test_error', 'local_entropy_gap_vs_test_error', 'mean_rise_vs_test_error', 'walk_ruggedness_vs_test_error'],
};

test('every protocol recipe builds every item from a complete run', () => {
  // permute and connect write the paths arrays; walk has its own test (test/walk-spins.test.ts).
  assert.deepEqual(knownProtocols(), [...Object.keys(EXPECTED), 'connect', 'walk'].sort());
  for (const [protocol, items] of [...Object.entries(EXPECTED), ['connect', EXPECTED['paths']!]] as const) {
    const res = evaluateRecipe(recipeFor(protocol), Run.open(runs[protocol === 'connect' ? 'paths' : protocol] as string));
    assert.deepEqual(res.map((r) => r.name), items, protocol);
    for (const r of res) {
      const want = ABSENT[protocol]?.includes(r.name) ? 'unavailable' : 'ok';
      assert.equal(r.status, want, `${protocol}/${r.name}: ${r.status === 'unavailable' ? r.reason : ''}`);
    }
  }
});

/** Values of a field across every data.values array inside a spec. */
function values(spec: Json, field: string): Json[] {
  const out: Json[] = [];
  const walk = (v: Json): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const vals = (v['data'] as { values?: Json[] } | undefined)?.values;
      if (Array.isArray(vals)) for (const r of vals) if (r && typeof r === 'object' && !Array.isArray(r) && field in r) out.push(r[field] as Json);
      for (const k of Object.keys(v)) if (k !== 'data') walk(v[k] as Json);
    }
  };
  walk(spec);
  return out;
}

test('recipes put the run\'s numbers in the specs', () => {
  const get = (protocol: string, name: string): Json => {
    const r = evaluateRecipe(recipeFor(protocol), Run.open(runs[protocol] as string)).find((x) => x.name === name);
    assert.ok(r && r.status === 'ok' && r.kind === 'plot');
    return r.plot.spec;
  };
  // train: mean over 4 replicas at step 10 is in the data, step 0 is not (log x)
  const train = get('train', 'train_loss');
  assert.ok(!values(train, 'x').includes(0));
  assert.ok(values(train, 'series').includes('mean of 4'));
  // spinglass: energy vs T carries e(T) = −1/(2T) at T = 1.5
  assert.ok(values(get('spinglass', 'energy_vs_T'), 'y').includes(-1 / 3));
  // hessian: top eigenvalue as stored
  assert.ok(values(get('hessian', 'eigenvalues'), 'y').includes(42.5));
  // paths: names from manifest.summary.paths
  const series = values(get('paths', 'path_train_loss'), 'series');
  assert.ok(series.includes('linear') && series.includes('permuted-linear'));
  // aging collapse leaves out t_w = 0 and rescales t by t_w^μ at the fitted μ (0.9), not μ = 1
  const collapse = get('aging', 'delta_collapse');
  assert.ok(!values(collapse, 'series').includes('t_w = 0'));
  assert.ok(values(collapse, 'x').some((x) => Math.abs((x as number) - 1000 / 1000 ** 0.9) < 1e-9));
  assert.ok(!values(collapse, 'x').includes(1));
  const cc = evaluateRecipe(recipeFor('aging'), Run.open(runs['aging'] as string)).find((x) => x.name === 'corr_norm_collapse');
  assert.ok(cc && cc.status === 'ok' && cc.kind === 'plot');
  assert.match(cc.plot.caption ?? '', /μ = 0\.85/);
  // permute: barrier vs displaced units, mean over the 2 repeats
  const vsK = get('permute', 'barrier_vs_k');
  assert.deepEqual(values(vsK, 'x').slice(0, 3), [2, 4, 16]);
  assert.ok(Math.abs((values(vsK, 'y')[0] as number) - 0.105) < 1e-12);
  // flatness: a measure the run says has no power is labelled so; one without a power field is judged by its CI
  const forest = get('flatness', 'correlation_forest');
  const labels = values(forest, 'label');
  assert.ok(labels.includes('log_volume (n = 8) (no power)'));
  assert.ok(labels.includes('lambda_max (n = 8)') && labels.includes('trace (n = 8)'));
  // l2sweep: up and down sweeps as two series
  const phase = get('l2sweep', 'phase');
  assert.ok(values(phase, 'series').includes('up') && values(phase, 'series').includes('down'));
  // l2sweep: the transitions table states interval, jump with CI, z, classes lost and the convention
  const table = evaluateRecipe(recipeFor('l2sweep'), Run.open(runs['l2sweep'] as string)).find((x) => x.name === 'transitions');
  assert.ok(table && table.kind === 'table' && table.status === 'ok');
  assert.deepEqual(table.table.rows[0], ['up', '0.0400 – 0.0500', '0.0450', '1.10 [1.05, 1.15]', '110.0', '97 → 50 %', '0, 1, 2, 3, 4', 'train_loss, theta_norm']);
  assert.match(table.table.caption ?? '', /β: penalty/);
});

test('missing or malformed arrays make items "not available", never a crash', () => {
  const dir = F.makeTrain(join(root, 'partial'), { partial: true });
  const res = evaluateRecipe(recipeFor('train'), Run.open(dir));
  const byName = Object.fromEntries(res.map((r) => [r.name, r]));
  assert.equal(byName['train_loss']?.status, 'ok');
  const miss = byName['test_loss'];
  assert.ok(miss && miss.status === 'unavailable');
  assert.equal(miss.reason, 'missing array test_loss');
  // a wrong shape is reported with the shapes involved
  const bad = Run.create(join(root, 'badshape'), { protocol: 'hessian', config: {}, seed: 1 });
  bad.writeArray('density_x', Float64Array.from([1, 2, 3]));
  bad.writeArray('density_y', Float64Array.from([1, 2]));
  bad.finish();
  const r = evaluateRecipe(recipeFor('hessian'), Run.open(bad.dir)).find((x) => x.name === 'density');
  assert.ok(r && r.status === 'unavailable');
  assert.match(r.reason, /density_y has 2 values, expected 3/);
});

test('unknown protocols get the generic recipe: 1-D arrays plotted, others listed', () => {
  const dir = F.makeUnknown(join(root, 'unknown'));
  const res = evaluateRecipe(recipeFor('mystery', Run.open(dir).listArrays()), Run.open(dir));
  assert.deepEqual(res.map((r) => [r.name, r.status]), [['matrix_b', 'unavailable'], ['series_a', 'ok']]);
});

test('glassy report: report.html (offline, complete) and plots/*.svg|png, atomically', async () => {
  const r = await buildReport(runs['cluster'] as string);
  assert.equal(r.report, join(runs['cluster'] as string, 'report.html'));
  assert.deepEqual(r.plots.map((p) => p.name), ['overlap', 'dendrogram', 'pq', 'ultrametric']);
  for (const p of r.plots) {
    assert.match(readFileSync(p.svg, 'utf8'), /^<svg/);
    assert.deepEqual([...readFileSync(p.png as string).subarray(1, 4)], [0x50, 0x4e, 0x47]);
  }
  const html = readFileSync(r.report, 'utf8');
  for (const name of ['overlap', 'dendrogram', 'pq', 'ultrametric']) assert.match(html, new RegExp(`data-plot="${name}"`));
  assert.match(html, /<pre id="config">\{\n {2}&quot;K&quot;: 6\n\}<\/pre>/, 'pretty config');
  assert.match(html, /<th>seed<\/th><td>5<\/td>/);
  assert.match(html, /<th>glassy version<\/th><td>\d+\.\d+\.\d+<\/td>/);
  assert.match(html, /<th>Node<\/th><td>20\./);
  assert.match(html, /<th>clusters<\/th><td>2<\/td>/, 'summary as key figures');
  assert.match(html, /status-complete/);
  assert.ok(html.includes('vega.View') && html.includes('globalThis'), 'vega and the embed script are inlined');
  // offline: nothing is loaded from anywhere
  assert.doesNotMatch(html, /(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
  assert.doesNotMatch(html, /url\(\s*["']?(https?:)?\/\//i);
  assert.doesNotMatch(html, /<script[^>]+src=/i);
  assert.deepEqual(readdirSync(runs['cluster'] as string).filter((n) => n.startsWith('.glassy-tmp')), []);
  assert.deepEqual(readdirSync(join(runs['cluster'] as string, 'plots')).filter((n) => n.startsWith('.glassy-tmp')), []);
});

test('a report lists unavailable plots and removes their stale files', async () => {
  const dir = F.makeTrain(join(root, 'stale'));
  await buildReport(dir, { png: false });
  assert.ok(existsSync(join(dir, 'plots', 'test_loss.svg')));
  const partial = F.makeTrain(dir, { partial: true });
  const r = await buildReport(partial, { png: false });
  assert.ok(!existsSync(join(dir, 'plots', 'test_loss.svg')));
  assert.deepEqual(r.unavailable.map((u) => u.name), ['test_loss', 'train_error', 'test_error', 'final_test_error']);
  const html = readFileSync(r.report, 'utf8');
  assert.match(html, /data-unavailable="test_loss">Not available: missing array test_loss/);
});

test('a report of a long run (10 replicas × 300 times) is complete, with every plot and its PNG', async () => {
  // Speed is measured by the benchmarks, never asserted in tests (a loaded machine would make it flaky).
  const dir = F.makeTrain(join(root, 'large'), { K: 10, T: 300 });
  const r = await buildReport(dir, { png: true });
  assert.deepEqual(r.unavailable, []);
  for (const p of r.plots) assert.ok(p.png && statSync(p.png).size > 1000, `${p.name} has a PNG`);
});

test('compare overlays what runs share and lists what only one has', async () => {
  const pspin = F.makeAging(join(root, 'pspin-aging'), { scale: 0.01 });
  const out = join(root, 'cmp');
  const r = await buildComparison([runs['cluster'] as string, runs['spinglass'] as string, runs['aging'] as string, pspin], out, { png: false });
  assert.equal(r.report, join(out, 'compare.html'));
  assert.deepEqual(r.plots.map((p) => p.name), ['pq', 'aging_delta', 'aging_delta_collapse', 'aging_corr_norm', 'aging_corr_norm_collapse']);
  assert.deepEqual(r.onlyOne.map((o) => [o.name, o.run]), [['ultrametric', 'cluster']]);
  const html = readFileSync(r.report, 'utf8');
  assert.match(html, /spinglass \(T = 0\.4\)/, 'the SK run contributes its lowest temperature');
  assert.match(html, /only in <b>cluster<\/b>/);
  await assert.rejects(buildComparison([runs['cluster'] as string], out), /runs: got .*expected at least two run directories/);
});

test('CLI: report --json, compare, and one-line errors for bad input', () => {
  const out = execFileSync(process.execPath, [BIN, 'report', runs['hessian'] as string, '--json', '--no-png'], { encoding: 'utf8' });
  const j = JSON.parse(out) as { report: string; plots: { name: string; svg: string }[] };
  assert.equal(j.report, join(runs['hessian'] as string, 'report.html'));
  assert.deepEqual(j.plots.map((p) => p.name), ['eigenvalues', 'density', 'trace']);
  const plain = execFileSync(process.execPath, [BIN, 'report', runs['paths'] as string, '--no-png'], { encoding: 'utf8' });
  assert.equal(plain, `${join(runs['paths'] as string, 'report.html')}\n`);
  const bad = spawnSync(process.execPath, [BIN, 'report', join(root, 'nope')], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^error: no glassy run at .*nope/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
  const noOut = spawnSync(process.execPath, [BIN, 'compare', runs['hessian'] as string, runs['paths'] as string], { encoding: 'utf8' });
  assert.equal(noOut.status, 2);
  assert.match(noOut.stderr, /error: --out: got undefined, expected an output directory/);
  // a corrupt manifest is a one-line error too
  const broken = join(root, 'broken');
  F.makeHessian(broken);
  writeFileSync(join(broken, 'manifest.json'), '{ not json');
  const b = spawnSync(process.execPath, [BIN, 'report', broken], { encoding: 'utf8' });
  assert.equal(b.status, 2);
  assert.match(b.stderr, /manifest\.json is not valid JSON/);
});

test('key figures: nested summary records become tables of their own, never JSON cut short', async () => {
  const dir = F.makePermute(join(root, 'permute-keys'));
  await buildReport(dir, { png: false });
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(html, /<table id="table-summary-per_k"><tr><th>k<\/th><th>barrier<\/th><th>test_barrier<\/th><th>distance<\/th><th>displaced<\/th><\/tr>/);
  assert.match(html, /<td class="">random<\/td>/);
  const keyFigures = html.slice(html.indexOf('id="key-figures"'), html.indexOf('<h2>Results</h2>'));
  assert.doesNotMatch(keyFigures, /\.\.\.|…|\{"/);
  // flatness: the recipe's correlation table replaces the raw summary list
  const fl = F.makeFlatness(join(root, 'flatness-keys'));
  await buildReport(fl, { png: false });
  const fh = readFileSync(join(fl, 'report.html'), 'utf8');
  assert.doesNotMatch(fh, /table-summary-correlations/);
  assert.match(fh, /table-correlations-data/);
});

test('cluster P(q): the run\'s common axis before and after alignment is drawn as two series', () => {
  const dir = join(root, 'pq-axis');
  const r = Run.create(dir, { protocol: 'cluster', config: {}, seed: 1 }, { overwrite: true });
  r.writeArray('pq_edges', Float64Array.from([0, 0.5, 1]));
  r.writeArray('pq_hist', Float64Array.from([1, 2]));
  r.writeArray('pq_axis_edges', Float64Array.from([0.2, 0.3, 0.4, 0.5]));
  r.writeArray('pq_axis_hist_aligned', Float64Array.from([0, 5, 5]));
  r.writeArray('pq_axis_hist_unaligned', Float64Array.from([10, 0, 0]));
  r.finish({});
  const pq = evaluateRecipe(recipeFor('cluster'), Run.open(dir)).find((x) => x.name === 'pq');
  assert.ok(pq && pq.status === 'ok' && pq.kind === 'plot');
  const names = new Set(values(pq.plot.spec, 'series'));
  assert.ok(names.has('after alignment') && names.has('before alignment'));
  // the axis fits the occupied bins [0.2, 0.5], not [−1, 1]
  assert.match(pq.plot.caption ?? '', /\[0\.17, 0\.53\]/);
});
