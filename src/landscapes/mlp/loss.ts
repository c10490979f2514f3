/**
 * Per-sample losses on the network outputs f (after the output non-linearity), with the gradient
 * ∂ℓ/∂f and the Hessian-vector product (∂²ℓ/∂f²)·v that Pearlmutter's R-operator needs at the top
 * of the backward pass. All are averaged over the batch (the 1/B is folded into g and Hv), so the
 * landscape is the mean loss, as in the papers and in PyTorch's default reductions.
 */
import type { Backend, Float } from '../../core/backend.js';

export type LossKind = 'ce' | 'mse' | 'hinge';

export interface LossTargets {
  /** Class labels of the batch rows. */
  labels: Int32Array;
  /** Optional real targets [B × C] (regression); otherwise MSE uses the one-hot label. */
  targets: Float | null;
}

export interface LossResult {
  /** Σ over the batch of ℓ (not averaged). */
  sum: number;
  /** Number of rows whose argmax output differs from the label. */
  errors: number;
}

/**
 * Loss of B rows of C outputs. When g is given, writes g = scale·∂ℓ/∂f (scale = 1/n for a mean over n
 * samples; the rows may be one chunk of a larger set).
 * - 'ce'   softmax cross-entropy: ℓ = −log softmax(f)_y;  ∂ℓ/∂f = p − e_y.
 * - 'mse'  PyTorch's nn.MSELoss (mean over outputs): ℓ = (1/C) Σ_k (f_k − t_k)², t = one-hot(y) or the
 *          regression target (Baity-Jesi et al. 2018 use MSE to the one-hot label on sigmoid outputs).
 * - 'hinge' PyTorch's nn.MultiMarginLoss (p = 1, margin 1): ℓ = (1/C) Σ_{j≠y} max(0, 1 − f_y + f_j).
 */
export function lossForward(
  kind: LossKind, f: Float, t: LossTargets, B: number, C: number, g: Float | null, scale: number,
): LossResult {
  let sum = 0;
  let errors = 0;
  const invB = scale;
  const y = t.labels;
  for (let r = 0; r < B; r++) {
    const o = r * C;
    const label = y[r]!;
    let best = 0;
    let fmax = f[o]!;
    for (let k = 1; k < C; k++) if (f[o + k]! > fmax) { fmax = f[o + k]!; best = k; }
    if (best !== label) errors++;
    if (kind === 'ce') {
      // exp(f − max) once per output: kept in g, then scaled to p·invB.
      let z = 0;
      for (let k = 0; k < C; k++) {
        const e = Math.exp(f[o + k]! - fmax);
        if (g) g[o + k] = e;
        z += e;
      }
      sum += fmax + Math.log(z) - f[o + label]!;
      if (g) {
        const c = invB / z;
        for (let k = 0; k < C; k++) g[o + k] = g[o + k]! * c;
        g[o + label] = g[o + label]! - invB;
      }
    } else if (kind === 'mse') {
      let s = 0;
      for (let k = 0; k < C; k++) {
        const target = t.targets ? t.targets[o + k]! : k === label ? 1 : 0;
        const d = f[o + k]! - target;
        s += d * d;
        if (g) g[o + k] = (2 / C) * d * invB;
      }
      sum += s / C;
    } else {
      const fy = f[o + label]!;
      let s = 0;
      let active = 0;
      for (let k = 0; k < C; k++) {
        if (k === label) continue;
        const m = 1 - fy + f[o + k]!;
        if (m > 0) {
          s += m;
          active++;
          if (g) g[o + k] = invB / C;
        } else if (g) g[o + k] = 0;
      }
      if (g) g[o + label] = (-active * invB) / C;
      sum += s / C;
    }
  }
  return { sum, errors };
}

/**
 * hv ← scale·(∂²ℓ/∂f²)·v row by row (the output-layer curvature in the R-operator).
 * - 'ce': the softmax Jacobian, (diag p − p pᵀ) v = p ⊙ v − p (p·v).
 * - 'mse': (2/C) v.
 * - 'hinge': 0 (piecewise linear).
 */
export function lossHessianVector(kind: LossKind, f: Float, v: Float, B: number, C: number, hv: Float, scale: number): void {
  const invB = scale;
  if (kind === 'hinge') {
    hv.fill(0, 0, B * C);
    return;
  }
  if (kind === 'mse') {
    const s = (2 / C) * invB;
    for (let i = 0; i < B * C; i++) hv[i] = s * v[i]!;
    return;
  }
  for (let r = 0; r < B; r++) {
    const o = r * C;
    let fmax = f[o]!;
    for (let k = 1; k < C; k++) if (f[o + k]! > fmax) fmax = f[o + k]!;
    let z = 0;
    for (let k = 0; k < C; k++) z += Math.exp(f[o + k]! - fmax);
    let pv = 0;
    for (let k = 0; k < C; k++) {
      const p = Math.exp(f[o + k]! - fmax) / z;
      hv[o + k] = p; // p for now
      pv += p * v[o + k]!;
    }
    for (let k = 0; k < C; k++) {
      const p = hv[o + k]!;
      hv[o + k] = p * (v[o + k]! - pv) * invB;
    }
  }
}

/**
 * lossForward's 'ce' through a backend's softmaxCE kernel (core/backend.ts), which leaves each row's
 * maximum m and normaliser z in `rows` [2B]: the loss Σ_r m + log z − f_ry is summed here, in the
 * order and with the Math.log of lossForward, so both give the same bits.
 */
export function crossEntropyKernel(
  kernel: NonNullable<Backend['softmaxCE']>, f: Float, t: LossTargets, B: number, C: number,
  g: Float | null, scale: number, rows: Float64Array,
): LossResult {
  const errors = kernel(f, t.labels, B, C, g, scale, rows);
  const y = t.labels;
  let sum = 0;
  for (let r = 0; r < B; r++) sum += rows[2 * r]! + Math.log(rows[2 * r + 1]!) - f[r * C + y[r]!]!;
  return { sum, errors };
}
