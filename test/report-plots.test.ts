/** Plot builders: the specs they emit (axes, encodings, data) and headless SVG/PNG rendering. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linePlot } from '../src/report/plots/line.js';
import { matrixHeatmap, cellEdges } from '../src/report/plots/heatmap.js';
import { dendrogramLayout, dendrogramHeatmap } from '../src/report/plots/dendrogram.js';
import { binSamples, binRows, histogramPlot, sharedEdges } from '../src/report/plots/histogram.js';
import { linearFit, scatterPlot } from '../src/report/plots/scatter.js';
import { phasePlot } from '../src/report/plots/phase.js';
import { renderSvg, svgToPixels, svgToPng, toVega } from '../src/report/render.js';
import { OKABE_ITO } from '../src/report/theme.js';
import type { Json } from '../src/report/spec.js';

/** Follow a dotted path ("layer.0.encoding.x.scale.type") through a JSON value. */
function at(v: Json | undefined, path: string): Json | undefined {
  let cur: Json | undefined = v;
  for (const k of path.split('.')) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) ? cur[Number(k)] : cur[k];
  }
  return cur;
}
const rowsOf = (spec: Json, path = 'data.values'): { [k: string]: Json }[] => at(spec, path) as { [k: string]: Json }[];

test('line plot: log x drops t = 0 (and says so), band is y ± SE, zoom bound to scales', () => {
  const p = linePlot({
    name: 'loss',
    title: 'Loss',
    x: { title: 'time t (SGD steps)', scale: 'log' },
    y: { title: 'loss' },
    series: [{ name: 'a', x: [0, 10, 100], y: [3, 2, 1], se: [0.1, 0.2, 0.3] }],
  });
  const rows = rowsOf(p.spec);
  assert.deepEqual(rows.map((r) => r['x']), [10, 100]);
  assert.deepEqual(rows.map((r) => r['lo']), [1.8, 0.7]);
  assert.deepEqual(rows.map((r) => r['hi']), [2.2, 1.3]);
  assert.match(p.caption ?? '', /1 point\(s\) with non-positive x/);
  const layers = at(p.spec, 'layer') as Json[];
  const band = layers.find((l) => at(l, 'mark.type') === 'area');
  assert.ok(band, 'an area layer draws the SE band');
  assert.equal(at(band, 'encoding.x.scale.type'), 'log');
  assert.equal(at(band, 'encoding.y2.field'), 'hi');
  const line = layers.find((l) => at(l, 'mark.type') === 'line');
  assert.equal(at(line, 'encoding.y.scale.type'), 'linear');
  assert.equal(at(line, 'encoding.x.title'), 'time t (SGD steps)');
  assert.equal(at(line, 'params.0.bind'), 'scales');
  // One series: coloured Okabe–Ito blue, no legend needed (the axis names it).
  assert.equal(at(line, 'encoding.color.value'), OKABE_ITO[0]);
  assert.ok(toVega(p.spec)['marks'], 'vega-lite compiles it');
});

test('line plot: NaN becomes null, log y drops non-positive, thin replicas under a black mean', () => {
  const p = linePlot({
    name: 'x',
    title: 'x',
    x: { title: 't' },
    y: { title: 'y', scale: 'log' },
    series: [
      { name: 'r0', x: [1, 2, 3], y: [1, NaN, 0], role: 'thin' },
      { name: 'mean', x: [1, 2, 3], y: [2, 4, 8] },
    ],
  });
  const rows = rowsOf(p.spec);
  assert.deepEqual(rows.filter((r) => r['series'] === 'r0').map((r) => r['y']), [1]);
  assert.deepEqual(rows.filter((r) => r['series'] === 'mean').map((r) => r['y']), [2, 4, 8]);
  const layers = at(p.spec, 'layer') as Json[];
  const thin = layers.find((l) => at(l, 'mark.strokeWidth') === 0.9);
  assert.ok(thin, 'thin replica layer');
  const main = layers.find((l) => at(l, 'mark.type') === 'line' && at(l, 'mark.strokeWidth') === 2.6);
  assert.equal(at(main, 'encoding.color.value'), '#000000');
  // only the zero was dropped (NaN is "undefined", not a log-axis casualty)
  assert.match(p.caption ?? '', /^1 point/);
});

test('line plot refuses mismatched lengths', () => {
  assert.throws(() => linePlot({ name: 'b', title: 'b', x: { title: 'x' }, y: { title: 'y' }, series: [{ name: 's', x: [1, 2], y: [1] }] }), /x has 2 values, y has 1/);
});

