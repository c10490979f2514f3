/**
 * Protocol `aging` (Baity-Jesi, Sagun, Geiger, Spigler, Ben Arous, Cammarota, LeCun, Wyart & Biroli,
 * "Comparing Dynamics: Deep Neural Networks versus Glassy Systems", ICML 2018, arXiv:1803.06969,
 * and their code DEEP-GLASS): the same two-time measurements on a network trained by SGD and on
 * glasses quenched from infinite temperature, side by side.
 *
 * Each replica job is one trajectory (protocols/aging/driver.ts) of one point of the sweep (a hidden
 * width, or a temperature) and one disorder sample; it records
 *   Δ(tw, tw+t) = (1/N)|x(tw+t) − x(tw)|²,  C(tw, tw+t) = (1/N) x(tw)·x(tw+t),
 *   Ĉ = C normalised by |x(tw)||x(tw+t)|,  D4 = (1/N)Σ(Δx_i)⁴,  Y = Σ(Δx_i)⁴/(Σ(Δx_i)²)²
 * on the DEEP-GLASS grids, and the energy (training loss, energy per spin) at log-spaced times.
 * `finalize` averages the trajectories of each point (mean ± standard error) and runs the scaling
 * analysis of observables/scaling.ts:
 *   α from Δ ∝ t^α at the largest waiting time (diffusion at the bottom of the landscape, α = 1 for
 *   free diffusion, α < 1 sub-diffusive; Baity-Jesi et al. §4);
 *   μ from the collapse of Ĉ (and of ln Δ) against t/tw^μ (μ = 1 simple aging, 0 < μ < 1 subaging,
 *   μ ≈ 0 time-translation invariance; Bouchaud et al. 1998).
 * Ĉ is used for the C collapse because a network's |θ| grows during training, and the tw-dependence
 * of the raw C would mix that growth with aging; on the sphere and for Ising spins Ĉ = C.
 */
import { GlassyError } from '../core/errors.js';
import type { ReplicaContext, ReplicaOutcomeOk, ReplicaSummary, ReplicaTask } from '../executor/replica.js';
import { averageTwoTime, replicaMean, TWO_TIME_OBSERVABLES, type TwoTimeMatrices, type TwoTimeObservable } from '../observables/aging.js';
import { agingCollapse, fitPowerLaw, type CollapseResult } from '../observables/scaling.js';
import { checkTrainData } from '../landscapes/from-config.js';
import { modelSizes } from '../landscapes/mlp/layout.js';
import type { Run } from '../store/run.js';
import {
  agingGrids, agingPoints, agingUnits, decodeUnit, mlpSizes, pointAxisName, pointModel, trainConfigOf, type AgingConfig,
} from './aging/config.js';
import { driveAging, type AgingTrajectory } from './aging/driver.js';
import { FlatAgingTrajectory, PSpinAgingTrajectory, SkAgingTrajectory } from './aging/glass.js';
import { MlpAgingTrajectory } from './aging/mlp.js';
import { replicaName, writeReplicaWeights } from '../landscapes/weights.js';
import { networkLayout } from '../landscapes/network/layout.js';

export { parseAgingConfig, agingUnits, agingPoints, agingGrids, decodeUnit } from './aging/config.js';
export type { AgingConfig } from './aging/config.js';

/** Array names of the two-time observables (snake case, as in the run format). */
export const ARRAY_NAME: Record<TwoTimeObservable, string> = { delta: 'delta', corr: 'corr', corrNorm: 'corr_norm', d4: 'd4', y: 'y' };

function makeTrajectory(config: AgingConfig, ctx: ReplicaContext, point: number | null, sample: number, replica: number): AgingTrajectory & { initialise(): void } {
  switch (config.landscape) {
    case 'mlp': return new MlpAgingTrajectory(config.mlp!, point, ctx.seed, replica, config.checkpointEvery);
    case 'pspin': return new PSpinAgingTrajectory({ ...config.pspin!, temperatures: config.pspin!.temperatures ?? [point!] }, point!, ctx.seed, sample, replica);
    case 'sk': return new SkAgingTrajectory(config.sk!, point!, ctx.seed, sample, replica);
    case 'flat': return new FlatAgingTrajectory(config.flat!, point!, ctx.seed, replica);
  }
}

