/**
 * The L2 probe (Ersoy et al.) on a case with an analytic answer. For a one-hidden-layer tanh network
 * without biases, θ = 0 is a critical point of the cross-entropy; there the Hessian has only the
 * W1–W2 cross block, H[(W2_kj),(W1_j'i)] = δ_jj' M_ki with M = mean_μ (1/C − y_μ) x_μᵀ, so its
 * eigenvalues are ±σ(M) and λ_min(∇²CE(0)) = −σ_max(M). With the L2 term β‖θ‖² the Hessian gains 2β:
 * θ = 0 is stable exactly for β > β_c = σ_max(M)/2, and an upward sweep reaches the origin there (a
 * downward sweep without noise stays on the unstable origin: θ = 0 is an exact fixed point of every
 * mini-batch gradient, so only Langevin noise would let it leave).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runEnsemble } from '../src/executor/ensemble.js';
import { parseL2SweepConfig } from '../src/protocols/l2sweep.js';
import { cachedDataset } from '../src/landscapes/from-config.js';
import { lanczos } from '../src/observables/hessian/lanczos.js';
import { MlpLandscape } from '../src/landscapes/mlp/network.js';
import { getBackend } from '../src/core/backends/index.js';
import { Rng } from '../src/core/rng.js';
import { Run } from '../src/store/run.js';
import { removeDir, tempDir } from './executor-helpers.js';
import { registry } from '../src/registry.js';

const data = { source: 'gaussian-mixture', d: 10, nClasses: 3, nTrain: 300, nTest: 300, separation: 2 } as const;
const model = { sizes: [10, 6, 3], activation: 'tanh' as const, bias: false };

/** σ_max(M) by power iteration on MᵀM, independent of the Lanczos code. */
function criticalBeta(seed: number): number {
  const ds = cachedDataset(data, seed);
  const { x, y, n } = ds.train;
  const C = 3, d = 10;
  const M = new Float64Array(C * d);
  for (let m = 0; m < n; m++) for (let k = 0; k < C; k++) for (let i = 0; i < d; i++) M[k * d + i] += ((1 / C - (y[m] === k ? 1 : 0)) * x[m * d + i]!) / n;
  let v = new Float64Array(d).fill(1), s = 0;
  for (let it = 0; it < 500; it++) {
    const u = new Float64Array(C);
    for (let k = 0; k < C; k++) for (let i = 0; i < d; i++) u[k] += M[k * d + i]! * v[i]!;
    const w = new Float64Array(d);
    for (let k = 0; k < C; k++) for (let i = 0; i < d; i++) w[i] += M[k * d + i]! * u[k]!;
    s = Math.sqrt(Math.hypot(...w));
    const nw = Math.hypot(...w);
    v = w.map((t) => t / nw);
  }
  return s / 2;
}

test('λ_min of the CE Hessian at the origin is −σ_max(M) (Lanczos on R-operator HVPs)', () => {
  const seed = 4;
  const ds = cachedDataset(data, seed);
  const land = new MlpLandscape<Float64Array>({ arch: { ...model }, loss: 'ce', precision: 'f64', backend: getBackend('reference') },
    { x: Float64Array.from(ds.train.x), y: ds.train.y, n: ds.train.n });
  const theta = land.newConfig();
  const hvp = (v: Float64Array, out: Float64Array) => land.hvp(theta, v, out);
  const low = lanczos(hvp, land.dim, { k: 1, which: 'smallest', rng: Rng.stream(1) }).values[0]!;
  const bc = criticalBeta(seed);
  assert.ok(Math.abs(low + 2 * bc) < 1e-8 * Math.max(1, 2 * bc), `λ_min = ${low}, −σ_max = ${-2 * bc}`);
});

test('an upward sweep reaches the origin at β_c and the transition is detected there', async () => {
  const seed = 4;
  const bc = criticalBeta(seed);
  const ladder = [0.3, 0.5, 0.7, 0.85, 1.15, 1.4, 1.7, 2.0].map((f) => f * bc);
  const dir = tempDir('l2sweep');
  try {
    const config = parseL2SweepConfig({
      data, model, loss: 'ce', optimizer: { kind: 'sgd', lr: 0.5 }, batch: 300, precision: 'f64',
      betas: ladder, direction: 'up', maxEpochs: 4000, patience: 200, stopOn: 'objective', hessianK: 1, hessianSamples: 300,
      l2Form: 'penalty', refine: 2,
    });
    const run = Run.create(dir, { protocol: 'l2sweep', config, seed }, {});
    const r = await runEnsemble(run, registry, { replicas: 1, executor: 'inprocess', progress: 'none', handleSignals: false });
    assert.equal(r.status, 'complete', JSON.stringify(r.failed));
    const out = Run.open(dir);
    const betas = out.readArray('lambdas').data as Float64Array;
    const norm = out.readArray('theta_norm').data as Float64Array;
    const lmin = out.readArray('lambda_min').data as Float64Array;
    for (let i = 0; i < betas.length; i++) {
      const f = betas[i]! / bc;
      // Above β_c the origin is the attracting minimum (linear convergence at rate 2β − σ_max).
      if (f > 1.1) assert.ok(norm[i]! < 1e-3, `β/β_c = ${f.toFixed(2)}: |θ| = ${norm[i]}`);
      // Well below β_c the minimiser has left the origin.
      if (f < 0.6) assert.ok(norm[i]! > 0.05, `β/β_c = ${f.toFixed(2)}: |θ| = ${norm[i]}`);
      // Stability of the regularised Hessian: λ_min(∇²CE) + 2β > 0 at every converged minimiser,
      // and at the origin it equals 2(β − β_c).
      if (f > 1.1) assert.ok(Math.abs(lmin[i]! + 2 * bc) < 1e-3 * bc, `λ_min at the origin = ${lmin[i]}`);
    }
    const summary = out.manifest.summary as { beta_c: number[]; transitions: Array<{ observables: string[] }> };
    assert.ok(summary.beta_c.some((b) => b > 0.85 * bc * 0.999 && b < 1.15 * bc * 1.001), `detected β_c ${summary.beta_c} around ${bc}`);
    // The smooth approach below β_c is not a transition; the one found is refined, and only it.
    assert.equal(summary.transitions.length, 1, JSON.stringify(summary.transitions));
    const refined = out.readArray('refined').data as Int8Array;
    const inside = Array.from(betas).filter((_, i) => refined[i] === 1);
    assert.equal(inside.length, 2);
    for (const b of inside) assert.ok(b > 0.85 * bc && b < 1.15 * bc, `refined β ${b / bc} β_c`);
  } finally {
    removeDir(dir);
  }
});
