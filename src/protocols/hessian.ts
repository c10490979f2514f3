/**
 * Protocol `hessian`: curvature at one configuration — a trained network replica (the Hessian of its
 * training loss, float64, on all or the first n training samples) or a spherical p-spin
 * configuration (a random point of the sphere, or after gradient descent: the Riemannian Hessian).
 * One code path: every method only sees a Hessian-vector product (docs/curvature.md).
 *
 * Computed on request: the top-k and bottom-k eigenpairs (Lanczos, lanczos.ts), the spectral
 * density (stochastic Lanczos quadrature, slq.ts), the trace (Hutchinson, hutchinson.ts), the full
 * dense spectrum with counts of negative / near-zero eigenvalues (dense.ts, small P), and the same
 * for the generalised Gauss–Newton matrix J_fᵀ H_ℓ J_f of a network (arrays prefixed `gn_`).
 * Arrays: docs/run-format/hessian.md.
 *
 * A replica is one block of the computation (hessianParts): the top-k Lanczos run, the bottom-k
 * Lanczos run, one SLQ probe, one block of `traceBlock` Hutchinson probes, the dense spectrum — each
 * for the Hessian and, with `gaussNewton`, again for the Gauss–Newton matrix. Probe vector i of the
 * trace and probe r of SLQ come from their own streams (seed, probe domain, i), so the arrays do not
 * depend on how the probes are grouped or which worker ran them; a trace block checkpoints its
 * samples, and a killed Lanczos, SLQ or dense replica restarts from its beginning (deterministic).
 * The reduction stacks SLQ rows and trace samples in probe order and broadens the density.
 */
import type { z } from 'zod';
import { GlassyError } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import { gradientDescentSphere } from '../dynamics/sphere.js';
import type { TwiceDifferentiable } from '../landscapes/landscape.js';
import { PSpin, projectTangent, randomSpherePoint } from '../landscapes/pspin.js';
import { denseSpectrum } from '../observables/hessian/dense.js';
import { hutchinsonTrace } from '../observables/hessian/hutchinson.js';
import { meanSE } from '../observables/statistics.js';
import { lanczos, type Hvp } from '../observables/hessian/lanczos.js';
import { slq, slqDensity, slqTrace } from '../observables/hessian/slq.js';
import { hvpAt, logVolume } from '../observables/flatness.js';
import type { ReplicaContext, ReplicaOutcomeOk, ReplicaSummary, ReplicaTask } from '../executor/replica.js';
import type { Run } from '../store/run.js';
import { absoluteSource } from '../store/sources.js';
import { openTrainRun, replicaLandscape } from '../observables/network-source.js';
import { hessianParts, type HessianConfig, type HessianPart, type pspinTargetSchema } from './hessian/protocol.js';

interface Target {
  kind: 'network' | 'pspin';
  landscape: TwiceDifferentiable<Float64Array>;
  theta: Float64Array;
  project?: (v: Float64Array) => void;
  description: Record<string, unknown>;
}

function pspinTarget(t: z.infer<typeof pspinTargetSchema>, seed: number): Target {
  const land = new PSpin({ n: t.n, p: t.p, seed, sample: t.sample });
  const sigma = randomSpherePoint(t.n, Rng.stream(seed, Stream.init, t.sample));
  if (t.gdSteps > 0) gradientDescentSphere(land, sigma, { dt: t.dt, steps: t.gdSteps });
  return {
    kind: 'pspin',
    landscape: land,
    theta: sigma,
    project: (v) => { projectTangent(sigma, v); },
    description: { landscape: land.name, energy_per_spin: land.energy(sigma) / t.n, gd_steps: t.gdSteps },
  };
}

/** Resolves what to measure; throws a GlassyError on bad input (before any run is created). */
function resolveTarget(config: HessianConfig, seed: number): Target {
  if (config.pspin) return pspinTarget(config.pspin, seed);
  const source = openTrainRun(config.source!);
  const r = replicaLandscape(source, config.replica, { subset: config.subset, regularised: config.regularised });
  return {
    kind: 'network',
    landscape: r.landscape,
    theta: r.theta,
    description: { source: source.dir, replica: config.replica, landscape: r.landscape.name, samples: r.landscape.nSamples, regularised: config.regularised },
  };
}

/** Everything checked before a run directory is created (the target resolved, sizes against P). */
export function prepareHessian(config: HessianConfig, seed: number): { dim: number } {
  const target = resolveTarget(config, seed);
  const P = target.landscape.dim;
  if (config.top > P) throw GlassyError.invalid('top', config.top, `at most the dimension ${P}`);
  if (config.bottom > P) throw GlassyError.invalid('bottom', config.bottom, `at most the dimension ${P}`);
  if (config.dense && P > config.denseMax) {
    throw GlassyError.invalid('dense', `P = ${P}`, `P ≤ ${config.denseMax} (raise --dense-max; the dense eigendecomposition costs ~P³, docs/curvature.md)`);
  }
  return { dim: P };
}

