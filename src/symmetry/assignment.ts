/**
 * Exact linear assignment (the linear sum assignment problem, LSAP) for dense cost matrices.
 *
 * Given an nr × nc cost matrix C (row-major), find an injective map from the rows of the smaller side to
 * the columns minimising (or maximising) Σ_i C[i, σ(i)]. Weight matching of networks (Ainsworth et al.
 * 2023, "Git Re-Basin", Algorithm 1) reduces each hidden layer to one such problem.
 *
 * Algorithm: the shortest augmenting path method of Jonker & Volgenant (Computing 38, 325 (1987)) in the
 * form without initialisation heuristics described by D. F. Crouse, "On implementing 2D rectangular
 * assignment algorithms", IEEE Trans. Aerosp. Electron. Syst. 52, 1679 (2016), Algorithm 1 — the same
 * algorithm as SciPy's `scipy.optimize.linear_sum_assignment` (rectangular_lsap.cpp). For each row in
 * turn, a Dijkstra search over reduced costs C[i,j] − u_i − v_j finds the shortest alternating path to a
 * free column; the dual variables u, v are then updated so reduced costs stay non-negative
 * (complementary slackness), which makes the final assignment optimal. O(n³) worst case, O(n²) memory.
 * Everything runs in float64.
 */
import { GlassyError } from '../core/errors.js';

export interface AssignmentOptions {
  /** Maximise Σ C[i, σ(i)] instead of minimising it (default false). */
  maximize?: boolean;
}

/** The optimal assignment, in SciPy's format: rows[k] is assigned to cols[k], rows in increasing order. */
export interface Assignment {
  rows: Int32Array;
  cols: Int32Array;
  /** Σ_k C[rows[k], cols[k]] of the optimum (the original costs, not negated). */
  total: number;
}

/**
 * Solve the LSAP for an nr × nc row-major cost matrix. Returns min(nr, nc) pairs, like SciPy's
 * `linear_sum_assignment(C, maximize)`. Entries must be finite (an infeasible pair can be expressed by a
 * large finite cost).
 */
export function linearSumAssignment(
  cost: ArrayLike<number>,
  nr: number,
  nc: number,
  options: AssignmentOptions = {},
): Assignment {
  if (!Number.isInteger(nr) || nr < 0) throw GlassyError.invalid('rows', nr, 'a non-negative integer');
  if (!Number.isInteger(nc) || nc < 0) throw GlassyError.invalid('cols', nc, 'a non-negative integer');
  if (cost.length !== nr * nc) throw GlassyError.invalid('cost.length', cost.length, `rows × cols = ${nr * nc}`);
  const maximize = options.maximize ?? false;
  const transpose = nr > nc;
  const n = transpose ? nc : nr; // rows of the working problem (n ≤ m)
  const m = transpose ? nr : nc;
  // Working copy: transposed so that rows ≤ columns, negated when maximising (max Σ C = −min Σ(−C)).
  const c = new Float64Array(n * m);
  const sign = maximize ? -1 : 1;
  for (let i = 0; i < nr; i++) {
    for (let j = 0; j < nc; j++) {
      const x = cost[i * nc + j]!;
      if (!Number.isFinite(x)) throw GlassyError.invalid(`cost[${i}, ${j}]`, x, 'a finite number');
      if (transpose) c[j * m + i] = sign * x;
      else c[i * m + j] = sign * x;
    }
  }
  const col4row = solveRowsToCols(c, n, m);
  // Back to the caller's orientation, sorted by row as SciPy returns it.
  const rows = new Int32Array(n);
  const cols = new Int32Array(n);
  if (!transpose) {
    for (let i = 0; i < n; i++) {
      rows[i] = i;
      cols[i] = col4row[i]!;
    }
  } else {
    // Working row i = caller column i, assigned to caller row col4row[i]; sort by caller row.
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => col4row[a]! - col4row[b]!);
    for (let k = 0; k < n; k++) {
      rows[k] = col4row[order[k]!]!;
      cols[k] = order[k]!;
    }
  }
  let total = 0;
  for (let k = 0; k < n; k++) total += cost[rows[k]! * nc + cols[k]!]!;
  return { rows, cols, total };
}

