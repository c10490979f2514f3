/**
 * Protocol `flatness`: are flatter minima better at generalising? For every replica of one or
 * more `train` runs (runs differing in batch size, learning rate, L2, width, SAM …) measure the
 * flatness of its training loss at the trained weights — λ_max (Lanczos), tr H (Hutchinson), the
 * log-volume over the top k (flatness.ts), Keskar et al.'s ε-sharpness, the local entropy — and
 * correlate each with the replica's final test error by Spearman's ρ and Kendall's τ-b with
 * percentile-bootstrap 95 % intervals (correlation.ts; Jiang et al. 2020 use τ for this question).
 *
 * Replicas are the unit of parallel work: replica g of this run is replica i of source s in the
 * order the sources are listed (`counts` holds each source's K), run by `runEnsemble` on any
 * executor. The Hessian is of the bare training loss (no L2 term) in float64, so runs with
 * different L2 are compared on the same function.
 *
 * Walk ruggedness: when `walk` runs (protocols/walk/) started from some of these replicas are
 * given, their loss increments are reused — ruggedness = the standard deviation of the per-step
 * training-loss increments ΔL_t along the walk (√increment_variance of the walk run), with the
 * lag-1 autocorrelation beside it; replicas without a walk get NaN and are left out of that
 * correlation. Nothing is re-walked here.
 */
import { GlassyError } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import type { ReplicaContext, ReplicaOutcomeOk, ReplicaSummary, ReplicaTask } from '../executor/replica.js';
import { bootstrapCi, kendallTauB, spearman } from '../observables/correlation.js';
import { epsilonSharpness, hvpAt, localEntropy, logVolume } from '../observables/flatness.js';
import { hutchinsonTrace } from '../observables/hessian/hutchinson.js';
import { lanczos } from '../observables/hessian/lanczos.js';
import { resolve as resolvePath } from 'node:path';
import { Run } from '../store/run.js';
import { countReplicas, openTrainRun, replicaLandscape } from '../observables/network-source.js';
import { replicaName } from '../landscapes/weights.js';
import type { FlatnessConfig } from './flatness/protocol.js';

export { flatnessConfigSchema, parseFlatnessConfig, type FlatnessConfig } from './flatness/protocol.js';

/** Opens and checks the source runs; returns their absolute paths and replica counts (before any run is created). */
export function resolveSources(dirs: string[]): { sources: string[]; counts: number[] } {
  if (dirs.length === 0) throw GlassyError.invalid('runs', dirs, 'at least one train run');
  const sources: string[] = [], counts: number[] = [];
  for (const d of dirs) {
    const run = openTrainRun(d, 'run');
    const K = countReplicas(run);
    if (K < 1) throw GlassyError.invalid('run', run.dir, 'a train run with replica weights (replicas/replica-*.safetensors)');
    if (!run.hasArray('final_test_error')) throw GlassyError.invalid('run', run.dir, 'a train run with arrays/final_test_error.npy');
    sources.push(run.dir);
    counts.push(K);
  }
  return { sources, counts };
}

/** Global replica g → (source index, replica index within that source). */
export function locate(config: FlatnessConfig, g: number): { source: number; replica: number } {
  let rest = g;
  for (let s = 0; s < config.counts.length; s++) {
    if (rest < config.counts[s]!) return { source: s, replica: rest };
    rest -= config.counts[s]!;
  }
  throw GlassyError.invalid('replica', g, `an index < ${config.counts.reduce((a, b) => a + b, 0)}`);
}

/** The measures, in the order of the stacked arrays and the correlation table. */
export const MEASURES = ['lambda_max', 'trace', 'log_volume', 'sharpness', 'local_entropy_gap', 'mean_rise', 'walk_ruggedness'] as const;

/** Reads walk runs: (source run, replica) → √(increment variance) and lag-1 autocorrelation. */
export function resolveWalks(dirs: string[]): FlatnessConfig['walks'] {
  return dirs.map((d) => {
    const run = Run.open(d);
    if (run.manifest.protocol !== 'walk' || run.manifest.status !== 'complete') {
      throw GlassyError.invalid('--walk', `${run.dir} (protocol ${run.manifest.protocol}, status ${run.manifest.status})`, 'a complete walk run');
    }
    const cfg = run.manifest.config as { source?: unknown; replica?: unknown };
    const sum = (run.manifest.summary ?? {}) as Record<string, unknown>;
    const variance = sum['increment_variance'];
    if (typeof cfg.source !== 'string' || typeof variance !== 'number') {
      throw GlassyError.invalid('--walk', run.dir, 'a walk run whose manifest has config.source and summary.increment_variance');
    }
    const ac = sum['increment_autocorr_lag1'];
    return {
      run: run.dir, source: resolvePath(cfg.source), replica: typeof cfg.replica === 'number' ? cfg.replica : 0,
      ruggedness: Math.sqrt(variance), autocorr: typeof ac === 'number' ? ac : null,
    };
  });
}

