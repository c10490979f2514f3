/**
 * Agglomerative hierarchical clustering of replicas with the distance d_ab = 1 − q_ab (Liao et al. 2024,
 * docs/papers.md; docs/replicas.md), with output in EXACTLY SciPy's formats, so that Python users
 * can pass the arrays to scipy.cluster.hierarchy (dendrogram, fcluster, …) unchanged:
 *
 *  - input: a condensed distance vector (scipy.spatial.distance.pdist order: d(0,1), d(0,2), …,
 *    d(0,K−1), d(1,2), …), index of (i < j) = K·i − i(i+1)/2 + (j − i − 1);
 *  - linkage matrix Z: (K − 1) × 4 float64, row r = [idx1, idx2, dist, count], the cluster formed at
 *    step r gets id K + r, rows sorted by increasing dist (stable), idx1 < idx2
 *    (scipy.cluster.hierarchy.linkage);
 *  - leaf order = scipy's leaves_list (left-first depth-first traversal, which is the order of the
 *    leaves in scipy's dendrogram with default options).
 *
 * Algorithms, as SciPy (scipy/cluster/_hierarchy.pyx, after Müllner, "Modern hierarchical,
 * agglomerative clustering algorithms", arXiv:1109.2378 (2011)):
 *  - 'single': Prim's minimum spanning tree, O(K²) time (Müllner Fig. 6; Gower & Ross 1969);
 *  - 'complete', 'average' (UPGMA), 'ward': the nearest-neighbour chain (Müllner Fig. 5; Murtagh 1983),
 *    O(K²) time, with the Lance–Williams update (Lance & Williams 1967) applied to the distances:
 *      complete  d(i, x∪y) = max(d_ix, d_iy)
 *      average   d(i, x∪y) = (n_x d_ix + n_y d_iy)/(n_x + n_y)
 *      ward      d(i, x∪y) = √[((n_i+n_x) d_ix² + (n_i+n_y) d_iy² − n_i d_xy²)/(n_i+n_x+n_y)]
 *    Ward is thus applied to the given distances as if they were Euclidean, exactly as scipy.linkage
 *    does with a condensed matrix (for d = 1 − q this is Ward on a non-Euclidean dissimilarity; the
 *    Euclidean distance between unit vectors would be √(2(1 − q))).
 *  The floating-point operations are those of SciPy in the same order, so Z agrees to rounding.
 * Memory: one condensed copy, K(K − 1)/2 float64.
 */
import { GlassyError } from '../core/errors.js';

export type LinkageMethod = 'single' | 'complete' | 'average' | 'ward';

/** Index of the pair (i, j), i ≠ j, in a condensed distance vector of K points. */
export function condensedIndex(K: number, i: number, j: number): number {
  if (i > j) { const t = i; i = j; j = t; }
  return K * i - (i * (i + 1)) / 2 + (j - i - 1);
}

/** K from the length K(K − 1)/2 of a condensed vector (throws if the length is not of that form). */
export function pointsFromCondensed(length: number): number {
  const K = Math.round((1 + Math.sqrt(1 + 8 * length)) / 2);
  if ((K * (K - 1)) / 2 !== length) throw GlassyError.invalid('distances.length', length, 'K(K − 1)/2 for an integer K (a condensed distance vector)');
  return K;
}

/** Condensed distances d_ab = 1 − q_ab from a K × K overlap matrix (upper triangle, a < b). */
export function distancesFromOverlaps(Q: ArrayLike<number>, K?: number): Float64Array {
  const k = squareSide(Q.length, K, 'overlaps');
  const d = new Float64Array((k * (k - 1)) / 2);
  let p = 0;
  for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) d[p++] = 1 - Q[a * k + b]!;
  return d;
}

/** Condensed form of a square K × K distance matrix (upper triangle; like scipy's squareform). */
export function condensedFromSquare(D: ArrayLike<number>, K?: number): Float64Array {
  const k = squareSide(D.length, K, 'distances');
  const d = new Float64Array((k * (k - 1)) / 2);
  let p = 0;
  for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) d[p++] = D[a * k + b]!;
  return d;
}

