/**
 * The spherical p-spin landscape: derivatives against finite differences, the disorder covariance
 * convention, storage options and input errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GlassyError } from '../src/core/errors.js';
import { availableBackends, getBackend } from '../src/core/backends/index.js';
import { Rng, Stream } from '../src/core/rng.js';
import {
  PSpin, type PSpinOrder, couplingBytes, couplingStd, projectTangent, randomSpherePoint, riemannianGradient,
} from '../src/landscapes/pspin.js';

const ORDERS: PSpinOrder[] = [2, 3, 4];

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}
function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
/** σ moved along the retraction R_σ(εv) = √N (σ + εv)/|σ + εv|. */
function retract(s: Float64Array, v: Float64Array, eps: number): Float64Array {
  const y = s.map((x, i) => x + eps * v[i]!);
  const f = Math.sqrt(s.length / dot(y, y));
  return y.map((x) => x * f);
}

test('Euclidean gradient matches central finite differences (p = 2, 3, 4)', () => {
  // h = 1e-5: truncation error ~h²·|∂³H| ~ 1e-10, rounding ~1e-16·|H|/h ~ 1e-11; tolerance 1e-7
  // relative to the largest gradient component leaves 3 orders of margin, while an error in any
  // single coupling term or a factor 2 would show up at the 1e-2 level.
  for (const p of ORDERS) {
    const n = p === 4 ? 10 : 14;
    const L = new PSpin({ n, p, seed: 3 });
    const s = new Float64Array(n);
    Rng.stream(3, Stream.init, p).fillNormal(s); // anywhere in R^N: the gradient is of the polynomial
    const g = new Float64Array(n);
    const e = L.gradient(s, g);
    assert.ok(Math.abs(e - L.energy(s)) <= 1e-12 * Math.max(1, Math.abs(e)), `p=${p}: gradient returns H`);
    const h = 1e-5;
    let err = 0;
    for (let i = 0; i < n; i++) {
      const sp = s.slice(); sp[i] = sp[i]! + h;
      const sm = s.slice(); sm[i] = sm[i]! - h;
      err = Math.max(err, Math.abs((L.energy(sp) - L.energy(sm)) / (2 * h) - g[i]!));
    }
    assert.ok(err <= 1e-7 * maxAbs(g), `p=${p}: max |FD − ∇H| = ${err}, |∇H|∞ = ${maxAbs(g)}`);
    // Euler's theorem for a homogeneous polynomial of degree p: σ·∇H = pH (used by hvp).
    assert.ok(Math.abs(dot(s, g) - p * e) <= 1e-11 * Math.abs(p * e) + 1e-12, `p=${p}: σ·∇H = pH`);
  }
});

test('Riemannian Hessian-vector product matches finite differences of the Riemannian gradient along the retraction', () => {
  // Hess H(σ)[v] = P_σ · d/dε [P∇H](R_σ(εv)) at ε = 0 (Levi-Civita connection of an embedded
  // submanifold = projected directional derivative; Absil et al. 2008, §5.3). Central
  // differences with h = 1e-5 have error ~h² ~ 1e-10 relative; tolerance 1e-6 relative.
  for (const p of ORDERS) {
    const n = p === 4 ? 12 : 24;
    const L = new PSpin({ n, p, seed: 5 });
    const rng = Rng.stream(5, Stream.probe, p);
    const s = randomSpherePoint(n, rng);
    const v = new Float64Array(n);
    rng.fillNormal(v);
    projectTangent(s, v);
    const hv = new Float64Array(n);
    L.hvp(s, v, hv);
    const h = 1e-5;
    const gp = new Float64Array(n);
    const gm = new Float64Array(n);
    riemannianGradient(L, retract(s, v, h), gp);
    riemannianGradient(L, retract(s, v, -h), gm);
    const fd = gp.map((x, i) => (x - gm[i]!) / (2 * h));
    projectTangent(s, fd);
    const diff = fd.map((x, i) => x - hv[i]!);
    assert.ok(maxAbs(diff) <= 1e-6 * maxAbs(hv), `p=${p}: max |FD − Hess·v| = ${maxAbs(diff)} vs |Hess·v|∞ = ${maxAbs(hv)}`);
    // Without the curvature term −(σ·∇H/N)Pv the check must fail: it is a real O(1) contribution.
    const g = new Float64Array(n);
    const e = L.gradient(s, g);
    const radial = (p * e) / n;
    const withoutCurvature = hv.map((x, i) => x + radial * v[i]!);
    assert.ok(maxAbs(withoutCurvature.map((x, i) => x - fd[i]!)) > 1e-3 * maxAbs(hv), `p=${p}: curvature term matters`);
  }
});

