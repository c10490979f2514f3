/**
 * Global spin-flip alignment of spin-glass replicas.
 *
 * Hamiltonians even in the spins (SK, EA, Hopfield without field, the spherical p-spin with even p)
 * are invariant under s → −s, so two replicas of the same state can have q_ab = ±q_EA; P(q) is then
 * symmetric (Mézard, Parisi & Virasoro, "Spin Glass Theory and Beyond", 1987, ch. III). Removing the
 * symmetry before comparing replicas means choosing the sign ε ∈ {+1, −1} that maximises
 * q(s^a, ε s^b) = ε q(s^a, s^b), i.e. ε = sign q_ab (ε = +1 at q_ab = 0), which folds P(q) onto q ≥ 0.
 * The same rule holds for spherical configurations (Σσ_i² = N), where q_ab = (1/N) Σ σ_i^a σ_i^b;
 * it is only a symmetry when the energy is even (p even, or no odd-p term).
 */
import type { Float } from '../core/backend.js';
import { GlassyError } from '../core/errors.js';

export interface SpinFlipResult<X extends Float | Int8Array> {
  /** ε ∈ {+1, −1}. */
  sign: 1 | -1;
  /** ε s^b (a new array of the input's type, or `out`). */
  aligned: X;
  /** q(s^a, ε s^b) = |q_ab| with q_ab = (1/N) Σ_i s_i^a s_i^b. */
  overlap: number;
}

/** The sign ε maximising (1/N) Σ s^a · ε s^b, with the resulting overlap. */
export function spinFlipSign(a: ArrayLike<number>, b: ArrayLike<number>): { sign: 1 | -1; overlap: number } {
  if (a.length !== b.length) throw GlassyError.invalid('b.length', b.length, `${a.length} (the length of a)`);
  if (a.length === 0) throw GlassyError.invalid('a.length', 0, 'at least one spin');
  let q = 0;
  for (let i = 0; i < a.length; i++) q += a[i]! * b[i]!;
  q /= a.length;
  return q < 0 ? { sign: -1, overlap: -q } : { sign: 1, overlap: q };
}

/** Align replica b onto a by a global spin flip (Ising ±1 in a float or int8 array, or spherical σ). */
export function alignSpinFlip<X extends Float | Int8Array>(a: ArrayLike<number>, b: X, out?: X): SpinFlipResult<X> {
  const { sign, overlap } = spinFlipSign(a, b);
  const dst = out ?? (new (b.constructor as { new(n: number): X })(b.length));
  if (dst.length !== b.length) throw GlassyError.invalid('out.length', dst.length, `${b.length}`);
  for (let i = 0; i < b.length; i++) dst[i] = sign * b[i]!;
  return { sign, aligned: dst, overlap };
}
