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
 */
import { z } from 'zod';
import { GlassyError, parseWith } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import { gradientDescentSphere } from '../dynamics/sphere.js';
import type { TwiceDifferentiable } from '../landscapes/landscape.js';
import type { MlpLandscape } from '../landscapes/mlp/network.js';
import { PSpin, projectTangent, randomSpherePoint } from '../landscapes/pspin.js';
import { DEFAULT_DENSE_MAX, denseSpectrum } from '../observables/hessian/dense.js';
import { hutchinsonTrace } from '../observables/hessian/hutchinson.js';
import { lanczos, type Hvp } from '../observables/hessian/lanczos.js';
import { slq, slqDensity, slqTrace } from '../observables/hessian/slq.js';
import { hvpAt, logVolume } from '../observables/flatness.js';
import { Run } from '../store/run.js';
import { parseTrainConfig, replicaSetup } from './train.js';
import { NETWORK_RUN_PROTOCOLS, readReplicaWeights, replicaName } from './weights.js';

export const pspinTargetSchema = z.object({
  n: z.number().int().min(4),
  p: z.union([z.literal(2), z.literal(3), z.literal(4)]).default(3),
  /** Seed of the couplings (disorder sample `sample`) and of the random start. */
  seed: z.number().int().min(0).default(0),
  sample: z.number().int().min(0).default(0),
  /** Gradient-descent steps on the sphere before measuring (0: the random point itself). */
  gdSteps: z.number().int().min(0).default(0),
  dt: z.number().positive().default(0.05),
});

export const hessianConfigSchema = z.object({
  /** A complete `train` run (or null with `pspin`). */
  source: z.string().min(1).nullable().default(null),
  replica: z.number().int().min(0).default(0),
  /** Training loss on the first n training samples (null: all of the replica's training samples). */
  subset: z.number().int().positive().nullable().default(null),
  /** Include the run's L2 term λ‖θ‖² (adds 2λ to every eigenvalue). Default: the bare training loss. */
  regularised: z.boolean().default(false),
  pspin: pspinTargetSchema.nullable().default(null),
  /** Largest eigenvalues wanted (0: none). */
  top: z.number().int().min(0).default(10),
  /** Smallest (most negative) eigenvalues wanted (0: none). */
  bottom: z.number().int().min(0).default(0),
  /** Store the Ritz vectors (float32). */
  vectors: z.boolean().default(true),
  tol: z.number().gt(0).lt(1).default(1e-6),
  maxIter: z.number().int().positive().optional(),
  density: z.boolean().default(false),
  densityRuns: z.number().int().positive().default(10),
  densitySteps: z.number().int().positive().default(80),
  densityPoints: z.number().int().min(2).default(1000),
  sigma: z.number().positive().optional(),
  trace: z.boolean().default(false),
  /** Hutchinson probe vectors. */
  samples: z.number().int().positive().default(100),
  dense: z.boolean().default(false),
  denseMax: z.number().int().positive().default(DEFAULT_DENSE_MAX),
  /** |λ| ≤ zeroTol·max|λ| counts as zero. */
  zeroTol: z.number().gt(0).lt(1).default(1e-6),
  gaussNewton: z.boolean().default(false),
  /** γ of the log-volume Σ log(1 + λ⁺/γ) (flatness.ts). */
  gamma: z.number().positive().default(1),
});

export type HessianConfig = z.infer<typeof hessianConfigSchema>;

export function parseHessianConfig(raw: unknown): HessianConfig {
  const c = parseWith(hessianConfigSchema, raw);
  if ((c.source === null) === (c.pspin === null)) {
    throw GlassyError.invalid('source', c.source, 'either a train run or a p-spin target (--pspin-n), not both or neither');
  }
  if (c.top === 0 && c.bottom === 0 && !c.density && !c.trace && !c.dense) {
    throw GlassyError.invalid('top', 0, 'something to compute: --top k, --bottom k, --density, --trace or --dense');
  }
  if (c.gaussNewton && c.pspin) throw GlassyError.invalid('gaussNewton', true, 'a network run (the Gauss–Newton matrix needs network outputs)');
  return c;
}

/** The float64 landscape of a network replica and its weights. */
export interface ReplicaLandscape {
  landscape: MlpLandscape<Float64Array>;
  theta: Float64Array;
  /** The config of the train run. */
  trainConfig: ReturnType<typeof parseTrainConfig>;
  replicas: number;
}

/** Number of network replicas a run holds (replicas/replica-*.safetensors). */
export function countReplicas(run: Run): number {
  return run.listTensors().filter((n) => /^replica-\d{4,}$/.test(n)).length;
}

/** Opens a complete train run and checks it (before anything is written). */
export function openTrainRun(dir: string, field = 'source'): Run {
  const run = Run.open(dir);
  if (!NETWORK_RUN_PROTOCOLS.includes(run.manifest.protocol)) throw GlassyError.invalid(field, `${run.dir} (protocol ${run.manifest.protocol})`, 'a train run');
  if (run.manifest.status !== 'complete') {
    throw GlassyError.invalid(field, `${run.dir} (status ${run.manifest.status})`, 'a complete run (finish it with glassy resume)');
  }
  return run;
}

