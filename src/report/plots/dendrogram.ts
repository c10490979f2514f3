/**
 * A dendrogram drawn from a SciPy-format linkage matrix Z ((K−1) × 4 rows: child a, child b,
 * distance, size; node K+i is created by row i), stacked above the overlap heatmap re-ordered by the
 * same leaf order so that each leaf sits exactly over its column. Computing where lines go is
 * layout, not physics: the clustering itself comes from the run.
 */
import type { Json, Plot, Row, VlSpec } from '../spec.js';
import { themed } from '../theme.js';
import { matrixSide, matrixUnit } from './heatmap.js';

export interface Segment {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface DendrogramLayout {
  /** Leaves left to right (original replica indices). */
  order: number[];
  /** The U-shaped links, in leaf-position units on x (leaf at position p has x = p) and distance on y. */
  segments: Segment[];
  /** The largest merge distance. */
  top: number;
}

/**
 * Lay out a linkage. With `leafOrder` the leaves go where the run put them (so the picture matches
 * `overlap_reordered` even if another ordering rule was used); otherwise SciPy's default order
 * (depth-first, child a before child b).
 */
export function dendrogramLayout(Z: ArrayLike<number>, K: number, leafOrder?: ArrayLike<number>): DendrogramLayout {
  if (!Number.isInteger(K) || K < 2) throw new Error(`linkage: need at least 2 leaves, got ${K}`);
  if (Z.length !== (K - 1) * 4) throw new Error(`linkage: ${Z.length} values, expected (K−1)×4 = ${(K - 1) * 4} for K = ${K}`);
  const used = new Uint8Array(2 * K - 1);
  for (let i = 0; i < K - 1; i++) {
    for (const c of [Z[i * 4] as number, Z[i * 4 + 1] as number]) {
      // A child must exist already (leaf or earlier merge) and be merged once.
      if (!Number.isInteger(c) || c < 0 || c >= K + i || used[c]) throw new Error(`linkage: row ${i} has invalid child ${c}`);
      used[c] = 1;
    }
  }
  const children = (node: number): [number, number] => [Z[(node - K) * 4] as number, Z[(node - K) * 4 + 1] as number];
  const root = 2 * K - 2;
  let order: number[];
  if (leafOrder) {
    order = Array.from(leafOrder, Number);
    const seen = new Set(order);
    if (order.length !== K || seen.size !== K || order.some((v) => !Number.isInteger(v) || v < 0 || v >= K)) {
      throw new Error(`leaf_order: expected a permutation of 0..${K - 1}`);
    }
  } else {
    order = [];
    const stack = [root];
    while (stack.length) {
      const node = stack.pop() as number;
      if (node < K) order.push(node);
      else {
        const [a, b] = children(node);
        stack.push(b, a); // a is visited first: it goes left, as in scipy.cluster.hierarchy.dendrogram
      }
    }
  }
  const xs = new Float64Array(2 * K - 1);
  const ys = new Float64Array(2 * K - 1);
  order.forEach((leaf, pos) => (xs[leaf] = pos));
  const segments: Segment[] = [];
  let top = 0;
  // Rows are in merge order, so children are always placed before their parent.
  for (let i = 0; i < K - 1; i++) {
    const [a, b] = children(K + i);
    const d = Z[i * 4 + 2] as number;
    const xa = xs[a] as number;
    const xb = xs[b] as number;
    segments.push({ x1: xa, y1: ys[a] as number, x2: xa, y2: d });
    segments.push({ x1: xa, y1: d, x2: xb, y2: d });
    segments.push({ x1: xb, y1: ys[b] as number, x2: xb, y2: d });
    xs[K + i] = (xa + xb) / 2;
    ys[K + i] = d;
    if (d > top) top = d;
  }
  return { order, segments, top };
}

export interface DendroHeatmapOptions {
  name: string;
  title: string;
  linkage: ArrayLike<number>;
  K: number;
  /** The K × K matrix already re-ordered by leafOrder (row/column p is leaf order[p]). */
  reordered: ArrayLike<number>;
  leafOrder?: ArrayLike<number>;
  distanceTitle: string;
  axisTitle: string;
  colorTitle: string;
  domain?: [number, number];
  caption?: string;
}

/** The dendrogram over the re-ordered heatmap, sharing one horizontal leaf axis. */
export function dendrogramHeatmap(opts: DendroHeatmapOptions): Plot {
  const layout = dendrogramLayout(opts.linkage, opts.K, opts.leafOrder);
  const side = matrixSide(opts.K);
  const segRows: Row[] = layout.segments.map((s) => ({ x1: s.x1, y1: s.y1, x2: s.x2, y2: s.y2 }));
  // Leaf p occupies band [p, p+1) of the heatmap's K bands; the quantitative domain
  // [−0.5, K−0.5] puts x = p at that band's centre, so links land on their columns.
  const dendro: { [k: string]: Json } = {
    width: side,
    height: Math.round(side * 0.4),
    data: { values: segRows },
    mark: { type: 'rule', strokeWidth: 1.2, color: '#333333' },
    encoding: {
      x: { field: 'x1', type: 'quantitative', scale: { domain: [-0.5, opts.K - 0.5], nice: false, zero: false }, axis: null },
      x2: { field: 'x2' },
      y: { field: 'y1', type: 'quantitative', title: opts.distanceTitle, scale: { zero: true, nice: false, domain: [0, layout.top > 0 ? layout.top * 1.02 : 1] } },
      y2: { field: 'y2' },
    },
  };
  const heat = matrixUnit({
    name: opts.name,
    title: opts.title,
    values: opts.reordered,
    n: opts.K,
    labels: layout.order.map(String),
    axisTitle: opts.axisTitle,
    colorTitle: opts.colorTitle,
    ...(opts.domain ? { domain: opts.domain } : {}),
  });
  const spec: VlSpec = themed({
    title: opts.title,
    vconcat: [dendro, heat],
    spacing: 4,
    resolve: { scale: { x: 'independent', y: 'independent' } },
  });
  return { name: opts.name, title: opts.title, spec, ...(opts.caption ? { caption: opts.caption } : {}) };
}