async function runReplica(config: FlatnessConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
  const { source, replica } = locate(config, ctx.index);
  const src = Run.open(config.sources[source]!);
  const { landscape, theta } = replicaLandscape(src, replica, { subset: config.subset });
  const rng = (k: number) => Rng.stream(ctx.seed, Stream.probe, ctx.index, k);
  const P = landscape.dim;
  const hvp = hvpAt(landscape, theta);
  ctx.progress(0, 'Lanczos');
  const top = lanczos(hvp, P, { k: Math.min(config.top, P), which: 'largest', tol: config.tol, rng: rng(0) });
  ctx.progress(0.3, 'trace');
  const tr = config.traceSamples > 0 ? hutchinsonTrace(hvp, P, { samples: config.traceSamples, rng: rng(1) }) : null;
  ctx.progress(0.6, 'sharpness');
  const sh = config.sharpnessSteps > 0 ? epsilonSharpness(landscape, theta, { epsilon: config.epsilon, steps: config.sharpnessSteps }) : null;
  ctx.progress(0.8, 'local entropy');
  const le = config.entropySamples > 0
    ? localEntropy(landscape, theta, { gamma: config.entropyGamma, beta: config.entropyBeta, samples: config.entropySamples, rng: rng(2) })
    : null;
  const at = (name: string) => (src.hasArray(name) ? (src.readArray(name).data as Float64Array)[replica] ?? NaN : NaN);
  const walk = config.walks.find((w) => w.source === resolvePath(config.sources[source]!) && w.replica === replica);
  ctx.run.writeArray(`per-replica/${replicaName(ctx.index)}/top_eigenvalues`, top.values);
  if (tr) ctx.run.writeArray(`per-replica/${replicaName(ctx.index)}/trace_samples`, tr.samples);
  return {
    source, replica,
    lambda_max: top.values[0]!,
    lanczos_converged: top.converged,
    trace: tr ? tr.trace : NaN,
    trace_se: tr ? tr.se : NaN,
    log_volume: logVolume(top.values, config.volumeGamma),
    sharpness: sh ? sh.sharpness : NaN,
    local_entropy: le ? le.entropy : NaN,
    local_entropy_gap: le ? le.entropyGap : NaN,
    mean_rise: le ? le.meanRise : NaN,
    walk_ruggedness: walk ? walk.ruggedness : NaN,
    walk_autocorr: walk?.autocorr ?? NaN,
    loss: landscape.energy(theta),
    test_error: at('final_test_error'),
    train_error: at('final_train_error'),
    train_loss: at('final_train_loss'),
  };
}

export interface CorrelationRow {
  measure: string;
  /** Replicas with a finite measure and test error (the pairs correlated). */
  n: number;
  spearman: number; spearman_lo: number; spearman_hi: number;
  kendall: number; kendall_lo: number; kendall_hi: number;
  /** 'none': the data cannot answer the question (reason says why; the CI is not computed); 'low': the CI is wider than 1. */
  power: 'none' | 'low' | 'ok';
  reason?: string;
  ci_method: string;
}

/**
 * Why a correlation over n pairs from `configurations` training configurations has no power, or null.
 * - n ≤ 4: no ranking of 4 pairs reaches two-sided p < 0.05 (the smallest exact p is 2/n! = 1/12).
 * - one configuration: the replicas differ by seed only; "do flatter minima generalise better" is a
 *   question across hyperparameters (Jiang et al. 2020 vary batch, lr, width …), and the seed-to-seed
 *   spread of a single configuration is too narrow for a rank correlation to say anything.
 */
export function noPower(n: number, configurations: number): string | null {
  if (n <= 4) return `n = ${n} pairs: no rank correlation of ≤ 4 pairs can reach p < 0.05 (two-sided)`;
  if (configurations < 2) return `one training configuration (n = ${n} replicas differing by seed only): give ≥ 2 runs that differ in a hyperparameter`;
  return null;
}

