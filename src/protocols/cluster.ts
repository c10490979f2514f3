/**
 * Protocol `cluster` — protocol (3) of Liao et al. (arXiv:2407.20724): do independently found
 * solutions organise hierarchically, as the pure states of a spin glass under replica symmetry
 * breaking (Mézard, Parisi, Virasoro 1987)? The same analysis runs on a network ensemble (a `train`
 * run) and on a spin glass (a `spinglass` run), so the two are compared with identical observables:
 * the K×K overlap matrix, P(q), agglomerative clustering with distance 1 − q (SciPy-format linkage,
 * leaf order, re-ordered matrix, cophenetic correlation) and the ultrametricity statistic against a
 * null model.
 *
 * Overlaps of networks (docs/papers.md): 'params' q_ab = θ_a·θ_b/(|θ_a||θ_b|) as trained; 'aligned' the
 * same after removing the hidden-unit permutation symmetry by weight matching (Ainsworth et al. 2023);
 * 'outputs' the Pearson correlation of the replicas' test-set outputs (function space). Of Ising
 * replicas: 'params' q_ab = (1/N)Σ s^a s^b; 'aligned' after the global spin flip (symmetry/spinflip.ts).
 *
 * A replica is one block of `pairBlock` alignments (weight or activation matching, the expensive
 * part): with 'aligned' network overlaps the pairs (a, b), a < b ('pairwise') or (0, b) ('reference'),
 * are cut into consecutive blocks; each pair's matching uses its own stream (a, b), so q_ab does not
 * depend on the blocking or the worker, and a block checkpoints after every pair. Without alignment
 * (params, outputs, spin glasses) the run has one replica and the overlaps are formed in the
 * reduction. The reduction assembles Q and computes P(q) (before and after alignment on one axis),
 * the dendrogram and ultrametricity with its permutation test (observables/ultrametric.ts).
 */
import { getBackend } from '../core/backends/index.js';
import { GlassyError, parseWith } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import { clusterReplicas } from '../observables/clustering.js';
import { overlapMatrix } from '../observables/overlap.js';
import { overlapHistogram, overlapKde, overlapMoments, pairOverlaps } from '../observables/pq.js';
import { ultrametricNull, ultrametricPermutationTest, ultrametricity } from '../observables/ultrametric.js';
import { distancesFromOverlaps } from '../observables/clustering.js';
import { spinFlipSign } from '../symmetry/spinflip.js';
import { groupWidths, isMlpLayout, matchWeights, type AnyLayout } from '../symmetry/group.js';
import { activationMatchingNetwork, channelLayers } from '../symmetry/channels.js';
import { activationMatching } from '../symmetry/activation-matching.js';
import type { Float } from '../core/backend.js';
import type { ReplicaContext, ReplicaOutcomeOk, ReplicaSummary, ReplicaTask } from '../executor/replica.js';
import type { Run } from '../store/run.js';
import { resolve as resolvePath } from 'node:path';
import { countNetworkReplicas, openRunSource } from '../store/sources.js';
import { sourceSetup } from '../observables/network-source.js';
import { alignmentPairs, clusterBlocks, clusterConfigSchema, type ClusterConfig } from './cluster/protocol.js';
import { NETWORK_RUN_PROTOCOLS, readReplicaWeights } from '../landscapes/weights.js';

/** Completes a new run's raw config from its source: absolute path, what it holds, its replica count. */
function prepareRaw(raw: Record<string, unknown>): Record<string, unknown> {
  if (typeof raw['source'] !== 'string' || raw['sourceReplicas'] !== undefined) return raw;
  const { kind, count } = inspectSource(raw['source'], raw);
  return { ...raw, source: resolvePath(raw['source']), sourceKind: kind, sourceReplicas: count };
}

/** Parses a raw config (a new one is completed from its source first). */
export function parseClusterConfig(raw: Record<string, unknown>): ClusterConfig {
  return parseWith(clusterConfigSchema, prepareRaw(raw));
}

export interface ClusterSummary {
  source: string;
  kind: 'network' | 'spinglass';
  overlap: ClusterConfig['overlap'];
  replicas: number;
  q_mean: number;
  q_var: number;
  /** Mean overlap before alignment (with 'aligned'). */
  q_mean_unaligned?: number;
  cophenetic_correlation: number;
  ultrametric_mean: number;
  ultrametric_null_mean: number;
  ultrametric_median: number;
  ultrametric_null_median: number;
  /** Permutation test (observables/ultrametric.ts): p-value, effect size in null SDs, power. */
  ultrametric_p_value: number;
  ultrametric_effect_size: number;
  ultrametric_permutations: number;
  ultrametric_permutation_null_mean: number;
  ultrametric_triples: number;
  ultrametric_degenerate_triangles: number;
  ultrametric_has_power: boolean;
  ultrametric_note: string;
  /** The common axis of pq_axis_hist_aligned / pq_axis_hist_unaligned, and the peak of each. */
  pq_axis_min: number;
  pq_axis_max: number;
  pq_peak_aligned: number;
  pq_peak_unaligned: number | null;
}

