/**
 * Lanczos (full reorthogonalisation, thick restart) and the dense eigensolver it is checked with:
 * known tridiagonal spectra, eigen-residuals, and Lanczos against the dense Hessian of small
 * networks — top, bottom, both ends and magnitude, to 1e-6 relative in float64 — plus bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GlassyError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import { PSpin, projectTangent, randomSpherePoint } from '../src/landscapes/pspin.js';
import { denseMatrix, denseSpectrum } from '../src/observables/hessian/dense.js';
import { lanczos, type Hvp } from '../src/observables/hessian/lanczos.js';
import { symmetricEigen, tridiagonalEigen } from '../src/observables/hessian/symeig.js';
import { hvpAt } from '../src/observables/flatness.js';
import { smallNet } from './hessian-helpers.js';

function relClose(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol * Math.max(Math.abs(b), 1e-300), `${what}: ${a} vs ${b} (rel ${Math.abs(a - b) / Math.abs(b)})`);
}

test('tridiagonal QL: the (−1, 2, −1) matrix has eigenvalues 2 − 2cos(kπ/(n+1)) (1e-13)', () => {
  const n = 50;
  const e = tridiagonalEigen(new Array(n).fill(2), new Array(n - 1).fill(-1));
  for (let k = 1; k <= n; k++) assert.ok(Math.abs(e.values[k - 1]! - (2 - 2 * Math.cos((k * Math.PI) / (n + 1)))) < 1e-13);
});

test('dense symmetric eigensolver: A v = λ v to 1e-12, orthonormal vectors, values-only path identical', () => {
  const n = 60;
  const r = Rng.stream(3, 1);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) { const v = r.normal(); A[i * n + j] = v; A[j * n + i] = v; }
  const e = symmetricEigen(A, n, true);
  const V = e.vectors!;
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < n; a++) {
      let s = 0;
      for (let b = 0; b < n; b++) s += A[a * n + b]! * V[i * n + b]!;
      assert.ok(Math.abs(s - e.values[i]! * V[i * n + a]!) < 1e-12, 'eigen-residual');
    }
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let t = 0; t < n; t++) s += V[i * n + t]! * V[j * n + t]!;
      assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-12, 'orthonormality');
    }
  }
  const only = symmetricEigen(A, n, false).values;
  for (let i = 0; i < n; i++) assert.ok(Math.abs(only[i]! - e.values[i]!) < 1e-12);
  for (let i = 1; i < n; i++) assert.ok(e.values[i]! >= e.values[i - 1]!, 'ascending');
});

test('Lanczos matches the dense Hessian of small networks, top and bottom, to 1e-6 relative (float64)', () => {
  for (const [seed, act] of [[1, 'tanh'], [2, 'sigmoid']] as const) {
    const { land, theta } = smallNet(seed, { activation: act });
    const hvp = hvpAt(land, theta);
    const dense = denseSpectrum(hvp, land.dim).values;
    const P = land.dim;
    assert.ok(dense[0]! < 0, 'indefinite at a random point (saddle directions exist)');
    const top = lanczos(hvp, P, { k: 5, which: 'largest', tol: 1e-10, rng: Rng.stream(seed, 5) });
    assert.ok(top.converged);
    for (let i = 0; i < 5; i++) relClose(top.values[i]!, dense[P - 1 - i]!, 1e-6, `${act} top ${i}`);
    const bottom = lanczos(hvp, P, { k: 5, which: 'smallest', tol: 1e-10, rng: Rng.stream(seed, 6) });
    assert.ok(bottom.converged);
    for (let i = 0; i < 5; i++) relClose(bottom.values[i]!, dense[i]!, 1e-6, `${act} bottom ${i}`);
    for (const r of top.residuals) assert.ok(r <= 1e-10 * top.scale);
  }
});

test('Lanczos: both ends, magnitude, thick restarts, Ritz vectors, determinism by seed', () => {
  const { land, theta } = smallNet(4);
  const hvp = hvpAt(land, theta);
  const P = land.dim;
  const dense = denseSpectrum(hvp, P).values;
  // A small basis forces thick restarts.
  const both = lanczos(hvp, P, { k: 3, which: 'both', tol: 1e-10, maxBasis: 12, maxIter: 5000, vectors: true, rng: Rng.stream(1, 2) });
  assert.ok(both.converged && both.restarts > 0, `restarts ${both.restarts}`);
  for (let i = 0; i < 3; i++) {
    relClose(both.largest![i]!, dense[P - 1 - i]!, 1e-6, `both top ${i}`);
    relClose(both.smallest![i]!, dense[i]!, 1e-6, `both bottom ${i}`);
  }
  // Ritz vectors: ‖H y − θ y‖ small, ‖y‖ = 1.
  const hy = new Float64Array(P);
  both.vectors!.forEach((y, i) => {
    hvp(y, hy);
    let r = 0, nn = 0;
    for (let t = 0; t < P; t++) { r += (hy[t]! - both.values[i]! * y[t]!) ** 2; nn += y[t]! ** 2; }
    assert.ok(Math.abs(nn - 1) < 1e-12 && Math.sqrt(r) < 1e-8 * both.scale, `Ritz residual ${Math.sqrt(r)}`);
  });
  const byMag = [...dense].sort((a, b) => Math.abs(b) - Math.abs(a));
  const mag = lanczos(hvp, P, { k: 4, which: 'magnitude', tol: 1e-10, rng: Rng.stream(1, 3) });
  for (let i = 0; i < 4; i++) relClose(mag.values[i]!, byMag[i]!, 1e-6, `magnitude ${i}`);
  const again = lanczos(hvp, P, { k: 3, which: 'both', tol: 1e-10, maxBasis: 12, maxIter: 5000, rng: Rng.stream(1, 2) });
  assert.deepEqual(Array.from(again.values), Array.from(both.values));
});

test('the same Lanczos on the spherical p-spin (Riemannian HVP, tangent projection) matches the dense tangent spectrum', () => {
  const N = 30;
  const land = new PSpin({ n: N, p: 3, seed: 7 });
  const sigma = randomSpherePoint(N, Rng.stream(7, 1));
  const hvp: Hvp = (v, o) => land.hvp(sigma, v, o);
  // Dense in an orthonormal basis of the tangent space: P H P has the extra zero of the normal direction only.
  const H = denseMatrix(hvp, N);
  const all = symmetricEigen(H, N, true);
  // Drop the eigenvalue whose vector is the normal direction σ/|σ|.
  let normal = -1, best = 0;
  for (let i = 0; i < N; i++) {
    let c = 0;
    for (let t = 0; t < N; t++) c += all.vectors![i * N + t]! * sigma[t]!;
    if (Math.abs(c) > best) { best = Math.abs(c); normal = i; }
  }
  const tangent = Array.from(all.values).filter((_, i) => i !== normal);
  const project = (v: Float64Array) => { projectTangent(sigma, v); };
  const top = lanczos(hvp, N, { k: 3, which: 'largest', tol: 1e-11, project, rng: Rng.stream(7, 2) });
  const bot = lanczos(hvp, N, { k: 3, which: 'smallest', tol: 1e-11, project, rng: Rng.stream(7, 3) });
  for (let i = 0; i < 3; i++) {
    relClose(top.values[i]!, tangent[tangent.length - 1 - i]!, 1e-8, `p-spin top ${i}`);
    relClose(bot.values[i]!, tangent[i]!, 1e-8, `p-spin bottom ${i}`);
  }
});

test('Lanczos rejects bad input with a GlassyError naming the field', () => {
  const hvp: Hvp = (v, o) => o.set(v);
  const bad = (f: () => unknown, field: string) => assert.throws(f, (e: unknown) => e instanceof GlassyError && e.field === field, field);
  bad(() => lanczos(hvp, 10, { k: 11 }), 'lanczos.k');
  bad(() => lanczos(hvp, 10, { k: 6, which: 'both' }), 'lanczos.k');
  bad(() => lanczos(hvp, 10, { k: 0 }), 'lanczos.k');
  bad(() => lanczos(hvp, 10, { which: 'middle' as 'largest' }), 'lanczos.which');
  bad(() => lanczos(hvp, 10, { tol: 0 }), 'lanczos.tol');
  bad(() => lanczos(hvp, 1000, { k: 5, maxBytes: 8 * 1000 * 4 }), 'lanczos.maxBasis');
  bad(() => lanczos(hvp, 0), 'lanczos.dim');
  // The identity: every Ritz value is 1 at once (an invariant Krylov space of dimension 1).
  const id = lanczos(hvp, 10, { k: 1 });
  assert.ok(id.converged && Math.abs(id.values[0]! - 1) < 1e-14 && id.matvecs === 1);
});