function stackF32(vectors: Float64Array[], P: number): Float32Array {
  const out = new Float32Array(vectors.length * P);
  vectors.forEach((v, i) => out.set(v, i * P));
  return out;
}

function partTag(index: number): string {
  return `part-${String(index).padStart(4, '0')}`;
}

async function runReplica(config: HessianConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
  const parts = hessianParts(config);
  if (ctx.replicas !== parts.length) {
    throw GlassyError.invalid('replicas', ctx.replicas, `${parts.length}: one replica per block of the computation (Lanczos runs, SLQ probes, trace blocks of ${config.traceBlock}, dense)`);
  }
  const part = parts[ctx.index]!;
  const target = resolveTarget(config, ctx.seed);
  const { landscape, theta } = target;
  const P = landscape.dim;
  const raw: Hvp = part.prefix === 'gn_' ? hvpAt(landscape, theta, 'gauss-newton') : hvpAt(landscape, theta);
  let hvps = 0, hvpMs = 0;
  const hvp: Hvp = (v, o) => { const t0 = performance.now(); raw(v, o); hvpMs += performance.now() - t0; hvps++; };
  const key = (k: string) => `${part.prefix}${k}`;
  const project = target.project ? { project: target.project } : {};
  const run = ctx.run;
  const out: ReplicaSummary = {};
  switch (part.kind) {
    case 'top':
    case 'bottom': {
      const top = part.kind === 'top';
      const r = lanczos(hvp, P, {
        tol: config.tol, ...(config.maxIter ? { maxIter: config.maxIter } : {}), vectors: config.vectors, ...project,
        k: top ? config.top : config.bottom, which: top ? 'largest' : 'smallest', rng: Rng.stream(ctx.seed, Stream.probe, top ? 10 : 11),
      });
      const n = top ? '' : '_bottom';
      run.writeArray(key(`eigenvalues${n}`), r.values);
      run.writeArray(key(top ? 'eigenvalue_residuals' : 'eigenvalue_bottom_residuals'), r.residuals);
      if (r.vectors) run.writeArray(key(`eigenvectors${n}`), stackF32(r.vectors, P), [r.vectors.length, P]);
      if (top) {
        out[key('lambda_max')] = r.values[0]!;
        out[key('eigenvalues')] = Array.from(r.values);
        out[key('top_converged')] = r.converged;
        out[key('top_matvecs')] = r.matvecs;
        out[key('log_volume_top')] = logVolume(r.values, config.gamma);
      } else {
        out[key('lambda_min')] = r.values[0]!;
        out[key('eigenvalues_bottom')] = Array.from(r.values);
        out[key('bottom_converged')] = r.converged;
        out[key('bottom_matvecs')] = r.matvecs;
      }
      break;
    }
    case 'slq': {
      const q = slq(hvp, P, { runs: 1, steps: config.densitySteps, rng: Rng.stream(ctx.seed, Stream.probe, 12, part.first), ...project });
      run.writeArray(`per-replica/${partTag(ctx.index)}/slq_nodes`, q.nodes);
      run.writeArray(`per-replica/${partTag(ctx.index)}/slq_weights`, q.weights);
      out['norm2'] = q.norms2[0]!;
      out['steps'] = q.steps;
      break;
    }
    case 'trace': {
      const samples = new Float64Array(part.count);
      let done = 0;
      const cp = ctx.loadCheckpoint();
      if (cp) { samples.set(cp.arrays['samples'] as Float64Array); done = cp.meta.step; }
      const every = ctx.checkpointEvery ?? 1;
      for (let i = done; i < part.count; i++) {
        // Probe vector first + i has its own stream: the samples do not depend on the blocking.
        const tr = hutchinsonTrace(hvp, P, { samples: 1, rng: Rng.stream(ctx.seed, Stream.probe, 13, part.first + i), ...project });
        samples[i] = tr.samples[0]!;
        if ((i + 1) % every === 0 && i + 1 < part.count) ctx.saveCheckpoint({ meta: { step: i + 1 }, arrays: { samples } });
        ctx.progress((i + 1) / part.count, `trace probe ${part.first + i + 1}/${config.samples}`);
      }
      run.writeArray(`per-replica/${partTag(ctx.index)}/trace_samples`, samples);
      break;
    }
    case 'dense': {
      const ds = denseSpectrum(hvp, P, { tol: config.zeroTol, maxDim: config.denseMax });
      run.writeArray(key('dense_eigenvalues'), ds.values);
      out[key('dense_negative')] = ds.negative;
      out[key('dense_near_zero')] = ds.nearZero;
      out[key('dense_positive')] = ds.positive;
      out[key('dense_trace')] = ds.trace;
      out[key('dense_lambda_max')] = ds.values[P - 1]!;
      out[key('dense_lambda_min')] = ds.values[0]!;
      break;
    }
  }
  out['hvps'] = hvps;
  out['hvp_ms'] = hvpMs;
  return out;
}