/** Square symmetric K × K matrix with zero diagonal from a condensed vector (scipy's squareform). */
export function squareFromCondensed(d: ArrayLike<number>): Float64Array {
  const K = pointsFromCondensed(d.length);
  const D = new Float64Array(K * K);
  let p = 0;
  for (let a = 0; a < K; a++) {
    for (let b = a + 1; b < K; b++) {
      D[a * K + b] = d[p]!;
      D[b * K + a] = d[p++]!;
    }
  }
  return D;
}

function squareSide(length: number, K: number | undefined, field: string): number {
  const k = K ?? Math.round(Math.sqrt(length));
  if (!Number.isInteger(k) || k < 1 || k * k !== length) {
    throw GlassyError.invalid(`${field}.length`, length, K === undefined ? 'a square number K²' : `K² = ${k * k}`);
  }
  return k;
}

/**
 * The linkage matrix of agglomerative clustering (scipy.cluster.hierarchy.linkage(d, method)), as a
 * row-major (K − 1) × 4 Float64Array. K ≥ 2; distances must be finite.
 */
export function linkage(distances: ArrayLike<number>, method: LinkageMethod = 'average'): Float64Array {
  const K = pointsFromCondensed(distances.length);
  if (K < 2) throw GlassyError.invalid('distances.length', distances.length, 'at least one pair (K ≥ 2 points)');
  if (method !== 'single' && method !== 'complete' && method !== 'average' && method !== 'ward') {
    throw GlassyError.invalid('method', method, '"single", "complete", "average" or "ward"');
  }
  const D = new Float64Array(distances.length);
  for (let i = 0; i < D.length; i++) {
    const x = distances[i]!;
    if (!Number.isFinite(x)) throw GlassyError.invalid(`distances[${i}]`, x, 'a finite distance');
    D[i] = x;
  }
  const Z = method === 'single' ? mstSingleLinkage(D, K) : nnChain(D, K, method);
  return sortAndLabel(Z, K);
}

/** Prim's algorithm (scipy _hierarchy.mst_single_linkage): rows [x, y, dist] with point representatives. */
function mstSingleLinkage(dists: Float64Array, n: number): Float64Array {
  const Z = new Float64Array((n - 1) * 4);
  const merged = new Uint8Array(n);
  const D = new Float64Array(n).fill(Infinity);
  let x = 0;
  let y = 0;
  for (let k = 0; k < n - 1; k++) {
    let currentMin = Infinity;
    merged[x] = 1;
    for (let i = 0; i < n; i++) {
      if (merged[i] === 1) continue;
      const dist = dists[condensedIndex(n, x, i)]!;
      if (D[i]! > dist) D[i] = dist;
      if (D[i]! < currentMin) {
        y = i;
        currentMin = D[i]!;
      }
    }
    Z[4 * k] = x;
    Z[4 * k + 1] = y;
    Z[4 * k + 2] = currentMin;
    x = y;
  }
  return Z;
}

