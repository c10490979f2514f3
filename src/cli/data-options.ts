/**
 * The data flags every network command shares (`--data mnist|...|FILE` and its options), turned
 * into a DataSpec (data/spec.ts) that the protocol's schema validates. One place, so `train`,
 * `aging`, `l2sweep` spell and default them identically.
 */
import type { Command } from 'commander';
import { intList, nonNegative, nonNegativeInt, positiveInt } from './options.js';
import { merge } from './options.js';

const NAMED = ['mnist', 'fashion-mnist', 'cifar10', 'cifar100', 'teacher-student', 'gaussian-mixture', 'random-labels', 'linear-regression'];

/** commander's keys of the data flags below. */
export const DATA_FLAGS = [
  'data', 'nTrain', 'nTest', 'classes', 'normalise', 'subset', 'teacherHidden', 'labelNoise', 'separation', 'noise',
  'randomFraction', 'labels', 'testData', 'testLabels', 'testFraction', 'dataDir', 'coarseLabels',
] as const;

export function addDataOptions(cmd: Command): Command {
  return cmd
    .option('--data <source>', `${NAMED.join('|')}, or a .npy/.csv file (default: mnist)`)
    .option('--n-train <n>', 'training samples (default: all; synthetic: 1000)', positiveInt)
    .option('--n-test <n>', 'test samples (default: all; synthetic: 1000)', nonNegativeInt)
    .option('--classes <list>', 'keep only these classes, relabelled 0..k−1 (e.g. 0,1,2 or 0-4)', intList)
    .option('--normalise <how>', 'none | unit (x/255) | standard (MNIST mean/std) | feature (per-feature z-score)')
    .option('--subset <which>', 'which samples --n-train keeps: first | random')
    .option('--teacher-hidden <m>', 'teacher–student: hidden units of the teacher (0: perceptron)', nonNegativeInt)
    .option('--label-noise <eps>', 'teacher–student: probability a label is flipped to another class', nonNegative)
    .option('--separation <s>', 'gaussian-mixture: distance scale of the class means', nonNegative)
    .option('--noise <sigma>', 'linear-regression: target noise σ', nonNegative)
    .option('--random-fraction <f>', 'random-labels: fraction of training labels replaced', nonNegative)
    .option('--data-dir <dir>', 'cifar10/cifar100: the cifar-10-batches-bin / cifar-100-binary folder; mnist, fashion-mnist: a folder of IDX files')
    .option('--coarse-labels', 'cifar100: the 20 coarse superclasses instead of the 100 fine classes')
    .option('--labels <file>', 'labels (.npy) of a .npy --data file')
    .option('--test-data <file>', 'test inputs (.npy/.csv) (default: hold out --test-fraction)')
    .option('--test-labels <file>', 'labels (.npy) of --test-data')
    .option('--test-fraction <f>', 'held-out fraction of a --data file without --test-data', nonNegative);
}

/**
 * Flags (and the config file's `data` field) → a raw DataSpec. Synthetic sources take their input
 * dimension and class count from the model, so `--model 50-20-3 --data gaussian-mixture` just works.
 */
export function dataSpecFrom(flags: Record<string, unknown>, fromFile: unknown, model: { inputs: number; classes: number }): Record<string, unknown> {
  const base = (fromFile && typeof fromFile === 'object' ? fromFile : {}) as Record<string, unknown>;
  const given = flags['data'] as string | undefined;
  const source = given === undefined ? (base['source'] as string | undefined) ?? 'mnist' : NAMED.includes(given) ? given : 'files';
  const pool = {
    nTrain: flags['nTrain'],
    nTest: flags['nTest'],
    classes: flags['classes'],
    normalise: flags['normalise'],
    subset: flags['subset'],
  };
  let spec: Record<string, unknown>;
  switch (source) {
    case 'mnist':
    case 'fashion-mnist':
      spec = { source, ...pool, dir: flags['dataDir'] };
      break;
    case 'cifar10':
    case 'cifar100':
      spec = { source, ...pool, dir: flags['dataDir'], ...(source === 'cifar100' && flags['coarseLabels'] ? { labels: 'coarse' } : {}) };
      break;
    case 'random-labels':
      spec = {
        source,
        base: merge({ source: 'mnist' }, pool),
        fraction: flags['randomFraction'],
      };
      break;
    case 'teacher-student':
      spec = {
        source, d: model.inputs, nClasses: model.classes, nTrain: flags['nTrain'], nTest: flags['nTest'],
        hidden: flags['teacherHidden'], labelNoise: flags['labelNoise'],
      };
      break;
    case 'gaussian-mixture':
      spec = { source, d: model.inputs, nClasses: model.classes, nTrain: flags['nTrain'], nTest: flags['nTest'], separation: flags['separation'] };
      break;
    case 'linear-regression':
      spec = { source, d: model.inputs, nTrain: flags['nTrain'], nTest: flags['nTest'], noise: flags['noise'] };
      break;
    default:
      spec = {
        source: 'files', ...pool, ...(given !== undefined ? { train: given } : {}),
        labels: flags['labels'], test: flags['testData'], testLabels: flags['testLabels'], testFraction: flags['testFraction'],
      };
  }
  // The file's data section is the base; flags given on the command line replace its fields.
  return merge(base['source'] === spec['source'] || given === undefined ? base : {}, spec);
}
