/**
 * The BLAS addon's softmax cross-entropy kernel (Backend.softmaxCE, through loss.ts's
 * crossEntropyKernel) against lossForward's loop: the same loss, error count and gradient bits, in
 * f32 and f64, with and without a gradient, over outputs that reach every branch of the kernel's
 * exp (|x| < 2^−28, < ln2/2, < 1.5 ln2, the general reduction, results below 2^−1021, underflow).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../src/core/backends/index.js';
import { Rng } from '../src/core/rng.js';
import { crossEntropyKernel, lossForward } from '../src/landscapes/mlp/loss.js';

const blas = getBackend('blas');

test('softmaxCE kernel: bit-identical to lossForward (ce) in f32 and f64, with and without g', { skip: !blas.softmaxCE && 'the BLAS addon has no softmaxCE' }, () => {
  const kernel = blas.softmaxCE!;
  const rng = Rng.stream(11, 1);
  const B = 4000, C = 10;
  // Spreads from 1e-9 (differences below 2^−28) to 800 (exp underflows): every branch of the exp.
  const spreads = [1e-9, 0.3, 1, 5, 40, 700, 720, 745, 800];
  for (const Arr of [Float32Array, Float64Array]) {
    const f = new Arr(B * C);
    for (let r = 0; r < B; r++) {
      const s = spreads[r % spreads.length]!;
      for (let k = 0; k < C; k++) f[r * C + k] = (rng.uniform() - 0.5) * s;
    }
    f[C] = f[C + 1] = 2; // a tie: the first maximum wins
    const labels = new Int32Array(B);
    for (let r = 0; r < B; r++) labels[r] = rng.int(C);
    const t = { labels, targets: null };
    const rows = new Float64Array(2 * B);
    for (const withG of [true, false]) {
      const gJs = withG ? new Arr(B * C) : null, gK = withG ? new Arr(B * C) : null;
      const a = lossForward('ce', f, t, B, C, gJs, 1 / 128);
      const b = crossEntropyKernel(kernel, f, t, B, C, gK, 1 / 128, rows);
      assert.equal(b.errors, a.errors, `${Arr.name} errors`);
      assert.ok(Object.is(b.sum, a.sum), `${Arr.name} loss ${b.sum} vs ${a.sum}`);
      if (gJs && gK) assert.deepEqual(gK, gJs, `${Arr.name} gradient`);
    }
  }
  // Out-of-range labels and short arrays are refused before anything is written.
  assert.throws(() => kernel(new Float32Array(20), new Int32Array([0, 10]), 2, 10, null, 1, new Float64Array(4)), RangeError);
  assert.throws(() => kernel(new Float32Array(19), new Int32Array(2), 2, 10, null, 1, new Float64Array(4)), RangeError);
});
