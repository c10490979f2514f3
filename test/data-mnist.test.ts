import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GlassyError } from '../src/core/errors.js';
import { loadDataset } from '../src/data/load.js';
import type { DataSpec } from '../src/data/spec.js';
import { parseIdx, readIdxFile } from '../src/data/idx.js';
import { FASHION_MNIST_DIR, findIdxFiles } from '../src/data/mnist.js';

function throwsGlassy(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GlassyError, `expected a GlassyError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

function counts(y: Int32Array, k: number): number[] {
  const c = new Array<number>(k).fill(0);
  for (const v of y) c[v]!++;
  return c;
}

function sum(x: Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i]!;
  return s;
}

/** Builds IDX bytes by hand from the format: 0, 0, type, ndims, big-endian dims, data. */
function idx(type: number, dims: number[], data: number[]): Uint8Array {
  const b = Buffer.alloc(4 + 4 * dims.length + data.length);
  b[2] = type;
  b[3] = dims.length;
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  Buffer.from(data).copy(b, 4 + 4 * dims.length);
  return new Uint8Array(b);
}

test('mnist: the full sets with known label counts and pixel sums', () => {
  const t0 = performance.now();
  const ds = loadDataset({ source: 'mnist', normalise: 'none' }, 0);
  const ms = performance.now() - t0;
  assert.equal(ds.train.n, 60000);
  assert.equal(ds.test.n, 10000);
  assert.equal(ds.nFeatures, 784);
  assert.equal(ds.nClasses, 10);
  assert.deepEqual(ds.classes, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(ds.train.x.length, 60000 * 784);
  assert.deepEqual(counts(ds.train.y, 10), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  assert.deepEqual(counts(ds.test.y, 10), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  // Pixel sums computed independently with numpy from the raw IDX bytes (np.frombuffer(...)[16:].sum()).
  assert.equal(ds.train.y[0], 5);
  assert.equal(sum(ds.train.x, 0, 784), 27525);
  assert.equal(sum(ds.train.x), 1567298545);
  assert.equal(ds.test.y[0], 7);
  assert.equal(sum(ds.test.x, 0, 784), 18454);
  assert.equal(sum(ds.test.x), 264923200);
  // Loading is one pass over the bytes; generous bound because the test machine is shared.
  assert.ok(ms < 5000, `loading took ${ms.toFixed(0)} ms`);
});

test('mnist: normalisations unit, standard (Ersoy et al.: 0.1307, 0.3081) and feature', () => {
  const raw = loadDataset({ source: 'mnist', normalise: 'none', nTrain: 500, nTest: 100 }, 0);
  const unit = loadDataset({ source: 'mnist', nTrain: 500, nTest: 100 }, 0);
  const std = loadDataset({ source: 'mnist', normalise: 'standard', nTrain: 500, nTest: 100 }, 0);
  assert.equal(unit.description['normalise'], 'unit');
  for (let i = 0; i < raw.train.x.length; i += 97) {
    assert.ok(Math.abs(unit.train.x[i]! - raw.train.x[i]! / 255) < 1e-7);
    assert.ok(Math.abs(std.train.x[i]! - (raw.train.x[i]! / 255 - 0.1307) / 0.3081) < 1e-6);
  }
  assert.ok(Math.abs(std.train.x[0]! - -0.4242129) < 1e-6); // a black corner pixel
  assert.ok(Math.abs(std.train.x[152 + 14]! - (raw.train.x[152 + 14]! / 255 - 0.1307) / 0.3081) < 1e-6);
  assert.ok(Math.abs(sum(unit.train.x, 0, 784) - 27525 / 255) < 1e-3);

  const feat = loadDataset({ source: 'mnist', normalise: 'feature', nTrain: 500, nTest: 100 }, 0);
  const d = 784;
  let constant = 0;
  for (const j of [0, 200, 350, 406, 600, 783]) {
    let m = 0, v = 0;
    for (let i = 0; i < 500; i++) m += feat.train.x[i * d + j]!;
    m /= 500;
    for (let i = 0; i < 500; i++) v += (feat.train.x[i * d + j]! - m) ** 2;
    v /= 500;
    assert.ok(Math.abs(m) < 1e-5, `feature ${j} mean ${m}`);
    if (v === 0) constant++; // constant pixels are only centred
    else assert.ok(Math.abs(v - 1) < 1e-4, `feature ${j} variance ${v}`);
  }
  assert.ok(constant >= 1 && constant < 6);
});

test('mnist: a split keeps its bytes, whose normalisation reproduces x bit for bit; per-feature standardisation keeps none', () => {
  for (const normalise of ['none', 'unit', 'standard'] as const) {
    const ds = loadDataset({ source: 'mnist', normalise, classes: [3, 8], nTrain: 300, nTest: 50, subset: 'random', seed: 4 }, 0);
    for (const split of [ds.train, ds.test]) {
      const b = split.bytes;
      assert.ok(b, `${normalise}: bytes kept`);
      assert.equal(b.d, 784);
      assert.equal(b.rows.length, split.n);
      const want = new Float32Array(split.n * 784);
      for (let i = 0; i < split.n; i++) for (let j = 0; j < 784; j++) want[i * 784 + j] = b.x[b.rows[i]! * 784 + j]! * b.a + b.b;
      assert.deepEqual(split.x, want, normalise);
    }
  }
  const feat = loadDataset({ source: 'mnist', normalise: 'feature', nTrain: 100, nTest: 10 }, 0);
  assert.equal(feat.train.bytes, undefined);
  assert.equal(feat.test.bytes, undefined);
});

test('mnist: class subsets are relabelled 0..k−1 in the given order; counts take the first n', () => {
  const ds = loadDataset({ source: 'mnist', classes: [8, 3], normalise: 'none' }, 0);
  assert.deepEqual(ds.classes, [8, 3]);
  assert.equal(ds.nClasses, 2);
  assert.equal(ds.train.n, 5851 + 6131);
  assert.equal(ds.test.n, 974 + 1010);
  assert.deepEqual(counts(ds.train.y, 2), [5851, 6131]);
  assert.deepEqual(counts(ds.test.y, 2), [974, 1010]);

  const all = loadDataset({ source: 'mnist', normalise: 'none', nTrain: 20, nTest: 5 }, 0);
  // The first 20 training labels of MNIST.
  assert.deepEqual([...all.train.y], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4, 3, 5, 3, 6, 1, 7, 2, 8, 6, 9]);
  const first = loadDataset({ source: 'mnist', classes: [8, 3], nTrain: 3, normalise: 'none' }, 0);
  // First 3 images labelled 3 or 8 are images 7, 10, 12 (labels 3, 3, 3): their pixels match.
  assert.deepEqual([...first.train.y], [1, 1, 1]);
  assert.deepEqual([...first.train.x.subarray(0, 784)], [...(loadDataset({ source: 'mnist', nTrain: 8, normalise: 'none' }, 0).train.x.subarray(7 * 784, 8 * 784))]);
});

test('mnist: seeded random subsets are reproducible, seed-dependent and in file order', () => {
  const spec: DataSpec = { source: 'mnist', nTrain: 300, nTest: 50, subset: 'random', classes: [0, 1] };
  const a = loadDataset(spec, 1);
  const b = loadDataset(spec, 1);
  const c = loadDataset(spec, 2);
  const pinned = loadDataset({ ...spec, seed: 1 }, 99);
  assert.equal(a.train.n, 300);
  assert.deepEqual(a.train.x, b.train.x);
  assert.deepEqual(a.train.x, pinned.train.x);
  assert.notDeepEqual(a.train.x, c.train.x);
  const ones = counts(a.train.y, 2)[1]!;
  // 6742 ones of 12665 → expect ≈ 160 of 300 (±4σ ≈ 35).
  assert.ok(Math.abs(ones - 300 * 6742 / 12665) < 35, `ones ${ones}`);
  throwsGlassy(() => loadDataset({ source: 'mnist', nTrain: 70000 }, 0), /^data\.nTrain: got 70000, expected at most 60000/);
  throwsGlassy(() => loadDataset({ source: 'mnist', classes: [3, 12] }, 0), /^data\.classes: got \[3,12\], expected labels present in mnist/);
});

test('idx: parser accepts the format and rejects malformed files clearly', () => {
  const ok = parseIdx(idx(0x08, [2, 2, 1], [1, 2, 3, 4]), 'x');
  assert.deepEqual(ok.dims, [2, 2, 1]);
  assert.deepEqual([...ok.data], [1, 2, 3, 4]);
  throwsGlassy(() => parseIdx(new Uint8Array([1, 0, 8, 1, 0, 0, 0, 0]), 'f'), /^f: not a valid IDX file: bad magic 0x01000801/);
  throwsGlassy(() => parseIdx(idx(0x0d, [1], [0, 0, 0, 0]), 'f'), /unsupported data type 0x0d \(float\)/);
  throwsGlassy(() => parseIdx(idx(0x08, [2], [1, 2]), 'f', 3), /says 1 dimensions, expected 3 \(0x00000803\)/);
  throwsGlassy(() => parseIdx(idx(0x08, [4, 2], [1, 2, 3]), 'f'), /truncated: dimensions 4×2 need 8 data bytes, found 3/);
  throwsGlassy(() => parseIdx(idx(0x08, [1], [1, 2]), 'f'), /size mismatch/);
  throwsGlassy(() => parseIdx(idx(0x08, [5, 5, 5], []).subarray(0, 10), 'f'), /truncated: header needs 16 bytes/);
  throwsGlassy(() => parseIdx(new Uint8Array([0, 0]), 'f'), /too short/);
});

test('idx: gzipped files are inflated; missing and corrupt files are named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glassy-idx-'));
  try {
    const gz = join(dir, 'a.gz');
    writeFileSync(gz, gzipSync(idx(0x08, [3], [7, 8, 9])));
    assert.deepEqual([...readIdxFile(gz, 1).data], [7, 8, 9]);
    writeFileSync(gz, Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    throwsGlassy(() => readIdxFile(gz), /a\.gz: corrupt gzip data/);
    throwsGlassy(() => readIdxFile(join(dir, 'nope')), /IDX file not found: .*nope/);
    assert.equal(findIdxFiles(dir), null);
    throwsGlassy(() => loadDataset({ source: 'fashion-mnist', dir }, 0), /^data\.dir: got ".*", expected a folder with train-images-idx3-ubyte/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const fashion = findIdxFiles(FASHION_MNIST_DIR);
test('fashion-mnist: Debian package files (gzipped IDX), balanced classes', {
  skip: fashion ? false : `${FASHION_MNIST_DIR} missing (apt-get install dataset-fashion-mnist)`,
}, () => {
  const ds = loadDataset({ source: 'fashion-mnist', normalise: 'none' }, 0);
  assert.equal(ds.train.n, 60000);
  assert.equal(ds.test.n, 10000);
  assert.deepEqual(counts(ds.train.y, 10), new Array(10).fill(6000));
  assert.deepEqual(counts(ds.test.y, 10), new Array(10).fill(1000));
  // Computed independently with numpy from the gzipped files.
  assert.deepEqual([...ds.train.y.subarray(0, 5)], [9, 0, 0, 3, 0]);
  assert.equal(sum(ds.train.x, 0, 784), 76247);
  assert.equal(sum(ds.train.x), 3431114169);
});
