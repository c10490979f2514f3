/**
 * Edwards–Anderson model (Edwards & Anderson, J. Phys. F 5, 965 (1975)) on the periodic square (d = 2)
 * and cubic (d = 3) lattices of side L, N = L^d:
 *
 *   H = −Σ_{<ij>} J_ij s_i s_j − h Σ_i s_i,
 *
 * nearest-neighbour bonds only, z = 2d neighbours per site, N_bonds = dN. Couplings are Gaussian
 * N(0, 1) or ±J with P(J = +1) = p (p = ½ is the symmetric ±J glass; on the Nishimori line
 * tanh β = 2p − 1 the disorder-averaged energy is exactly −N_bonds(2p − 1), Nishimori, Prog. Theor.
 * Phys. 66, 1169 (1981)).
 *
 * Site index i = x + L·y (+ L²·z). Bond (i, direction k) joins i to i + e_k (periodic) and is drawn in
 * the order i = 0..N−1, k = 0..d−1 from Rng.stream(seed, Stream.disorder, sample). Neighbour slot 2k
 * of site i is i + e_k, slot 2k+1 is i − e_k. For L = 2 the +e_k and −e_k neighbours coincide: the
 * lattice is then a multigraph with two independent bonds between the pair, which is still a valid
 * Hamiltonian (kept so that tiny lattices can be enumerated exactly).
 */
import { GlassyError } from '../../core/errors.js';
import { Rng, Stream } from '../../core/rng.js';
import { IsingBase, type SparseCouplings } from './model.js';
import type { CouplingDistribution } from './sk.js';

export interface EaOptions {
  dimension: 2 | 3;
  l: number;
  couplings?: CouplingDistribution;
  /** P(J = +1) for ±J couplings (default ½). */
  pPlus?: number;
  field?: number;
  seed: number;
  sample?: number;
}

export class EdwardsAnderson extends IsingBase {
  readonly name: string;
  readonly couplings: SparseCouplings;
  readonly nBonds: number;
  readonly l: number;
  readonly dimension: 2 | 3;
  readonly distribution: CouplingDistribution;
  readonly pPlus: number;
  /** bondSites[2b], bondSites[2b+1]: the two ends of bond b (each bond once). */
  readonly bondSites: Int32Array;
  /** bondJ[b]: the coupling of bond b. */
  readonly bondJ: Float64Array;

  constructor(opts: EaOptions) {
    const d = opts.dimension;
    if (d !== 2 && d !== 3) throw GlassyError.invalid('dimension', d, '2 or 3');
    const L = opts.l;
    if (!Number.isInteger(L) || L < 2 || L > 1024) throw GlassyError.invalid('l', L, 'an integer lattice side in [2, 1024]');
    const n = L ** d;
    if (n > 2 ** 26) throw GlassyError.invalid('l', L, `L^${d} ≤ 2^26 spins`);
    const field = opts.field ?? 0;
    if (!Number.isFinite(field)) throw GlassyError.invalid('field', field, 'a finite number');
    super(n, field);
    const dist = opts.couplings ?? 'gauss';
    if (dist !== 'gauss' && dist !== 'pm1') throw GlassyError.invalid('couplings', dist, '"gauss" or "pm1"');
    const p = opts.pPlus ?? 0.5;
    if (!(p >= 0 && p <= 1)) throw GlassyError.invalid('p-plus', p, 'a probability in [0, 1]');
    this.l = L;
    this.dimension = d;
    this.distribution = dist;
    this.pPlus = p;
    const z = 2 * d;
    const rng = Rng.stream(opts.seed, Stream.disorder, opts.sample ?? 0);
    const neighbours = new Int32Array(n * z);
    const J = new Float64Array(n * z);
    const nb = d * n;
    const bondSites = new Int32Array(2 * nb);
    const bondJ = new Float64Array(nb);
    const stride = d === 2 ? [1, L] : [1, L, L * L];
    let b = 0;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < d; k++) {
        const s = stride[k]!;
        const coord = Math.floor(i / s) % L;
        const j = coord === L - 1 ? i - (L - 1) * s : i + s;
        const v = dist === 'gauss' ? rng.normal() : rng.uniform32() < p ? 1 : -1;
        neighbours[i * z + 2 * k] = j;
        J[i * z + 2 * k] = v;
        neighbours[j * z + 2 * k + 1] = i;
        J[j * z + 2 * k + 1] = v;
        bondSites[2 * b] = i;
        bondSites[2 * b + 1] = j;
        bondJ[b] = v;
        b++;
      }
    }
    this.bondSites = bondSites;
    this.bondJ = bondJ;
    this.couplings = { kind: 'sparse', z, neighbours, J, integer: dist === 'pm1' };
    this.nBonds = nb;
    this.name = `ea${d}d L=${L} ${dist}${dist === 'pm1' && p !== 0.5 ? ` p=${p}` : ''}${field !== 0 ? ` h=${field}` : ''}`;
  }
}