test('matrix heatmap: K×K rect cells, viridis colour bar, labels in the given order', () => {
  const p = matrixHeatmap({ name: 'q', title: 'q', values: [1, 0.5, 0.5, 1], n: 2, labels: ['b', 'a'], axisTitle: 'replica', colorTitle: 'q_ab' });
  assert.equal(at(p.spec, 'mark.type'), 'rect');
  assert.equal(at(p.spec, 'encoding.color.scale.scheme'), 'viridis');
  assert.equal(at(p.spec, 'encoding.color.type'), 'quantitative');
  assert.ok(at(p.spec, 'encoding.color.legend.gradientLength'));
  assert.deepEqual(at(p.spec, 'encoding.x.sort'), ['b', 'a']);
  const rows = rowsOf(p.spec);
  assert.equal(rows.length, 4);
  assert.deepEqual(rows[1], { row: 'b', col: 'a', v: 0.5 });
  assert.throws(() => matrixHeatmap({ name: 'q', title: 'q', values: [1, 2, 3], n: 2, axisTitle: '', colorTitle: '' }), /expected 2×2/);
});

test('grid heatmap cells span midway between neighbours', () => {
  assert.deepEqual(cellEdges([0, 1, 3]), { x0: [-0.5, 0.5, 2], x1: [0.5, 2, 4] });
});

// SciPy-format linkage for 6 leaves: {0,2}→6, {1,3}→7, {4,6}→8, {5,7}→9, {8,9}→10.
const Z6 = [0, 2, 0.2, 2, 1, 3, 0.2, 2, 4, 6, 0.3, 3, 5, 7, 0.3, 3, 8, 9, 0.9, 6];

test('dendrogram layout: SciPy leaf order, U links at merge heights', () => {
  const L = dendrogramLayout(Z6, 6);
  // scipy.cluster.hierarchy.dendrogram(Z)['leaves'] for this Z
  assert.deepEqual(L.order, [4, 0, 2, 5, 1, 3]);
  assert.equal(L.segments.length, 3 * 5);
  assert.equal(L.top, 0.9);
  // first merge (0, 2) at leaf positions 1 and 2, height 0.2
  assert.deepEqual(L.segments.slice(0, 3), [
    { x1: 1, y1: 0, x2: 1, y2: 0.2 },
    { x1: 1, y1: 0.2, x2: 2, y2: 0.2 },
    { x1: 2, y1: 0, x2: 2, y2: 0.2 },
  ]);
  // the root joins node 8 (x = (0 + 1.5)/2) and node 9 (x = (3 + 4.5)/2)
  assert.deepEqual(L.segments[13], { x1: 0.75, y1: 0.9, x2: 3.75, y2: 0.9 });
  // a given leaf order is honoured
  assert.deepEqual(dendrogramLayout(Z6, 6, [0, 2, 4, 1, 3, 5]).order, [0, 2, 4, 1, 3, 5]);
  assert.throws(() => dendrogramLayout(Z6, 6, [0, 0, 1, 2, 3, 4]), /permutation/);
  assert.throws(() => dendrogramLayout([0, 0, 0.1, 2], 2), /invalid child 0/);
  assert.throws(() => dendrogramLayout(Z6.slice(0, 8), 6), /expected \(K−1\)×4/);
});

test('dendrogram over heatmap: same width, leaf domain centred on the heatmap bands', () => {
  const q = Array.from({ length: 36 }, (_, i) => (i % 7 === 0 ? 1 : 0.3));
  const p = dendrogramHeatmap({ name: 'd', title: 'd', linkage: Z6, K: 6, reordered: q, distanceTitle: '1 − q', axisTitle: 'replica', colorTitle: 'q' });
  const [dendro, heat] = at(p.spec, 'vconcat') as Json[];
  assert.equal(at(dendro, 'width'), at(heat, 'width'));
  assert.deepEqual(at(dendro, 'encoding.x.scale.domain'), [-0.5, 5.5]);
  assert.deepEqual(at(heat, 'encoding.x.sort'), ['4', '0', '2', '5', '1', '3']);
  assert.equal(rowsOf(dendro as Json).length, 15);
});

