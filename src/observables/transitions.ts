/**
 * Phase transitions along a control parameter (the L2 strength β of Ersoy et al., arXiv:2512.11866).
 * Their transitions were picked by eye; glassy detects them:
 *  - a jump of an order parameter q between neighbouring grid points: |Δq_k| larger than `factor`
 *    times the median |Δq| along the sweep and larger than an absolute floor (a robust outlier rule:
 *    smooth stretches set the median, jumps stand out from it);
 *  - the loss of stability of a continuation minimiser: it satisfies ∇E = −2β(θ − θ_ref), and a fold
 *    occurs where λ_min(∇²E) reaches −2β, i.e. where λ_min of the regularised Hessian ∇²E + 2βI
 *    changes sign (SCIENCE.md, "Theory").
 */

export interface Jump {
  /** Index k of the grid point after the jump (the jump is between k−1 and k). */
  index: number;
  /** Which order parameter jumped. */
  observable: string;
  /** q_k − q_{k−1}. */
  delta: number;
}

export interface JumpOptions {
  /** |Δq| must exceed factor × median |Δq| (default 5). */
  factor?: number;
  /** ... and this absolute floor (default 0). */
  floor?: number;
}

/** Jumps of one order parameter along a sweep (NaNs are skipped). */
export function detectJumps(name: string, q: ArrayLike<number>, options: JumpOptions = {}): Jump[] {
  const factor = options.factor ?? 5;
  const floor = options.floor ?? 0;
  const deltas: number[] = [];
  for (let k = 1; k < q.length; k++) {
    const d = q[k]! - q[k - 1]!;
    if (Number.isFinite(d)) deltas.push(Math.abs(d));
  }
  if (deltas.length === 0) return [];
  const sorted = [...deltas].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const threshold = Math.max(factor * median, floor);
  const out: Jump[] = [];
  for (let k = 1; k < q.length; k++) {
    const d = q[k]! - q[k - 1]!;
    if (Number.isFinite(d) && Math.abs(d) > threshold) out.push({ index: k, observable: name, delta: d });
  }
  return out;
}

/**
 * Kinks of one order parameter: a continuous transition (e.g. a pitchfork, where |θ| grows as
 * √(β_c − β)) has no jump but a change of slope, i.e. a large second difference
 * d²_k = q_{k+1} − 2q_k + q_{k−1} compared with its median along the sweep. A slope change between
 * grid points shows as two flagged neighbours k, k+1 of opposite sign: they are one transition, in
 * the interval (k, k+1); an isolated flagged k is reported in the interval (k − 1, k).
 */
export function detectKinks(name: string, q: ArrayLike<number>, options: JumpOptions = {}): Jump[] {
  const factor = options.factor ?? 5;
  const floor = options.floor ?? 0;
  const d2: number[] = [];
  for (let k = 1; k + 1 < q.length; k++) d2.push(q[k + 1]! - 2 * q[k]! + q[k - 1]!);
  const finite = d2.filter(Number.isFinite).map(Math.abs).sort((a, b) => a - b);
  if (finite.length === 0) return [];
  const threshold = Math.max(factor * finite[Math.floor((finite.length - 1) / 2)]!, floor);
  const flagged = d2.map((v) => Number.isFinite(v) && Math.abs(v) > threshold);
  const out: Jump[] = [];
  for (let i = 0; i < d2.length; i++) {
    if (!flagged[i]) continue;
    const k = i + 1;
    if (flagged[i + 1] && Math.sign(d2[i + 1]!) !== Math.sign(d2[i]!)) {
      out.push({ index: k + 1, observable: `${name} (kink)`, delta: d2[i]! });
      i++;
    } else out.push({ index: k, observable: `${name} (kink)`, delta: d2[i]! });
  }
  return out;
}

/**
 * Indices k where λ_min(∇²E) + 2β_k changes sign between k−1 and k (the stability boundary of the
 * regularised landscape L_β = E + β‖θ − θ_ref‖²).
 */
export function stabilityCrossings(betas: ArrayLike<number>, lambdaMin: ArrayLike<number>): Jump[] {
  const out: Jump[] = [];
  let prev = NaN;
  let prevK = -1;
  for (let k = 0; k < betas.length; k++) {
    const s = lambdaMin[k]! + 2 * betas[k]!;
    if (!Number.isFinite(s)) continue;
    if (prevK >= 0 && Math.sign(s) !== Math.sign(prev) && s !== 0) out.push({ index: k, observable: 'lambda_min+2beta', delta: s - prev });
    prev = s;
    prevK = k;
  }
  return out;
}

/** Groups jumps of several observables at the same grid interval into one transition. */
export function mergeJumps(jumps: Jump[]): Array<{ index: number; observables: string[] }> {
  const by = new Map<number, string[]>();
  for (const j of jumps) by.set(j.index, [...(by.get(j.index) ?? []), j.observable]);
  return [...by.entries()].sort((a, b) => a[0] - b[0]).map(([index, observables]) => ({ index, observables }));
}
