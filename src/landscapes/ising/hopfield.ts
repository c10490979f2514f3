/**
 * Hopfield model (Hopfield, PNAS 79, 2554 (1982); Amit, Gutfreund & Sompolinsky, PRL 55, 1530 (1985)):
 * P random ±1 patterns ξ^μ stored with the Hebb rule
 *
 *   J_ij = (1/N) Σ_μ ξ_i^μ ξ_j^μ (i ≠ j),  J_ii = 0,   H = −Σ_{i<j} J_ij s_i s_j − h Σ s_i,
 *
 * at load α = P/N. For α below ≈ 0.138 and low T the patterns are attractors: a chain started near
 * ξ^μ keeps a Mattis overlap m_μ = (1/N) Σ_i ξ_i^μ s_i close to 1 (AGS 1985).
 * Patterns are drawn pattern by pattern, site by site, from Rng.stream(seed, Stream.disorder, sample).
 */
import { GlassyError } from '../../core/errors.js';
import { Rng, Stream } from '../../core/rng.js';
import { IsingBase, type DenseCouplings } from './model.js';

export interface HopfieldOptions {
  n: number;
  /** Number of patterns P; or give `alpha` and P = max(1, round(αN)). */
  patterns?: number;
  alpha?: number;
  field?: number;
  seed: number;
  sample?: number;
}

export class Hopfield extends IsingBase {
  readonly name: string;
  readonly couplings: DenseCouplings;
  readonly nBonds: number;
  /** Number of stored patterns P. */
  readonly nPatterns: number;
  /** ξ^μ_i at patterns[μ·N + i], ±1. */
  readonly patterns: Int8Array;

  constructor(opts: HopfieldOptions) {
    const n = opts.n;
    if (!Number.isInteger(n) || n < 2) throw GlassyError.invalid('n', n, 'an integer ≥ 2');
    const field = opts.field ?? 0;
    if (!Number.isFinite(field)) throw GlassyError.invalid('field', field, 'a finite number');
    super(n, field);
    let P: number;
    if (opts.patterns !== undefined) {
      P = opts.patterns;
      if (!Number.isInteger(P) || P < 1) throw GlassyError.invalid('patterns', P, 'an integer ≥ 1');
    } else {
      const a = opts.alpha ?? 0.05;
      if (!(a > 0 && a <= 10)) throw GlassyError.invalid('alpha', a, 'a load P/N in (0, 10]');
      P = Math.max(1, Math.round(a * n));
    }
    this.nPatterns = P;
    const rng = Rng.stream(opts.seed, Stream.disorder, opts.sample ?? 0);
    const xi = new Int8Array(P * n);
    for (let k = 0; k < P * n; k++) xi[k] = rng.uniform32() < 0.5 ? 1 : -1;
    this.patterns = xi;
    const J = new Float64Array(n * n);
    for (let mu = 0; mu < P; mu++) {
      const o = mu * n;
      for (let i = 0; i < n; i++) {
        const xs = xi[o + i]! / n;
        const row = i * n;
        for (let j = 0; j < n; j++) J[row + j] += xs * xi[o + j]!;
      }
    }
    for (let i = 0; i < n; i++) J[i * n + i] = 0;
    this.couplings = { kind: 'dense', J };
    this.nBonds = (n * (n - 1)) / 2;
    this.name = `hopfield N=${n} P=${P}${field !== 0 ? ` h=${field}` : ''}`;
  }

  /** Mattis overlaps m_μ = (1/N) Σ_i ξ_i^μ s_i (AGS 1985), written into out (length P). */
  mattisOverlaps(s: Int8Array, out: Float64Array = new Float64Array(this.nPatterns)): Float64Array {
    const n = this.dim;
    for (let mu = 0; mu < this.nPatterns; mu++) {
      let acc = 0;
      const o = mu * n;
      for (let i = 0; i < n; i++) acc += this.patterns[o + i]! * s[i]!;
      out[mu] = acc / n;
    }
    return out;
  }
}