/** Nearest-neighbour chain (scipy _hierarchy.nn_chain): rows [x, y, dist, size] with point representatives. */
function nnChain(D: Float64Array, n: number, method: 'complete' | 'average' | 'ward'): Float64Array {
  const Z = new Float64Array((n - 1) * 4);
  const size = new Int32Array(n).fill(1);
  const chain = new Int32Array(n);
  let chainLength = 0;
  const ci = (i: number, j: number): number => (i < j ? n * i - (i * (i + 1)) / 2 + (j - i - 1) : n * j - (j * (j + 1)) / 2 + (i - j - 1));
  for (let k = 0; k < n - 1; k++) {
    if (chainLength === 0) {
      chainLength = 1;
      for (let i = 0; i < n; i++) {
        if (size[i]! > 0) {
          chain[0] = i;
          break;
        }
      }
    }
    // Follow nearest neighbours until two clusters are mutual nearest neighbours.
    let x = 0;
    let y = 0;
    let currentMin = Infinity;
    for (;;) {
      x = chain[chainLength - 1]!;
      // Prefer the previous element of the chain among equals, so ties cannot make the chain cycle.
      if (chainLength > 1) {
        y = chain[chainLength - 2]!;
        currentMin = D[ci(x, y)]!;
      } else {
        currentMin = Infinity;
      }
      for (let i = 0; i < n; i++) {
        if (size[i] === 0 || x === i) continue;
        const dist = D[ci(x, i)]!;
        if (dist < currentMin) {
          currentMin = dist;
          y = i;
        }
      }
      if (chainLength > 1 && y === chain[chainLength - 2]) break;
      chain[chainLength++] = y;
    }
    chainLength -= 2;
    if (x > y) { const t = x; x = y; y = t; } // fastcluster's convention, kept by scipy
    const nx = size[x]!;
    const ny = size[y]!;
    Z[4 * k] = x;
    Z[4 * k + 1] = y;
    Z[4 * k + 2] = currentMin;
    Z[4 * k + 3] = nx + ny;
    size[x] = 0; // x is dropped; y now stands for x ∪ y
    size[y] = nx + ny;
    for (let i = 0; i < n; i++) {
      const ni = size[i]!;
      if (ni === 0 || i === y) continue;
      const ix = ci(i, x);
      const iy = ci(i, y);
      const dxi = D[ix]!;
      const dyi = D[iy]!;
      let nd: number;
      if (method === 'complete') nd = Math.max(dxi, dyi);
      else if (method === 'average') nd = (nx * dxi + ny * dyi) / (nx + ny);
      else {
        // Lance–Williams for Ward (scipy _hierarchy_distance_update.pxi, _ward), same operation order.
        const t = 1.0 / (nx + ny + ni);
        nd = Math.sqrt((ni + nx) * t * dxi * dxi + (ni + ny) * t * dyi * dyi - ni * t * currentMin * currentMin);
      }
      D[iy] = nd;
    }
  }
  return Z;
}

/**
 * Stable sort of the rows by distance (numpy argsort kind='mergesort'), then relabel the point
 * representatives into cluster ids K + r with a union–find, idx1 < idx2, and recompute the counts
 * (scipy _hierarchy.label).
 */
function sortAndLabel(Zraw: Float64Array, n: number): Float64Array {
  const m = n - 1;
  const order = Array.from({ length: m }, (_, r) => r).sort((a, b) => Zraw[4 * a + 2]! - Zraw[4 * b + 2]!);
  const Z = new Float64Array(m * 4);
  const parent = new Int32Array(2 * n - 1);
  for (let i = 0; i < parent.length; i++) parent[i] = i;
  const csize = new Int32Array(2 * n - 1).fill(1);
  let nextLabel = n;
  const find = (x0: number): number => {
    let x = x0;
    while (parent[x] !== x) x = parent[x]!;
    let p = x0;
    while (parent[p] !== x) { const q = parent[p]!; parent[p] = x; p = q; }
    return x;
  };
  for (let r = 0; r < m; r++) {
    const src = order[r]!;
    const xr = find(Zraw[4 * src]!);
    const yr = find(Zraw[4 * src + 1]!);
    Z[4 * r] = Math.min(xr, yr);
    Z[4 * r + 1] = Math.max(xr, yr);
    Z[4 * r + 2] = Zraw[4 * src + 2]!;
    parent[xr] = nextLabel;
    parent[yr] = nextLabel;
    const s = csize[xr]! + csize[yr]!;
    csize[nextLabel] = s;
    nextLabel++;
    Z[4 * r + 3] = s;
  }
  return Z;
}

/** Number of leaves K of a linkage matrix (throws if it is not (K − 1) × 4 with K ≥ 2). */
export function leavesOfLinkage(Z: ArrayLike<number>): number {
  if (Z.length % 4 !== 0 || Z.length < 4) throw GlassyError.invalid('linkage.length', Z.length, 'a multiple of 4 (a (K − 1) × 4 linkage matrix, K ≥ 2)');
  const K = Z.length / 4 + 1;
  for (let r = 0; r < K - 1; r++) {
    const a = Z[4 * r]!, b = Z[4 * r + 1]!;
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0 || a >= K + r || b >= K + r || a === b) {
      throw GlassyError.invalid(`linkage[${r}]`, [a, b], `two distinct cluster ids < ${K + r}`);
    }
  }
  return K;
}