test('histograms: binning, shared edges, unit area, step outlines for many series', () => {
  const edges = sharedEdges([[0, 1], [0.5, 2]], 4);
  assert.deepEqual(Array.from(edges), [0, 0.5, 1, 1.5, 2]);
  assert.deepEqual(Array.from(binSamples([0, 0.4, 0.5, 2, 2.5, NaN], edges)), [2, 1, 0, 1]);
  const rows = binRows([{ name: 'h', edges: [0, 1, 3], counts: [2, 1] }], true);
  // area = 2·1 + 1·2 = 4
  assert.deepEqual(rows.map((r) => r['y']), [0.5, 0.25]);
  const one = histogramPlot({ name: 'pq', title: 'P(q)', x: { title: 'q' }, series: [{ name: 'h', edges: [0, 1, 3], counts: [2, 1] }] });
  assert.equal(at(one.spec, 'layer.0.mark.type'), 'rect');
  assert.equal(at(one.spec, 'layer.0.encoding.x2.field'), 'x1');
  const many = histogramPlot({
    name: 'pq',
    title: 'P(q)',
    x: { title: 'q' },
    series: [0, 1, 2].map((k) => ({ name: `T${k}`, edges: [0, 1], counts: [k + 1] })),
    color: 'sequential',
    curves: [{ name: 'kde', x: [0, 1], y: [1, 1] }],
  });
  assert.equal(at(many.spec, 'layer.0.mark.interpolate'), 'step-after');
  assert.equal(at(many.spec, 'layer.0.encoding.color.scale.scheme.name'), 'viridis');
  assert.equal(at(many.spec, 'layer.2.mark.type'), 'line');
  assert.throws(() => binRows([{ name: 'bad', edges: [0, 1], counts: [1, 2] }], true), /need 3/);
});

test('scatter: least-squares line and Pearson r in the subtitle', () => {
  const f = linearFit([0, 1, 2, 3], [1, 3, 5, 7]);
  assert.equal(f.slope, 2);
  assert.equal(f.intercept, 1);
  assert.equal(f.r, 1);
  const g = linearFit([1, 2, 3], [1, 3, 2]);
  assert.ok(Math.abs(g.r - 0.5) < 1e-12);
  const p = scatterPlot({ name: 's', title: 's', x: { title: 'x' }, y: { title: 'y' }, xs: [1, 2, 3], ys: [3, 2, 1] });
  assert.match(String(at(p.spec, 'title.subtitle')), /Pearson r = -1\.000, slope = -1, n = 3/);
  const line = rowsOf(p.spec, 'layer.1.data.values');
  assert.equal(line.length, 41);
  assert.deepEqual(line[0], { x: 1, y: 3 });
});

test('phase diagram: one panel per observable, one colour domain, reference line dashed', () => {
  const p = phasePlot({
    name: 'ph',
    title: 'vs λ',
    x: { title: 'L2 strength λ' },
    keepOrder: true,
    panels: [
      { y: { title: 'loss' }, series: [{ name: 'up', x: [0, 1], y: [1, 2] }, { name: 'down', x: [1, 0], y: [2, 1.5] }] },
      { y: { title: 'λ_min' }, series: [{ name: 'up', x: [0, 1], y: [0, -1] }, { name: '−2λ', x: [0, 1], y: [0, -2], role: 'reference' }] },
    ],
  });
  const panels = at(p.spec, 'vconcat') as Json[];
  assert.equal(panels.length, 2);
  const domain = (k: number): Json | undefined => at((at(panels[k], 'layer') as Json[]).find((l) => at(l, 'mark.type') === 'line' && at(l, 'encoding.color.field')), 'encoding.color.scale.domain');
  assert.deepEqual(domain(0), ['up', 'down']);
  assert.deepEqual(domain(1), ['up', 'down']);
  const ref = (at(panels[1], 'layer') as Json[]).find((l) => at(l, 'mark.strokeDash') !== undefined);
  assert.ok(ref, 'reference line layer');
  assert.equal(at(panels[0], 'layer.0.encoding.order.field'), 'i');
});

test('headless rendering: SVG has data marks; PNG has text pixels', async () => {
  const p = linePlot({ name: 'r', title: 'Rendered title', x: { title: 'x axis' }, y: { title: 'y axis' }, series: [{ name: 's', x: [1, 2, 3], y: [1, 4, 9] }] });
  const svg = await renderSvg(p.spec);
  assert.match(svg, /^<svg/);
  assert.match(svg, /Rendered title/);
  assert.match(svg, /<path[^>]* d="M[\d.]+,[\d.]+L/, 'a line path with coordinates');
  const png = svgToPng(svg);
  assert.deepEqual(Array.from(png.subarray(0, 4)), [0x89, 0x50, 0x4e, 0x47]);
  // Text must actually render (fonts found): an SVG holding only text must produce dark pixels.
  const textOnly = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><text x="5" y="30" font-family="DejaVu Sans, sans-serif" font-size="24" fill="black">glassy</text></svg>';
  const img = svgToPixels(textOnly);
  let dark = 0;
  for (let i = 0; i < img.pixels.length; i += 4) if ((img.pixels[i] as number) < 100 && (img.pixels[i + 3] as number) > 200) dark++;
  assert.ok(dark > 50, `text drew ${dark} dark pixels`);
});