/**
 * The training loss of replica `index` of a train run as a float64 landscape (the run's data,
 * model and loss), on the first `subset` training samples when given, with or without its L2 term.
 */
export function replicaLandscape(run: Run, index: number, opts: { subset?: number | null; regularised?: boolean } = {}): ReplicaLandscape {
  const trainConfig = parseTrainConfig(run.manifest.config);
  const replicas = countReplicas(run);
  if (!(index < replicas)) throw GlassyError.invalid('replica', index, `an index < ${replicas} (the replicas of ${run.dir})`);
  if (!run.hasTensors(replicaName(index))) throw GlassyError.invalid('replica', index, `a replica with weights in ${run.dir}/replicas`);
  const cfg = { ...trainConfig, precision: 'f64' as const, evalTrainSamples: opts.subset ?? null };
  const setup = replicaSetup(cfg, run.manifest.seed, index);
  const landscape = (setup.evalTrain ?? setup.train) as MlpLandscape<Float64Array>;
  landscape.l2 = opts.regularised ? trainConfig.l2 : 0;
  const { theta, layout } = readReplicaWeights(run, index);
  if (layout.size !== landscape.dim) {
    throw GlassyError.invalid('replica', index, `weights with ${landscape.dim} parameters (the run's model), found ${layout.size}`);
  }
  return { landscape, theta, trainConfig, replicas };
}

interface Target {
  kind: 'network' | 'pspin';
  landscape: TwiceDifferentiable<Float64Array>;
  theta: Float64Array;
  project?: (v: Float64Array) => void;
  description: Record<string, unknown>;
  seed: number;
}

function pspinTarget(t: z.infer<typeof pspinTargetSchema>): Target {
  const land = new PSpin({ n: t.n, p: t.p, seed: t.seed, sample: t.sample });
  const sigma = randomSpherePoint(t.n, Rng.stream(t.seed, Stream.init, t.sample));
  if (t.gdSteps > 0) gradientDescentSphere(land, sigma, { dt: t.dt, steps: t.gdSteps });
  return {
    kind: 'pspin',
    landscape: land,
    theta: sigma,
    project: (v) => { projectTangent(sigma, v); },
    description: { landscape: land.name, energy_per_spin: land.energy(sigma) / t.n, gd_steps: t.gdSteps },
    seed: t.seed,
  };
}

/** Resolves what to measure; throws a GlassyError on bad input (before any run is created). */
function resolveTarget(config: HessianConfig): Target {
  if (config.pspin) return pspinTarget(config.pspin);
  const source = openTrainRun(config.source!);
  const r = replicaLandscape(source, config.replica, { subset: config.subset, regularised: config.regularised });
  return {
    kind: 'network',
    landscape: r.landscape,
    theta: r.theta,
    description: { source: source.dir, replica: config.replica, landscape: r.landscape.name, samples: r.landscape.nSamples, regularised: config.regularised },
    seed: source.manifest.seed,
  };
}

export interface HessianSummary {
  run: string;
  kind: 'network' | 'pspin';
  dim: number;
  energy: number;
  grad_norm: number;
  seconds_per_hvp: number;
  [key: string]: unknown;
}