test('Riemannian Hessian: geodesic second derivative, symmetry, tangency (p = 2, 3, 4)', () => {
  // Along the geodesic γ(ε) = cos(ε|v|/√N) σ + √N sin(ε|v|/√N) v/|v|, d²H/dε² at 0 = ⟨v, Hess v⟩
  // (Absil et al. 2008, §5.5). Second differences with h = 1e-3: error ~h²·|H''''| ~ 1e-6, rounding
  // ~1e-16·|H|/h² ~ 1e-9; tolerance 1e-4 relative. Symmetry and tangency hold to rounding (1e-10).
  for (const p of ORDERS) {
    const n = p === 4 ? 12 : 30;
    const L = new PSpin({ n, p, seed: 9 });
    const rng = Rng.stream(9, Stream.probe, 10 + p);
    const s = randomSpherePoint(n, rng);
    const u = new Float64Array(n);
    const v = new Float64Array(n);
    rng.fillNormal(u);
    rng.fillNormal(v);
    projectTangent(s, u);
    projectTangent(s, v);
    const hu = new Float64Array(n);
    const hv = new Float64Array(n);
    L.hvp(s, u, hu);
    L.hvp(s, v, hv);
    const nv = Math.sqrt(dot(v, v));
    const geo = (eps: number): Float64Array => {
      const a = (eps * nv) / Math.sqrt(n);
      return s.map((x, i) => Math.cos(a) * x + Math.sqrt(n) * Math.sin(a) * (v[i]! / nv));
    };
    const h = 1e-3;
    const d2 = (L.energy(geo(h)) - 2 * L.energy(s) + L.energy(geo(-h))) / (h * h);
    const vHv = dot(v, hv);
    assert.ok(Math.abs(d2 - vHv) <= 1e-4 * Math.max(1, Math.abs(vHv)), `p=${p}: d²H/dε² = ${d2} vs ⟨v,Hess v⟩ = ${vHv}`);
    const scale = Math.sqrt(dot(u, u) * dot(hv, hv));
    assert.ok(Math.abs(dot(u, hv) - dot(hu, v)) <= 1e-10 * scale, `p=${p}: symmetric`);
    assert.ok(Math.abs(dot(s, hv)) <= 1e-10 * Math.sqrt(n * dot(hv, hv)), `p=${p}: tangent`);
    // A radial v contributes nothing: Hess acts on Pv.
    const radialOut = new Float64Array(n);
    L.hvp(s, s, radialOut);
    assert.ok(maxAbs(radialOut) <= 1e-10 * maxAbs(hv), `p=${p}: Hess·σ = 0`);
  }
});

test('energy variance over disorder at a fixed σ is the convention N q^p/2 at q = 1 (with its exact O(1) correction)', () => {
  // Var_J H(σ) = (p!/(2N^{p−1})) Σ_{i1<…<ip} σ_i1²…σ_ip² exactly (no repeated indices), → N/2.
  // The estimator of a variance from M Gaussian samples has relative standard error √(2/(M−1));
  // we allow 4 of them (M = 1500: 14.6%), and the mean must be 0 within 4 standard errors.
  // A wrong variance convention (factor 2, or p! dropped: factors 2–24) fails by far.
  const M = 1500;
  for (const p of ORDERS) {
    const n = p === 4 ? 18 : 36;
    // σ_i = ±1 (a point of the sphere): then Σ Πσ² = C(N, p) and the variance is exactly
    // (N/2) Π_{k=1}^{p−1} (1 − k/N) = N/2 + O(1).
    const signs = Rng.stream(21, Stream.init, p);
    const s = new Float64Array(n).map(() => (signs.uniform() < 0.5 ? -1 : 1));
    let e1 = 0;
    let e2 = 0;
    for (let m = 0; m < M; m++) {
      const e = new PSpin({ n, p, seed: 21, sample: m }).energy(s);
      e1 += e;
      e2 += e * e;
    }
    const mean = e1 / M;
    const variance = (e2 - M * mean * mean) / (M - 1);
    let expected = n / 2;
    for (let k = 1; k < p; k++) expected *= 1 - k / n;
    const fact = p === 2 ? 2 : p === 3 ? 6 : 24;
    const rel = Math.sqrt(2 / (M - 1));
    assert.ok(Math.abs(variance / expected - 1) <= 4 * rel, `p=${p}: Var H = ${variance}, expected ${expected} (±${(4 * rel * 100).toFixed(1)}%)`);
    assert.ok(Math.abs(mean) <= 4 * Math.sqrt(expected / M), `p=${p}: mean H = ${mean}`);
    assert.equal(couplingStd(n, p), Math.sqrt(fact / (2 * n ** (p - 1))));
  }
});

