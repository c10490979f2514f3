/**
 * One Monte Carlo chain on an Ising model: the spins (Int8Array ±1), the local fields
 * h_i = Σ_j J_ij s_j + h (Float64Array) and the total energy H, all kept consistent under flips.
 *
 * Keeping the fields up to date makes a flip attempt O(1) (ΔE = 2 s_i h_i) and an accepted flip
 * O(N) on dense couplings (SK, Hopfield) or O(z) on a lattice (EA). Time is counted in sweeps
 * (N attempted flips). The sweeps themselves are in kernels.ts (JavaScript) and asm/spinflip.ts
 * (WebAssembly SIMD, selected automatically; bit-identical results).
 */
import type { Rng } from '../../core/rng.js';
import type { IsingModel } from '../../landscapes/ising/model.js';
import { allocChainArrays } from './wasm.js';

export class SpinChain {
  readonly n: number;
  readonly spins: Int8Array;
  readonly fields: Float64Array;
  /** Total energy H(s), updated incrementally (resync() recomputes it exactly). */
  energy = 0;

  constructor(
    readonly model: IsingModel,
    spins?: Int8Array,
  ) {
    this.n = model.dim;
    // With the WebAssembly kernels selected, spins and fields live in their linear memory so that a
    // sweep copies nothing (src/dynamics/montecarlo/wasm.ts); they are ordinary typed arrays either way.
    const arrays = allocChainArrays(this, this.n);
    this.spins = arrays ? arrays.spins : new Int8Array(this.n);
    this.fields = arrays ? arrays.fields : new Float64Array(this.n);
    this.spins.fill(1);
    if (spins) this.spins.set(spins);
    this.resync();
  }

  /** Independent uniformly random ±1 start (infinite-temperature state). */
  randomise(rng: Rng): this {
    const s = this.spins;
    for (let i = 0; i < this.n; i++) s[i] = rng.nextU32() & 1 ? 1 : -1;
    return this.resync();
  }

  setSpins(s: ArrayLike<number>): this {
    for (let i = 0; i < this.n; i++) this.spins[i] = s[i]! < 0 ? -1 : 1;
    return this.resync();
  }

  /** Recompute fields and energy from scratch (removes floating-point drift of the incremental updates). */
  resync(): this {
    this.model.localFields(this.spins, this.fields);
    this.energy = this.model.spinEnergy(this.spins);
    return this;
  }

  /** ΔE of flipping spin i: H(s with s_i → −s_i) − H(s) = 2 s_i h_i. */
  deltaE(i: number): number {
    return 2 * this.spins[i]! * this.fields[i]!;
  }

  /** Flip spin i unconditionally, updating fields and energy. */
  flip(i: number): void {
    const s = this.spins;
    const h = this.fields;
    this.energy += 2 * s[i]! * h[i]!;
    const sn = -s[i]!;
    s[i] = sn;
    const c = this.model.couplings;
    const n = this.n;
    const twoS = 2 * sn;
    if (c.kind === 'dense') {
      const J = c.J;
      const row = i * n;
      for (let j = 0; j < n; j++) h[j] += twoS * J[row + j]!;
    } else {
      const { z, neighbours, J } = c;
      const b = i * z;
      for (let k = 0; k < z; k++) h[neighbours[b + k]!] += twoS * J[b + k]!;
    }
  }

  copyFrom(other: SpinChain): this {
    this.spins.set(other.spins);
    this.fields.set(other.fields);
    this.energy = other.energy;
    return this;
  }
}
