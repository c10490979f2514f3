/**
 * A user's own data: .npy (inputs [n, d…] + labels [n]) or .csv (numbers only, optional header,
 * last column = label). Every value is checked: NaN/Inf, non-integer labels, shapes and lengths,
 * each reported as a GlassyError naming the file, and the row and column where it is.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { GlassyError } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import { decodeNpy, readNpyHeader } from '../store/npy.js';
import { DataStream, type Dataset } from './dataset.js';
import type { FilesSpec } from './spec.js';
import {
  type Pool, type Selection, classIndexFor, materialise, selectSplits,
} from './transform.js';

function readBytes(path: string, field: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw GlassyError.invalid(field, path, `a readable .npy or .csv file (${why})`);
  }
}

/**
 * Any numeric .npy as float64 values: glassy's own dtypes via decodeNpy, plus the int16/int64 and
 * uint16/uint64 that numpy produces by default for integer labels (np.array([0, 1]) is int64).
 */
export function readNpyNumbers(path: string, field: string): { values: Float64Array; shape: number[] } {
  const buf = readBytes(path, field);
  const h = readNpyHeader(buf, path);
  const m = /^[<=]([iu])(2|8)$/.exec(h.descr);
  if (!m) {
    const a = decodeNpy(buf, path);
    return { values: Float64Array.from(a.data), shape: a.shape };
  }
  if (h.fortranOrder && h.shape.length > 1) throw new GlassyError(`${path}: Fortran-order arrays are not supported; save it in C order`, 'file', path, 'a C-order .npy');
  const size = Number(m[2]);
  const n = h.shape.reduce((p, q) => p * q, 1);
  if (buf.byteLength - h.dataOffset !== n * size) {
    throw new GlassyError(`${path}: size mismatch: shape ${JSON.stringify(h.shape)} needs ${n * size} data bytes, found ${buf.byteLength - h.dataOffset}`,
      'file', path, 'a complete .npy file');
  }
  const view = new DataView(buf.buffer, buf.byteOffset + h.dataOffset, n * size);
  const values = new Float64Array(n);
  const signed = m[1] === 'i';
  for (let i = 0; i < n; i++) {
    if (size === 2) values[i] = signed ? view.getInt16(2 * i, true) : view.getUint16(2 * i, true);
    else {
      const v = signed ? view.getBigInt64(8 * i, true) : view.getBigUint64(8 * i, true);
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new GlassyError(`${path}: value ${v} at index ${i} is too large`, 'file', path, 'integers below 2^53');
      }
      values[i] = Number(v);
    }
  }
  return { values, shape: h.shape };
}

function checkFinite(x: Float64Array | Float32Array, d: number, path: string, where: (row: number, col: number) => string): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) {
      throw new GlassyError(`${path}: ${x[i]} at ${where(Math.floor(i / d), i % d)}; inputs must be finite numbers`,
        'file', path, 'finite numbers');
    }
  }
}

function toLabels(values: Float64Array, path: string, where: (i: number) => string): Int32Array {
  const y = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || Math.abs(v) > 2147483647) {
      throw new GlassyError(`${path}: label ${v} at ${where(i)} is not an integer`, 'file', path, 'integer class labels');
    }
    y[i] = v;
  }
  return y;
}

/** A .npy inputs file and its .npy labels file. Rows and columns are 0-based, as numpy indexes them. */
function readNpyPool(xPath: string, yPath: string | undefined, xField: string, yField: string): Pool {
  if (yPath === undefined) throw GlassyError.invalid(yField, undefined, `a .npy file of integer labels for ${xPath} (a .npy holds inputs only)`);
  const x = readNpyNumbers(xPath, xField);
  if (x.shape.length < 2) {
    throw GlassyError.invalid(xField, xPath, `inputs of shape [n, d] (or [n, h, w, …]), found shape ${JSON.stringify(x.shape)}`);
  }
  const n = x.shape[0]!;
  const d = x.shape.slice(1).reduce((p, q) => p * q, 1);
  checkFinite(x.values, d, xPath, (r, c) => `row ${r}, column ${c} (0-based)`);
  if (extname(yPath).toLowerCase() !== '.npy') throw GlassyError.invalid(yField, yPath, 'a .npy file of labels');
  const y = readNpyNumbers(yPath, yField);
  if (!(y.shape.length === 1 || (y.shape.length === 2 && y.shape[1] === 1))) {
    throw GlassyError.invalid(yField, yPath, `labels of shape [n], found shape ${JSON.stringify(y.shape)}`);
  }
  if (y.shape[0] !== n) {
    throw new GlassyError(`${yPath} has ${y.shape[0]} labels but ${xPath} has ${n} rows`, yField, yPath, `${n} labels`);
  }
  const labels = toLabels(y.values, yPath, (i) => `index ${i}`);
  return { x: Float32Array.from(x.values), labels, n, d };
}

const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

/**
 * A CSV of numbers, comma-separated, the last column the label. The first line is a header when
 * any of its fields is not a number. Lines and columns are 1-based, as editors show them.
 */