async function runReplica(config: AgingConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
  const K = agingUnits(config);
  if (ctx.replicas !== K) {
    throw GlassyError.invalid('replicas', ctx.replicas, `${K} replica jobs = points × samples × replicas (${agingPoints(config).length} × ${config.samples} × ${config.replicas})`);
  }
  const unit = decodeUnit(config, ctx.index);
  const point = agingPoints(config)[unit.point]!;
  const traj = makeTrajectory(config, ctx, point, unit.sample, unit.replica);
  const grids = agingGrids(config);
  const name = replicaName(ctx.index);
  const run = ctx.run;
  const label = `${config.landscape} ${pointAxisName(config) === 'widths' ? `width ${point ?? 'as given'}` : `T=${point}`} sample ${unit.sample} replica ${unit.replica}`;
  const rec = driveAging(traj, ctx, {
    tMax: config.tMax,
    grids,
    checkpointEvery: ctx.checkpointEvery ?? config.checkpointEvery,
    initialise: () => traj.initialise(),
    label,
    ...(config.saveConfigs
      ? { onWaitingTime: (tw: number, tr: AgingTrajectory) => { run.writeArray(`per-replica/${name}/configs/tw-${tw}`, tr.savedConfiguration()); } }
      : {}),
  });
  const shape = [grids.tw.length, grids.t.length];
  for (const obs of TWO_TIME_OBSERVABLES) run.writeArray(`per-replica/${name}/${ARRAY_NAME[obs]}`, rec.twoTime[obs], shape);
  for (const [k, v] of Object.entries(rec.series)) run.writeArray(`per-replica/${name}/${k}`, v);
  if (config.saveConfigs) run.writeArray(`per-replica/${name}/configs/final`, traj.savedConfiguration());

  const last = grids.energyTimes.length - 1;
  const summary: ReplicaSummary = {
    point: unit.point, sample: unit.sample, replica: unit.replica, dim: traj.dim,
    final_energy: rec.series['energy']![last]!,
  };
  if (traj instanceof MlpAgingTrajectory) {
    summary['width'] = point;
    summary['final_test_error'] = rec.series['test_error']![last]!;
    writeReplicaWeights(run, ctx.index, traj.train.layout, traj.theta, ctx.seed, { 'glassy.aging.point': String(unit.point) });
    if (config.mlp!.hessian) {
      ctx.progress(1, `${label}: Hessian`);
      const h = traj.hessianNearZero();
      summary['hessian_near_zero'] = h.count;
      summary['hessian_method'] = h.method;
    }
  } else {
    summary['temperature'] = point;
  }
  return summary;
}

function readMatrices(run: Run, index: number, tw: number[], t: number[]): TwoTimeMatrices {
  const name = replicaName(index);
  const m = { tw, t } as TwoTimeMatrices;
  for (const obs of TWO_TIME_OBSERVABLES) m[obs] = run.readArray(`per-replica/${name}/${ARRAY_NAME[obs]}`).data as Float64Array;
  return m;
}

/** α of Δ ∝ t^α over all lags t ≥ 1 at the largest waiting time whose row has ≥ 3 usable points. */
export function diffusionExponent(tw: number[], t: number[], delta: ArrayLike<number>): { alpha: number; alphaSE: number; tw: number } {
  for (let i = tw.length - 1; i >= 0; i--) {
    let usable = 0;
    const row: number[] = [];
    for (let j = 0; j < t.length; j++) {
      const v = delta[i * t.length + j]!;
      row.push(v);
      if (t[j]! >= 1 && v > 0 && Number.isFinite(v)) usable++;
    }
    if (usable >= 3) {
      const f = fitPowerLaw(t, row, { xMin: 1 });
      return { alpha: f.alpha, alphaSE: f.alphaSE, tw: tw[i]! };
    }
  }
  return { alpha: NaN, alphaSE: NaN, tw: NaN };
}

function collapse(tw: number[], t: number[], values: ArrayLike<number>, twMin: number, logY: boolean): CollapseResult | null {
  try {
    return agingCollapse(tw, t, values, { twMin: Math.max(twMin, 1e-300), logY });
  } catch (err) {
    if (err instanceof GlassyError) return null; // fewer than 2 usable curves: no exponent
    throw err;
  }
}

