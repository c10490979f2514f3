/**
 * selftest: a small but real replica protocol that exercises the executors, checkpoints and
 * resume end to end (it is what their tests run), and doubles as a CPU-heavy benchmark.
 *
 * Each replica runs overdamped Langevin dynamics (discretised: noisy gradient descent) on a
 * quadratic landscape E(x) = ½ xᵀAx, A = I + GᵀG/d with G a d×d Gaussian matrix drawn once from
 * the disorder stream (the same landscape for every replica, as replicas of one sample):
 *   x ← x − lr·A·x + √(2·lr·T)·ξ,   ξ ~ N(0, I) from the replica's noise stream.
 * It records E every `recordEvery` steps and the final x. Cost per step is one d×d mat-vec (d² mult-
 * adds), so `dim` and `steps` dial the CPU load; `sleepMs` stretches wall time without load (so a
 * test can kill a run mid-way without burning the shared cores). `failReplicas` makes chosen
 * replicas throw at `failAtStep`, to test failure reporting.
 *
 * Files: arrays/replica-<iiii>/energy.npy and x_final.npy per replica; after finalize:
 * arrays/energy.npy [K, R], energy_mean.npy / energy_se.npy [R], x_final.npy [K, d], steps.npy [R].
 */
import * as z from 'zod';
import { Rng, Stream } from '../core/rng.js';
import { replicaTag } from '../executor/checkpoint.js';
import type { Protocol } from '../executor/protocol.js';
import type { ReplicaContext, ReplicaOutcomeOk, ReplicaSummary, ReplicaTask } from '../executor/replica.js';
import type { Run } from '../store/run.js';

const configSchema = z.strictObject({
  dim: z.number().int().min(1).max(4096).default(8).describe('dimension d of the quadratic landscape (cost d² per step)'),
  steps: z.number().int().min(1).default(200).describe('Langevin steps per replica'),
  lr: z.number().positive().max(0.3).default(0.05).describe('step size'),
  temperature: z.number().min(0).default(0.1).describe('temperature T of the noise √(2·lr·T)·ξ'),
  recordEvery: z.number().int().min(1).default(10).describe('record E every this many steps'),
  checkpointEvery: z.number().int().min(1).default(20).describe('default checkpoint interval in steps'),
  sleepMs: z.number().min(0).default(0).describe('sleep after each step (stretches wall time without load, for kill tests)'),
  failReplicas: z.array(z.number().int().min(0)).default([]).describe('replica indices that fail on purpose'),
  failAtStep: z.number().int().min(0).default(0).describe('step at which --fail-replicas fail'),
});

export type SelftestConfig = z.infer<typeof configSchema>;

/** The shared landscape matrix A = I + GᵀG/d (row-major), from the disorder stream of the seed. */
function couplings(seed: number, d: number): Float64Array {
  const rng = Rng.stream(seed, Stream.disorder, 0);
  const g = new Float64Array(d * d);
  rng.fillNormal(g);
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += g[k * d + i]! * g[k * d + j]!;
      s /= d;
      if (i === j) s += 1;
      a[i * d + j] = s;
      a[j * d + i] = s;
    }
  }
  return a;
}