/** The source, checked: a complete train run with ≥ 3 network replicas, or a spinglass run with ≥ 3 replicas per sample. */
function inspectSource(dir: string, c: { overlap?: unknown; temperatureIndex?: unknown; sample?: unknown }): { source: Run; kind: 'network' | 'spinglass'; count: number } {
  const { run: source, protocol } = openRunSource(dir, [...NETWORK_RUN_PROTOCOLS, 'spinglass']);
  if (protocol !== 'spinglass') {
    const K = countNetworkReplicas(source);
    if (K < 3) throw GlassyError.invalid('source', source.dir, 'a run with at least 3 network replicas (replicas/replica-*.safetensors)');
    if ((c.overlap ?? 'aligned') === 'aligned' && groupWidths(readReplicaWeights(source, 0).layout).length === 0) {
      throw GlassyError.invalid('overlap', 'aligned', 'a network with a hidden layer (a perceptron has no permutation symmetry); use --overlap params');
    }
    return { source, kind: 'network', count: K };
  }
  if (!source.hasArray('configurations')) {
    throw GlassyError.invalid('source', source.dir, 'a spinglass run with arrays/configurations.npy [temperatures, samples, replicas, N]');
  }
  const shape = source.readArray('configurations').shape;
  if (shape.length !== 4) throw GlassyError.invalid(`${source.dir}/arrays/configurations.npy shape`, shape, '[temperatures, samples, replicas, N]');
  const [nT, S, R] = shape as [number, number, number, number];
  const ti = typeof c.temperatureIndex === 'number' ? c.temperatureIndex : 0, sa = typeof c.sample === 'number' ? c.sample : 0;
  if (ti >= nT) throw GlassyError.invalid('temperatureIndex', ti, `an index < ${nT} (the run's temperatures)`);
  if (sa >= S) throw GlassyError.invalid('sample', sa, `an index < ${S} (the run's disorder samples)`);
  if (R < 3) throw GlassyError.invalid('source', source.dir, 'at least 3 replicas per sample (glassy spinglass --replicas)');
  return { source, kind: 'spinglass', count: R };
}

/** The source of a parsed config, checked again (it must still hold what the run was made from). */
export function prepareCluster(config: ClusterConfig): { source: Run; kind: 'network' | 'spinglass'; count: number } {
  const r = inspectSource(config.source, config);
  if (r.kind !== config.sourceKind || r.count !== config.sourceReplicas) {
    throw GlassyError.invalid('source', config.source, `the ${config.sourceReplicas} ${config.sourceKind} replicas this run was made from (found ${r.count} ${r.kind})`);
  }
  return r;
}

function blockTag(index: number): string {
  return `pairs-${String(index).padStart(4, '0')}`;
}

/** θ_b aligned onto θ_a (replicas a and b), by weights or by activations on the probe batch. */
type Aligner = (thetaA: Float64Array, thetaB: Float64Array, a: number, b: number) => Float64Array;

function aligner(source: Run, config: ClusterConfig, layout: AnyLayout): Aligner {
  if (config.alignMethod === 'weights') {
    return (ta, tb, a, b) => matchWeights(layout, ta, tb, { rng: Rng.stream(0, Stream.probe, a, b) }).aligned;
  }
  const setup = sourceSetup(source, 0, { precision: 'f64', evalTrainSamples: config.probe });
  const probe = setup.evalTrain ?? setup.train;
  // Each replica's activations are computed once per layer and reused for all its pairs.
  const cache = new Map<Float64Array, Float64Array[]>();
  const activations = (theta: Float, layer: number): Float64Array => {
    const key = theta as Float64Array;
    let layers = cache.get(key);
    if (!layers) cache.set(key, (layers = []));
    if (!layers[layer]) {
      const x = probe.newConfig();
      x.set(theta);
      layers[layer] = probe.outputs(x, layer);
    }
    return layers[layer]!;
  };
  if (isMlpLayout(layout)) return (ta, tb) => activationMatching(layout, ta, tb, activations).aligned;
  // Conv channels: each group's activations after its channel-wise tokens (channels.ts probeToken).
  const tokens = channelLayers(layout).map((c) => c.probeToken);
  return (ta, tb) => activationMatchingNetwork(layout, ta, tb, (theta, group) => activations(theta, tokens[group]!)).aligned;
}

