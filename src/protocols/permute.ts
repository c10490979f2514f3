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
 *
 * A replica is one path: replicas 0 … S·R−1 are the permutations (k = swaps[i], repeat r at index
 * i·R + r), and with `pair` two more — the straight path θ_a → θ_b and θ_a → aligned θ_b. Each
 * draws its permutation from its own stream (i, r), so the rows do not depend on which worker ran
 * them; the reduction stacks them in index order. A path replica is short (G evaluations): a killed
 * one restarts from its beginning, deterministically.
 */
import { GlassyError } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import type { ReplicaContext, ReplicaOutcomeOk, ReplicaSummary, ReplicaTask } from '../executor/replica.js';
import { distance, linearPath, profilePath, uniformGrid, type Path } from '../observables/path.js';
import type { Run } from '../store/run.js';
import { sourceRunTask } from '../store/sources.js';
import { applyGroupElement, displacedGroupElement, groupWidths, matchWeights, randomGroupElement } from '../symmetry/group.js';
import { displacedUnits } from '../symmetry/permutation.js';
import { type RowFigures, stackPathRows, writePathRow } from '../observables/path-rows.js';
import { checkReplicaIndex, openTrainSource, pathLandscapes, replicaTheta, type NetworkSource } from '../observables/network-source.js';
import { permuteReplicas, type PermuteConfig } from './permute/protocol.js';

/** Everything checked before a run directory is created. */
export function preparePermute(config: PermuteConfig): NetworkSource {
  const src = openTrainSource(config.source);
  checkReplicaIndex('replica', config.replica, src);
  // Hidden units of an MLP, or hidden channels (and units) of a layer-spec network.
  const widths = groupWidths(src.layout);
  if (widths.length === 0) throw GlassyError.invalid('source', src.run.dir, 'a network with at least one hidden layer (a perceptron has no permutation symmetry)');
  const minWidth = Math.min(...widths);
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

async function runReplica(config: PermuteConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
  const expected = permuteReplicas(config);
  if (ctx.replicas !== expected) {
    throw GlassyError.invalid('replicas', ctx.replicas, `${expected}: one replica per path (${config.swaps.length} swaps × ${config.repeats} repeats${config.pair ? ' + 2 for the pair' : ''})`);
  }
  const src = preparePermute(config);
  const land = pathLandscapes(src, config.replica, config.trainSamples);
  const S = config.swaps.length, R = config.repeats;
  const i = ctx.index;
  let path: Path;
  let extra: ReplicaSummary;
  if (i < S * R) {
    const k = config.swaps[Math.floor(i / R)]!;
    const r = i % R;
    const theta = replicaTheta(src, config.replica);
    const rng = Rng.stream(ctx.seed, Stream.probe, PERMUTE, Math.floor(i / R), r);
    const perms = k === 'random' ? randomGroupElement(src.layout, rng) : displacedGroupElement(src.layout, k, rng, config.shape);
    const ptheta = applyGroupElement(src.layout, theta, perms);
    path = linearPath(theta, ptheta);
    extra = {
      name: `perm k=${k}${R > 1 ? ` #${r}` : ''}`,
      distance: distance(theta, ptheta),
      displaced: displacedUnits(perms),
      invariance: Math.abs(land.evalTrain.evaluate(ptheta).loss - land.evalTrain.evaluate(theta).loss),
    };
  } else {
    const [a, b] = config.pair!;
    const ta = replicaTheta(src, a), tb = replicaTheta(src, b);
    const aligned = i === S * R + 1;
    const end = aligned ? matchWeights(src.layout, ta, tb, { rng: Rng.stream(ctx.seed, Stream.probe, PERMUTE, S) }).aligned : tb;
    path = linearPath(ta, end);
    extra = { name: `replicas ${a}-${b}${aligned ? ' aligned' : ''}`, distance: distance(ta, end) };
  }
  const prof = profilePath(path, { train: land.evalTrain, test: land.test }, uniformGrid(config.points));
  const fig = writePathRow(ctx.run, i, prof);
  ctx.progress(1, `${String(extra['name'])}: barrier ${fig.barrier.toPrecision(4)}`);
  return { ...extra, ...fig, train_samples: land.trainSamples };
}

async function finalize(run: Run, outcomes: ReplicaOutcomeOk[], config: PermuteConfig): Promise<PermuteSummary> {
  const s = outcomes.map((o) => o.summary);
  stackPathRows(run, uniformGrid(config.points), s as unknown as RowFigures[]);
  const S = config.swaps.length, R = config.repeats;
  const num = (i: number, k: string) => s[i]![k] as number;
  const grid = (k: string) => Float64Array.from({ length: S * R }, (_, i) => num(i, k));
  const summary: PermuteSummary = {
    source: config.source, replica: config.replica, paths: s.map((x) => x['name'] as string),
    barriers: {}, test_barriers: {}, per_k: [], invariance_max_abs: Math.max(...grid('invariance')), train_samples: num(0, 'train_samples'),
  };
  s.forEach((x) => { summary.barriers[x['name'] as string] = x['barrier'] as number; summary.test_barriers[x['name'] as string] = x['barrier_test'] as number; });
  const mean = (k: string, i: number) => { let t = 0; for (let r = 0; r < R; r++) t += num(i * R + r, k); return t / R; };
  const kCodes = new Int32Array(S);
  for (let i = 0; i < S; i++) {
    const k = config.swaps[i]!;
    kCodes[i] = k === 'random' ? -1 : k;
    summary.per_k.push({ k, barrier: mean('barrier', i), test_barrier: mean('barrier_test', i), distance: mean('distance', i), displaced: mean('displaced', i) });
  }
  if (config.pair) {
    const p0 = S * R;
    summary.pair_barrier_linear = num(p0, 'barrier');
    summary.pair_barrier_aligned = num(p0 + 1, 'barrier');
    summary.pair_test_barrier_linear = num(p0, 'barrier_test');
    summary.pair_test_barrier_aligned = num(p0 + 1, 'barrier_test');
    summary.pair_distance_linear = num(p0, 'distance');
    summary.pair_distance_aligned = num(p0 + 1, 'distance');
  }
  run.writeArray('permute_k', kCodes);
  run.writeArray('permute_displaced', grid('displaced'), [S, R]);
  run.writeArray('permute_distance', grid('distance'), [S, R]);
  run.writeArray('permute_barrier', grid('barrier'), [S, R]);
  run.writeArray('permute_barrier_test', grid('barrier_test'), [S, R]);
  run.writeArray('permute_invariance', grid('invariance'), [S, R]);
  return summary;
}

export const task: ReplicaTask<PermuteConfig> = {
  ...sourceRunTask,
  validate: (config) => { preparePermute(config); },
  run: runReplica,
  finalize,
};
