/**
 * Protocol `permute` — permutation-interpolation, protocol (2) of Liao et al. (arXiv:2407.20724):
 * θ and a hidden-unit-permuted copy Pθ compute the same function, so E(Pθ) = E(θ) exactly (up to
 * the rounding of a reordered sum); the loss along θ(t) = (1 − t)θ + tPθ shows whether the copies
 * of one minimum are connected or separated by a barrier (Entezari, Sedghi, Saukh & Neyshabur,
 * "The Role of Permutation Invariance in Linear Mode Connectivity of Neural Networks", ICLR 2022).
 *
 * P is a uniformly random group element ('random'), or moves exactly k units of every hidden layer
 * (symmetry/permutation.ts, displacedPermutations) so that |θ − Pθ| and the barrier can be followed
 * as k grows. For a pair of independently trained replicas a, b the straight path θ_a → θ_b is
 * profiled before and after aligning b onto a by weight matching (Ainsworth et al. 2023), whose
 * barrier drop is Entezari et al.'s conjecture at work.
 */
import { z } from 'zod';
import { GlassyError, parseWith } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import { barrier, distance, linearPath, profilePath, uniformGrid, type Path } from '../observables/path.js';
import { Run } from '../store/run.js';
import {
  displacedPermutations, displacedUnits, hiddenLayerCount, hiddenWidth, permuteParameters, randomPermutations,
} from '../symmetry/permutation.js';
import { weightMatching } from '../symmetry/weight-matching.js';
import { checkReplicaIndex, openTrainSource, pathLandscapes, type NetworkSource } from './connect.js';
import { readReplicaWeights } from './weights.js';

export const permuteConfigSchema = z.object({
  source: z.string().min(1),
  /** The replica whose θ is permuted. */
  replica: z.number().int().min(0).default(0),
  /** Displaced units per hidden layer (0, or 2 … width), or 'random' for a uniform permutation. */
  swaps: z.array(z.union([z.number().int().min(0), z.literal('random')])).min(1).default(['random']),
  /** How the k displaced units are permuted: one k-cycle, or k/2 transpositions. */
  shape: z.enum(['cycle', 'transpositions']).default('cycle'),
  /** Independent permutations per k. */
  repeats: z.number().int().min(1).default(1),
  /** Points G of each profile. */
  points: z.number().int().min(2).default(41),
  /** Also the straight path between these two replicas, before and after weight matching. */
  pair: z.tuple([z.number().int().min(0), z.number().int().min(0)]).nullable().default(null),
  /** Training samples of the evaluations (null: all). */
  trainSamples: z.number().int().positive().nullable().default(null),
});

export type PermuteConfig = z.infer<typeof permuteConfigSchema>;

export function parsePermuteConfig(raw: unknown): PermuteConfig {
  return parseWith(permuteConfigSchema, raw);
}

/** Everything checked before a run directory is created. */
export function preparePermute(config: PermuteConfig): NetworkSource {
  const src = openTrainSource(config.source);
  checkReplicaIndex('replica', config.replica, src);
  const H = hiddenLayerCount(src.layout);
  if (H === 0) throw GlassyError.invalid('source', src.run.dir, 'a network with at least one hidden layer (a perceptron has no permutation symmetry)');
  let minWidth = Infinity;
  for (let h = 0; h < H; h++) minWidth = Math.min(minWidth, hiddenWidth(src.layout, h));
  for (const k of config.swaps) {
    if (k === 'random') continue;
    if (k === 1 || k > minWidth) throw GlassyError.invalid('swaps', k, `0 or an integer in [2, ${minWidth}] (a permutation cannot move exactly one unit; the narrowest hidden layer has ${minWidth})`);
    if (config.shape === 'transpositions' && k % 2 !== 0) throw GlassyError.invalid('swaps', k, 'even numbers with --shape transpositions');
  }
  if (config.pair) {
    checkReplicaIndex('pair', config.pair[0], src);
    checkReplicaIndex('pair', config.pair[1], src);
    if (config.pair[0] === config.pair[1]) throw GlassyError.invalid('pair', config.pair.join(','), 'two different replicas a,b');
  }
  return src;
}

export interface PermuteSummary {
  run: string;
  source: string;
  replica: number;
  paths: string[];
  /** Training-loss barrier (max − mean of the ends) per path. */
  barriers: Record<string, number>;
  test_barriers: Record<string, number>;
  /** Per requested k (mean over repeats): barrier, |θ − Pθ|, units moved. */
  per_k: Array<{ k: number | 'random'; barrier: number; test_barrier: number; distance: number; displaced: number }>;
  /** max |E(Pθ) − E(θ)| over all permutations (training loss): 0 up to rounding. */
  invariance_max_abs: number;
  pair_barrier_linear?: number;
  pair_barrier_aligned?: number;
  pair_test_barrier_linear?: number;
  pair_test_barrier_aligned?: number;
  pair_distance_linear?: number;
  pair_distance_aligned?: number;
  train_samples: number;
  [key: string]: unknown;
}

/** Domain index of permute's streams inside Stream.probe. */
const PERMUTE = 2;