/** Leaf order of the dendrogram (scipy.cluster.hierarchy.leaves_list): left child first, depth first. */
export function leavesList(Z: ArrayLike<number>): Int32Array {
  const n = leavesOfLinkage(Z);
  const out = new Int32Array(n);
  let p = 0;
  const stack: number[] = [2 * n - 2];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node < n) {
      out[p++] = node;
      continue;
    }
    const r = node - n;
    stack.push(Z[4 * r + 1]!); // right is visited after left
    stack.push(Z[4 * r]!);
  }
  return out;
}

/** M[order[i], order[j]] for a K × K matrix: the overlap matrix in dendrogram order shows the blocks. */
export function reorderMatrix(M: ArrayLike<number>, order: ArrayLike<number>): Float64Array {
  const K = order.length;
  if (M.length !== K * K) throw GlassyError.invalid('matrix.length', M.length, `K² = ${K * K} for an order of length ${K}`);
  const out = new Float64Array(K * K);
  for (let i = 0; i < K; i++) {
    const r = order[i]! * K;
    for (let j = 0; j < K; j++) out[i * K + j] = M[r + order[j]!]!;
  }
  return out;
}

/**
 * Cophenetic distances (scipy.cluster.hierarchy.cophenet(Z)), condensed: c_ij = the height of the merge
 * that first joins i and j. They form an ultrametric (Jardine & Sibson 1971). O(K²).
 */
export function cophenetic(Z: ArrayLike<number>): Float64Array {
  const n = leavesOfLinkage(Z);
  const c = new Float64Array((n * (n - 1)) / 2);
  // Each cluster's leaves are contiguous in leaf order; members[id] = [start, end) in that order.
  const order = leavesList(Z);
  const start = new Int32Array(2 * n - 1);
  const end = new Int32Array(2 * n - 1);
  for (let p = 0; p < n; p++) { start[order[p]!] = p; end[order[p]!] = p + 1; }
  for (let r = 0; r < n - 1; r++) {
    const a = Z[4 * r]!, b = Z[4 * r + 1]!, h = Z[4 * r + 2]!;
    for (let p = start[a]!; p < end[a]!; p++) {
      const i = order[p]!;
      for (let s = start[b]!; s < end[b]!; s++) c[condensedIndex(n, i, order[s]!)] = h;
    }
    start[n + r] = Math.min(start[a]!, start[b]!);
    end[n + r] = Math.max(end[a]!, end[b]!);
  }
  return c;
}

/**
 * The cophenetic correlation coefficient (Sokal & Rohlf 1962): the Pearson correlation between the
 * original distances and the cophenetic distances, computed as scipy's cophenet(Z, Y).
 */
export function copheneticCorrelation(Z: ArrayLike<number>, distances: ArrayLike<number>): number {
  const c = cophenetic(Z);
  if (distances.length !== c.length) throw GlassyError.invalid('distances.length', distances.length, `${c.length} (the condensed size for the linkage)`);
  return pearson(distances, c);
}

/** Pearson correlation as scipy.cophenet computes it: Σ(y−ȳ)(c−c̄)/√(Σ(y−ȳ)² Σ(c−c̄)²). */
function pearson(y: ArrayLike<number>, c: ArrayLike<number>): number {
  let my = 0, mc = 0;
  for (let i = 0; i < c.length; i++) { my += y[i]!; mc += c[i]!; }
  my /= c.length;
  mc /= c.length;
  let num = 0, da = 0, db = 0;
  for (let i = 0; i < c.length; i++) {
    const dy = y[i]! - my;
    const dc = c[i]! - mc;
    num += dy * dc;
    da += dy * dy;
    db += dc * dc;
  }
  return num / Math.sqrt(da * db);
}

/** Largest merge height in each cluster's subtree (scipy get_max_dist_for_each_cluster). */
function maxDists(Z: ArrayLike<number>, n: number): Float64Array {
  const md = new Float64Array(n - 1);
  for (let r = 0; r < n - 1; r++) {
    let m = Z[4 * r + 2]!;
    const a = Z[4 * r]!, b = Z[4 * r + 1]!;
    if (a >= n) m = Math.max(m, md[a - n]!);
    if (b >= n) m = Math.max(m, md[b - n]!);
    md[r] = m;
  }
  return md;
}

