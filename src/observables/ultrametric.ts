/**
 * Ultrametricity tests on the space of replicas.
 *
 * A metric space is ultrametric when d(a, c) ≤ max(d(a, b), d(b, c)) for all triples, i.e. every
 * triangle is isosceles with its two LARGEST sides equal (docs/papers.md; Rammal, Toulouse & Virasoro,
 * Rev. Mod. Phys. 58, 765 (1986), §II; in the Parisi solution of the SK model the pure states are
 * organised ultrametrically: Mézard, Parisi, Sourlas, Toulouse & Virasoro, PRL 52, 1156 (1984);
 * Mézard, Parisi & Virasoro, "Spin Glass Theory and Beyond", 1987, ch. IV).
 *
 * For each triple with sides sorted d1 ≥ d2 ≥ d3 we collect
 *     K = (d1 − d2) / scale,
 * which is 0 for every triple of an ultrametric space. The scale (option `scale`):
 *  - 'std' (default): the standard deviation ϱ of all pairwise distances of the data set — the
 *    statistic of Katzgraber & Hartmann, PRL 102, 037207 (2009), eq. (2), and Hed, Hartmann & Domany
 *    (2004). It measures the unequal sides in units of the spread of distances, so that nearly
 *    equilateral clouds (random vectors in high dimension: all distances ≈ equal, trivially
 *    "isosceles") are not mistaken for ultrametric: for independent random directions in dimension
 *    P ≫ 1, q_ab ≈ N(0, 1/P) independently for the three sides, hence E[K] → E[X₍₃₎ − X₍₂₎] for three
 *    i.i.d. standard normals = 3/(2√π) ≈ 0.8463 (E[max of 3] = 3/(2√π), E[median] = 0);
 *  - 'mean': the mean pairwise distance (a fixed unit; random high-dimensional vectors give → 0);
 *  - 'range': per triangle, d1 − d3: K = (d1 − d2)/(d1 − d3) ∈ [0, 1], 0 for equilateral triangles
 *    (0/0 is taken as 0); for three i.i.d. symmetric side lengths E[K] = 1/2 by reflection symmetry;
 *  - 'none': K = d1 − d2 in distance units.
 * Distances are 1 − q_ab as in the clustering (clustering.ts), given as a condensed vector.
 *
 * All triples are used for K ≤ `exhaustiveUpTo` (default 200: 1.3 million triples), otherwise a
 * seeded uniform sample of `samples` distinct triples.
 */
import { GlassyError } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import { condensedIndex, distancesFromOverlaps, pointsFromCondensed } from './clustering.js';
import { overlapMatrix, replicaShape, type Configuration, type OverlapNormalisation, type ReplicaSet } from './overlap.js';

export type UltrametricScale = 'std' | 'mean' | 'range' | 'none';

export interface UltrametricOptions {
  /** Default 'std' (Katzgraber & Hartmann 2009). */
  scale?: UltrametricScale;
  /** Use every triple when K ≤ this (default 200). */
  exhaustiveUpTo?: number;
  /** Number of random triples otherwise (default 200 000). */
  samples?: number;
  /** Stream for the triple sample; default Rng.stream(0, Stream.subset). */
  rng?: Rng;
  /** Thresholds for the fractions below (default [0.01, 0.05, 0.1, 0.2, 0.5]). */
  thresholds?: readonly number[];
  /** Histogram bins (default 50) on [0, max(values)] unless `histogramRange` is given. */
  bins?: number;
  histogramRange?: readonly [number, number];
}

export interface UltrametricSummary {
  mean: number;
  median: number;
  std: number;
  thresholds: Float64Array;
  /** fractionBelow[i] = fraction of triples with statistic ≤ thresholds[i]. */
  fractionBelow: Float64Array;
  edges: Float64Array;
  /** Triple counts per histogram bin ([e_k, e_{k+1}), last closed). */
  counts: Float64Array;
}

export interface UltrametricResult {
  /** The statistic of every triple used. */
  values: Float64Array;
  triples: number;
  exhaustive: boolean;
  scale: UltrametricScale;
  /** The global scale used ('std' or 'mean'); NaN for 'range' and 1 for 'none'. */
  scaleValue: number;
  summary: UltrametricSummary;
}