function norm(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s);
}

async function runReplica(config: ClusterConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
  const { source, kind, count: K } = prepareCluster(config);
  const expected = clusterBlocks(config);
  if (ctx.replicas !== expected) throw GlassyError.invalid('replicas', ctx.replicas, `${expected}: one replica per block of ${config.pairBlock} alignments`);
  const pairs = alignmentPairs(config, kind, K);
  if (!pairs) return {};
  const mine = pairs.slice(ctx.index * config.pairBlock, (ctx.index + 1) * config.pairBlock);
  const thetas = new Map<number, Float64Array>();
  const theta = (i: number) => { let t = thetas.get(i); if (!t) thetas.set(i, (t = readReplicaWeights(source, i).theta)); return t; };
  const layout = readReplicaWeights(source, mine[0]![0]).layout;
  const P = layout.size;
  const align = aligner(source, config, layout);
  const q = new Float64Array(mine.length);
  // Replica b aligned onto replica 0: the configurations of the null model.
  const refCount = mine.filter(([a]) => a === 0).length;
  const ref = new Float64Array(refCount * P);
  let done = 0;
  const cp = ctx.loadCheckpoint();
  if (cp) { q.set(cp.arrays['q'] as Float64Array); ref.set(cp.arrays['aligned'] as Float64Array); done = cp.meta.step; }
  const every = ctx.checkpointEvery ?? 1;
  for (let j = done; j < mine.length; j++) {
    const [a, b] = mine[j]!;
    const ta = theta(a), al = align(ta, theta(b), a, b);
    let dot = 0;
    for (let i = 0; i < P; i++) dot += ta[i]! * al[i]!;
    q[j] = dot / (norm(ta) * norm(theta(b)));
    if (a === 0) ref.set(al, j * P);
    if ((j + 1) % every === 0 && j + 1 < mine.length) ctx.saveCheckpoint({ meta: { step: j + 1 }, arrays: { q, aligned: ref } });
    ctx.progress((j + 1) / mine.length, `aligned ${a}-${b}`);
  }
  ctx.run.writeArray(`per-replica/${blockTag(ctx.index)}/q`, q);
  if (refCount > 0) ctx.run.writeArray(`per-replica/${blockTag(ctx.index)}/aligned`, ref, [refCount, P]);
  return { pairs: mine.length };
}

interface Replicas {
  /** Row-major [K × P] configurations used for the null model. */
  data: Float64Array;
  count: number;
  dim: number;
  /** P(q) samples: the pair overlaps of each disorder sample (one entry for networks). Spin glasses: signed q, the symmetric P(q) of the physics. */
  pqSamples: Float64Array[];
  /** Overlap matrix before alignment ('aligned' only). */
  unaligned?: Float64Array;
  /** P(q) samples after and before alignment, for the plot on one axis (unaligned only with 'aligned'). */
  pqAligned: Float64Array[];
  pqUnaligned?: Float64Array[];
  Q: Float64Array;
}