/** Spearman and Kendall τ-b of each measure against the test error, with bootstrap 95 % CIs. */
export function correlateMeasures(columns: Record<string, Float64Array>, target: Float64Array, seed: number, resamples: number, configurations = 2): CorrelationRow[] {
  const rows: CorrelationRow[] = [];
  const ciMethod = `percentile bootstrap over replicas, ${resamples} resamples, 95 %`;
  MEASURES.forEach((m, j) => {
    const x = columns[m]!;
    const keep = Array.from(x.keys()).filter((i) => Number.isFinite(x[i]!) && Number.isFinite(target[i]!));
    const xs = Float64Array.from(keep, (i) => x[i]!), ys = Float64Array.from(keep, (i) => target[i]!);
    const reason = noPower(keep.length, configurations);
    if (reason !== null) {
      // The point estimates are kept for the record (NaN below 3 pairs); no interval is claimed.
      const sp = keep.length >= 3 ? spearman(xs, ys) : NaN, kt = keep.length >= 3 ? kendallTauB(xs, ys) : NaN;
      rows.push({ measure: m, n: keep.length, spearman: sp, spearman_lo: NaN, spearman_hi: NaN, kendall: kt, kendall_lo: NaN, kendall_hi: NaN, power: 'none', reason, ci_method: 'none (no power)' });
      return;
    }
    const sp = bootstrapCi(xs, ys, spearman, { resamples, rng: Rng.stream(seed, Stream.probe, 1_000_000, j, 0) });
    const kt = bootstrapCi(xs, ys, kendallTauB, { resamples, rng: Rng.stream(seed, Stream.probe, 1_000_000, j, 1) });
    rows.push({
      measure: m, n: keep.length,
      spearman: sp.estimate, spearman_lo: sp.lo, spearman_hi: sp.hi,
      kendall: kt.estimate, kendall_lo: kt.lo, kendall_hi: kt.hi,
      power: sp.hi - sp.lo > 1 ? 'low' : 'ok', ci_method: ciMethod,
    });
  });
  return rows;
}

async function finalize(run: Run, outcomes: ReplicaOutcomeOk[], config: FlatnessConfig): Promise<Record<string, unknown>> {
  const K = outcomes.length;
  const col = (k: string) => Float64Array.from(outcomes, (o) => {
    const v = o.summary[k];
    return typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : NaN;
  });
  const columns: Record<string, Float64Array> = {};
  for (const k of [...MEASURES, 'walk_autocorr', 'trace_se', 'local_entropy', 'loss', 'test_error', 'train_error', 'train_loss']) {
    columns[k] = col(k);
    run.writeArray(k, columns[k]!);
  }
  run.writeArray('source_index', Int32Array.from(outcomes, (o) => o.summary['source'] as number));
  run.writeArray('replica_index', Int32Array.from(outcomes, (o) => o.summary['replica'] as number));
  const rows = correlateMeasures(columns, columns['test_error']!, run.manifest.seed, config.bootstrap, config.sources.length);
  // correlations[m] = [spearman, lo, hi, kendall, lo, hi] in the order of MEASURES.
  const table = new Float64Array(rows.length * 6);
  rows.forEach((r, i) => table.set([r.spearman, r.spearman_lo, r.spearman_hi, r.kendall, r.kendall_lo, r.kendall_hi], i * 6));
  run.writeArray('correlations', table, [rows.length, 6]);
  return {
    replicas: K,
    sources: config.sources,
    measures: [...MEASURES],
    correlations: rows,
    lanczos_converged: outcomes.filter((o) => o.summary['lanczos_converged'] === true).length,
    walks: config.walks.length,
    ...(config.walks.length === 0 ? { walk_ruggedness_note: 'not computed: no walk runs given (--walk RUN)' } : {}),
  };
}

export const task: ReplicaTask<FlatnessConfig> = {
  prepare(raw) {
    const dirs = raw['sources'];
    const walks = raw['walks'];
    const out = { ...raw };
    if (Array.isArray(dirs) && dirs.every((d) => typeof d === 'string') && raw['counts'] === undefined) Object.assign(out, resolveSources(dirs));
    if (Array.isArray(walks) && walks.every((w) => typeof w === 'string')) out['walks'] = resolveWalks(walks);
    return out;
  },
  run: runReplica,
  finalize,
  estimateMemory(config: FlatnessConfig): number {
    // Data (MNIST-sized upper bound, f32 + f64) and ~ (2k + 40) float64 Lanczos vectors of a 1e6-parameter net.
    return 70_000 * 784 * 12 + (2 * config.top + 40) * 8e6 + 64 * 1024 * 1024;
  },
};
