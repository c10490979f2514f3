/**
 * Protocol `cluster` — protocol (3) of Liao et al. (arXiv:2407.20724): do independently found
 * solutions organise hierarchically, as the pure states of a spin glass under replica symmetry
 * breaking (Mézard, Parisi, Virasoro 1987)? The same analysis runs on a network ensemble (a `train`
 * run) and on a spin glass (a `spinglass` run), so the two are compared with identical observables:
 * the K×K overlap matrix, P(q), agglomerative clustering with distance 1 − q (SciPy-format linkage,
 * leaf order, re-ordered matrix, cophenetic correlation) and the ultrametricity statistic against a
 * null model.
 *
 * Overlaps of networks (SCIENCE.md): 'params' q_ab = θ_a·θ_b/(|θ_a||θ_b|) as trained; 'aligned' the
 * same after removing the hidden-unit permutation symmetry by weight matching (Ainsworth et al. 2023);
 * 'outputs' the Pearson correlation of the replicas' test-set outputs (function space). Of Ising
 * replicas: 'params' q_ab = (1/N)Σ s^a s^b; 'aligned' |q_ab| (the global spin flip removed).
 */
import { z } from 'zod';
import { getBackend } from '../core/backends/index.js';
import { GlassyError, parseWith } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import type { MlpLayout } from '../landscapes/mlp/layout.js';
import { clusterReplicas } from '../observables/clustering.js';
import { overlapMatrix } from '../observables/overlap.js';
import { overlapHistogram, overlapKde, overlapMoments, pairOverlaps } from '../observables/pq.js';
import { ultrametricNull, ultrametricity } from '../observables/ultrametric.js';
import { distancesFromOverlaps } from '../observables/clustering.js';
import { weightMatching } from '../symmetry/weight-matching.js';
import { activationMatching } from '../symmetry/activation-matching.js';
import type { Float } from '../core/backend.js';
import { Run } from '../store/run.js';
import { parseTrainConfig, replicaSetup } from './train.js';
import { NETWORK_RUN_PROTOCOLS, readReplicaWeights } from './weights.js';

export const clusterConfigSchema = z.object({
  /** The run whose replicas are analysed (a `train` or `spinglass` run). */
  source: z.string().min(1),
  overlap: z.enum(['params', 'aligned', 'outputs']).default('aligned'),
  linkage: z.enum(['single', 'complete', 'average', 'ward']).default('average'),
  /**
   * Alignment of network replicas: 'pairwise' aligns b onto a for every pair (exact, K²/2 matchings);
   * 'reference' aligns every replica onto replica 0 once (K matchings), the practical choice for
   * large K. 'auto': pairwise up to 64 replicas.
   */
  align: z.enum(['auto', 'pairwise', 'reference']).default('auto'),
  /**
   * How hidden units are matched: by their weights (Ainsworth et al. 2023, weight matching) or by
   * the correlation of their activations on a probe batch of `probe` training samples (activation
   * matching, Ainsworth et al. §3.1; Li et al. 2015).
   */
  alignMethod: z.enum(['weights', 'activations']).default('weights'),
  probe: z.number().int().positive().default(1000),
  /** Spin-glass runs: which temperature (index) and disorder sample. */
  temperatureIndex: z.number().int().min(0).default(0),
  sample: z.number().int().min(0).default(0),
  bins: z.number().int().min(2).default(50),
  /** Null model of the ultrametricity statistic. */
  nullModel: z.enum(['gaussian', 'shuffle']).default('shuffle'),
});

export type ClusterConfig = z.infer<typeof clusterConfigSchema>;

export function parseClusterConfig(raw: unknown): ClusterConfig {
  return parseWith(clusterConfigSchema, raw);
}

export interface ClusterSummary {
  run: string;
  source: string;
  kind: 'network' | 'spinglass';
  overlap: ClusterConfig['overlap'];
  replicas: number;
  q_mean: number;
  q_var: number;
  /** Mean overlap before alignment (networks with overlap 'aligned'). */
  q_mean_unaligned?: number;
  cophenetic_correlation: number;
  ultrametric_mean: number;
  ultrametric_null_mean: number;
  ultrametric_median: number;
  ultrametric_null_median: number;
}

