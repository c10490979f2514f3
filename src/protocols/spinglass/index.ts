/**
 * The `spinglass` protocol: equilibrium (and zero-temperature) measurements on the reference spin
 * glasses — SK, Edwards–Anderson in 2D/3D, Hopfield (ising.ts) and the spherical p-spin (pspin.ts) —
 * with the observables glassy measures on networks: energy, the replica overlap q_ab, P(q), ⟨q²⟩,
 * ⟨q⁴⟩, the Binder ratio, all disorder-averaged with standard errors (summary.ts; SCIENCE.md, "The
 * protocols"; docs/spinglass.md; run format in docs/run-format/spinglass.md).
 *
 * What a replica of the task is: ONE DISORDER SAMPLE m (replica index m = 0..M−1, M = `samples`),
 * with its R thermal replicas (or R parallel-tempering ladders) at every temperature. The replicas of
 * a sample must run together because q_ab is measured between them at equal times; samples are
 * independent, so they are what the executors (local pool, BullMQ queue, `--shard i/n` + `glassy
 * merge`) spread, and what `glassy resume` continues from its checkpoint after a kill.
 */
import { GlassyError } from '../../core/errors.js';
import { runEnsemble, type EnsembleOptions } from '../../executor/ensemble.js';
import type { ReplicaContext, ReplicaSummary, ReplicaTask } from '../../executor/replica.js';
import { Run } from '../../store/run.js';
import {
  measuredTemperatures, parseSpinglassConfig, spinCount, validateSpinglassConfig, type SpinglassConfig, type SpinglassInput, type SpinglassSummary,
} from './config.js';
import { runIsingSample } from './ising.js';
import { runPSpinSample } from './pspin.js';
import { finalizeSpinglass } from './summary.js';

export * from './config.js';

async function runSample(config: SpinglassConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
  // The disorder and every stream derive from config.seed; the run's seed must be the same number,
  // or a later reader (walk, cluster) would rebuild other couplings from the manifest.
  if (config.seed !== ctx.seed) throw GlassyError.invalid('seed', config.seed, `the run's seed ${ctx.seed} (set both, e.g. --seed ${ctx.seed} --set seed=${ctx.seed})`);
  if (config.samples !== ctx.replicas) throw GlassyError.invalid('samples', config.samples, `the run's replica count ${ctx.replicas} (one replica per disorder sample)`);
  return config.model === 'pspin' ? runPSpinSample(config, ctx) : runIsingSample(config, ctx);
}

/** Refuse a run whose stored configurations would not fit (checked before anything is created). */
export function checkSpinglassSize(cfg: SpinglassConfig): void {
  const stored = measuredTemperatures(cfg).length * cfg.samples * cfg.replicas * spinCount(cfg);
  if (cfg.dynamics !== 'exact' && stored > 2 ** 30) {
    throw GlassyError.invalid('samples', cfg.samples, `temperatures × samples × replicas × N ≤ 2^30 stored spins (got ${stored})`);
  }
}

export const task: ReplicaTask<SpinglassConfig> = {
  protocol: 'spinglass',
  parseConfig: parseSpinglassConfig,
  run: runSample,
  finalize: finalizeSpinglass,
  estimateMemory(cfg: SpinglassConfig): number {
    const N = spinCount(cfg);
    const K = measuredTemperatures(cfg).length;
    const R = cfg.replicas;
    const couplings = cfg.model === 'pspin'
      ? 8 * N ** (cfg.p ?? 3) / ((cfg.p ?? 3) === 4 ? 24 : (cfg.p ?? 3) === 3 ? 6 : 2)
      : cfg.model === 'sk' || cfg.model === 'hopfield' ? 8 * N * N : 8 * 2 * 3 * N;
    // Chains (spins + fields), stored configurations, and their copies in a checkpoint.
    return couplings + 3 * K * R * N * 9 + 16 * 1024 * 1024;
  },
};

export interface SpinglassOptions extends Omit<EnsembleOptions, 'replicas'> {
  overwrite?: boolean;
}

/**
 * Library entry point: validate, create the run, run the M samples (in this thread unless an
 * executor is given), finalise. Returns the summary with the run directory.
 */
export async function runSpinglass(partial: SpinglassInput, outDir: string, opts: SpinglassOptions = {}): Promise<SpinglassSummary> {
  const cfg = validateSpinglassConfig(partial);
  checkSpinglassSize(cfg);
  const { overwrite, ...exec } = opts;
  const run = Run.create(outDir, { protocol: 'spinglass', config: cfg, seed: cfg.seed }, { overwrite: overwrite ?? false });
  const r = await runEnsemble(run, task, { executor: 'inprocess', progress: 'none', handleSignals: false, ...exec, replicas: cfg.samples });
  if (r.status !== 'complete') {
    throw new GlassyError(`spinglass ${run.dir}: ${r.status}${r.failed.length ? ` (${r.failed.map((f) => `sample ${f.index}: ${f.error}`).join('; ')})` : ''}`, 'run', run.dir, 'a complete run');
  }
  return { run: run.dir, ...r.summary } as SpinglassSummary;
}
