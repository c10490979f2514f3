/**
 * Element-wise activations with their first and second derivatives, in the form the forward pass,
 * backpropagation and Pearlmutter's R-operator need: each derivative is expressed through the
 * pre-activation z AND the activation a = φ(z), so nothing is recomputed.
 */
import type { Float } from '../../core/backend.js';
import type { Activation } from './layout.js';

/** a ← φ(z), element-wise over the first n entries. */
export function activate(kind: Activation, z: Float, a: Float, n: number): void {
  switch (kind) {
    case 'relu':
      for (let i = 0; i < n; i++) { const v = z[i]!; a[i] = v > 0 ? v : 0; }
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) a[i] = Math.tanh(z[i]!);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) a[i] = 1 / (1 + Math.exp(-z[i]!));
      return;
    case 'linear':
      if (a !== z) for (let i = 0; i < n; i++) a[i] = z[i]!;
      return;
  }
}

/** d ← d ⊙ φ'(z) in place (backpropagation through the activation). */
export function mulDerivative(kind: Activation, z: Float, a: Float, d: Float, n: number): void {
  switch (kind) {
    case 'relu':
      for (let i = 0; i < n; i++) if (!(z[i]! > 0)) d[i] = 0;
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) { const t = a[i]!; d[i] = d[i]! * (1 - t * t); }
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) { const s = a[i]!; d[i] = d[i]! * s * (1 - s); }
      return;
    case 'linear':
      return;
  }
}

/** dz ← da ⊙ φ'(z) over the first n entries (backpropagation through the activation, into a new buffer). */
export function derivativeInto(kind: Activation, z: Float, a: Float, da: Float, dz: Float, n: number): void {
  if (kind === 'relu') {
    for (let i = 0; i < n; i++) dz[i] = z[i]! > 0 ? da[i]! : 0;
    return;
  }
  dz.set(da.subarray(0, n));
  mulDerivative(kind, z, a, dz, n);
}

/**
 * R-operator of the backward step through φ (Pearlmutter 1994, eq. for R{∂E/∂z}):
 *   R{δz} = R{δa} ⊙ φ'(z) + δa ⊙ φ''(z) ⊙ R{z}.
 * rd holds R{δa} on entry and R{δz} on exit; da is δa (before multiplication by φ'), rz is R{z}.
 * φ'' of ReLU is 0 almost everywhere (the kink has measure zero), so only the first term remains.
 */
export function rBackward(kind: Activation, z: Float, a: Float, da: Float, rz: Float, rd: Float, n: number): void {
  switch (kind) {
    case 'relu':
      for (let i = 0; i < n; i++) if (!(z[i]! > 0)) rd[i] = 0;
      return;
    case 'tanh':
      // φ' = 1 − t², φ'' = −2t(1 − t²)
      for (let i = 0; i < n; i++) {
        const t = a[i]!, d1 = 1 - t * t;
        rd[i] = rd[i]! * d1 - 2 * t * d1 * da[i]! * rz[i]!;
      }
      return;
    case 'sigmoid':
      // φ' = s(1 − s), φ'' = s(1 − s)(1 − 2s)
      for (let i = 0; i < n; i++) {
        const s = a[i]!, d1 = s * (1 - s);
        rd[i] = rd[i]! * d1 + d1 * (1 - 2 * s) * da[i]! * rz[i]!;
      }
      return;
    case 'linear':
      return;
  }
}