/** The triangle statistic of every (or a sample of) triple(s) of a condensed distance vector. */
export function ultrametricity(distances: ArrayLike<number>, options: UltrametricOptions = {}): UltrametricResult {
  const K = pointsFromCondensed(distances.length);
  if (K < 3) throw GlassyError.invalid('distances.length', distances.length, 'at least 3 points (K ≥ 3)');
  const scale = options.scale ?? 'std';
  if (!['std', 'mean', 'range', 'none'].includes(scale)) throw GlassyError.invalid('scale', scale, '"std", "mean", "range" or "none"');
  const exhaustiveUpTo = options.exhaustiveUpTo ?? 200;
  const samples = options.samples ?? 200_000;
  if (!Number.isInteger(samples) || samples < 1) throw GlassyError.invalid('samples', samples, 'an integer ≥ 1');
  for (let i = 0; i < distances.length; i++) {
    if (!Number.isFinite(distances[i]!)) throw GlassyError.invalid(`distances[${i}]`, distances[i], 'a finite distance');
  }
  let scaleValue = 1;
  if (scale === 'std' || scale === 'mean') {
    let m = 0;
    for (let i = 0; i < distances.length; i++) m += distances[i]!;
    m /= distances.length;
    if (scale === 'mean') scaleValue = m;
    else {
      let v = 0;
      for (let i = 0; i < distances.length; i++) v += (distances[i]! - m) ** 2;
      scaleValue = Math.sqrt(v / distances.length);
    }
  } else if (scale === 'range') scaleValue = NaN;
  const stat = (a: number, b: number, c: number): number => {
    let d1 = distances[condensedIndex(K, a, b)]!;
    let d2 = distances[condensedIndex(K, a, c)]!;
    let d3 = distances[condensedIndex(K, b, c)]!;
    // Sort so that d1 ≥ d2 ≥ d3.
    if (d1 < d2) { const t = d1; d1 = d2; d2 = t; }
    if (d2 < d3) { const t = d2; d2 = d3; d3 = t; }
    if (d1 < d2) { const t = d1; d1 = d2; d2 = t; }
    const diff = d1 - d2;
    if (diff === 0) return 0; // isosceles with the two largest sides equal, whatever the scale
    if (scale === 'range') return diff / (d1 - d3);
    return diff / scaleValue;
  };
  const exhaustive = K <= exhaustiveUpTo;
  let values: Float64Array;
  if (exhaustive) {
    values = new Float64Array((K * (K - 1) * (K - 2)) / 6);
    let p = 0;
    for (let a = 0; a < K; a++) for (let b = a + 1; b < K; b++) for (let c = b + 1; c < K; c++) values[p++] = stat(a, b, c);
  } else {
    const rng = options.rng ?? Rng.stream(0, Stream.subset);
    values = new Float64Array(samples);
    for (let s = 0; s < samples; s++) {
      const a = rng.int(K);
      let b = rng.int(K - 1);
      if (b >= a) b++;
      let c = rng.int(K - 2);
      // Map c onto the K − 2 indices other than a and b.
      const lo = Math.min(a, b), hi = Math.max(a, b);
      if (c >= lo) c++;
      if (c >= hi) c++;
      values[s] = stat(a, b, c);
    }
  }
  return { values, triples: values.length, exhaustive, scale, scaleValue, summary: summariseUltrametricity(values, options) };
}