/** E = ½ xᵀAx; also leaves A·x in `ax` (the gradient), so a step costs one mat-vec. */
function energyAndGradient(a: Float64Array, x: Float64Array, ax: Float64Array): number {
  const d = x.length;
  let e = 0;
  for (let i = 0; i < d; i++) {
    let s = 0;
    const row = i * d;
    for (let j = 0; j < d; j++) s += a[row + j]! * x[j]!;
    ax[i] = s;
    e += x[i]! * s;
  }
  return 0.5 * e;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function recordCount(c: SelftestConfig): number {
  return Math.floor(c.steps / c.recordEvery) + 1;
}

async function runReplica(c: SelftestConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
  const d = c.dim;
  const a = couplings(ctx.seed, d);
  const every = ctx.checkpointEvery ?? c.checkpointEvery;
  const energy = new Float64Array(recordCount(c));
  let x: Float64Array;
  let noise: Rng;
  let step: number;
  const cp = ctx.loadCheckpoint();
  if (cp) {
    x = new Float64Array(cp.arrays['x'] as Float64Array);
    energy.set(cp.arrays['energy'] as Float64Array);
    noise = Rng.fromState(cp.meta.rng!['noise']!);
    step = cp.meta.step;
  } else {
    x = new Float64Array(d);
    Rng.stream(ctx.seed, Stream.init, ctx.index).fillNormal(x);
    noise = Rng.stream(ctx.seed, Stream.noise, ctx.index);
    step = 0;
  }
  const ax = new Float64Array(d);
  const amp = Math.sqrt(2 * c.lr * c.temperature);
  const failing = c.failReplicas.includes(ctx.index);
  let e = energyAndGradient(a, x, ax);
  if (step === 0) energy[0] = e;
  while (step < c.steps) {
    if (failing && step === c.failAtStep) throw new Error(`selftest: replica ${ctx.index} fails on purpose at step ${step}`);
    for (let i = 0; i < d; i++) x[i] = x[i]! - c.lr * ax[i]! + amp * noise.normal();
    step++;
    e = energyAndGradient(a, x, ax);
    if (step % c.recordEvery === 0) energy[step / c.recordEvery] = e;
    if (c.sleepMs > 0) await sleep(c.sleepMs);
    if (step % every === 0 && step < c.steps) {
      ctx.saveCheckpoint({ meta: { step, rng: { noise: noise.state() } }, arrays: { x, energy } });
    }
    ctx.progress(step / c.steps);
  }
  const tag = replicaTag(ctx.index);
  ctx.run.writeArray(`replica-${tag}/energy`, energy);
  ctx.run.writeArray(`replica-${tag}/x_final`, x);
  return { energyFinal: e, steps: step };
}

async function finalize(run: Run, outcomes: ReplicaOutcomeOk[], c: SelftestConfig): Promise<Record<string, unknown>> {
  const k = outcomes.length;
  const r = recordCount(c);
  const energy = new Float64Array(k * r);
  const xs = new Float64Array(k * c.dim);
  for (const o of outcomes) {
    const tag = replicaTag(o.index);
    energy.set(run.readArray(`replica-${tag}/energy`).data as Float64Array, o.index * r);
    xs.set(run.readArray(`replica-${tag}/x_final`).data as Float64Array, o.index * c.dim);
  }
  const mean = new Float64Array(r);
  const se = new Float64Array(r);
  for (let t = 0; t < r; t++) {
    let s = 0;
    for (let i = 0; i < k; i++) s += energy[i * r + t]!;
    const m = s / k;
    let v = 0;
    for (let i = 0; i < k; i++) v += (energy[i * r + t]! - m) ** 2;
    mean[t] = m;
    se[t] = k > 1 ? Math.sqrt(v / (k - 1) / k) : 0;
  }
  const steps = new Int32Array(r);
  for (let t = 0; t < r; t++) steps[t] = t * c.recordEvery;
  run.writeArray('energy', energy, [k, r]);
  run.writeArray('energy_mean', mean);
  run.writeArray('energy_se', se);
  run.writeArray('x_final', xs, [k, c.dim]);
  run.writeArray('steps', steps);
  return { energyFinalMean: mean[r - 1]!, energyFinalSe: se[r - 1]! };
}

export const task: ReplicaTask<SelftestConfig> = {
  run: runReplica,
  estimateMemory: (c) => 8 * (c.dim * c.dim * 2 + 4 * c.dim + recordCount(c)) + 4096,
  finalize,
};

/** The whole protocol: light enough that its task can live in the same module. */
export const protocol: Protocol<SelftestConfig> = {
  name: 'selftest',
  schema: configSchema,
  cli: {
    description: 'Langevin replicas on a random quadratic landscape: exercises executors, checkpoints and resume',
    topLevel: false,
    defaultReplicas: 4,
    flags: { checkpointEvery: false },
  },
  task: async () => task,
};
