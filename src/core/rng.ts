/**
 * Seeded, splittable random streams.
 *
 * Every replica, chain, walker and data order draws from its own stream, derived from
 * (seed, path...) by hashing, so results never depend on how work is spread over workers:
 * replica 7 of seed 42 gets the same numbers in-process, in a pool, or on a queue worker.
 *
 * Generator: xoshiro128** (Blackman & Vigna 2018) — 32-bit arithmetic only, so it is fast in
 * JavaScript (Math.imul, no BigInt), with a 2^128 − 1 period. Stream derivation: the state is
 * filled by the murmur3 32-bit finaliser applied to a SplitMix-style Weyl sequence over the
 * hashed path, which decorrelates neighbouring seeds and stream indices.
 */

/** murmur3 fmix32: a bijective avalanche mix of a 32-bit word. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Serialisable generator state (for checkpoints). */
export interface RngState {
  s: [number, number, number, number];
  /** Box–Muller keeps its second variate; it is part of the state. */
  spare: number | null;
}

const TWO_POW_M32 = 2 ** -32;
const TWO_POW_M53 = 2 ** -53;

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  /**
   * A stream identified by a seed and a path of non-negative integers, e.g.
   * `Rng.stream(seed, REPLICA, 7)`. Distinct paths give independent-looking streams.
   */
  static stream(seed: number, ...path: number[]): Rng {
    let h = mix32((seed >>> 0) ^ 0x9e3779b9);
    // Seeds above 2^32 keep their high bits too.
    h = mix32(h ^ Math.floor(seed / 4294967296));
    for (const p of path) h = mix32(h + 0x7f4a7c15 + mix32(p >>> 0) + Math.floor(p / 4294967296));
    const r = new Rng();
    let w = h;
    w = (w + 0x9e3779b9) >>> 0; r.s0 = mix32(w);
    w = (w + 0x9e3779b9) >>> 0; r.s1 = mix32(w);
    w = (w + 0x9e3779b9) >>> 0; r.s2 = mix32(w);
    w = (w + 0x9e3779b9) >>> 0; r.s3 = mix32(w);
    if ((r.s0 | r.s1 | r.s2 | r.s3) === 0) r.s0 = 1; // the all-zero state is a fixed point
    return r;
  }

  static fromState(st: RngState): Rng {
    const r = new Rng();
    [r.s0, r.s1, r.s2, r.s3] = st.s;
    r.spare = st.spare;
    return r;
  }

  state(): RngState {
    return { s: [this.s0, this.s1, this.s2, this.s3], spare: this.spare };
  }

  /**
   * The four xoshiro128** words, for a kernel that continues this stream elsewhere (the WebAssembly
   * spin-flip sweeps run the same generator in place and hand the words back with `setWords`).
   */
  getWords(out: Uint32Array): void {
    out[0] = this.s0;
    out[1] = this.s1;
    out[2] = this.s2;
    out[3] = this.s3;
  }

  /**
   * Continue from words a kernel produced. A word the kernel left unchanged keeps its JavaScript
   * representation (unsigned from seeding, signed after a step), so `state()` stays comparable.
   */
  setWords(w: Int32Array): void {
    if ((this.s0 | 0) !== w[0]) this.s0 = w[0]!;
    if ((this.s1 | 0) !== w[1]) this.s1 = w[1]!;
    if ((this.s2 | 0) !== w[2]) this.s2 = w[2]!;
    if ((this.s3 | 0) !== w[3]) this.s3 = w[3]!;
  }

  /** Next 32 random bits as an unsigned integer (xoshiro128**). */
  nextU32(): number {
    const s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = s1 ^ n2;
    this.s0 = s0 ^ n3;
    this.s2 = n2 ^ t;
    this.s3 = (n3 << 11) | (n3 >>> 21);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) * TWO_POW_M53;
  }

  /** Uniform in [0, 1) with 32 random bits: cheaper, enough for Metropolis acceptance. */
  uniform32(): number {
    return this.nextU32() * TWO_POW_M32;
  }

  /** Unbiased integer in [0, n), 0 < n ≤ 2^32 (rejection of the incomplete last block). */
  int(n: number): number {
    if (!(n > 0 && n <= 4294967296)) throw new RangeError(`Rng.int: n must be in (0, 2^32], got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal variate (Box–Muller, polar form by Marsaglia). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    return u * f;
  }

  /** Fill `out` with N(mean, std²) variates. */
  fillNormal(out: Float32Array | Float64Array, std = 1, mean = 0): void {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
  }

  /** Fill `out` with uniform variates in [lo, hi). */
  fillUniform(out: Float32Array | Float64Array, lo = 0, hi = 1): void {
    const w = hi - lo;
    for (let i = 0; i < out.length; i++) out[i] = lo + w * this.uniform();
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }
}

/**
 * Named stream domains, so that e.g. the initialisation stream of replica 3 never coincides
 * with the data-order stream of replica 3. New domains are appended, never renumbered
 * (renumbering would change every published result).
 */
export const Stream = {
  init: 1,
  dataOrder: 2,
  noise: 3,
  disorder: 4,
  monteCarlo: 5,
  data: 6,
  walk: 7,
  probe: 8,
  subset: 9,
  swap: 10,
} as const;