function networkReplicas(run: Run, source: Run, config: ClusterConfig, K: number, outcomes: ReplicaOutcomeOk[]): Replicas {
  const loaded = Array.from({ length: K }, (_, i) => readReplicaWeights(source, i));
  const P = loaded[0]!.layout.size;
  const data = new Float64Array(K * P);
  loaded.forEach((r, i) => data.set(r.theta, i * P));
  const raw = overlapMatrix({ data, count: K, dim: P }, { backend: getBackend() });
  if (config.overlap === 'params') return { data, count: K, dim: P, pqSamples: [pairOverlaps(raw, K)], pqAligned: [pairOverlaps(raw, K)], Q: raw };
  if (config.overlap === 'outputs') {
    const { test } = sourceSetup(source, 0);
    const width = 'arch' in test.layout ? test.layout.arch.sizes[test.layout.arch.sizes.length - 1]! : test.layout.outputs;
    const dim = test.nSamples * width;
    const outs = new Float64Array(K * dim);
    for (let i = 0; i < K; i++) {
      const theta = test.newConfig();
      theta.set(loaded[i]!.theta);
      const o = test.outputs(theta);
      // Pearson correlation = cosine of centred vectors.
      let mean = 0;
      for (let j = 0; j < dim; j++) mean += o[j]!;
      mean /= dim;
      for (let j = 0; j < dim; j++) outs[i * dim + j] = o[j]! - mean;
    }
    const Q = overlapMatrix({ data: outs, count: K, dim }, { backend: getBackend() });
    return { data: outs, count: K, dim, pqSamples: [pairOverlaps(Q, K)], pqAligned: [pairOverlaps(Q, K)], Q };
  }
  const pairs = alignmentPairs(config, 'network', K)!;
  const aligned = new Float64Array(K * P);
  aligned.set(loaded[0]!.theta, 0);
  const Qp = new Float64Array(K * K);
  for (let a = 0; a < K; a++) Qp[a * K + a] = 1;
  for (const o of outcomes) {
    const mine = pairs.slice(o.index * config.pairBlock, (o.index + 1) * config.pairBlock);
    const q = run.readArray(`per-replica/${blockTag(o.index)}/q`).data as Float64Array;
    const ref = mine.some(([a]) => a === 0) ? run.readArray(`per-replica/${blockTag(o.index)}/aligned`).data as Float64Array : null;
    mine.forEach(([a, b], j) => {
      Qp[a * K + b] = Qp[b * K + a] = q[j]!;
      if (a === 0) aligned.set(ref!.subarray(j * P, (j + 1) * P), b * P);
    });
  }
  const pairwise = pairs.length === (K * (K - 1)) / 2;
  const Q = pairwise ? Qp : overlapMatrix({ data: aligned, count: K, dim: P }, { backend: getBackend() });
  return { data: aligned, count: K, dim: P, pqSamples: [pairOverlaps(Q, K)], pqAligned: [pairOverlaps(Q, K)], Q, unaligned: raw, pqUnaligned: [pairOverlaps(raw, K)] };
}

/** q of every pair after the global spin flip (symmetry/spinflip.ts): ε = sign q_ab. */
function spinFlipAligned(data: Float64Array, R: number, N: number): Float64Array {
  const Q = new Float64Array(R * R);
  for (let a = 0; a < R; a++) {
    Q[a * R + a] = 1;
    for (let b = a + 1; b < R; b++) Q[a * R + b] = Q[b * R + a] = spinFlipSign(data.subarray(a * N, (a + 1) * N), data.subarray(b * N, (b + 1) * N)).overlap;
  }
  return Q;
}

function spinReplicas(source: Run, config: ClusterConfig): Replicas {
  const { data: raw, shape } = source.readArray('configurations');
  const [, S, R, N] = shape as [number, number, number, number];
  const block = (s: number) => {
    const out = new Float64Array(R * N);
    const base = (config.temperatureIndex * S + s) * R * N;
    for (let i = 0; i < R * N; i++) out[i] = raw[base + i]!;
    return out;
  };
  // P(q) is averaged over every disorder sample at this temperature (Parisi's P(q) = [P_J(q)]).
  const aligned = config.overlap === 'aligned';
  const pqRaw: Float64Array[] = [], pqAligned: Float64Array[] = [];
  for (let s = 0; s < S; s++) {
    const b = block(s);
    pqRaw.push(pairOverlaps(overlapMatrix({ data: b, count: R, dim: N }, { normalisation: 'per-site' }), R));
    if (aligned) pqAligned.push(pairOverlaps(spinFlipAligned(b, R, N), R));
  }
  const data = block(config.sample);
  const q = overlapMatrix({ data, count: R, dim: N }, { normalisation: 'per-site' });
  if (aligned) return { data, count: R, dim: N, pqSamples: pqRaw, pqAligned, Q: spinFlipAligned(data, R, N), unaligned: q, pqUnaligned: pqRaw };
  return { data, count: R, dim: N, pqSamples: pqRaw, pqAligned: pqRaw, Q: q };
}

/** Index of the largest bin, as its centre. */
function peak(h: { centres: Float64Array; density: Float64Array }): number {
  let k = 0;
  for (let i = 1; i < h.density.length; i++) if (h.density[i]! > h.density[k]!) k = i;
  return h.centres[k]!;
}

