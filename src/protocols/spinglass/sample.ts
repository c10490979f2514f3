/**
 * What one disorder sample (one replica of the `spinglass` task) leaves in the run directory, and the
 * grids both kinds of glass share: `arrays/per-sample/sample-<mmmm>/<name>.npy`, one file per
 * observable, axis 0 = temperature. The run's arrays ([M, K] tables, P(q), configurations, ...) are
 * stacked from these by summary.ts once every sample is done (docs/run-format/spinglass.md).
 */
import { replicaTag } from '../../executor/checkpoint.js';
import { logList } from '../../observables/aging.js';
import type { Run } from '../../store/run.js';
import type { SpinglassConfig } from './config.js';

/** Sweeps between checkpoints when --checkpoint-every is not given (a few seconds of work at N ~ 10³). */
export const DEFAULT_CHECKPOINT_EVERY = 500;

/** Per-sample outputs; optional ones exist only for the models and dynamics that measure them. */
export interface SampleOutputs {
  energy: Float64Array; // [K] ⟨H⟩/N (gd: at the end point)
  q2: Float64Array; // [K] ⟨q²⟩ over replica pairs
  q4: Float64Array; // [K]
  /** [K × bins] P_J(q): probabilities (Ising) or a density on [−1, 1] (p-spin). */
  pq: Float64Array;
  abs_magnetisation?: Float64Array; // [K] Ising
  q_link?: Float64Array; // [K] EA
  mattis?: Float64Array; // [K] Hopfield: overlap with the pattern each chain started from
  mattis_max?: Float64Array; // [K] Hopfield: max_μ |m_μ|
  configurations?: Int8Array | Float64Array; // [K × R × N] final configurations
  energy_vs_time?: Float64Array; // [K × nT]
  swap_rates?: Float64Array; // [K − 1] PT, averaged over the R ladders
  acceptance?: Float64Array; // [K]
  ground_state?: Float64Array; // [1] anneal, quench: min over replicas of H/N
}

export const SAMPLE_ARRAYS = [
  'energy', 'q2', 'q4', 'pq', 'abs_magnetisation', 'q_link', 'mattis', 'mattis_max', 'configurations',
  'energy_vs_time', 'swap_rates', 'acceptance', 'ground_state',
] as const satisfies ReadonlyArray<keyof SampleOutputs>;

export function sampleArray(m: number, name: string): string {
  return `per-sample/sample-${replicaTag(m)}/${name}`;
}

export function writeSample(run: Run, m: number, out: SampleOutputs): void {
  for (const name of SAMPLE_ARRAYS) {
    const a = out[name];
    if (a) run.writeArray(sampleArray(m, name), a);
  }
}

/** Log-spaced times of the energy-vs-time series (DEEP-GLASS LogList without its 0); none for exact and quench. */
export function energyTimes(cfg: SpinglassConfig): Int32Array {
  if (cfg.dynamics === 'exact' || cfg.dynamics === 'quench') return new Int32Array(0);
  const last = cfg.dynamics === 'anneal' ? cfg.sweeps : cfg.equilibration + cfg.sweeps;
  return Int32Array.from(logList(1, last, cfg.timePoints).slice(1));
}

/** P(q) bins: one per Ising overlap value (N + 1, at most 1001); 101 on [−1, 1] for the p-spin. */
export function overlapBins(cfg: SpinglassConfig, n: number): number {
  return cfg.bins ?? (cfg.model === 'pspin' ? 101 : Math.min(n + 1, 1001));
}
