import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GlassyError } from '../src/core/errors.js';
import { loadDataset } from '../src/data/load.js';
import { encodeNpy, npyPreamble } from '../src/store/npy.js';

function throwsGlassy(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GlassyError, `expected a GlassyError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

/** int64 labels, as np.save(np.array([...])) writes them by default. */
function int64Npy(values: number[]): Uint8Array {
  const pre = npyPreamble('<i8', [values.length]);
  const body = new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
  return new Uint8Array(Buffer.concat([pre, body]));
}

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'glassy-files-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('files: CSV with and without header, arbitrary integer labels mapped to 0..k−1', () => withDir((dir) => {
  const train = join(dir, 'train.csv');
  writeFileSync(train, 'a,b,label\n1,2,7\n3,4,3\n\n5,6,7\r\n');
  const test = join(dir, 'test.csv');
  writeFileSync(test, '0.5, -1e-3, 3\n');
  const ds = loadDataset({ source: 'files', train, test }, 0);
  assert.equal(ds.nFeatures, 2);
  assert.deepEqual(ds.classes, [3, 7]);
  assert.deepEqual([...ds.train.x], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...ds.train.y], [1, 0, 1]);
  assert.equal(ds.test.n, 1);
  assert.ok(Math.abs(ds.test.x[1]! - -1e-3) < 1e-9);
  assert.deepEqual([...ds.test.y], [0]);
  assert.equal(ds.description['test'], test);
}));

test('files: .npy inputs (float64 [n, 2, 2] flattened) with int64 labels; feature normalisation', () => withDir((dir) => {
  const x = join(dir, 'x.npy');
  const y = join(dir, 'y.npy');
  writeFileSync(x, encodeNpy(new Float64Array(6 * 4).map((_, i) => i), [6, 2, 2]));
  writeFileSync(y, int64Npy([0, 1, 0, 1, 2, 2]));
  const ds = loadDataset({ source: 'files', train: x, labels: y, test: x, testLabels: y }, 0);
  assert.equal(ds.nFeatures, 4);
  assert.equal(ds.train.n, 6);
  assert.deepEqual([...ds.train.x.subarray(4, 8)], [4, 5, 6, 7]);
  assert.deepEqual([...ds.train.y], [0, 1, 0, 1, 2, 2]);
  const f = loadDataset({ source: 'files', train: x, labels: y, test: x, testLabels: y, normalise: 'feature', classes: [2, 0] }, 0);
  assert.deepEqual([...f.train.y], [1, 1, 0, 0]);
  // Rows 0, 2, 4, 5 of column 0 are 0, 8, 16, 20: mean 11, population variance (121 + 9 + 25 + 81)/4 = 59.
  assert.ok(Math.abs(f.train.x[0]! - (0 - 11) / Math.sqrt(59)) < 1e-6);
  const u8 = join(dir, 'u8.npy');
  writeFileSync(u8, encodeNpy(new Uint8Array([0, 255, 51, 102]), [2, 2]));
  writeFileSync(y, encodeNpy(new Int32Array([4, 5])));
  const img = loadDataset({ source: 'files', train: u8, labels: y, test: u8, testLabels: y, normalise: 'unit' }, 0);
  assert.deepEqual([...img.train.x], [0, 1, 0.2, 0.4].map(Math.fround));
}));

test('files: without a test file a seeded random fraction is held out', () => withDir((dir) => {
  const train = join(dir, 'sorted.csv');
  // Sorted by class, as many files are: a tail split would be one class only.
  writeFileSync(train, Array.from({ length: 100 }, (_, i) => `${i},${i < 50 ? 0 : 1}`).join('\n'));
  const a = loadDataset({ source: 'files', train }, 4);
  const b = loadDataset({ source: 'files', train }, 4);
  const c = loadDataset({ source: 'files', train, testFraction: 0.3 }, 5);
  assert.equal(a.test.n, 20); // default testFraction 0.2
  assert.equal(a.train.n, 80);
  assert.equal(c.test.n, 30);
  assert.deepEqual(a.test.x, b.test.x);
  assert.notDeepEqual(a.test.x, c.test.x.subarray(0, 20));
  const seen = [...a.train.x, ...a.test.x].sort((p, q) => p - q);
  assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => i)); // disjoint, together everything
  assert.ok(a.test.y.includes(0) && a.test.y.includes(1));
  for (let i = 1; i < a.train.n; i++) assert.ok(a.train.x[i]! > a.train.x[i - 1]!); // file order kept
}));

test('files: bad CSV input names the file, line and column', () => withDir((dir) => {
  const f = join(dir, 'bad.csv');
  const load = (text: string): void => {
    writeFileSync(f, text);
    loadDataset({ source: 'files', train: f, testFraction: 0 }, 0);
  };
  throwsGlassy(() => load('1,2,0\n3,NaN,1\n'), /bad\.csv: NaN at line 2, column 2; inputs must be finite/);
  throwsGlassy(() => load('x,y\n1,2,0\n'), /line 2 has 3 columns, expected 2/);
  throwsGlassy(() => load('1,2,0\n1,2\n'), /line 2 has 2 columns, expected 3/);
  throwsGlassy(() => load('1,2,0\n3,-inf,1\n'), /-inf at line 2, column 2/);
  throwsGlassy(() => load('1,2,0\n3,1e999,1\n'), /1e999 at line 2, column 2/);
  throwsGlassy(() => load('1,2,0\n3,abc,1\n'), /"abc" at line 2, column 2 is not a number/);
  throwsGlassy(() => load('1,2,0\n3,4,1.5\n'), /label 1\.5 at line 2, column 3 is not an integer/);
  throwsGlassy(() => load('1,2,0\n3,,1\n'), /"" at line 2, column 2 is not a number/);
  throwsGlassy(() => load('a,b\n'), /no data rows/);
  throwsGlassy(() => loadDataset({ source: 'files', train: join(dir, 'missing.csv') }, 0), /^data\.train: got ".*missing\.csv", expected a readable \.npy or \.csv file \(file not found\)/);
  throwsGlassy(() => loadDataset({ source: 'files', train: join(dir, 'x.txt') }, 0), /^data\.train: got ".*x\.txt", expected a \.npy or \.csv file/);
  writeFileSync(f, '1,0\n');
  throwsGlassy(() => loadDataset({ source: 'files', train: f, labels: f }, 0), /^data\.labels: .*the last column/);
  throwsGlassy(() => loadDataset({ source: 'files', train: f, testLabels: f }, 0), /^data\.testLabels/);
}));

test('files: bad .npy input: NaN position, shapes, lengths, labels', () => withDir((dir) => {
  const x = join(dir, 'x.npy');
  const y = join(dir, 'y.npy');
  const bad = new Float32Array(12);
  bad[7] = Infinity;
  writeFileSync(x, encodeNpy(bad, [3, 4]));
  writeFileSync(y, encodeNpy(new Int32Array([0, 1, 0])));
  throwsGlassy(() => loadDataset({ source: 'files', train: x, labels: y }, 0), /x\.npy: Infinity at row 1, column 3 \(0-based\)/);
  writeFileSync(x, encodeNpy(new Float32Array(12), [3, 4]));
  throwsGlassy(() => loadDataset({ source: 'files', train: x }, 0), /^data\.labels: got undefined, expected a \.npy file of integer labels/);
  writeFileSync(y, encodeNpy(new Int32Array([0, 1])));
  throwsGlassy(() => loadDataset({ source: 'files', train: x, labels: y }, 0), /y\.npy has 2 labels but .*x\.npy has 3 rows/);
  writeFileSync(y, encodeNpy(new Float64Array([0, 1.5, 1])));
  throwsGlassy(() => loadDataset({ source: 'files', train: x, labels: y }, 0), /y\.npy: label 1\.5 at index 1 is not an integer/);
  writeFileSync(y, encodeNpy(new Int32Array(6), [3, 2]));
  throwsGlassy(() => loadDataset({ source: 'files', train: x, labels: y }, 0), /labels of shape \[n\], found shape \[3,2\]/);
  writeFileSync(x, encodeNpy(new Float32Array(3)));
  throwsGlassy(() => loadDataset({ source: 'files', train: x, labels: y }, 0), /inputs of shape \[n, d\].*found shape \[3\]/);
  writeFileSync(x, 'not numpy');
  throwsGlassy(() => loadDataset({ source: 'files', train: x, labels: y }, 0), /x\.npy: not a valid \.npy file: bad magic/);
}));
