/**
 * loadDataset: one entry point from a validated DataSpec to a Dataset, for every source.
 */
import { Rng, Stream } from '../core/rng.js';
import { DataStream, type Dataset } from './dataset.js';
import { loadCifar } from './cifar.js';
import { loadFiles } from './files.js';
import { loadMnistFamily } from './mnist.js';
import { type DataSpec, type RandomLabelsSpec, type ResolvedDataSpec, parseDataSpec } from './spec.js';
import { gaussianMixture, linearRegression, teacherStudent } from './synthetic.js';
import { GlassyError } from '../core/errors.js';
import { refuseNonFinite } from '../core/finite.js';

/**
 * Load the data a spec describes. `seed` is the run seed; a spec's own `seed` overrides it (to fix
 * the data while replicas vary). Throws GlassyError for a bad spec or bad/missing files.
 */
export function loadDataset(spec: DataSpec, seed: number): Dataset {
  if (!Number.isSafeInteger(seed) || seed < 0) throw GlassyError.invalid('seed', seed, 'a non-negative integer');
  const ds = loadResolved(parseDataSpec(spec), seed);
  // Every source — IDX, user files, generated — delivers finite inputs and targets, or nothing.
  for (const [split, part] of [['train', ds.train], ['test', ds.test]] as const) {
    if (!part.finite) refuseNonFinite(`data ${ds.name}`, `${split}.x`, part.x);
    if (part.targets) refuseNonFinite(`data ${ds.name}`, `${split}.targets`, part.targets);
  }
  return ds;
}

function loadResolved(spec: ResolvedDataSpec, seed: number): Dataset {
  switch (spec.source) {
    case 'mnist':
    case 'fashion-mnist':
      return loadMnistFamily(spec, seed);
    case 'cifar10':
    case 'cifar100':
      return loadCifar(spec, seed);
    case 'teacher-student':
      return teacherStudent(spec, seed);
    case 'gaussian-mixture':
      return gaussianMixture(spec, seed);
    case 'linear-regression':
      return linearRegression(spec, seed);
    case 'files':
      return loadFiles(spec, seed);
    case 'random-labels':
      return randomLabels(spec, seed);
  }
}

/**
 * Random labels (Zhang, Bengio, Hardt, Recht, Vinyals 2017, "Understanding deep learning requires
 * rethinking generalization", §2): the base data's inputs, each TRAINING label replaced with
 * probability `fraction` by a class drawn uniformly (possibly the true one). Test labels stay
 * true. Real-valued targets of the base (teacher outputs) no longer match the training labels and
 * are dropped, with the teacher.
 */
function randomLabels(spec: RandomLabelsSpec, seed: number): Dataset {
  const base = loadResolved(spec.base, seed);
  const s = spec.seed ?? seed;
  const rng = Rng.stream(s, Stream.data, DataStream.randomLabels);
  const y = base.train.y;
  const C = base.nClasses;
  let changed = 0;
  for (let i = 0; i < y.length; i++) {
    // Both numbers are drawn for every sample, so smaller fractions corrupt subsets of larger ones.
    const u = rng.uniform();
    const c = rng.int(C);
    if (u < spec.fraction) {
      if (y[i] !== c) changed++;
      y[i] = c;
    }
  }
  const { targets: _a, ...train } = base.train;
  const { targets: _b, ...test } = base.test;
  const { nTargets: _k, teacher: _t, ...rest } = base;
  return {
    ...rest,
    name: `random-labels(${base.name})`,
    train,
    test,
    description: { source: 'random-labels', fraction: spec.fraction, labelsChanged: changed, seed: s, base: base.description },
  };
}
