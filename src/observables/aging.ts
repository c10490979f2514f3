/**
 * Two-time (aging) observables of a configuration stream x(s) ∈ R^N, for networks (θ after s SGD
 * steps) and spin glasses (σ after s Langevin steps) alike — as in Baity-Jesi et al., "Comparing
 * Dynamics: Deep Neural Networks versus Glassy Systems", ICML 2018 / arXiv:1803.06969 (their definitions of
 * Δ and C, and the authors' DEEP-GLASS code: source/timelists.py, source/corr.py):
 *
 *   Δ(tw, tw+t)  = (1/N) Σ_i (x_i(tw+t) − x_i(tw))²               mean-square displacement
 *   C(tw, tw+t)  = (1/N) Σ_i x_i(tw) x_i(tw+t)                     two-time correlation
 *   Ĉ(tw, tw+t)  = x(tw)·x(tw+t) / (|x(tw)| |x(tw+t)|)             normalised correlation
 *   D4(tw, tw+t) = (1/N) Σ_i (Δx_i)⁴                                fourth moment
 *   Y(tw, tw+t)  = Σ_i (Δx_i)⁴ / (Σ_i (Δx_i)²)²                     participation ratio of the move
 *
 * Y ≈ 3/N when all coordinates move alike (Gaussian increments), Y → 1 when one coordinate carries
 * the whole move. At t = 0, Δx = 0 and Y = 0/0 is left NaN.
 *
 * Times are integers (steps). Only the copies x(tw) are stored, and each is released as soon as
 * tw + max(t) has passed, so memory is (number of tw's within max(t) of now) × N.
 */
import type { Float } from '../core/backend.js';
import { GlassyError } from '../core/errors.js';

// ---------------------------------------------------------------------------------------------
// Log-spaced integer grids
// ---------------------------------------------------------------------------------------------

