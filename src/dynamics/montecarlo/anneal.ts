/**
 * Simulated annealing (Kirkpatrick, Gelatt & Vecchi, Science 220, 671 (1983)) and the zero-temperature
 * quench (greedy single-flip descent to a local minimum: a configuration where no single flip lowers H,
 * i.e. s_i h_i ≥ 0 for every i — a "1-spin-flip stable" state).
 */
import { GlassyError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { SpinChain } from './chain.js';
import { sweep, type SingleFlipRule, type SiteOrder } from './kernels.js';

export type ScheduleShape = 'linear' | 'geometric';

/** Temperatures for each of `sweeps` sweeps, from tStart down to tEnd (inclusive), linear or geometric in T. */
export function annealingSchedule(tStart: number, tEnd: number, sweeps: number, shape: ScheduleShape = 'geometric'): Float64Array {
  if (!(tStart > 0) || !Number.isFinite(tStart)) throw GlassyError.invalid('t-start', tStart, 'a temperature > 0');
  if (!(tEnd > 0) || !(tEnd <= tStart)) throw GlassyError.invalid('t-end', tEnd, `a temperature in (0, t-start = ${tStart}]`);
  if (!Number.isInteger(sweeps) || sweeps < 1) throw GlassyError.invalid('sweeps', sweeps, 'an integer ≥ 1');
  const out = new Float64Array(sweeps);
  for (let k = 0; k < sweeps; k++) {
    const f = sweeps === 1 ? 1 : k / (sweeps - 1);
    out[k] = shape === 'linear' ? tStart + (tEnd - tStart) * f : tStart * (tEnd / tStart) ** f;
  }
  return out;
}

export type QuenchRule = 'sequential' | 'greedy';

/**
 * Zero-temperature descent: flip spins with ΔE = 2 s_i h_i < 0 until none is left.
 * 'sequential' sweeps 0..N−1 flipping every unstable spin met (first improvement); 'greedy' flips the
 * spin with the most negative ΔE each step (steepest single-flip descent). Returns the number of flips.
 */
export function quench(chain: SpinChain, rule: QuenchRule = 'sequential'): number {
  const n = chain.n;
  const s = chain.spins;
  const h = chain.fields;
  let flips = 0;
  if (rule === 'greedy') {
    for (;;) {
      let best = -1;
      let bestDE = 0;
      for (let i = 0; i < n; i++) {
        const dE = 2 * s[i]! * h[i]!;
        if (dE < bestDE) {
          bestDE = dE;
          best = i;
        }
      }
      if (best < 0) break;
      chain.flip(best);
      flips++;
    }
  } else {
    let changed = true;
    while (changed) {
      changed = false;
      for (let i = 0; i < n; i++) {
        if (s[i]! * h[i]! < 0) {
          chain.flip(i);
          flips++;
          changed = true;
        }
      }
    }
  }
  // The descent accumulates many incremental updates; make the final energy exact.
  chain.resync();
  return flips;
}

export interface AnnealResult {
  /** Energy H of the chain after the final quench (a local minimum; exact, resynced). */
  energy: number;
  /** Accepted flips during the annealing sweeps. */
  accepted: number;
}

/** Anneal through `temperatures` (one sweep at each), then quench to the nearest local minimum. */
export function anneal(chain: SpinChain, temperatures: ArrayLike<number>, rng: Rng, rule: SingleFlipRule = 'metropolis', order: SiteOrder = 'sequential'): AnnealResult {
  let accepted = 0;
  for (let k = 0; k < temperatures.length; k++) accepted += sweep(rule, chain, 1 / temperatures[k]!, rng, order);
  quench(chain);
  return { energy: chain.energy, accepted };
}