/** Measures what `config` asks for and writes a `hessian` run at `out`. */
export function runHessian(config: HessianConfig, out: string, opts: { overwrite?: boolean; log?: (line: string) => void } = {}): HessianSummary {
  const target = resolveTarget(config);
  const { landscape, theta } = target;
  const P = landscape.dim;
  if (config.top > P) throw GlassyError.invalid('top', config.top, `at most the dimension ${P}`);
  if (config.bottom > P) throw GlassyError.invalid('bottom', config.bottom, `at most the dimension ${P}`);
  if (config.dense && P > config.denseMax) {
    throw GlassyError.invalid('dense', `P = ${P}`, `P ≤ ${config.denseMax} (raise --dense-max; the dense eigendecomposition costs ~P³, docs/curvature.md)`);
  }
  const log = opts.log ?? (() => {});
  const run = Run.create(out, { protocol: 'hessian', config, seed: target.seed }, { overwrite: opts.overwrite === true });
  try {
    const g = landscape.newConfig();
    const energy = landscape.gradient(theta, g);
    let gn = 0;
    for (let i = 0; i < P; i++) gn += g[i]! * g[i]!;
    const summary: HessianSummary = {
      run: run.dir, kind: target.kind, dim: P, energy, grad_norm: Math.sqrt(gn), seconds_per_hvp: NaN, ...target.description,
    };
    const ops: Array<[string, Hvp]> = [['', hvpAt(landscape, theta)]];
    if (config.gaussNewton) ops.push(['gn_', hvpAt(landscape as unknown as MlpLandscape<Float64Array>, theta, 'gauss-newton')]);
    let hvpTime = 0, hvpCount = 0;
    for (const [prefix, raw] of ops) {
      const hvp: Hvp = (v, o) => {
        const t0 = performance.now();
        raw(v, o);
        hvpTime += performance.now() - t0;
        hvpCount++;
      };
      const what = prefix ? 'Gauss–Newton' : 'Hessian';
      const key = (k: string) => `${prefix}${k}`;
      const lanczosOpts = { tol: config.tol, ...(config.maxIter ? { maxIter: config.maxIter } : {}), vectors: config.vectors, ...(target.project ? { project: target.project } : {}) };
      if (config.top > 0) {
        log(`${what}: Lanczos, top ${config.top}`);
        const t0 = performance.now();
        const r = lanczos(hvp, P, { ...lanczosOpts, k: config.top, which: 'largest', rng: Rng.stream(target.seed, Stream.probe, 10) });
        run.setTiming(key('lanczos_top'), (performance.now() - t0) / 1000);
        run.writeArray(key('eigenvalues'), r.values);
        run.writeArray(key('eigenvalue_residuals'), r.residuals);
        if (r.vectors) run.writeArray(key('eigenvectors'), stackF32(r.vectors, P), [r.vectors.length, P]);
        summary[key('lambda_max')] = r.values[0]!;
        summary[key('eigenvalues')] = Array.from(r.values);
        summary[key('top_converged')] = r.converged;
        summary[key('top_matvecs')] = r.matvecs;
        summary[key('log_volume_top')] = logVolume(r.values, config.gamma);
      }
      if (config.bottom > 0) {
        log(`${what}: Lanczos, bottom ${config.bottom}`);
        const t0 = performance.now();
        const r = lanczos(hvp, P, { ...lanczosOpts, k: config.bottom, which: 'smallest', rng: Rng.stream(target.seed, Stream.probe, 11) });
        run.setTiming(key('lanczos_bottom'), (performance.now() - t0) / 1000);
        run.writeArray(key('eigenvalues_bottom'), r.values);
        run.writeArray(key('eigenvalue_bottom_residuals'), r.residuals);
        if (r.vectors) run.writeArray(key('eigenvectors_bottom'), stackF32(r.vectors, P), [r.vectors.length, P]);
        summary[key('lambda_min')] = r.values[0]!;
        summary[key('eigenvalues_bottom')] = Array.from(r.values);
        summary[key('bottom_converged')] = r.converged;
        summary[key('bottom_matvecs')] = r.matvecs;
      }
      if (config.density) {
        log(`${what}: stochastic Lanczos quadrature, ${config.densityRuns} × ${config.densitySteps} steps`);
        const t0 = performance.now();
        const q = slq(hvp, P, {
          runs: config.densityRuns, steps: config.densitySteps, rng: Rng.stream(target.seed, Stream.probe, 12),
          ...(target.project ? { project: target.project } : {}),
        });
        const d = slqDensity(q, { points: config.densityPoints, ...(config.sigma ? { sigma: config.sigma } : {}) });
        run.setTiming(key('slq'), (performance.now() - t0) / 1000);
        run.writeArray(key('density_x'), d.x);
        run.writeArray(key('density_y'), d.y);
        run.writeArray(key('slq_nodes'), q.nodes, [q.runs, q.steps]);
        run.writeArray(key('slq_weights'), q.weights, [q.runs, q.steps]);
        summary[key('density_sigma')] = d.sigma;
        summary[key('slq_trace')] = slqTrace(q, (l) => l);
        summary[key('log_volume_slq')] = slqTrace(q, (l) => Math.log1p(Math.max(l, 0) / config.gamma));
      }
      if (config.trace) {
        log(`${what}: Hutchinson trace, ${config.samples} probes`);
        const t0 = performance.now();
        const tr = hutchinsonTrace(hvp, P, {
          samples: config.samples, rng: Rng.stream(target.seed, Stream.probe, 13),
          ...(target.project ? { project: target.project } : {}),
        });
        run.setTiming(key('trace'), (performance.now() - t0) / 1000);
        run.writeArray(key('trace_samples'), tr.samples);
        summary[key('trace')] = tr.trace;
        summary[key('trace_se')] = tr.se;
      }
      if (config.dense) {
        log(`${what}: dense matrix (${P} HVPs) and eigendecomposition`);
        const t0 = performance.now();
        const ds = denseSpectrum(hvp, P, { tol: config.zeroTol, maxDim: config.denseMax });
        run.setTiming(key('dense'), (performance.now() - t0) / 1000);
        run.writeArray(key('dense_eigenvalues'), ds.values);
        summary[key('dense_negative')] = ds.negative;
        summary[key('dense_near_zero')] = ds.nearZero;
        summary[key('dense_positive')] = ds.positive;
        summary[key('dense_trace')] = ds.trace;
        summary[key('dense_lambda_max')] = ds.values[P - 1]!;
        summary[key('dense_lambda_min')] = ds.values[0]!;
      }
    }
    summary.seconds_per_hvp = hvpCount > 0 ? hvpTime / hvpCount / 1000 : NaN;
    summary['hvps'] = hvpCount;
    run.finish(summary);
    return summary;
  } catch (err) {
    run.fail(err instanceof Error ? err.message : String(err));
    throw err;
  }
}

function stackF32(vectors: Float64Array[], P: number): Float32Array {
  const out = new Float32Array(vectors.length * P);
  vectors.forEach((v, i) => out.set(v, i * P));
  return out;
}
