/**
 * Profiles of a landscape along a parametrised path θ(t), t ∈ [0, 1], between two configurations:
 * the loss (and classification error) at G points, the barrier height and where it sits, and the
 * arc length. Used by permutation-interpolation (Liao et al., arXiv:2407.20724, protocol 2;
 * Entezari et al. 2022), mode connectivity along straight lines, quadratic Bézier curves (Garipov
 * et al. 2018) and nudged elastic bands (Draxler et al. 2018), see docs/paths.md.
 *
 * A path is anything that writes θ(t) into a buffer; the landscape is anything that evaluates a
 * configuration to a loss (and an error where one is defined): a network's `evaluate`, or a spin
 * glass's energy through `energyEvaluator`. Paths are float64 throughout: the barrier is a small
 * difference of losses, and float32 rounding of θ(t) near t = 0 and t = 1 would be visible in it.
 */
import { GlassyError } from '../core/errors.js';
import type { Landscape } from '../landscapes/landscape.js';

/** A curve in configuration space, θ: [0, 1] → R^N with θ(0) the start and θ(1) the end. */
export interface Path {
  readonly dim: number;
  /** Writes θ(t) into out (length dim). */
  at(t: number, out: Float64Array): void;
}

/** What a profile measures at each point: a loss, and an error rate where one is defined (else NaN). */
export interface Evaluator {
  evaluate(x: Float64Array): { loss: number; error: number };
}

/** A landscape's energy as an evaluator (error NaN): spin glasses, p-spin, any Landscape. */
export function energyEvaluator(landscape: Landscape<Float64Array>): Evaluator {
  return { evaluate: (x) => ({ loss: landscape.energy(x), error: NaN }) };
}

function checkPair(a: Float64Array, b: Float64Array, what: string): void {
  if (a.length !== b.length) throw GlassyError.invalid(`${what}.length`, b.length, `${a.length} (the length of the start)`);
}

/** The straight segment θ(t) = (1 − t)θ_a + tθ_b (linear interpolation; Goodfellow et al. 2015). */
export function linearPath(a: Float64Array, b: Float64Array): Path {
  checkPair(a, b, 'end');
  return {
    dim: a.length,
    at(t, out) {
      // θ_a + t(θ_b − θ_a): exact when θ_b = θ_a (so the barrier of θ with itself is 0 exactly), and
      // t = 0, t = 1 give the end points without rounding.
      if (t === 0) out.set(a);
      else if (t === 1) out.set(b);
      else for (let i = 0; i < a.length; i++) out[i] = a[i]! + t * (b[i]! - a[i]!);
    },
  };
}

/**
 * The quadratic Bézier curve φ(t) = (1 − t)²θ_a + 2t(1 − t)θ_c + t²θ_b with control point θ_c
 * (Garipov et al. 2018, "Loss Surfaces, Mode Connectivity, and Fast Ensembling of DNNs", eq. 3 with
 * the Bernstein basis of a degree-2 curve). θ_c at the midpoint gives the straight segment.
 */
export function bezierPath(a: Float64Array, control: Float64Array, b: Float64Array): Path {
  checkPair(a, b, 'end');
  checkPair(a, control, 'control');
  return {
    dim: a.length,
    at(t, out) {
      if (t === 0) { out.set(a); return; }
      if (t === 1) { out.set(b); return; }
      const wa = (1 - t) * (1 - t), wc = 2 * t * (1 - t), wb = t * t;
      for (let i = 0; i < a.length; i++) out[i] = wa * a[i]! + wc * control[i]! + wb * b[i]!;
    },
  };
}

/**
 * The polygonal chain through points p_0 … p_{M+1} (a nudged elastic band's end points and images),
 * parametrised by the fraction t of its arc length, so θ(t) moves at constant speed and t is
 * comparable with the straight segment's t. Linear interpolation between neighbouring images is the
 * profile Draxler et al. 2018 (§3, "AutoNEB") evaluate between images.
 */
export function polylinePath(points: Float64Array[]): Path {
  if (points.length < 2) throw GlassyError.invalid('points', points.length, 'at least 2 points (the two end points)');
  const dim = points[0]!.length;
  for (const p of points) checkPair(points[0]!, p, 'point');
  const cum = new Float64Array(points.length);
  for (let k = 1; k < points.length; k++) cum[k] = cum[k - 1]! + distance(points[k - 1]!, points[k]!);
  const total = cum[points.length - 1]!;
  const last = points.length - 1;
  return {
    dim,
    at(t, out) {
      if (t <= 0) { out.set(points[0]!); return; }
      if (t >= 1) { out.set(points[last]!); return; }
      if (total === 0) { out.set(points[0]!); return; }
      const s = t * total;
      let k = 0;
      while (k < last - 1 && cum[k + 1]! < s) k++;
      const len = cum[k + 1]! - cum[k]!;
      const u = len > 0 ? (s - cum[k]!) / len : 0;
      const p = points[k]!, q = points[k + 1]!;
      for (let i = 0; i < dim; i++) out[i] = p[i]! + u * (q[i]! - p[i]!);
    },
  };
}

