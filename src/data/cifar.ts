/**
 * CIFAR-10 and CIFAR-100 (Krizhevsky 2009, "Learning Multiple Layers of Features from Tiny Images")
 * from the "binary version" the authors distribute, on the user's disk — nothing is downloaded:
 * - CIFAR-10, folder cifar-10-batches-bin: data_batch_1.bin … data_batch_5.bin (training, 10 000
 *   records each) and test_batch.bin; a record is 1 label byte then 3072 pixel bytes.
 * - CIFAR-100, folder cifar-100-binary: train.bin and test.bin; a record is 1 coarse-label byte,
 *   1 fine-label byte, then 3072 pixel bytes (fine labels by default, as in the literature).
 * The 3072 bytes are the 1024 red, then green, then blue values of a 32×32 image, rows first: exactly
 * PyTorch's NCHW [3, 32, 32] layout, so an image is used as stored.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GlassyError } from '../core/errors.js';
import type { Dataset } from './dataset.js';
import type { CifarSpec } from './spec.js';
import { type Pool, classIndexFor, selectSplits } from './transform.js';

const PIXELS = 3 * 32 * 32;

/** The files a CIFAR folder must hold, training files first. */
export function cifarFiles(source: CifarSpec['source']): { train: string[]; test: string } {
  return source === 'cifar10'
    ? { train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), test: 'test_batch.bin' }
    : { train: ['train.bin'], test: 'test.bin' };
}

/** Records of one or more binary files: the label byte at `labelAt` of each `labelBytes`-byte prefix. */
function readRecords(paths: readonly string[], labelBytes: number, labelAt: number): Pool {
  const record = labelBytes + PIXELS;
  const bufs = paths.map((p) => {
    const b = readFileSync(p);
    if (b.byteLength === 0 || b.byteLength % record !== 0) {
      throw new GlassyError(`${p}: ${b.byteLength} bytes is not a whole number of ${record}-byte CIFAR records`, 'file', p, `a multiple of ${record} bytes`);
    }
    return b;
  });
  const n = bufs.reduce((s, b) => s + b.byteLength / record, 0);
  const x = new Uint8Array(n * PIXELS);
  const labels = new Int32Array(n);
  let i = 0;
  for (const b of bufs) {
    for (let o = 0; o < b.byteLength; o += record, i++) {
      labels[i] = b[o + labelAt]!;
      x.set(b.subarray(o + labelBytes, o + record), i * PIXELS);
    }
  }
  return { x, labels, n, d: PIXELS, shape: [3, 32, 32] };
}

export function loadCifar(spec: CifarSpec, seed: number): Dataset {
  const names = cifarFiles(spec.source);
  const all = [...names.train, names.test];
  const folder = spec.source === 'cifar10' ? 'cifar-10-batches-bin' : 'cifar-100-binary';
  if (spec.dir === undefined) {
    throw GlassyError.invalid('data.dir', undefined, `the ${folder} folder of the binary distribution with ${all.join(', ')} (--data-dir DIR; nothing is downloaded)`);
  }
  const dir = spec.dir;
  const missing = all.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new GlassyError(
      `${spec.source} not found: ${spec.dir} lacks ${missing.join(', ')} (expected ${all.join(', ')}: the ${folder} folder of the binary distribution; set --data-dir)`,
      'data.dir', spec.dir, `a folder with ${all.join(', ')}`);
  }
  const [labelBytes, labelAt] = spec.source === 'cifar10' ? [1, 0] : [2, spec.labels === 'coarse' ? 0 : 1];
  const train = readRecords(names.train.map((f) => join(dir, f)), labelBytes, labelAt);
  const test = readRecords([join(dir, names.test)], labelBytes, labelAt);
  const { map, classes } = classIndexFor(train.labels, spec.classes, spec.source);
  const s = spec.seed ?? seed;
  const { trainSplit, testSplit } = selectSplits(train, test, map, spec, s, PIXELS);
  return {
    name: spec.source,
    nFeatures: PIXELS,
    inputShape: [3, 32, 32],
    nClasses: classes.length,
    classes,
    train: trainSplit,
    test: testSplit,
    description: {
      source: spec.source, dir: spec.dir, files: all,
      ...(spec.source === 'cifar100' ? { labels: spec.labels } : {}),
      nTrain: trainSplit.n, nTest: testSplit.n, nFeatures: PIXELS, classes, subset: spec.subset, normalise: spec.normalise,
      ...(spec.subset === 'random' ? { seed: s } : {}),
    },
  };
}
