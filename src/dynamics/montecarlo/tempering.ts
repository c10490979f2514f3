/**
 * Parallel tempering (replica-exchange Monte Carlo; Hukushima & Nemoto, J. Phys. Soc. Jpn. 65, 1604
 * (1996)): K copies of one system at inverse temperatures β_0 < β_1 < … (any order is accepted; the
 * ladder is kept as given). Every sweep each copy does one single-flip sweep at its temperature, then
 * neighbouring temperatures k, k+1 (k = 0, 1, …, K−2 in turn) exchange configurations with probability
 *
 *   min(1, exp[(β_k − β_{k+1})(E_k − E_{k+1})])                        (Hukushima–Nemoto eq. 6)
 *
 * which satisfies detailed balance in the product ensemble Π_k e^{−β_k H}/Z_k. Configurations are not
 * copied: the bookkeeping arrays say which chain sits at which temperature.
 */
import { GlassyError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { IsingModel } from '../../landscapes/ising/model.js';
import { SpinChain } from './chain.js';
import { sweep, type SingleFlipRule, type SiteOrder } from './kernels.js';

/** A geometric temperature ladder T_k = T_min (T_max/T_min)^{k/(K−1)}, the standard PT choice
 *  (constant swap acceptance when the specific heat is constant; Katzgraber et al. 2006). */
export function geometricLadder(tMin: number, tMax: number, count: number): number[] {
  if (!(tMin > 0) || !Number.isFinite(tMin)) throw GlassyError.invalid('t-min', tMin, 'a temperature > 0');
  if (!(tMax >= tMin) || !Number.isFinite(tMax)) throw GlassyError.invalid('t-max', tMax, `a temperature ≥ t-min (${tMin})`);
  if (!Number.isInteger(count) || count < 1) throw GlassyError.invalid('n-temperatures', count, 'an integer ≥ 1');
  if (count === 1) return [tMin];
  const r = tMax / tMin;
  return Array.from({ length: count }, (_, k) => tMin * r ** (k / (count - 1)));
}

export class ParallelTempering {
  readonly betas: Float64Array;
  /** chains[c]: chain c (its configuration travels through the ladder). */
  readonly chains: SpinChain[];
  /** chainAt[k]: index of the chain currently at temperature k. */
  readonly chainAt: Int32Array;
  /** temperatureOf[c]: temperature index of chain c (the inverse permutation of chainAt). */
  readonly temperatureOf: Int32Array;
  /** swapAttempts[k], swapAccepts[k]: exchanges tried / accepted between temperatures k and k+1. */
  readonly swapAttempts: Float64Array;
  readonly swapAccepts: Float64Array;
  /** Accepted single flips per temperature since construction. */
  readonly flipAccepts: Float64Array;
  sweeps = 0;

  constructor(
    model: IsingModel,
    temperatures: ArrayLike<number>,
    readonly rule: SingleFlipRule = 'metropolis',
    readonly order: SiteOrder = 'sequential',
  ) {
    const K = temperatures.length;
    if (K < 1) throw GlassyError.invalid('temperatures', temperatures, 'at least one temperature');
    this.betas = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      const T = temperatures[k]!;
      if (!(T > 0) || !Number.isFinite(T)) throw GlassyError.invalid('temperatures', T, 'finite temperatures > 0');
      this.betas[k] = 1 / T;
    }
    this.chains = Array.from({ length: K }, () => new SpinChain(model));
    this.chainAt = new Int32Array(K);
    this.temperatureOf = new Int32Array(K);
    for (let k = 0; k < K; k++) {
      this.chainAt[k] = k;
      this.temperatureOf[k] = k;
    }
    this.swapAttempts = new Float64Array(Math.max(0, K - 1));
    this.swapAccepts = new Float64Array(Math.max(0, K - 1));
    this.flipAccepts = new Float64Array(K);
  }

  /** The chain at temperature index k. */
  at(k: number): SpinChain {
    return this.chains[this.chainAt[k]!]!;
  }

  /** Random ±1 start for every chain. */
  randomise(rng: Rng): void {
    for (const c of this.chains) c.randomise(rng);
  }

  /** One PT step: a sweep at every temperature, then one exchange attempt per neighbouring pair. */
  step(rng: Rng): void {
    const K = this.betas.length;
    for (let k = 0; k < K; k++) this.flipAccepts[k] += sweep(this.rule, this.at(k), this.betas[k]!, rng, this.order);
    for (let k = 0; k + 1 < K; k++) {
      const a = this.chainAt[k]!;
      const b = this.chainAt[k + 1]!;
      const delta = (this.betas[k]! - this.betas[k + 1]!) * (this.chains[a]!.energy - this.chains[b]!.energy);
      this.swapAttempts[k]++;
      if (delta >= 0 || rng.uniform32() < Math.exp(delta)) {
        this.chainAt[k] = b;
        this.chainAt[k + 1] = a;
        this.temperatureOf[a] = k + 1;
        this.temperatureOf[b] = k;
        this.swapAccepts[k]++;
      }
    }
    this.sweeps++;
  }

  /**
   * Continue from a checkpoint: the permutation of chains over temperatures and the counters (the
   * chains' spins, fields and energies are restored on the chains themselves).
   */
  restore(st: { chainAt: ArrayLike<number>; swapAttempts: ArrayLike<number>; swapAccepts: ArrayLike<number>; flipAccepts: ArrayLike<number>; sweeps: number }): void {
    this.chainAt.set(st.chainAt);
    for (let k = 0; k < this.chainAt.length; k++) this.temperatureOf[this.chainAt[k]!] = k;
    this.swapAttempts.set(st.swapAttempts);
    this.swapAccepts.set(st.swapAccepts);
    this.flipAccepts.set(st.flipAccepts);
    this.sweeps = st.sweeps;
  }

  /** Swap acceptance rate per neighbouring pair (NaN before any attempt). */
  swapRates(): number[] {
    return Array.from(this.swapAttempts, (a, k) => (a > 0 ? this.swapAccepts[k]! / a : NaN));
  }
}