/** Mean, median, spread, fractions below thresholds and a histogram of triangle statistics. */
export function summariseUltrametricity(values: Float64Array, options: UltrametricOptions = {}): UltrametricSummary {
  const n = values.length;
  if (n === 0) throw GlassyError.invalid('values.length', 0, 'at least one triple');
  const sorted = Float64Array.from(values).sort();
  let mean = 0;
  for (let i = 0; i < n; i++) mean += sorted[i]!;
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (sorted[i]! - mean) ** 2;
  const median = n % 2 === 1 ? sorted[(n - 1) / 2]! : 0.5 * (sorted[n / 2 - 1]! + sorted[n / 2]!);
  const thresholds = Float64Array.from(options.thresholds ?? [0.01, 0.05, 0.1, 0.2, 0.5]);
  const fractionBelow = new Float64Array(thresholds.length);
  for (let t = 0; t < thresholds.length; t++) {
    // Number of values ≤ threshold: upper bound in the sorted array.
    let lo = 0, hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! <= thresholds[t]!) lo = mid + 1;
      else hi = mid;
    }
    fractionBelow[t] = lo / n;
  }
  const bins = options.bins ?? 50;
  if (!Number.isInteger(bins) || bins < 1) throw GlassyError.invalid('bins', bins, 'an integer ≥ 1');
  let [lo, hi] = options.histogramRange ?? [0, sorted[n - 1]!];
  if (!(hi > lo)) hi = lo + 1;
  const edges = new Float64Array(bins + 1);
  for (let k = 0; k <= bins; k++) edges[k] = lo + ((hi - lo) * k) / bins;
  const counts = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const x = sorted[i]!;
    if (x < lo || x > hi) continue;
    counts[Math.min(bins - 1, Math.floor(((x - lo) / (hi - lo)) * bins))]++;
  }
  return { mean, median, std: Math.sqrt(v / n), thresholds, fractionBelow, edges, counts };
}

/** Null models: 'gaussian' = independent Gaussian directions with each replica's norm; 'shuffle' = each replica's coordinates permuted independently. */
export type UltrametricNullModel = 'gaussian' | 'shuffle';

export interface UltrametricNullOptions extends UltrametricOptions {
  model?: UltrametricNullModel;
  /** Stream for the null replicas (default Rng.stream(0, Stream.noise)). */
  nullRng?: Rng;
  /** How overlaps are formed (default 'cosine', as for the replicas). */
  normalisation?: OverlapNormalisation;
}

/**
 * The same statistic for a null ensemble built from the replicas: replicas that share the norms
 * ('gaussian') or the coordinate values ('shuffle') of the real ones but no structure. An observed
 * statistic well below the null's indicates ultrametric organisation beyond chance.
 * The null ensemble is stored in float32 (K × P), so its memory is half that of a float64 input.
 */
export function ultrametricNull(replicas: ReplicaSet, options: UltrametricNullOptions = {}): UltrametricResult {
  const { count: K, dim: P } = replicaShape(replicas);
  const model = options.model ?? 'gaussian';
  if (model !== 'gaussian' && model !== 'shuffle') throw GlassyError.invalid('model', model, '"gaussian" or "shuffle"');
  const rng = options.nullRng ?? Rng.stream(0, Stream.noise);
  const data = new Float32Array(K * P);
  const list = Array.isArray(replicas) ? (replicas as ReadonlyArray<Configuration>) : null;
  const flat = list ? null : (replicas as { data: Configuration }).data;
  for (let r = 0; r < K; r++) {
    const src = list ? list[r]! : flat!;
    const off = list ? 0 : r * P;
    const row = data.subarray(r * P, (r + 1) * P);
    if (model === 'shuffle') {
      for (let i = 0; i < P; i++) row[i] = src[off + i]!;
      rng.shuffle(row);
    } else {
      let norm2 = 0;
      for (let i = 0; i < P; i++) norm2 += src[off + i]! ** 2;
      const g = new Float64Array(P);
      rng.fillNormal(g);
      let g2 = 0;
      for (let i = 0; i < P; i++) g2 += g[i]! * g[i]!;
      const f = Math.sqrt(norm2 / g2);
      for (let i = 0; i < P; i++) row[i] = g[i]! * f;
    }
  }
  const Q = overlapMatrix({ data, count: K, dim: P }, { normalisation: options.normalisation ?? 'cosine' });
  return ultrametricity(distancesFromOverlaps(Q, K), options);
}

export interface UltrametricTestOptions extends UltrametricOptions {
  /** Permutations B of the null distribution (default 199: p ≥ 1/200). */
  permutations?: number;
  /** Stream of the permutations (default Rng.stream(0, Stream.probe, 7)). */
  permutationRng?: Rng;
  /** A side shorter than this is zero: the two replicas are identical (q = 1). Default 1e-12. */
  zeroDistance?: number;
}

