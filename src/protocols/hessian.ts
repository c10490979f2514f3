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
import { z } from 'zod';
import { GlassyError, parseWith } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import { gradientDescentSphere } from '../dynamics/sphere.js';
import type { TwiceDifferentiable } from '../landscapes/landscape.js';
import type { MlpLandscape } from '../landscapes/mlp/network.js';
import { PSpin, projectTangent, randomSpherePoint } from '../landscapes/pspin.js';
import { DEFAULT_DENSE_MAX, denseSpectrum } from '../observables/hessian/dense.js';
import { hutchinsonTrace, meanAndSe } from '../observables/hessian/hutchinson.js';
import { lanczos, type Hvp } from '../observables/hessian/lanczos.js';
import { slq, slqDensity, slqTrace } from '../observables/hessian/slq.js';
import { hvpAt, logVolume } from '../observables/flatness.js';
import { resolve as resolvePath } from 'node:path';
import type { Protocol } from '../executor/protocol.js';
import type { ReplicaContext, ReplicaOutcomeOk, ReplicaSummary, ReplicaTask } from '../executor/replica.js';
import type { Run } from '../store/run.js';
import { openTrainRun, replicaLandscape } from './train-source.js';

export const pspinTargetSchema = z.object({
  n: z.number().int().min(4).describe('spherical p-spin of N spins instead of a network run'),
  p: z.union([z.literal(2), z.literal(3), z.literal(4)]).default(3),
  /** Disorder sample of the couplings; the couplings and the random start derive from the run's seed. */
  sample: z.number().int().min(0).default(0).describe('p-spin disorder sample (couplings and start from the run seed)'),
  /** Gradient-descent steps on the sphere before measuring (0: the random point itself). */
  gdSteps: z.number().int().min(0).default(0).describe('p-spin: gradient-descent steps before measuring (0: the random point)'),
  dt: z.number().positive().default(0.05).describe('p-spin gradient-descent step'),
});

export const hessianConfigSchema = z.object({
  /** A complete `train` run (or null with `pspin`). */
  source: z.string().min(1).nullable().default(null),
  replica: z.number().int().min(0).default(0).describe('which replica of the run'),
  /** Training loss on the first n training samples (null: all of the replica's training samples). */
  subset: z.number().int().positive().nullable().default(null).describe('training loss on the first n training samples (none: all)'),
  /** Include the run's L2 term λ‖θ‖² (adds 2λ to every eigenvalue). Default: the bare training loss. */
  regularised: z.boolean().default(false).describe("include the run's L2 term (adds 2λ to every eigenvalue)"),
  pspin: pspinTargetSchema.nullable().default(null),
  /** Largest eigenvalues wanted (0: none). */
  top: z.number().int().min(0).default(10).describe('largest eigenvalues (0: none)'),
  /** Smallest (most negative) eigenvalues wanted (0: none). */
  bottom: z.number().int().min(0).default(0).describe('smallest (most negative) eigenvalues'),
  /** Store the Ritz vectors (float32). */
  vectors: z.boolean().default(true).describe('store the eigenvectors'),
  tol: z.number().gt(0).lt(1).default(1e-6).describe('Lanczos residual tolerance relative to ‖H‖'),
  maxIter: z.number().int().positive().optional().describe('most Hessian-vector products per Lanczos call'),
  density: z.boolean().default(false).describe('spectral density by stochastic Lanczos quadrature'),
  densityRuns: z.number().int().positive().default(10).describe('SLQ random probes (one replica each)'),
  densitySteps: z.number().int().positive().default(80).describe('SLQ Lanczos steps per probe'),
  densityPoints: z.number().int().min(2).default(1000).describe('density grid points'),
  sigma: z.number().positive().optional().describe("Gaussian broadening of the density (default: PyHessian's rule)"),
  trace: z.boolean().default(false).describe("trace by Hutchinson's estimator"),
  /** Hutchinson probe vectors. */
  samples: z.number().int().positive().default(100).describe('Hutchinson probe vectors'),
  /** Hutchinson probe vectors per replica. */
  traceBlock: z.number().int().positive().default(10).describe('Hutchinson probe vectors per replica (does not change the result)'),
  dense: z.boolean().default(false).describe('dense Hessian and its full spectrum (small P)'),
  denseMax: z.number().int().positive().default(DEFAULT_DENSE_MAX).describe('largest P for --dense'),
  /** |λ| ≤ zeroTol·max|λ| counts as zero. */
  zeroTol: z.number().gt(0).lt(1).default(1e-6).describe('|λ| ≤ r·max|λ| counts as zero'),
  gaussNewton: z.boolean().default(false).describe('also the generalised Gauss–Newton matrix J_fᵀ H_ℓ J_f (arrays gn_*)'),
  /** γ of the log-volume Σ log(1 + λ⁺/γ) (flatness.ts). */
  gamma: z.number().positive().default(1).describe('γ of the log-volume Σ log(1 + λ⁺/γ)'),
});