export function runPermute(
  config: PermuteConfig, out: string, opts: { overwrite?: boolean; seed?: number; progress?: (m: string) => void } = {},
): PermuteSummary {
  const src = preparePermute(config);
  const seed = opts.seed ?? src.seed;
  const theta = readReplicaWeights(src.run, config.replica).theta;
  const land = pathLandscapes(src, config.replica, config.trainSamples);
  const run = Run.create(out, { protocol: 'permute', config, seed }, { overwrite: opts.overwrite === true });
  try {
    const t = uniformGrid(config.points);
    const G = t.length;
    const K = config.swaps.length, R = config.repeats;
    const paths: Array<{ name: string; path: Path }> = [];
    const dist = new Float64Array(K * R), displaced = new Float64Array(K * R), invariance = new Float64Array(K * R);
    const e0 = land.evalTrain.evaluate(theta).loss;
    for (let i = 0; i < K; i++) {
      const k = config.swaps[i]!;
      for (let r = 0; r < R; r++) {
        const rng = Rng.stream(seed, Stream.probe, PERMUTE, i, r);
        const perms = k === 'random' ? randomPermutations(src.layout, rng) : displacedPermutations(src.layout, k, rng, config.shape);
        const ptheta = permuteParameters(src.layout, theta, perms);
        dist[i * R + r] = distance(theta, ptheta);
        displaced[i * R + r] = displacedUnits(perms);
        invariance[i * R + r] = Math.abs(land.evalTrain.evaluate(ptheta).loss - e0);
        paths.push({ name: `perm k=${k}${R > 1 ? ` #${r}` : ''}`, path: linearPath(theta, ptheta) });
      }
    }
    let pairDist: [number, number] | null = null;
    if (config.pair) {
      const [a, b] = config.pair;
      const ta = readReplicaWeights(src.run, a).theta, tb = readReplicaWeights(src.run, b).theta;
      const aligned = weightMatching(src.layout, ta, tb, { rng: Rng.stream(seed, Stream.probe, PERMUTE, K) }).aligned;
      paths.push({ name: `replicas ${a}-${b}`, path: linearPath(ta, tb) });
      paths.push({ name: `replicas ${a}-${b} aligned`, path: linearPath(ta, aligned) });
      pairDist = [distance(ta, tb), distance(ta, aligned)];
    }
    const P = paths.length;
    const trainLoss = new Float64Array(P * G), trainErr = new Float64Array(P * G), testLoss = new Float64Array(P * G), testErr = new Float64Array(P * G), arc = new Float64Array(P * G);
    const bTrain = new Float64Array(P), bTest = new Float64Array(P), bPos = new Float64Array(P), bTestErr = new Float64Array(P);
    const summary: PermuteSummary = {
      run: run.dir, source: src.run.dir, replica: config.replica, paths: paths.map((p) => p.name),
      barriers: {}, test_barriers: {}, per_k: [], invariance_max_abs: Math.max(...invariance), train_samples: land.trainSamples,
    };
    const t0 = performance.now();
    paths.forEach(({ name, path }, p) => {
      const prof = profilePath(path, { train: land.evalTrain, test: land.test }, t);
      const tr = prof.series['train']!, te = prof.series['test']!;
      trainLoss.set(tr.loss, p * G); trainErr.set(tr.error, p * G);
      testLoss.set(te.loss, p * G); testErr.set(te.error, p * G);
      arc.set(prof.arcLength, p * G);
      const b = barrier(t, tr.loss);
      bTrain[p] = b.height; bPos[p] = b.position;
      bTest[p] = barrier(t, te.loss).height;
      bTestErr[p] = barrier(t, te.error).height;
      summary.barriers[name] = b.height;
      summary.test_barriers[name] = bTest[p]!;
      opts.progress?.(`${name}: barrier ${b.height.toPrecision(4)}`);
    });
    run.setTiming('profiles', (performance.now() - t0) / 1000);
    const mean = (xs: Float64Array, i: number) => { let s = 0; for (let r = 0; r < R; r++) s += xs[i * R + r]!; return s / R; };
    const kCodes = new Int32Array(K);
    for (let i = 0; i < K; i++) {
      const k = config.swaps[i]!;
      kCodes[i] = k === 'random' ? -1 : k;
      summary.per_k.push({
        k, barrier: mean(bTrain, i), test_barrier: mean(bTest, i), distance: mean(dist, i), displaced: mean(displaced, i),
      });
    }
    if (pairDist) {
      const p0 = K * R;
      summary.pair_barrier_linear = bTrain[p0]!;
      summary.pair_barrier_aligned = bTrain[p0 + 1]!;
      summary.pair_test_barrier_linear = bTest[p0]!;
      summary.pair_test_barrier_aligned = bTest[p0 + 1]!;
      summary.pair_distance_linear = pairDist[0];
      summary.pair_distance_aligned = pairDist[1];
    }
    run.writeArray('path_t', t);
    run.writeArray('path_train_loss', trainLoss, [P, G]);
    run.writeArray('path_train_error', trainErr, [P, G]);
    run.writeArray('path_test_loss', testLoss, [P, G]);
    run.writeArray('path_test_error', testErr, [P, G]);
    run.writeArray('path_arc_length', arc, [P, G]);
    run.writeArray('path_barrier', bTrain);
    run.writeArray('path_barrier_test', bTest);
    run.writeArray('path_barrier_test_error', bTestErr);
    run.writeArray('path_barrier_position', bPos);
    run.writeArray('permute_k', kCodes);
    run.writeArray('permute_displaced', displaced, [K, R]);
    run.writeArray('permute_distance', dist, [K, R]);
    run.writeArray('permute_barrier', bTrain.slice(0, K * R), [K, R]);
    run.writeArray('permute_barrier_test', bTest.slice(0, K * R), [K, R]);
    run.writeArray('permute_invariance', invariance, [K, R]);
    run.finish(summary);
    return summary;
  } catch (err) {
    run.fail(err instanceof Error ? err.message : String(err));
    throw err;
  }
}