/** numpy.round / numpy.rint semantics: round half to even (IEEE 754 default). */
function roundHalfEven(x: number): number {
  const r = Math.round(x); // half up
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The integer log-spaced grid of DEEP-GLASS (source/timelists.py, `ListaLogaritmica(x0, xn, n,
 * ints=True, addzero=True)`), reproduced operation by operation:
 *   y0 = ln x0, δ = (ln xn − y0)/(n − 1), x_i = exp(y0 + i·δ) for i = 0…n−1,
 *   unique(round(x)) (numpy rounds half to even), then 0 prepended.
 * Note the last point is exp(y0 + (n−1)δ), not xn itself; and for x0 < 0.5 the rounding gives a 0
 * before the prepended one (DEEP-GLASS does the same; the recorder rejects such grids).
 * DEEP-GLASS defaults: tw = logList(1, T/2, 50), t = logList(1, T/2, 100), loss times logList(1, T, 100).
 * Extension: xn = x0 (or n = 1) gives [0, round(x0)] where DEEP-GLASS would fail an assertion.
 */
export function logList(x0: number, xn: number, n: number): number[] {
  if (typeof x0 !== 'number' || !(x0 > 0) || !Number.isFinite(x0)) throw GlassyError.invalid('x0', x0, 'a finite number > 0');
  if (typeof xn !== 'number' || !(xn >= x0) || !Number.isFinite(xn)) throw GlassyError.invalid('xn', xn, `a finite number ≥ x0 = ${x0}`);
  if (!Number.isSafeInteger(n) || n < 1) throw GlassyError.invalid('n', n, 'an integer ≥ 1');
  const y0 = Math.log(x0);
  const delta = n > 1 ? (Math.log(xn) - y0) / (n - 1) : 0;
  const values = new Set<number>();
  for (let i = 0; i < n; i++) values.add(roundHalfEven(Math.exp(y0 + i * delta)));
  const sorted = [...values].sort((a, b) => a - b);
  return [0, ...sorted];
}

// ---------------------------------------------------------------------------------------------
// Where the copies x(tw) live
// ---------------------------------------------------------------------------------------------

/**
 * Storage for the reference configurations x(tw). The recorder calls `put` once per tw, `get` at
 * every tw + t, and `delete` when tw + max(t) has passed. An implementation backed by files (one
 * .npy per tw, memory-mapped or read on demand) lets N × (copies held) exceed RAM; the in-memory
 * one below is the default.
 */
export interface CopyStore {
  /** Keep a copy of x (x is reused by the caller after this returns). */
  put(tw: number, x: Float): void;
  /** The copy stored for tw (may be a view; the recorder only reads it). */
  get(tw: number): Float;
  delete(tw: number): void;
  /** The tw's currently held, ascending. */
  keys(): number[];
}

export class MemoryCopyStore implements CopyStore {
  private readonly copies = new Map<number, Float>();
  put(tw: number, x: Float): void {
    this.copies.set(tw, x.slice());
  }
  get(tw: number): Float {
    const c = this.copies.get(tw);
    if (!c) throw GlassyError.invalid('tw', tw, 'a waiting time whose copy is held');
    return c;
  }
  delete(tw: number): void {
    this.copies.delete(tw);
  }
  keys(): number[] {
    return [...this.copies.keys()].sort((a, b) => a - b);
  }
  /** Bytes held by the copies. */
  get bytes(): number {
    let b = 0;
    for (const c of this.copies.values()) b += c.byteLength;
    return b;
  }
}

// ---------------------------------------------------------------------------------------------
// The two-time recorder
// ---------------------------------------------------------------------------------------------

export const TWO_TIME_OBSERVABLES = ['delta', 'corr', 'corrNorm', 'd4', 'y'] as const;
export type TwoTimeObservable = (typeof TWO_TIME_OBSERVABLES)[number];

/** [ntw, nt] row-major matrices; entry (i, j) is at (tw[i], tw[i] + t[j]); NaN where not reached. */
export interface TwoTimeMatrices {
  tw: number[];
  t: number[];
  delta: Float64Array;
  corr: Float64Array;
  corrNorm: Float64Array;
  d4: Float64Array;
  y: Float64Array;
}

export interface TwoTimeOptions {
  /** Waiting times (steps): distinct non-negative integers, increasing. */
  tw: ArrayLike<number>;
  /** Lags (steps): distinct non-negative integers, increasing. */
  t: ArrayLike<number>;
  /** Dimension N of the configurations. */
  n: number;
  /** Where the x(tw) copies are kept (default: in memory). */
  store?: CopyStore;
}

/** JSON-able part of a recorder snapshot. */
export interface TwoTimeMeta {
  kind: 'glassy.TwoTimeRecorder';
  version: 1;
  n: number;
  tw: number[];
  t: number[];
  /** Last time observed (−1 before the first observation). */
  lastTime: number;
  /** Waiting times whose copies were held at snapshot time, and their |x(tw)|². */
  held: number[];
  heldNorm2: number[];
}

export interface TwoTimeSnapshot {
  meta: TwoTimeMeta;
  /** The five matrices under their observable names, and each held copy as `copy.<tw>`. */
  arrays: Record<string, Float64Array | Float32Array>;
}

function checkGrid(field: string, g: ArrayLike<number>): number[] {
  if (!g || typeof g.length !== 'number' || g.length < 1) throw GlassyError.invalid(field, g, 'a non-empty list of times');
  const out: number[] = [];
  for (let i = 0; i < g.length; i++) {
    const v = g[i]!;
    if (!Number.isSafeInteger(v) || v < 0) throw GlassyError.invalid(`${field}[${i}]`, v, 'a non-negative integer (steps)');
    if (i > 0 && !(v > out[i - 1]!)) throw GlassyError.invalid(`${field}[${i}]`, v, `a time > ${field}[${i - 1}] = ${out[i - 1]} (strictly increasing)`);
    out.push(v);
  }
  return out;
}

export class TwoTimeRecorder {
  readonly tw: readonly number[];
  readonly t: readonly number[];
  readonly n: number;
  private readonly twIndex = new Map<number, number>();
  private readonly tIndex = new Map<number, number>();
  private readonly tMax: number;
  private readonly needed: Set<number>;
  private readonly store: CopyStore;
  /** |x(tw)|² of each held copy. */
  private readonly norm2 = new Map<number, number>();
  private lastTime = -1;
  private readonly m: Record<TwoTimeObservable, Float64Array>;

  constructor(opts: TwoTimeOptions) {
    if (!Number.isSafeInteger(opts.n) || opts.n < 1) throw GlassyError.invalid('n', opts.n, 'an integer ≥ 1');
    this.tw = checkGrid('tw', opts.tw);
    this.t = checkGrid('t', opts.t);
    this.n = opts.n;
    this.store = opts.store ?? new MemoryCopyStore();
    this.tw.forEach((v, i) => this.twIndex.set(v, i));
    this.t.forEach((v, i) => this.tIndex.set(v, i));
    this.tMax = this.t[this.t.length - 1]!;
    this.needed = new Set<number>();
    for (const a of this.tw) {
      this.needed.add(a);
      for (const b of this.t) this.needed.add(a + b);
    }
    const size = this.tw.length * this.t.length;
    this.m = {
      delta: new Float64Array(size).fill(NaN),
      corr: new Float64Array(size).fill(NaN),
      corrNorm: new Float64Array(size).fill(NaN),
      d4: new Float64Array(size).fill(NaN),
      y: new Float64Array(size).fill(NaN),
    };
  }

  /** All times at which `observe` must be called, ascending (the union of tw and tw + t). */
  times(): number[] {
    return [...this.needed].sort((a, b) => a - b);
  }

  /** The last time any matrix entry needs: max(tw) + max(t). */
  get lastNeededTime(): number {
    return this.tw[this.tw.length - 1]! + this.tMax;
  }

  /** Whether observing at this time does anything (lets drivers skip work). */
  needs(time: number): boolean {
    return this.needed.has(time);
  }

  /** Number of copies x(tw) held now. */
  get held(): number {
    return this.norm2.size;
  }

  /**
   * Feed the configuration at integer time `time` (non-decreasing across calls; a repeated time
   * is ignored). Cheap when the time is not on the grid. Stores x if time is a waiting time, and
   * fills entry (tw, t) for every held tw with time − tw = t on the lag grid.
   */
  observe(time: number, x: Float): void {
    if (!Number.isSafeInteger(time) || time < 0) throw GlassyError.invalid('time', time, 'a non-negative integer (steps)');
    if (time < this.lastTime) throw GlassyError.invalid('time', time, `a time ≥ the last one observed (${this.lastTime})`);
    if (time === this.lastTime) return;
    this.lastTime = time;
    if (!this.needed.has(time)) {
      this.release(time);
      return;
    }
    if (!x || x.length !== this.n) throw GlassyError.invalid('x.length', x ? x.length : x, `${this.n}`);
    if (this.twIndex.has(time)) {
      this.store.put(time, x);
      let s = 0;
      for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
      this.norm2.set(time, s);
    }
    let xx = NaN;
    for (const [tw, n0] of this.norm2) {
      const j = this.tIndex.get(time - tw);
      if (j === undefined) continue;
      if (Number.isNaN(xx)) {
        xx = 0;
        for (let i = 0; i < x.length; i++) xx += x[i]! * x[i]!;
      }
      this.fill(this.twIndex.get(tw)! * this.t.length + j, this.store.get(tw), n0, x, xx);
    }
    this.release(time);
  }

  /** One pass over N gives all five observables of the pair (x0 = x(tw), x = x(tw + t)). */
  private fill(k: number, x0: Float, n0: number, x: Float, xx: number): void {
    let d2 = 0;
    let d4 = 0;
    let c = 0;
    for (let i = 0; i < x.length; i++) {
      const a = x0[i]!;
      const b = x[i]!;
      const d = b - a;
      const dd = d * d;
      d2 += dd;
      d4 += dd * dd;
      c += a * b;
    }
    const N = this.n;
    this.m.delta[k] = d2 / N;
    this.m.corr[k] = c / N;
    this.m.corrNorm[k] = c / Math.sqrt(n0 * xx);
    this.m.d4[k] = d4 / N;
    this.m.y[k] = d2 > 0 ? d4 / (d2 * d2) : NaN;
  }

  /** Drops every copy whose last lag has passed (tw + max t ≤ time). */
  private release(time: number): void {
    for (const tw of [...this.norm2.keys()]) {
      if (tw + this.tMax <= time) {
        this.store.delete(tw);
        this.norm2.delete(tw);
      }
    }
  }

  /** Copies of the matrices (NaN where tw + t was not reached). */
  result(): TwoTimeMatrices {
    return {
      tw: [...this.tw],
      t: [...this.t],
      delta: this.m.delta.slice(),
      corr: this.m.corr.slice(),
      corrNorm: this.m.corrNorm.slice(),
      d4: this.m.d4.slice(),
      y: this.m.y.slice(),
    };
  }

  /** Serialisable state: JSON meta plus typed arrays (matrices and held copies). */
  snapshot(): TwoTimeSnapshot {
    const held = [...this.norm2.keys()].sort((a, b) => a - b);
    const arrays: Record<string, Float64Array | Float32Array> = {};
    for (const name of TWO_TIME_OBSERVABLES) arrays[name] = this.m[name].slice();
    for (const tw of held) arrays[`copy.${tw}`] = this.store.get(tw).slice();
    return {
      meta: {
        kind: 'glassy.TwoTimeRecorder',
        version: 1,
        n: this.n,
        tw: [...this.tw],
        t: [...this.t],
        lastTime: this.lastTime,
        held,
        heldNorm2: held.map((tw) => this.norm2.get(tw)!),
      },
      arrays,
    };
  }

  /** Rebuilds a recorder from `snapshot()` (copies go into `store`, default in memory). */
  static restore(snap: TwoTimeSnapshot, store?: CopyStore): TwoTimeRecorder {
    const meta = snap?.meta;
    if (!meta || meta.kind !== 'glassy.TwoTimeRecorder' || meta.version !== 1) {
      throw GlassyError.invalid('snapshot.meta.kind', meta?.kind, "'glassy.TwoTimeRecorder' version 1");
    }
    const r = new TwoTimeRecorder({ tw: meta.tw, t: meta.t, n: meta.n, ...(store ? { store } : {}) });
    const size = r.tw.length * r.t.length;
    for (const name of TWO_TIME_OBSERVABLES) {
      const a = snap.arrays[name];
      if (!a || a.length !== size) throw GlassyError.invalid(`snapshot.arrays.${name}`, a ? a.length : a, `${size} values`);
      r.m[name].set(a);
    }
    if (!Number.isSafeInteger(meta.lastTime) || meta.lastTime < -1) throw GlassyError.invalid('snapshot.meta.lastTime', meta.lastTime, 'an integer ≥ −1');
    r.lastTime = meta.lastTime;
    meta.held.forEach((tw, i) => {
      const c = snap.arrays[`copy.${tw}`];
      if (!c || c.length !== meta.n) throw GlassyError.invalid(`snapshot.arrays.copy.${tw}`, c ? c.length : c, `${meta.n} values`);
      r.store.put(tw, c);
      r.norm2.set(tw, meta.heldNorm2[i]!);
    });
    return r;
  }
}

// ---------------------------------------------------------------------------------------------
// One-time series (energy / loss versus time)
// ---------------------------------------------------------------------------------------------

/** A scalar (energy, loss, …) recorded on a grid of times; NaN where not (yet) observed. */
export class TimeSeriesRecorder {
  readonly times: readonly number[];
  readonly values: Float64Array;
  private readonly index = new Map<number, number>();

  constructor(times: ArrayLike<number>) {
    this.times = checkGrid('times', times);
    this.times.forEach((v, i) => this.index.set(v, i));
    this.values = new Float64Array(this.times.length).fill(NaN);
  }

  needs(time: number): boolean {
    return this.index.has(time);
  }

  /** Records value at time if time is on the grid (later calls at the same time overwrite). */
  observe(time: number, value: number): void {
    const i = this.index.get(time);
    if (i !== undefined) this.values[i] = value;
  }

  snapshot(): { meta: { times: number[] }; arrays: { values: Float64Array } } {
    return { meta: { times: [...this.times] }, arrays: { values: this.values.slice() } };
  }

  static restore(s: { meta: { times: number[] }; arrays: { values: Float64Array } }): TimeSeriesRecorder {
    const r = new TimeSeriesRecorder(s.meta.times);
    if (s.arrays.values.length !== r.times.length) throw GlassyError.invalid('snapshot.arrays.values', s.arrays.values.length, `${r.times.length} values`);
    r.values.set(s.arrays.values);
    return r;
  }
}

// ---------------------------------------------------------------------------------------------
// Replica averages
// ---------------------------------------------------------------------------------------------

export interface MeanAndError {
  mean: Float64Array;
  /** Standard error of the mean, s/√m with s the sample standard deviation (m − 1 in the denominator); NaN if m < 2. */
  se: Float64Array;
  /** m: how many replicas had a finite value at each entry. */
  count: Int32Array;
}

/** Elementwise mean and standard error over replicas, skipping NaN entries of individual replicas. */
export function replicaMean(samples: ArrayLike<number>[]): MeanAndError {
  if (!Array.isArray(samples) || samples.length === 0) throw GlassyError.invalid('samples', samples, 'a non-empty list of arrays');
  const len = samples[0]!.length;
  samples.forEach((s, r) => {
    if (s.length !== len) throw GlassyError.invalid(`samples[${r}].length`, s.length, `${len} (as samples[0])`);
  });
  const mean = new Float64Array(len);
  const se = new Float64Array(len);
  const count = new Int32Array(len);
  for (let k = 0; k < len; k++) {
    let m = 0;
    let s = 0;
    for (const a of samples) {
      const v = a[k]!;
      if (Number.isFinite(v)) {
        m++;
        s += v;
      }
    }
    const mu = m > 0 ? s / m : NaN;
    let ss = 0;
    for (const a of samples) {
      const v = a[k]!;
      if (Number.isFinite(v)) ss += (v - mu) * (v - mu);
    }
    mean[k] = mu;
    se[k] = m > 1 ? Math.sqrt(ss / (m - 1) / m) : NaN;
    count[k] = m;
  }
  return { mean, se, count };
}

/** Mean and standard error over replicas of every two-time matrix (the grids must agree). */
export function averageTwoTime(results: TwoTimeMatrices[]): { tw: number[]; t: number[] } & Record<TwoTimeObservable, MeanAndError> {
  if (!Array.isArray(results) || results.length === 0) throw GlassyError.invalid('results', results, 'a non-empty list of TwoTimeMatrices');
  const { tw, t } = results[0]!;
  results.forEach((r, i) => {
    if (r.tw.length !== tw.length || r.t.length !== t.length || r.tw.some((v, k) => v !== tw[k]) || r.t.some((v, k) => v !== t[k])) {
      throw GlassyError.invalid(`results[${i}]`, 'other tw/t grids', 'the same grids as results[0]');
    }
  });
  const out = { tw: [...tw], t: [...t] } as { tw: number[]; t: number[] } & Record<TwoTimeObservable, MeanAndError>;
  for (const name of TWO_TIME_OBSERVABLES) out[name] = replicaMean(results.map((r) => r[name]));
  return out;
}