export type HessianConfig = z.infer<typeof hessianConfigSchema>;

export function parseHessianConfig(raw: unknown): HessianConfig {
  return checkHessianConfig(parseWith(hessianConfigSchema, raw));
}

function checkHessianConfig(c: HessianConfig): HessianConfig {
  if ((c.source === null) === (c.pspin === null)) {
    throw GlassyError.invalid('source', c.source, 'either a train run or a p-spin target (--pspin-n), not both or neither');
  }
  if (c.top === 0 && c.bottom === 0 && !c.density && !c.trace && !c.dense) {
    throw GlassyError.invalid('top', 0, 'something to compute: --top k, --bottom k, --density, --trace or --dense');
  }
  if (c.gaussNewton && c.pspin) throw GlassyError.invalid('gaussNewton', true, 'a network run (the Gauss–Newton matrix needs network outputs)');
  return c;
}

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

/** One replica's share of the computation. `first` is the first probe (slq, trace). */
export interface HessianPart {
  prefix: '' | 'gn_';
  kind: 'top' | 'bottom' | 'slq' | 'trace' | 'dense';
  first: number;
  count: number;
}

/** The replicas of a hessian run, in order: per operator, top, bottom, SLQ probes, trace blocks, dense. */
export function hessianParts(config: HessianConfig): HessianPart[] {
  const parts: HessianPart[] = [];
  for (const prefix of config.gaussNewton ? (['', 'gn_'] as const) : ([''] as const)) {
    if (config.top > 0) parts.push({ prefix, kind: 'top', first: 0, count: 1 });
    if (config.bottom > 0) parts.push({ prefix, kind: 'bottom', first: 0, count: 1 });
    if (config.density) for (let r = 0; r < config.densityRuns; r++) parts.push({ prefix, kind: 'slq', first: r, count: 1 });
    if (config.trace) {
      for (let i = 0; i < config.samples; i += config.traceBlock) parts.push({ prefix, kind: 'trace', first: i, count: Math.min(config.traceBlock, config.samples - i) });
    }
    if (config.dense) parts.push({ prefix, kind: 'dense', first: 0, count: 1 });
  }
  return parts;
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
  const raw: Hvp = part.prefix === 'gn_' ? hvpAt(landscape as unknown as MlpLandscape<Float64Array>, theta, 'gauss-newton') : hvpAt(landscape, theta);
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
      const { mean, se } = meanAndSe(samples);
      summary[key('trace')] = mean;
      summary[key('trace_se')] = se;
    }
  }
  summary.hvps = hvps;
  summary.seconds_per_hvp = hvps > 0 ? hvpMs / hvps / 1000 : NaN;
  return summary;
}

export const task: ReplicaTask<HessianConfig> = {
  prepare: (raw) => (typeof raw['source'] === 'string' ? { ...raw, source: resolvePath(raw['source']) } : raw),
  validate: (config, seed) => { prepareHessian(config, seed); },
  run: runReplica,
  finalize,
};

export const protocol: Protocol<HessianConfig> = {
  name: 'hessian',
  schema: hessianConfigSchema,
  check: checkHessianConfig,
  replicas: (c) => hessianParts(c).length,
  cli: {
    description: 'Hessian eigenvalues (Lanczos), spectral density (SLQ), trace (Hutchinson), dense spectrum; of a network replica or a p-spin configuration',
    arguments: [{ name: 'run', field: 'source', optional: true, description: 'a complete train run (or use --pspin-n)' }],
    flags: {
      'pspin.n': { flag: 'pspin-n', value: 'N' },
      'pspin.p': { flag: 'p', value: 'p', parse: Number, help: 'p-spin order 2, 3 or 4' },
      'pspin.sample': { flag: 'pspin-sample' },
    },
    defaultOut: (c) => (c['source'] ? `${String(c['source']).replace(/\/+$/, '')}-hessian` : `runs/hessian-pspin-${String((c['pspin'] as { n: number }).n)}`),
    describeSummary(s) {
      const parts = [`P = ${String(s['dim'])}`];
      if (s['lambda_max'] !== undefined) parts.push(`λ_max = ${(s['lambda_max'] as number).toPrecision(6)}`);
      if (s['lambda_min'] !== undefined) parts.push(`λ_min = ${(s['lambda_min'] as number).toPrecision(6)}`);
      if (s['trace'] !== undefined) parts.push(`tr H = ${(s['trace'] as number).toPrecision(5)} ± ${(s['trace_se'] as number).toPrecision(2)}`);
      if (s['dense_negative'] !== undefined) parts.push(`dense: ${String(s['dense_negative'])} negative, ${String(s['dense_near_zero'])} near zero`);
      return [parts.join(', ')];
    },
  },
  task: async () => task,
};