interface Replicas {
  kind: 'network' | 'spinglass';
  /** Row-major [K × P] configurations used for overlaps and the null model. */
  data: Float64Array;
  count: number;
  dim: number;
  /** P(q) samples: the pair overlaps of each disorder sample (one entry for networks). */
  pqSamples: Float64Array[];
  /** Overlap matrix of the raw replicas, for 'aligned' (before alignment). */
  unaligned?: Float64Array;
  Q: Float64Array;
}

function networkReplicas(source: Run, config: ClusterConfig): Replicas {
  const K = source.listTensors().filter((n) => /^replica-\d{4,}$/.test(n)).length;
  if (K < 3) throw GlassyError.invalid('source', source.dir, 'a run with at least 3 network replicas (replicas/replica-*.safetensors)');
  const loaded = Array.from({ length: K }, (_, i) => readReplicaWeights(source, i));
  const layout = loaded[0]!.layout;
  const P = layout.size;
  const data = new Float64Array(K * P);
  loaded.forEach((r, i) => data.set(r.theta, i * P));
  const raw = overlapMatrix({ data, count: K, dim: P }, { backend: getBackend() });
  if (config.overlap === 'params') return { kind: 'network', data, count: K, dim: P, pqSamples: [pairOverlaps(raw, K)], Q: raw };
  if (config.overlap === 'outputs') {
    const trainConfig = parseTrainConfig(source.manifest.config);
    const { test } = replicaSetup(trainConfig, source.manifest.seed, 0);
    const width = test.layout.arch.sizes[test.layout.arch.sizes.length - 1]!;
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
    return { kind: 'network', data: outs, count: K, dim, pqSamples: [pairOverlaps(Q, K)], Q, unaligned: raw };
  }
  const align = aligner(source, config, layout);
  const pairwise = config.align === 'pairwise' || (config.align === 'auto' && K <= 64);
  const Q = pairwise ? pairwiseAligned(loaded.map((r) => r.theta), align) : null;
  // The configurations kept for the null model: every replica aligned onto replica 0.
  const aligned = new Float64Array(K * P);
  aligned.set(loaded[0]!.theta, 0);
  for (let i = 1; i < K; i++) aligned.set(align(loaded[0]!.theta, loaded[i]!.theta, 0, i), i * P);
  const Qa = Q ?? overlapMatrix({ data: aligned, count: K, dim: P }, { backend: getBackend() });
  return { kind: 'network', data: aligned, count: K, dim: P, pqSamples: [pairOverlaps(Qa, K)], Q: Qa, unaligned: raw };
}

/** θ_b aligned onto θ_a (replicas a and b), by weights or by activations on the probe batch. */
type Aligner = (thetaA: Float64Array, thetaB: Float64Array, a: number, b: number) => Float64Array;

function aligner(source: Run, config: ClusterConfig, layout: MlpLayout): Aligner {
  if (config.alignMethod === 'weights') {
    return (ta, tb, a, b) => weightMatching(layout, ta, tb, { rng: Rng.stream(0, Stream.probe, a, b) }).aligned;
  }
  const tc = parseTrainConfig({ ...(source.manifest.config as object), precision: 'f64', evalTrainSamples: config.probe });
  const setup = replicaSetup(tc, source.manifest.seed, 0);
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
  return (ta, tb) => activationMatching(layout, ta, tb, activations).aligned;
}

/** q_ab after aligning b onto a, for every pair a < b. */
function pairwiseAligned(thetas: Float64Array[], align: Aligner): Float64Array {
  const K = thetas.length;
  const Q = new Float64Array(K * K);
  const norm = thetas.map((t) => Math.sqrt(t.reduce((s, v) => s + v * v, 0)));
  for (let a = 0; a < K; a++) {
    Q[a * K + a] = 1;
    for (let b = a + 1; b < K; b++) {
      const al = align(thetas[a]!, thetas[b]!, a, b);
      let dot = 0;
      for (let i = 0; i < al.length; i++) dot += thetas[a]![i]! * al[i]!;
      Q[a * K + b] = Q[b * K + a] = dot / (norm[a]! * norm[b]!);
    }
  }
  return Q;
}

