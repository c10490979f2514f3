/**
 * The reduction of the `spinglass` task, shared by the Ising models and the spherical p-spin: the
 * per-sample outputs (sample.ts) stacked into the run's arrays in sample order (axis 0 of the [M, K]
 * tables = disorder sample), the disorder averages [·] with standard errors over the M samples, and
 * the summary (docs/run-format/spinglass.md). Sample order is fixed, so the sums — and the bytes —
 * are the same whichever worker, shard or resume produced each sample.
 */
import type { ReplicaOutcomeOk } from '../../executor/replica.js';
import { binderJackknife, meanSE, type MeanSE } from '../../observables/statistics.js';
import { OverlapHistogram } from '../../observables/spins.js';
import { equalEdges } from '../../observables/histogram.js';
import type { Run } from '../../store/run.js';
import { measuredTemperatures, spinCount, type SpinglassConfig, type SpinglassSummary } from './config.js';
import { energyTimes, overlapBins, sampleArray, SAMPLE_ARRAYS } from './sample.js';

type Name = (typeof SAMPLE_ARRAYS)[number];

/** Sample m's array `name`, or null when this model/dynamics does not measure it. */
function readSampleArray(run: Run, m: number, name: Name): Float64Array | Int8Array | null {
  const path = sampleArray(m, name);
  if (!run.hasArray(path)) return null;
  return run.readArray(path).data as Float64Array | Int8Array;
}

/** Rows of every sample, concatenated: [M, ...]. */
function stack(run: Run, M: number, name: Name): Float64Array | Int8Array | null {
  const first = readSampleArray(run, 0, name);
  if (!first) return null;
  const all = new (first.constructor as { new(n: number): Float64Array | Int8Array })(M * first.length);
  all.set(first, 0);
  for (let m = 1; m < M; m++) all.set(readSampleArray(run, m, name)!, m * first.length);
  return all;
}

/** Σ_m rows / M in sample order (the disorder average of a per-sample vector). */
function average(run: Run, M: number, name: Name): Float64Array | null {
  const first = readSampleArray(run, 0, name);
  if (!first) return null;
  const acc = new Float64Array(first.length);
  for (let m = 0; m < M; m++) {
    const a = m === 0 ? first : readSampleArray(run, m, name)!;
    for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + a[i]! / M;
  }
  return acc;
}

function column(a: Float64Array, M: number, K: number, k: number): Float64Array {
  const out = new Float64Array(M);
  for (let m = 0; m < M; m++) out[m] = a[m * K + k]!;
  return out;
}

/** [x] ± SE over samples at each temperature of an [M, K] table. */
function perTemperature(a: Float64Array, M: number, K: number): MeanSE[] {
  return Array.from({ length: K }, (_, k) => meanSE(column(a, M, K, k)));
}

/** Why no Binder ratio is reported for spherical spins (summary.binder_note). */
export const CONTINUOUS_BINDER_NOTE =
  'no Binder ratio for continuous spins: in the paramagnet ⟨q²⟩ ~ 1/N and the ratio of two small noisy moments has no power; see q2, q4 and P(q)';

