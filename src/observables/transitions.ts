/**
 * Phase transitions along a control parameter (the L2 strength β of Ersoy et al., arXiv:2512.11866).
 * Their transitions were picked by eye; glassy detects them as jumps BEYOND THE NOISE:
 *  - the step Δ_k = q_k − q_{k−1} of an order parameter (the training CE) is compared with the local
 *    trend (the median step of its ±`window` neighbours, which absorbs a smooth decline) and the
 *    residual is measured in units of the sweep's own grid-to-grid noise σ = 1.4826·MAD of the
 *    residuals (a robust standard deviation: jumps do not inflate it). z_k = residual / σ.
 *  - a transition is a run of m neighbouring steps with z ≥ `groupZ` (a jump resolved over two grid
 *    points is one transition) whose largest step, or whose summed residual over σ√m, reaches `z`;
 *    its size is the summed residual, with a normal 95 % CI size ± 1.96 σ √m. A series without
 *    noise (σ = 0) has no scale to judge jumps by and reports none.
 *  - the loss of stability of a continuation minimiser: it satisfies ∇E = −2c(θ − θ_ref) for the
 *    penalty c‖θ − θ_ref‖², and a fold occurs where λ_min(∇²E) reaches −2c, i.e. where λ_min of the
 *    regularised Hessian ∇²E + 2cI changes sign (docs/papers.md). This needs no noise model.
 * On the authors' published sweeps (MNIST sigmoid MLP, lr 1.5e-3, three seeds) the CE rule with the
 * default z = 10 finds exactly their five transitions; the grid-step noise there is σ ≈ 0.0023.
 */

export interface JumpOptions {
  /** A transition's largest step must reach this many σ (default 10). */
  z?: number;
  /** Neighbouring steps down to this many σ join the transition (default 3). */
  groupZ?: number;
  /** Half-width of the neighbourhood that sets the local trend (default 5 steps). */
  window?: number;
  /** +1: only increases count, −1: only decreases, 0: both (default 0). */
  sign?: 1 | -1 | 0;
}

/** A jump beyond the noise: between grid points `first − 1` and `last` (first ≤ last). */
export interface SignificantJump {
  first: number;
  last: number;
  /** Summed residual step (the jump beyond the local trend). */
  size: number;
  /** Confidence: the larger of the largest single-step z and |size| / (σ √steps). */
  z: number;
  /** The grid-to-grid noise σ of the sweep (robust). */
  sigma: number;
  /** 95 % normal CI of `size`: size ± 1.96 σ √(last − first + 1). */
  ci: [number, number];
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/** Each value replaced by the median of the values within `half` places of it (fewer at the ends). */
export function runningMedian(q: ArrayLike<number>, half: number): Float64Array {
  const out = new Float64Array(q.length);
  for (let i = 0; i < q.length; i++) {
    const w: number[] = [];
    for (let j = Math.max(0, i - half); j <= Math.min(q.length - 1, i + half); j++) w.push(q[j]!);
    out[i] = median(w);
  }
  return out;
}

/** Residual steps (step minus the local trend) and the robust noise scale σ. */
export function stepResiduals(q: ArrayLike<number>, window = 5): { residual: Float64Array; sigma: number } {
  const n = q.length;
  const d = new Float64Array(Math.max(0, n - 1));
  for (let k = 1; k < n; k++) d[k - 1] = q[k]! - q[k - 1]!;
  const residual = new Float64Array(d.length).fill(NaN);
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!)) continue;
    const nb: number[] = [];
    for (let j = Math.max(0, i - window); j <= Math.min(d.length - 1, i + window); j++) if (j !== i && Number.isFinite(d[j]!)) nb.push(d[j]!);
    residual[i] = d[i]! - (nb.length ? median(nb) : 0);
  }
  const abs = Array.from(residual).filter(Number.isFinite).map(Math.abs);
  return { residual, sigma: 1.4826 * median(abs) };
}

/** Jumps of one order parameter beyond its own noise (NaNs are skipped). Indices are grid points. */
export function significantJumps(q: ArrayLike<number>, options: JumpOptions = {}): SignificantJump[] {
  const zMin = options.z ?? 10;
  const groupZ = options.groupZ ?? 3;
  const sign = options.sign ?? 0;
  const { residual, sigma } = stepResiduals(q, options.window ?? 5);
  if (!(sigma > 0) || residual.length === 0) return [];
  const z = Array.from(residual, (r) => (Number.isFinite(r) ? r / sigma : 0));
  const counts = (v: number) => (sign === 0 ? Math.abs(v) : sign * v);
  const out: SignificantJump[] = [];
  for (let i = 0; i < z.length; i++) {
    if (counts(z[i]!) < groupZ) continue;
    let j = i;
    while (j + 1 < z.length && counts(z[j + 1]!) >= groupZ && Math.sign(z[j + 1]!) === Math.sign(z[i]!)) j++;
    let size = 0, peak = 0;
    for (let k = i; k <= j; k++) {
      size += residual[k]!;
      if (Math.abs(z[k]!) > Math.abs(peak)) peak = z[k]!;
    }
    // A jump split over m grid points counts by its total: z = max(peak, |size| / (σ √m)).
    const m = j - i + 1;
    const zRun = Math.max(Math.abs(peak), Math.abs(size) / (sigma * Math.sqrt(m)));
    if (counts(Math.sign(peak) * zRun) >= zMin) {
      const half = 1.96 * sigma * Math.sqrt(m);
      out.push({ first: i + 1, last: j + 1, size, z: zRun, sigma, ci: [size - half, size + half] });
    }
    i = j;
  }
  return out;
}

/**
 * Indices k where λ_min(∇²E) + 2c_k changes sign between k−1 and k (the stability boundary of the
 * regularised landscape L = E + c‖θ − θ_ref‖²; c is the penalty coefficient at each grid point).
 */
export function stabilityCrossings(penalty: ArrayLike<number>, lambdaMin: ArrayLike<number>): number[] {
  const out: number[] = [];
  let prev = NaN;
  let prevK = -1;
  for (let k = 0; k < penalty.length; k++) {
    const s = lambdaMin[k]! + 2 * penalty[k]!;
    if (!Number.isFinite(s)) continue;
    if (prevK >= 0 && Math.sign(s) !== Math.sign(prev) && s !== 0) out.push(k);
    prev = s;
    prevK = k;
  }
  return out;
}