/**
 * Square convenience: the permutation σ (σ[i] = column of row i) optimising Σ_i C[i, σ(i)] over an
 * n × n matrix.
 */
export function solveAssignment(cost: ArrayLike<number>, n: number, options: AssignmentOptions = {}): Int32Array {
  return linearSumAssignment(cost, n, n, options).cols;
}

/**
 * Crouse (2016), Algorithm 1, for an n × m matrix with n ≤ m, minimising. Returns col4row.
 * The cost matrix is only read.
 */
function solveRowsToCols(c: Float64Array, n: number, m: number): Int32Array {
  const u = new Float64Array(n);
  const v = new Float64Array(m);
  const shortest = new Float64Array(m);
  const path = new Int32Array(m).fill(-1);
  const col4row = new Int32Array(n).fill(-1);
  const row4col = new Int32Array(m).fill(-1);
  const scanned = new Uint8Array(m); // SC: columns whose shortest path is final
  const remaining = new Int32Array(m); // columns not yet scanned in this search
  const visitedRows = new Int32Array(n); // SR as a list: rows reached in this search
  for (let curRow = 0; curRow < n; curRow++) {
    // --- Dijkstra over reduced costs from curRow until a free column (the sink) is reached.
    let minVal = 0;
    let numRemaining = m;
    for (let it = 0; it < m; it++) remaining[it] = m - it - 1;
    scanned.fill(0);
    shortest.fill(Infinity);
    let nVisited = 0;
    let i = curRow;
    let sink = -1;
    while (sink === -1) {
      visitedRows[nVisited++] = i;
      let index = -1;
      let lowest = Infinity;
      const base = i * m;
      const ui = u[i]!;
      for (let it = 0; it < numRemaining; it++) {
        const j = remaining[it]!;
        const r = minVal + c[base + j]! - ui - v[j]!;
        if (r < shortest[j]!) {
          path[j] = i;
          shortest[j] = r;
        }
        const sj = shortest[j]!;
        // Prefer a free column among equals: it ends the search sooner (as SciPy does).
        if (sj < lowest || (sj === lowest && row4col[j] === -1)) {
          lowest = sj;
          index = it;
        }
      }
      minVal = lowest;
      if (minVal === Infinity || index < 0) {
        // Cannot happen for finite costs; kept as a guard against NaN slipping through.
        throw GlassyError.invalid('cost', 'non-finite reduced cost', 'finite entries');
      }
      const j = remaining[index]!;
      if (row4col[j] === -1) sink = j;
      else i = row4col[j]!;
      scanned[j] = 1;
      remaining[index] = remaining[--numRemaining]!;
    }
    // --- Dual update (Crouse 2016, Alg. 1, steps 13–15): keeps reduced costs ≥ 0 and tight on the path.
    u[curRow] += minVal;
    for (let k = 1; k < nVisited; k++) {
      const r = visitedRows[k]!;
      u[r] += minVal - shortest[col4row[r]!]!;
    }
    for (let j = 0; j < m; j++) if (scanned[j]) v[j] -= minVal - shortest[j]!;
    // --- Augment along the alternating path back to curRow.
    let j = sink;
    for (;;) {
      const r = path[j]!;
      row4col[j] = r;
      const prev = col4row[r]!;
      col4row[r] = j;
      j = prev;
      if (r === curRow) break;
    }
  }
  return col4row;
}

/**
 * Whether the assignment `next` beats `old` on the w×w similarity S (row-major) by more than
 * rounding: a coordinate ascent that accepts only strict improvements cannot cycle on ties.
 */
export function strictlyImproves(S: ArrayLike<number>, w: number, next: ArrayLike<number>, old: ArrayLike<number>): boolean {
  let gainNew = 0;
  let gainOld = 0;
  let differs = false;
  for (let i = 0; i < w; i++) {
    gainNew += S[i * w + next[i]!]!;
    gainOld += S[i * w + old[i]!]!;
    if (next[i] !== old[i]) differs = true;
  }
  return differs && gainNew > gainOld + 1e-12 * Math.abs(gainOld) + 1e-300;
}