/** Averages per point, the point axis, the scaling exponents; returns the manifest summary. */
async function finalize(run: Run, outcomes: ReplicaOutcomeOk[], config: AgingConfig): Promise<Record<string, unknown>> {
  const { tw, t, energyTimes } = agingGrids(config);
  const points = agingPoints(config);
  const P = points.length;
  const ntw = tw.length;
  const nt = t.length;
  const M = energyTimes.length;
  const axis = P > 1;
  const seriesNames = config.landscape === 'mlp' ? ['energy', 'train_error', 'test_loss', 'test_error'] : ['energy'];

  const two: Record<string, Float64Array> = {};
  for (const obs of TWO_TIME_OBSERVABLES) for (const s of ['mean', 'se']) two[`${ARRAY_NAME[obs]}_${s}`] = new Float64Array(P * ntw * nt);
  const ser: Record<string, Float64Array> = {};
  for (const k of seriesNames) for (const s of ['mean', 'se']) ser[`${k}_${s}`] = new Float64Array(P * M);
  const scal = {
    alpha: new Float64Array(P), alpha_se: new Float64Array(P), alpha_tw: new Float64Array(P),
    mu_corr: new Float64Array(P), mu_delta: new Float64Array(P),
    final_energy_mean: new Float64Array(P), final_energy_se: new Float64Array(P),
  };
  const extra: Record<string, Float64Array> = {};
  if (config.landscape === 'mlp') {
    extra['final_test_error_mean'] = new Float64Array(P);
    extra['final_test_error_se'] = new Float64Array(P);
    extra['parameters'] = new Float64Array(P);
    if (config.mlp!.hessian) {
      extra['hessian_near_zero_mean'] = new Float64Array(P);
      extra['hessian_near_zero_se'] = new Float64Array(P);
    }
  }
  const table: Array<Record<string, unknown>> = [];

  for (let p = 0; p < P; p++) {
    const mine = outcomes.filter((o) => decodeUnit(config, o.index).point === p);
    if (mine.length === 0) throw GlassyError.invalid('outcomes', `none for point ${p}`, 'every point of the sweep done');
    const avg = averageTwoTime(mine.map((o) => readMatrices(run, o.index, tw, t)));
    for (const obs of TWO_TIME_OBSERVABLES) {
      two[`${ARRAY_NAME[obs]}_mean`]!.set(avg[obs].mean, p * ntw * nt);
      two[`${ARRAY_NAME[obs]}_se`]!.set(avg[obs].se, p * ntw * nt);
    }
    const finals: Record<string, { mean: number; se: number }> = {};
    for (const k of seriesNames) {
      const ms = replicaMean(mine.map((o) => run.readArray(`per-replica/${replicaName(o.index)}/${k}`).data as Float64Array));
      ser[`${k}_mean`]!.set(ms.mean, p * M);
      ser[`${k}_se`]!.set(ms.se, p * M);
      finals[k] = { mean: ms.mean[M - 1]!, se: ms.se[M - 1]! };
    }
    const d = diffusionExponent(tw, t, avg.delta.mean);
    const muC = collapse(tw, t, avg.corrNorm.mean, config.collapseTwMin, false);
    const muD = collapse(tw, t, avg.delta.mean, config.collapseTwMin, true);
    scal.alpha[p] = d.alpha;
    scal.alpha_se[p] = d.alphaSE;
    scal.alpha_tw[p] = d.tw;
    scal.mu_corr[p] = muC ? muC.mu : NaN;
    scal.mu_delta[p] = muD ? muD.mu : NaN;
    scal.final_energy_mean[p] = finals['energy']!.mean;
    scal.final_energy_se[p] = finals['energy']!.se;
    const row: Record<string, unknown> = {
      [config.landscape === 'mlp' ? 'width' : 'temperature']: points[p],
      trajectories: mine.length,
      final_energy_mean: finals['energy']!.mean,
      final_energy_se: finals['energy']!.se,
      alpha: d.alpha, alpha_se: d.alphaSE, alpha_tw: d.tw,
      mu_corr: muC ? muC.mu : null, mu_corr_range: muC ? [muC.muLow, muC.muHigh] : null, regime_corr: muC ? muC.regime : null,
      mu_delta: muD ? muD.mu : null, mu_delta_range: muD ? [muD.muLow, muD.muHigh] : null,
    };
    if (config.landscape === 'mlp') {
      extra['final_test_error_mean']![p] = finals['test_error']!.mean;
      extra['final_test_error_se']![p] = finals['test_error']!.se;
      const dim = mine[0]!.summary['dim'] as number;
      extra['parameters']![p] = dim;
      row['parameters'] = dim;
      row['sizes'] = pointModel(config.mlp!, points[p]!);
      row['final_test_error_mean'] = finals['test_error']!.mean;
      row['final_test_error_se'] = finals['test_error']!.se;
      if (config.mlp!.hessian) {
        const h = replicaMean(mine.map((o) => [o.summary['hessian_near_zero'] as number]));
        extra['hessian_near_zero_mean']![p] = h.mean[0]!;
        extra['hessian_near_zero_se']![p] = h.se[0]!;
        row['hessian_near_zero_mean'] = h.mean[0]!;
        row['hessian_near_zero_se'] = h.se[0]!;
        row['hessian_method'] = mine[0]!.summary['hessian_method'];
      }
    }
    table.push(row);
  }

  run.writeArray('tw', Int32Array.from(tw));
  run.writeArray('t', Int32Array.from(t));
  run.writeArray('energy_times', Int32Array.from(energyTimes));
  const twoShape = axis ? [P, ntw, nt] : [ntw, nt];
  for (const [k, v] of Object.entries(two)) run.writeArray(k, v, twoShape);
  for (const [k, v] of Object.entries(ser)) run.writeArray(k, v, axis ? [P, M] : [M]);
  for (const [k, v] of Object.entries(scal)) run.writeArray(k, v);
  for (const [k, v] of Object.entries(extra)) run.writeArray(k, v);
  if (config.landscape === 'mlp') {
    // With no --widths the "width" is the first hidden layer's (0 for a perceptron). A layer spec
    // has no width knob: its run has no point axis (summary.points[0].sizes names the network).
    if (config.mlp!.model.layers === undefined) {
      const sizes = points.map((w) => mlpSizes(config.mlp!, w));
      run.writeArray('widths', Int32Array.from(sizes.map((s) => (s.length > 2 ? s[1]! : 0))));
    }
  } else {
    run.writeArray('temperatures', Float64Array.from(points as number[]));
  }
  return {
    landscape: config.landscape,
    axis: axis ? pointAxisName(config) : null,
    trajectories_per_point: config.samples * config.replicas,
    ...(config.landscape === 'pspin' ? { dt: config.pspin!.dt } : config.landscape === 'flat' ? { dt: config.flat!.dt } : {}),
    points: table,
  };
}