export interface UltrametricTest {
  /** Mean triangle statistic K of the observed distances. */
  observed: number;
  /** Mean K of each permuted distance set. */
  nullMeans: Float64Array;
  nullMean: number;
  nullStd: number;
  /**
   * One-sided permutation p-value of "as ultrametric as the replicas, by chance":
   * (1 + #{null ≤ observed}) / (B + 1) (Phipson & Smyth 2010: never 0). Small p = ultrametric
   * structure beyond what the same distances without their arrangement give.
   */
  pValue: number;
  /** Standardised effect size (null mean − observed) / null std: the distance below the null in null SDs. */
  effectSize: number;
  /** Triangles with a zero side (two identical replicas, q = 1): trivially isosceles, they carry no information. */
  degenerate: number;
  triples: number;
  /** False when the test cannot detect anything: every triangle degenerate, or a null without spread. */
  hasPower: boolean;
}

/**
 * Ultrametricity against a permutation null: the pairwise distances are randomly re-assigned to the
 * pairs of replicas (the replica labels of each distance permuted, which keeps the distribution of
 * distances and destroys their arrangement into a tree), and the mean triangle statistic K of the
 * observed arrangement is compared with B such permutations. An ultrametric (hierarchical) set has
 * K ≈ 0 while its permutations do not; a set without hierarchy is as ultrametric as its
 * permutations. The idea of testing ultrametricity against randomised distances is that of Rammal,
 * Toulouse & Virasoro (Rev. Mod. Phys. 58, 765 (1986), §II.D) — an ultrametric space is a
 * "non-generic" arrangement of distances — and it is used for network solutions by Liao et al.
 * (arXiv:2407.20724), whose null is likewise built from the observed overlaps.
 *
 * Caveat, measured: permuted distances need not satisfy the triangle inequality, real ones do, so
 * replicas WITHOUT hierarchy come out slightly more regular than their permutations (20 sets of 24
 * Gaussian replicas: median p ≈ 0.25, a few p ≤ 0.01, every |effect| < 3), while a planted
 * three-level hierarchy gives p = 1/(B+1) with an effect above 5 (test/ultrametric-test.test.ts).
 * Read the p-value together with the effect size.
 */
export function ultrametricPermutationTest(distances: ArrayLike<number>, options: UltrametricTestOptions = {}): UltrametricTest {
  const B = options.permutations ?? 199;
  if (!Number.isInteger(B) || B < 1) throw GlassyError.invalid('permutations', B, 'an integer ≥ 1');
  const K = pointsFromCondensed(distances.length);
  const obs = ultrametricity(distances, options);
  const zero = options.zeroDistance ?? 1e-12;
  let degenerate = 0;
  if (obs.exhaustive) {
    for (let a = 0; a < K; a++) for (let b = a + 1; b < K; b++) for (let c = b + 1; c < K; c++) {
      const m = Math.min(distances[condensedIndex(K, a, b)]!, distances[condensedIndex(K, a, c)]!, distances[condensedIndex(K, b, c)]!);
      if (m <= zero) degenerate++;
    }
  }
  const rng = options.permutationRng ?? Rng.stream(0, Stream.probe, 7);
  const perm = Float64Array.from(distances);
  const nullMeans = new Float64Array(B);
  for (let s = 0; s < B; s++) {
    rng.shuffle(perm);
    nullMeans[s] = ultrametricity(perm, options).summary.mean;
  }
  let below = 0, mean = 0;
  for (const v of nullMeans) { mean += v; if (v <= obs.summary.mean) below++; }
  mean /= B;
  let v2 = 0;
  for (const v of nullMeans) v2 += (v - mean) ** 2;
  const std = B > 1 ? Math.sqrt(v2 / (B - 1)) : NaN;
  const hasPower = degenerate < obs.triples && std > 0;
  return {
    observed: obs.summary.mean, nullMeans, nullMean: mean, nullStd: std,
    pValue: (1 + below) / (B + 1), effectSize: std > 0 ? (mean - obs.summary.mean) / std : NaN,
    degenerate, triples: obs.triples, hasPower,
  };
}