function spinReplicas(source: Run, config: ClusterConfig): Replicas {
  if (!source.hasArray('configurations')) {
    throw GlassyError.invalid('source', source.dir, 'a spinglass run with arrays/configurations.npy [temperatures, samples, replicas, N]');
  }
  const { data: raw, shape } = source.readArray('configurations');
  const [nT, S, R, N] = shape as [number, number, number, number];
  if (shape.length !== 4) throw GlassyError.invalid(`${source.dir}/arrays/configurations.npy shape`, shape, '[temperatures, samples, replicas, N]');
  if (config.temperatureIndex >= nT) throw GlassyError.invalid('temperatureIndex', config.temperatureIndex, `an index < ${nT} (the run's temperatures)`);
  if (config.sample >= S) throw GlassyError.invalid('sample', config.sample, `an index < ${S} (the run's disorder samples)`);
  if (R < 3) throw GlassyError.invalid('source', source.dir, 'at least 3 replicas per sample (glassy spinglass --replicas)');
  const block = (s: number) => {
    const out = new Float64Array(R * N);
    const base = (config.temperatureIndex * S + s) * R * N;
    for (let i = 0; i < R * N; i++) out[i] = raw[base + i]!;
    return out;
  };
  // P(q) is averaged over every disorder sample at this temperature (Parisi's P(q) = [P_J(q)]).
  const pqSamples: Float64Array[] = [];
  for (let s = 0; s < S; s++) pqSamples.push(pairOverlaps(overlapMatrix({ data: block(s), count: R, dim: N }, { normalisation: 'per-site' }), R));
  const data = block(config.sample);
  const q = overlapMatrix({ data, count: R, dim: N }, { normalisation: 'per-site' });
  if (config.overlap === 'aligned') {
    const Q = q.map(Math.abs);
    return { kind: 'spinglass', data, count: R, dim: N, pqSamples, Q, unaligned: q };
  }
  return { kind: 'spinglass', data, count: R, dim: N, pqSamples, Q: q };
}

/** Runs the analysis of `config.source` and writes it as a new run at `out`. */
export function runCluster(config: ClusterConfig, out: string, opts: { overwrite?: boolean } = {}): ClusterSummary {
  const source = Run.open(config.source);
  const protocol = source.manifest.protocol;
  if (!NETWORK_RUN_PROTOCOLS.includes(protocol) && protocol !== 'spinglass') {
    throw GlassyError.invalid('source', `${source.dir} (protocol ${protocol})`, 'a train or spinglass run');
  }
  if (source.manifest.status !== 'complete') {
    throw GlassyError.invalid('source', `${source.dir} (status ${source.manifest.status})`, 'a complete run (finish it with glassy resume)');
  }
  const run = Run.create(out, { protocol: 'cluster', config, seed: source.manifest.seed }, opts);
  try {
    const t0 = performance.now();
    const reps = protocol !== 'spinglass' ? networkReplicas(source, config) : spinReplicas(source, config);
    const K = reps.count;
    run.setTiming('overlaps', (performance.now() - t0) / 1000);
    const t1 = performance.now();
    const cl = clusterReplicas(reps.Q, config.linkage, K);
    const hist = overlapHistogram(reps.pqSamples, { bins: config.bins });
    const kde = overlapKde(reps.pqSamples);
    const moments = overlapMoments(reps.pqSamples);
    const um = ultrametricity(distancesFromOverlaps(reps.Q, K));
    const umNull = ultrametricNull(
      { data: reps.data, count: K, dim: reps.dim },
      { model: config.nullModel, normalisation: reps.kind === 'spinglass' ? 'per-site' : 'cosine', nullRng: Rng.stream(source.manifest.seed, Stream.probe) },
    );
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
    run.writeArray('ultrametric', um.values);
    run.writeArray('ultrametric_null', umNull.values);

    const unalignedPairs = reps.unaligned ? pairOverlaps(reps.unaligned, K) : null;
    const summary: ClusterSummary = {
      run: run.dir,
      source: source.dir,
      kind: reps.kind,
      overlap: config.overlap,
      replicas: K,
      q_mean: moments.mean,
      q_var: moments.variance,
      ...(unalignedPairs ? { q_mean_unaligned: unalignedPairs.reduce((s, v) => s + v, 0) / unalignedPairs.length } : {}),
      cophenetic_correlation: cl.copheneticCorrelation,
      ultrametric_mean: um.summary.mean,
      ultrametric_null_mean: umNull.summary.mean,
      ultrametric_median: um.summary.median,
      ultrametric_null_median: umNull.summary.median,
    };
    run.finish(summary as unknown as Record<string, unknown>);
    return summary;
  } catch (err) {
    run.fail(err instanceof Error ? err.message : String(err));
    throw err;
  }
}