async function finalize(run: Run, outcomes: ReplicaOutcomeOk[], config: ClusterConfig): Promise<ClusterSummary> {
  const { source, kind, count } = prepareCluster(config);
  const t0 = performance.now();
  const reps = kind === 'network' ? networkReplicas(run, source, config, count, outcomes) : spinReplicas(source, config);
  const K = reps.count;
  run.setTiming('overlaps', (performance.now() - t0) / 1000);
  const t1 = performance.now();
  const cl = clusterReplicas(reps.Q, config.linkage, K);
  const hist = overlapHistogram(reps.pqSamples, { bins: config.bins });
  const kde = overlapKde(reps.pqSamples);
  const moments = overlapMoments(reps.pqSamples);
  const distances = distancesFromOverlaps(reps.Q, K);
  const um = ultrametricity(distances);
  const umNull = ultrametricNull(
    { data: reps.data, count: K, dim: reps.dim },
    { model: config.nullModel, normalisation: kind === 'spinglass' ? 'per-site' : 'cosine', nullRng: Rng.stream(source.manifest.seed, Stream.probe) },
  );
  const test = ultrametricPermutationTest(distances, { permutations: config.permutations, permutationRng: Rng.stream(source.manifest.seed, Stream.probe, 7) });
  // P(q) before and after alignment on one axis that holds both peaks.
  const all = [...reps.pqAligned, ...(reps.pqUnaligned ?? [])];
  let lo = Infinity, hi = -Infinity;
  for (const xs of all) for (const x of xs) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
  const pad = Math.max(0.05 * (hi - lo), 1e-3);
  const range = [Math.max(-1, lo - pad), Math.min(1, hi + pad)] as const;
  const axisAligned = overlapHistogram(reps.pqAligned, { bins: config.bins, range });
  const axisUnaligned = reps.pqUnaligned ? overlapHistogram(reps.pqUnaligned, { bins: config.bins, range }) : null;
  run.setTiming('clustering', (performance.now() - t1) / 1000);

  run.writeArray('overlap', reps.Q, [K, K]);
  if (reps.unaligned) run.writeArray('overlap_unaligned', reps.unaligned, [K, K]);
  run.writeArray('overlap_reordered', cl.reordered, [K, K]);
  run.writeArray('leaf_order', cl.order);
  run.writeArray('linkage', cl.linkage, [K - 1, 4]);
  run.writeArray('cophenetic', cl.cophenetic);
  run.writeArray('pq_edges', hist.edges);
  run.writeArray('pq_hist', hist.density);
  run.writeArray('pq_kde_x', kde.grid);
  run.writeArray('pq_kde_y', kde.density);
  run.writeArray('pq_axis_edges', axisAligned.edges);
  run.writeArray('pq_axis_hist_aligned', axisAligned.density);
  if (axisUnaligned) run.writeArray('pq_axis_hist_unaligned', axisUnaligned.density);
  run.writeArray('ultrametric', um.values);
  run.writeArray('ultrametric_null', umNull.values);
  run.writeArray('ultrametric_permutation_means', test.nullMeans);

  const unalignedPairs = reps.pqUnaligned ? reps.pqUnaligned.flatMap((x) => Array.from(x)) : null;
  const note = !test.hasPower
    ? (test.degenerate === test.triples
      ? `every triangle is degenerate (identical replicas, q = 1): ultrametricity is trivially satisfied and the test has no power`
      : 'the permuted distances give one value only: the test has no power')
    : test.degenerate > 0
      ? `${test.degenerate} of ${test.triples} triangles are degenerate (two identical replicas, q = 1) and trivially isosceles`
      : `permutation test with ${config.permutations} permutations of the replica labels of the distances`;
  return {
    source: source.dir, kind, overlap: config.overlap, replicas: K,
    q_mean: moments.mean, q_var: moments.variance,
    ...(unalignedPairs ? { q_mean_unaligned: unalignedPairs.reduce((s, v) => s + v, 0) / unalignedPairs.length } : {}),
    cophenetic_correlation: cl.copheneticCorrelation,
    ultrametric_mean: um.summary.mean,
    ultrametric_null_mean: umNull.summary.mean,
    ultrametric_median: um.summary.median,
    ultrametric_null_median: umNull.summary.median,
    ultrametric_p_value: test.pValue,
    ultrametric_effect_size: test.effectSize,
    ultrametric_permutations: config.permutations,
    ultrametric_permutation_null_mean: test.nullMean,
    ultrametric_triples: test.triples,
    ultrametric_degenerate_triangles: test.degenerate,
    ultrametric_has_power: test.hasPower,
    ultrametric_note: note,
    pq_axis_min: range[0], pq_axis_max: range[1],
    pq_peak_aligned: peak(axisAligned), pq_peak_unaligned: axisUnaligned ? peak(axisUnaligned) : null,
  };
}

export const task: ReplicaTask<ClusterConfig> = {
  prepare: prepareRaw,
  validate: (config) => { prepareCluster(config); },
  // The source run (its weights and its data config) travels to queue workers; its tensors are checked before anything is created.
  inputs: (config) => [config.source],
  run: runReplica,
  finalize: async (run, outcomes, config) => (await finalize(run, outcomes, config)) as unknown as Record<string, unknown>,
};