export interface HessianSummary {
  kind: 'network' | 'pspin';
  dim: number;
  energy: number;
  grad_norm: number;
  seconds_per_hvp: number;
  hvps: number;
  [key: string]: unknown;
}

async function finalize(run: Run, outcomes: ReplicaOutcomeOk[], config: HessianConfig): Promise<HessianSummary> {
  const parts = hessianParts(config);
  const target = resolveTarget(config, run.manifest.seed);
  const { landscape, theta } = target;
  const P = landscape.dim;
  const g = landscape.newConfig();
  const energy = landscape.gradient(theta, g);
  let gn = 0;
  for (let i = 0; i < P; i++) gn += g[i]! * g[i]!;
  let hvps = 0, hvpMs = 0;
  const summary: HessianSummary = { kind: target.kind, dim: P, energy, grad_norm: Math.sqrt(gn), seconds_per_hvp: NaN, hvps: 0, ...target.description };
  for (const o of outcomes) {
    hvps += o.summary['hvps'] as number;
    hvpMs += o.summary['hvp_ms'] as number;
    // The per-part figures of Lanczos and dense runs; SLQ and trace parts are reduced below.
    const kind = parts[o.index]!.kind;
    if (kind === 'top' || kind === 'bottom' || kind === 'dense') {
      for (const [k, v] of Object.entries(o.summary)) if (k !== 'hvps' && k !== 'hvp_ms') summary[k] = v;
    }
  }
  for (const prefix of config.gaussNewton ? ['', 'gn_'] : ['']) {
    const key = (k: string) => `${prefix}${k}`;
    const mine = (kind: HessianPart['kind']) => outcomes.filter((o) => parts[o.index]!.prefix === prefix && parts[o.index]!.kind === kind);
    const slqParts = mine('slq');
    if (slqParts.length > 0) {
      const runs = slqParts.length;
      const steps = slqParts[0]!.summary['steps'] as number;
      const nodes = new Float64Array(runs * steps), weights = new Float64Array(runs * steps), norms2 = new Float64Array(runs);
      slqParts.forEach((o, r) => {
        nodes.set(run.readArray(`per-replica/${partTag(o.index)}/slq_nodes`).data as Float64Array, r * steps);
        weights.set(run.readArray(`per-replica/${partTag(o.index)}/slq_weights`).data as Float64Array, r * steps);
        norms2[r] = o.summary['norm2'] as number;
      });
      const q = { nodes, weights, norms2, runs, steps };
      const d = slqDensity(q, { points: config.densityPoints, ...(config.sigma ? { sigma: config.sigma } : {}) });
      run.writeArray(key('density_x'), d.x);
      run.writeArray(key('density_y'), d.y);
      run.writeArray(key('slq_nodes'), nodes, [runs, steps]);
      run.writeArray(key('slq_weights'), weights, [runs, steps]);
      summary[key('density_sigma')] = d.sigma;
      summary[key('slq_trace')] = slqTrace(q, (l) => l);
      summary[key('log_volume_slq')] = slqTrace(q, (l) => Math.log1p(Math.max(l, 0) / config.gamma));
    }
    const traceParts = mine('trace');
    if (traceParts.length > 0) {
      const samples = new Float64Array(config.samples);
      for (const o of traceParts) samples.set(run.readArray(`per-replica/${partTag(o.index)}/trace_samples`).data as Float64Array, parts[o.index]!.first);
      run.writeArray(key('trace_samples'), samples);
      const { mean, se } = meanSE(samples);
      summary[key('trace')] = mean;
      summary[key('trace_se')] = se;
    }
  }
  summary.hvps = hvps;
  summary.seconds_per_hvp = hvps > 0 ? hvpMs / hvps / 1000 : NaN;
  return summary;
}

export const task: ReplicaTask<HessianConfig> = {
  prepare: absoluteSource,
  validate: (config, seed) => { prepareHessian(config, seed); },
  // The source run, when there is one (a p-spin target is generated from the seed).
  inputs: (config) => (config.source === null ? [] : [config.source]),
  run: runReplica,
  finalize,
};