export function readCsvPool(path: string, field: string): Pool {
  const text = readBytes(path, field).toString('utf8');
  const lines = text.split(/\r?\n/);
  let first = 0;
  while (first < lines.length && lines[first]!.trim() === '') first++;
  let cols = -1;
  if (first < lines.length) {
    const cells = lines[first]!.split(',').map((c) => c.trim());
    if (cells.some((c) => c === '' || (Number.isNaN(Number(c)) && !NON_FINITE.test(c)))) {
      cols = cells.length; // a header: every data line must have as many columns
      first++;
    }
  }
  const xs: number[] = [];
  const ys: number[] = [];
  let n = 0;
  for (let li = first; li < lines.length; li++) {
    const line = lines[li]!;
    if (line.trim() === '') continue;
    const cells = line.split(',');
    if (cols < 0) cols = cells.length;
    if (cols < 2) {
      throw new GlassyError(`${path}: line ${li + 1} has ${cols} column; expected inputs and a label column`, 'file', path, 'at least 2 columns');
    }
    if (cells.length !== cols) {
      throw new GlassyError(`${path}: line ${li + 1} has ${cells.length} columns, expected ${cols}`, 'file', path, `${cols} columns on every line`);
    }
    for (let c = 0; c < cols; c++) {
      const s = cells[c]!.trim();
      const v = s === '' ? NaN : Number(s);
      const where = `line ${li + 1}, column ${c + 1}`;
      if (NON_FINITE.test(s) || v === Infinity || v === -Infinity) {
        throw new GlassyError(`${path}: ${s} at ${where}; inputs must be finite numbers`, 'file', path, 'finite numbers');
      }
      if (Number.isNaN(v)) throw new GlassyError(`${path}: ${JSON.stringify(s)} at ${where} is not a number`, 'file', path, 'numbers only');
      if (c === cols - 1) {
        if (!Number.isInteger(v) || Math.abs(v) > 2147483647) {
          throw new GlassyError(`${path}: label ${s} at ${where} is not an integer`, 'file', path, 'integer class labels in the last column');
        }
        ys.push(v);
      } else xs.push(v);
    }
    n++;
  }
  if (n === 0) throw new GlassyError(`${path}: no data rows`, 'file', path, 'a CSV with at least one row');
  return { x: Float32Array.from(xs), labels: Int32Array.from(ys), n, d: cols - 1 };
}

function readPool(path: string, labels: string | undefined, field: string, labelsField: string): Pool {
  const ext = extname(path).toLowerCase();
  if (ext === '.npy') return readNpyPool(path, labels, field, labelsField);
  if (ext === '.csv') {
    if (labels !== undefined) throw GlassyError.invalid(labelsField, labels, `nothing: the last column of ${path} holds the labels`);
    return readCsvPool(path, field);
  }
  throw GlassyError.invalid(field, path, 'a .npy or .csv file');
}

/** The pool restricted to some rows (for the held-out test split). */
function takeRows(pool: Pool, rows: Int32Array): Pool {
  const sel: Selection = { rows, y: new Int32Array(rows.length) };
  const x = materialise(pool, sel, { a: 1, b: 0 }).x;
  const labels = new Int32Array(rows.length);
  for (let r = 0; r < rows.length; r++) labels[r] = pool.labels[rows[r]!]!;
  return { x, labels, n: rows.length, d: pool.d };
}

export function loadFiles(spec: FilesSpec, seed: number): Dataset {
  const s = spec.seed ?? seed;
  let train = readPool(spec.train, spec.labels, 'data.train', 'data.labels');
  let test: Pool;
  let split: Record<string, unknown>;
  if (spec.test !== undefined) {
    test = readPool(spec.test, spec.testLabels, 'data.test', 'data.testLabels');
    if (test.d !== train.d) {
      throw GlassyError.invalid('data.test', spec.test, `${train.d} input columns like ${spec.train}, found ${test.d}`);
    }
    split = { test: spec.test };
  } else {
    if (spec.testLabels !== undefined) throw GlassyError.invalid('data.testLabels', spec.testLabels, 'no testLabels without data.test');
    // A seeded random hold-out: files are often sorted by class, so "the last 20 %" would be one class.
    const nHold = Math.round(train.n * spec.testFraction);
    const perm = Rng.stream(s, Stream.data, DataStream.holdout).permutation(train.n);
    const hold = perm.subarray(0, nHold).slice().sort();
    const keep = perm.subarray(nHold).slice().sort();
    test = takeRows(train, hold);
    train = takeRows(train, keep);
    split = { testFraction: spec.testFraction, seed: s };
  }
  const present = new Set<number>([...train.labels, ...test.labels]);
  const { map, classes } = classIndexFor(present, spec.classes, spec.train);
  const { trainSplit, testSplit } = selectSplits(train, test, map, spec, s, train.d);
  return {
    name: 'files',
    nFeatures: train.d,
    nClasses: classes.length,
    classes,
    train: trainSplit,
    test: testSplit,
    description: {
      source: 'files', train: spec.train, ...(spec.labels ? { labels: spec.labels } : {}),
      ...split, ...(spec.testLabels ? { testLabels: spec.testLabels } : {}),
      nTrain: trainSplit.n, nTest: testSplit.n, nFeatures: train.d, classes,
      subset: spec.subset, normalise: spec.normalise,
    },
  };
}