test('float32 coupling storage: same couplings to float32 rounding, half the memory', () => {
  // Energies agree to float32 relative precision accumulated over C(N,3) terms: tolerance 1e-5 relative.
  const n = 40;
  const a = new PSpin({ n, p: 3, seed: 2 });
  const b = new PSpin({ n, p: 3, seed: 2, storage: 'float32' });
  assert.equal(b.bytes * 2, a.bytes);
  assert.equal(a.bytes, couplingBytes(n, 3));
  const s = randomSpherePoint(n, Rng.stream(2, Stream.init, 0));
  const ea = a.energy(s);
  assert.ok(Math.abs(b.energy(s) - ea) <= 1e-5 * Math.abs(ea), `${b.energy(s)} vs ${ea}`);
  const ga = new Float64Array(n);
  const gb = new Float64Array(n);
  a.gradient(s, ga);
  b.gradient(s, gb);
  assert.ok(maxAbs(ga.map((x, i) => x - gb[i]!)) <= 1e-5 * maxAbs(ga));
});

test('p = 2 through a GEMM backend equals the JS loops (energy, gradient, Riemannian HVP)', () => {
  // Same sums in another order: 1e-12 relative.
  const n = 60;
  const js = new PSpin({ n, p: 2, seed: 12 });
  const s = randomSpherePoint(n, Rng.stream(12, Stream.init, 0));
  const v = randomSpherePoint(n, Rng.stream(12, Stream.init, 1));
  const g0 = new Float64Array(n);
  const h0 = new Float64Array(n);
  const e0 = js.gradient(s, g0);
  js.hvp(s, v, h0);
  const names = availableBackends().filter((b) => b.available).map((b) => b.name);
  assert.ok(names.length > 0);
  for (const name of names) {
    const L = new PSpin({ n, p: 2, seed: 12, backend: getBackend(name) });
    const g = new Float64Array(n);
    const h = new Float64Array(n);
    const e = L.gradient(s, g);
    L.hvp(s, v, h);
    assert.ok(Math.abs(e - e0) <= 1e-12 * Math.abs(e0), `${name}: H`);
    assert.ok(Math.abs(L.energy(s) - e0) <= 1e-12 * Math.abs(e0), `${name}: energy`);
    assert.ok(maxAbs(g.map((x, i) => x - g0[i]!)) <= 1e-12 * maxAbs(g0), `${name}: gradient`);
    assert.ok(maxAbs(h.map((x, i) => x - h0[i]!)) <= 1e-12 * maxAbs(h0), `${name}: hvp`);
  }
});

test('disorder depends on (seed, sample) only; different samples differ', () => {
  const s = randomSpherePoint(20, Rng.stream(1, Stream.init, 0));
  assert.equal(new PSpin({ n: 20, p: 3, seed: 4, sample: 2 }).energy(s), new PSpin({ n: 20, p: 3, seed: 4, sample: 2 }).energy(s));
  assert.notEqual(new PSpin({ n: 20, p: 3, seed: 4, sample: 2 }).energy(s), new PSpin({ n: 20, p: 3, seed: 4, sample: 3 }).energy(s));
});

test('bad input and memory limits give GlassyErrors naming field, value and expectation', () => {
  const throwsGlassy = (f: () => unknown, re: RegExp): void => {
    assert.throws(f, (e: unknown) => e instanceof GlassyError && re.test(e.message), String(re));
  };
  // N = 1000, p = 3 in float64 is 166,167,000 couplings = 1.33 GB: refused under a 1 GB cap
  // without allocating, with the estimate and the float32 alternative in the message.
  throwsGlassy(() => new PSpin({ n: 1000, p: 3, seed: 1, maxBytes: 1e9 }), /^n: got 1000, expected .*1\.33 GB.*float32.*664\.7 MB/);
  throwsGlassy(() => new PSpin({ n: 10, p: 5 as PSpinOrder, seed: 1 }), /^p: got 5, expected 2, 3 or 4/);
  throwsGlassy(() => new PSpin({ n: 2, p: 3, seed: 1 }), /^n: got 2/);
  throwsGlassy(() => new PSpin({ n: 10.5, p: 3, seed: 1 }), /^n: got 10\.5/);
  throwsGlassy(() => new PSpin({ n: 10, p: 3, seed: -1 }), /^seed: got -1/);
  throwsGlassy(() => new PSpin({ n: 10, p: 3, seed: 1, storage: 'float16' as 'float32' }), /^storage: got "float16"/);
  const L = new PSpin({ n: 10, p: 3, seed: 1 });
  throwsGlassy(() => L.energy(new Float64Array(9)), /^x: got "Float64Array\(9\)", expected a Float64Array of length N = 10/);
  throwsGlassy(() => L.gradient(new Float64Array(10), new Float64Array(3)), /^g: /);
});