export async function finalizeSpinglass(run: Run, outcomes: ReplicaOutcomeOk[], cfg: SpinglassConfig): Promise<Record<string, unknown>> {
  const M = outcomes.length;
  const temps = measuredTemperatures(cfg);
  const K = temps.length;
  const N = spinCount(cfg);
  const R = cfg.replicas;
  const pspin = cfg.model === 'pspin';
  const bins = overlapBins(cfg, N);
  const times = energyTimes(cfg);
  const f64 = (a: number[]) => Float64Array.from(a);
  const table = (name: Name) => stack(run, M, name) as Float64Array | null;

  const energy = table('energy')!;
  const q2 = table('q2')!;
  const q4 = table('q4')!;
  const e = perTemperature(energy, M, K);
  const q2s = perTemperature(q2, M, K);
  const q4s = perTemperature(q4, M, K);
  const s: SpinglassSummary = {
    run: run.dir, temperatures: temps,
    energy: e.map((v) => v.mean), energy_se: e.map((v) => v.se),
    q2: q2s.map((v) => v.mean), q2_se: q2s.map((v) => v.se),
  };
  run.writeArray('temperatures', f64(temps));
  run.writeArray('energy', energy, [M, K]);
  run.writeArray('q2', q2, [M, K]);
  run.writeArray('q4', q4, [M, K]);
  run.writeArray('energy_mean', f64(s.energy));
  run.writeArray('energy_se', f64(s.energy_se));
  run.writeArray('q2_mean', f64(s.q2));
  run.writeArray('q2_se', f64(s.q2_se));
  run.writeArray('q4_mean', Float64Array.from(q4s, (v) => v.mean));
  run.writeArray('q4_se', Float64Array.from(q4s, (v) => v.se));
  if (pspin) {
    s['binder_note'] = CONTINUOUS_BINDER_NOTE;
  } else {
    const g = temps.map((_, k) => binderJackknife(column(q2, M, K, k), column(q4, M, K, k)));
    s.binder = g.map((v) => v.mean);
    s.binder_se = g.map((v) => v.se);
    run.writeArray('binder_mean', f64(s.binder));
    run.writeArray('binder_se', f64(s.binder_se));
  }
  s['q4'] = q4s.map((v) => v.mean);
  s['q4_se'] = q4s.map((v) => v.se);

  run.writeArray('pq_hist', average(run, M, 'pq')!, [K, bins]);
  run.writeArray('pq_edges', pspin ? equalEdges(-1, 1, bins) : new OverlapHistogram(N, bins).edges);

  /** An observable some models only record (⟨|m|⟩: Ising; q_link: EA; Mattis: Hopfield), [M, K] with its mean ± SE per temperature. */
  const recorded = (name: Name): boolean => {
    const a = table(name);
    if (!a) return false;
    const v = perTemperature(a, M, K);
    run.writeArray(name, a, [M, K]);
    s[name] = v.map((x) => x.mean);
    s[`${name}_se`] = v.map((x) => x.se);
    return true;
  };
  recorded('abs_magnetisation');
  const qLink = recorded('q_link');
  if (!pspin && cfg.couplings === 'gauss' && cfg.field === 0 && cfg.model !== 'hopfield' && cfg.dynamics !== 'quench' && cfg.dynamics !== 'anneal') {
    s['energy_identity'] = temps.map((T, k) => {
      if (!(T > 0)) return NaN;
      // KPY 2001: [⟨H⟩]/N = −(βz/2)(1 − [q_link]) on a lattice of coordination z = 2d; SK: −(β/2)(1 − [⟨q²⟩]).
      if (qLink) return (-((cfg.model === 'ea2d' ? 4 : 6) / 2) * (1 - (s['q_link'] as number[])[k]!)) / T;
      return (-0.5 * (1 - s.q2[k]!)) / T;
    });
  }
  recorded('mattis');
  recorded('mattis_max');
  const conf = stack(run, M, 'configurations');
  if (conf) {
    // Per sample [K, R, N] → the run's [K, M, R, N].
    const out = new (conf.constructor as { new(n: number): Float64Array | Int8Array })(conf.length);
    const block = R * N;
    for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) out.set(conf.subarray((m * K + k) * block, (m * K + k + 1) * block), (k * M + m) * block);
    run.writeArray('configurations', out, [K, M, R, N]);
  }
  const evt = average(run, M, 'energy_vs_time');
  if (evt && times.length > 0) {
    run.writeArray('energy_times', times);
    run.writeArray('energy_vs_time', evt, [K, times.length]);
  }
  const swap = average(run, M, 'swap_rates');
  if (swap) {
    run.writeArray('swap_rates', swap);
    s['swap_rates'] = Array.from(swap);
  }
  const acc = average(run, M, 'acceptance');
  if (acc) s['acceptance'] = Array.from(acc);
  const ground = table('ground_state');
  if (ground) {
    const g = meanSE(ground);
    run.writeArray('ground_state', ground);
    s['ground_state'] = g.mean;
    s['ground_state_se'] = g.se;
  }
  s['n'] = N;
  s['samples'] = M;
  // Thermal replicas per sample (the executor's replicas are the samples).
  s['replicas'] = R;
  if (pspin) {
    s['p'] = cfg.p ?? 3;
    s['dt'] = cfg.dt ?? 0.05;
    if (cfg.dynamics === 'gd') s['energy_at'] = 'end point of gradient descent';
  }
  const { run: _dir, ...rest } = s;
  void _dir;
  return rest;
}