/** G equally spaced points t_g = g/(G − 1) on [0, 1] (G ≥ 2). */
export function uniformGrid(G: number): Float64Array {
  if (!Number.isInteger(G) || G < 2) throw GlassyError.invalid('points', G, 'an integer ≥ 2');
  const t = new Float64Array(G);
  for (let g = 0; g < G; g++) t[g] = g / (G - 1);
  t[G - 1] = 1;
  return t;
}

/** Euclidean distance |x − y|. */
export function distance(x: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i]! - y[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

/** Distance of x from the segment [a, b] (from its nearest point, the projection clamped to the ends). */
export function distanceToSegment(x: Float64Array, a: Float64Array, b: Float64Array): number {
  let ab2 = 0, axab = 0;
  for (let i = 0; i < a.length; i++) {
    const d = b[i]! - a[i]!;
    ab2 += d * d;
    axab += (x[i]! - a[i]!) * d;
  }
  const u = ab2 > 0 ? Math.min(1, Math.max(0, axab / ab2)) : 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = x[i]! - (a[i]! + u * (b[i]! - a[i]!));
    s += d * d;
  }
  return Math.sqrt(s);
}

/** One landscape's measurements along a path. */
export interface Series {
  loss: Float64Array;
  error: Float64Array;
}

export interface PathProfile {
  /** The path parameter at each point. */
  t: Float64Array;
  /** Arc length from θ(0) to θ(t_g) along the polygon through the evaluated points (exact for straight and polygonal paths whose corners are on the grid; a lower bound for curves). */
  arcLength: Float64Array;
  /** One series per evaluator, by the evaluator's name (e.g. train, test). */
  series: Record<string, Series>;
}

/**
 * Evaluates every evaluator at θ(t_g) for each g. Allocates two configuration buffers, nothing per
 * point beyond what the evaluators do.
 */
export function profilePath(path: Path, evaluators: Record<string, Evaluator>, t: Float64Array): PathProfile {
  const G = t.length;
  const series: Record<string, Series> = {};
  for (const name of Object.keys(evaluators)) series[name] = { loss: new Float64Array(G), error: new Float64Array(G) };
  const arcLength = new Float64Array(G);
  let x = new Float64Array(path.dim);
  let prev = new Float64Array(path.dim);
  for (let g = 0; g < G; g++) {
    path.at(t[g]!, x);
    if (g > 0) arcLength[g] = arcLength[g - 1]! + distance(prev, x);
    for (const [name, ev] of Object.entries(evaluators)) {
      const r = ev.evaluate(x);
      series[name]!.loss[g] = r.loss;
      series[name]!.error[g] = r.error;
    }
    [prev, x] = [x, prev];
  }
  return { t: Float64Array.from(t), arcLength, series };
}

export interface Barrier {
  /**
   * max_t L(θ(t)) − ½(L(θ(0)) + L(θ(1))): the height of the highest point above the mean of the end
   * points (Liao et al.'s and Garipov et al.'s "barrier"). 0 for a path from θ to itself.
   */
  height: number;
  /**
   * max_t [L(θ(t)) − ((1 − t)L(θ(0)) + tL(θ(1)))]: the barrier above the chord between the end
   * losses (Frankle et al. 2020; Entezari et al. 2022, eq. 1): 0 up to rounding on a convex
   * landscape along a straight path, whatever the end losses. Never negative: the ends give 0.
   */
  heightAboveChord: number;
  /** max_t L(θ(t)). */
  max: number;
  /** The t of the maximum (the first one if several). */
  position: number;
  /** Its index on the grid. */
  index: number;
}

/** Barrier of a profile `values` at path parameters `t` (see the fields for the two definitions). */
export function barrier(t: Float64Array, values: Float64Array): Barrier {
  const G = values.length;
  if (G < 2 || t.length !== G) throw GlassyError.invalid('profile.length', G, `≥ 2 values, one per path point (${t.length})`);
  const l0 = values[0]!, l1 = values[G - 1]!;
  const t0 = t[0]!, t1 = t[G - 1]!;
  let index = 0, max = -Infinity, chord = -Infinity;
  for (let g = 0; g < G; g++) {
    const v = values[g]!;
    if (v > max || Number.isNaN(v)) {
      max = v;
      index = g;
      if (Number.isNaN(v)) break;
    }
    const u = t1 > t0 ? (t[g]! - t0) / (t1 - t0) : 0;
    const c = v - ((1 - u) * l0 + u * l1);
    if (c > chord) chord = c;
  }
  return { height: max - 0.5 * (l0 + l1), heightAboveChord: chord, max, position: t[index]!, index };
}
