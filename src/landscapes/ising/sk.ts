/**
 * Sherrington–Kirkpatrick model (Sherrington & Kirkpatrick, PRL 35, 1792 (1975)):
 *
 *   H = −Σ_{i<j} J_ij s_i s_j − h Σ_i s_i,   J_ij ~ N(0, 1/N)  or  J_ij = ±1/√N with equal probability.
 *
 * With variance 1/N the transition is at T_c = 1, the paramagnetic energy per spin is −1/(2T) and the
 * ground-state energy per spin is −0.7633 (Parisi) — docs/papers.md, "Literature values".
 * Couplings are drawn in the order (0,1), (0,2), …, (N−2,N−1) from Rng.stream(seed, Stream.disorder, sample),
 * so one (seed, sample) is one disorder realisation whatever else a run does.
 */
import { GlassyError } from '../../core/errors.js';
import { Rng, Stream } from '../../core/rng.js';
import { IsingBase, type DenseCouplings } from './model.js';

export type CouplingDistribution = 'gauss' | 'pm1';

export interface SkOptions {
  n: number;
  couplings?: CouplingDistribution;
  field?: number;
  seed: number;
  sample?: number;
}

export class SherringtonKirkpatrick extends IsingBase {
  readonly name: string;
  readonly couplings: DenseCouplings;
  readonly nBonds: number;
  readonly distribution: CouplingDistribution;

  constructor(opts: SkOptions) {
    const n = opts.n;
    if (!Number.isInteger(n) || n < 2) throw GlassyError.invalid('n', n, 'an integer ≥ 2');
    const field = opts.field ?? 0;
    if (!Number.isFinite(field)) throw GlassyError.invalid('field', field, 'a finite number');
    super(n, field);
    const dist = opts.couplings ?? 'gauss';
    if (dist !== 'gauss' && dist !== 'pm1') throw GlassyError.invalid('couplings', dist, '"gauss" or "pm1"');
    this.distribution = dist;
    const rng = Rng.stream(opts.seed, Stream.disorder, opts.sample ?? 0);
    const J = new Float64Array(n * n);
    const std = 1 / Math.sqrt(n);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const v = dist === 'gauss' ? std * rng.normal() : rng.uniform32() < 0.5 ? std : -std;
        J[i * n + j] = v;
        J[j * n + i] = v;
      }
    }
    this.couplings = { kind: 'dense', J };
    this.nBonds = (n * (n - 1)) / 2;
    this.name = `sk N=${n} ${dist}${field !== 0 ? ` h=${field}` : ''}`;
  }
}