export const task: ReplicaTask<AgingConfig> = {
  validate(config, seed) {
    // The data must load and fit every network of the sweep before a run directory exists.
    if (config.landscape !== 'mlp') return;
    for (const w of agingPoints(config)) {
      pointModel(config.mlp!, w);
      checkTrainData(trainConfigOf(config.mlp!, w, config.checkpointEvery), seed);
    }
  },
  run: runReplica,
  finalize,
  estimateMemory(config: AgingConfig): number {
    const { tw, t } = agingGrids(config);
    const tMaxLag = t[t.length - 1]!;
    // Copies x(tw) held at once: at most the tw's within max(t) of each other.
    let held = 0;
    for (const a of tw) held = Math.max(held, tw.filter((b) => b <= a && a - b <= tMaxLag).length);
    const base = 64 * 1024 * 1024;
    switch (config.landscape) {
      case 'mlp': {
        let params = 0;
        let d: number;
        const bytes = config.mlp!.precision === 'f64' ? 8 : 4;
        const layers = config.mlp!.model.layers;
        if (layers !== undefined) {
          // The images' shape (CIFAR 3×32×32, MNIST-like 1×28×28) without loading the data.
          const shape = config.mlp!.data.source.startsWith('cifar') ? [3, 32, 32] : [1, 28, 28];
          d = shape[0]! * shape[1]! * shape[2]!;
          try { params = networkLayout(layers, shape).size; } catch { params = 0; }
        } else {
          for (const s of agingPoints(config).map((w) => mlpSizes(config.mlp!, w))) {
            let q = 0;
            for (let l = 0; l + 1 < s.length; l++) q += (s[l]! + 1) * s[l + 1]!;
            params = Math.max(params, q);
          }
          d = modelSizes(config.mlp!.model)[0]!;
        }
        return 70_000 * d * (4 + bytes) + params * bytes * (6 + 2 * held) + base;
      }
      case 'pspin': {
        const c = config.pspin!;
        const count = c.p === 2 ? c.n * c.n : c.p === 3 ? (c.n * (c.n - 1) * (c.n - 2)) / 6 : (c.n * (c.n - 1) * (c.n - 2) * (c.n - 3)) / 24;
        return count * (c.storage === 'float64' ? 8 : 4) + c.n * 8 * (4 + 2 * held) + base;
      }
      case 'sk': return config.sk!.n * config.sk!.n * 8 + config.sk!.n * 8 * (4 + 2 * held) + base;
      case 'flat': return config.flat!.n * 8 * (4 + 2 * held) + base;
    }
  },
};