/**
 * Flat clusters labelled 1..k as scipy's cluster_monocrit: a subtree whose largest merge height is
 * ≤ cutoff is one cluster; numbering follows scipy's traversal, so labels equal fcluster's.
 */
function clusterMonocrit(Z: ArrayLike<number>, MC: Float64Array, cutoff: number, n: number): Int32Array {
  const T = new Int32Array(n);
  const visited = new Uint8Array(2 * n - 1);
  const curr = new Int32Array(n);
  let k = 0;
  let nCluster = 0;
  let leader = -1;
  curr[0] = 2 * n - 2;
  while (k >= 0) {
    const root = curr[k]! - n;
    const lc = Z[4 * root]!;
    const rc = Z[4 * root + 1]!;
    if (leader === -1 && MC[root]! <= cutoff) {
      leader = root;
      nCluster++;
    }
    if (lc >= n && !visited[lc]) {
      visited[lc] = 1;
      curr[++k] = lc;
      continue;
    }
    if (rc >= n && !visited[rc]) {
      visited[rc] = 1;
      curr[++k] = rc;
      continue;
    }
    if (lc < n) {
      if (leader === -1) nCluster++;
      T[lc] = nCluster;
    }
    if (rc < n) {
      if (leader === -1) nCluster++;
      T[rc] = nCluster;
    }
    if (leader === root) leader = -1;
    k--;
  }
  return T;
}

/**
 * Cut the tree at height t (scipy fcluster(Z, t, criterion='distance')): leaves whose cophenetic
 * distance is ≤ t share a cluster. Labels 1..k in scipy's numbering.
 */
export function cutAtHeight(Z: ArrayLike<number>, t: number): Int32Array {
  const n = leavesOfLinkage(Z);
  if (Number.isNaN(t)) throw GlassyError.invalid('height', t, 'a number');
  return clusterMonocrit(Z, maxDists(Z, n), t, n);
}

/**
 * Cut into at most k clusters (scipy fcluster(Z, k, criterion='maxclust')): the lowest cut height
 * among the merge heights that leaves ≤ k clusters (fewer than k when merge heights tie).
 * For k ≥ K every point is its own cluster, labelled i + 1. Agrees with SciPy 1.17 for every k;
 * SciPy ≤ 1.10 never tried the lowest merge height and returned K − 2 clusters for k ≥ K − 1.
 */
export function cutIntoClusters(Z: ArrayLike<number>, k: number): Int32Array {
  const n = leavesOfLinkage(Z);
  if (!Number.isInteger(k) || k < 1) throw GlassyError.invalid('clusters', k, 'an integer ≥ 1');
  const md = maxDists(Z, n);
  if (k >= n) return Int32Array.from({ length: n }, (_, i) => i + 1);
  // With a monotone linkage, cutting at height h leaves K − #{merges with height ≤ h} clusters, so the
  // lowest height leaving ≤ k clusters is the (K − k)-th smallest subtree height.
  const sorted = Float64Array.from(md).sort();
  return clusterMonocrit(Z, md, sorted[n - k - 1]!, n);
}

export interface ClusteringResult {
  /** (K − 1) × 4 linkage matrix in scipy's format. */
  linkage: Float64Array;
  /** Dendrogram leaf order (scipy leaves_list). */
  order: Int32Array;
  /** The overlap matrix with rows and columns in leaf order (K × K). */
  reordered: Float64Array;
  /** Condensed cophenetic distances. */
  cophenetic: Float64Array;
  /** Cophenetic correlation coefficient between 1 − q and the cophenetic distances. */
  copheneticCorrelation: number;
}

/** Cluster K replicas from their K × K overlap matrix with distance 1 − q_ab (Liao et al. 2024). */
export function clusterReplicas(Q: ArrayLike<number>, method: LinkageMethod = 'average', K?: number): ClusteringResult {
  const d = distancesFromOverlaps(Q, K);
  const Z = linkage(d, method);
  const order = leavesList(Z);
  const coph = cophenetic(Z);
  return { linkage: Z, order, reordered: reorderMatrix(Q, order), cophenetic: coph, copheneticCorrelation: pearson(d, coph) };
}
