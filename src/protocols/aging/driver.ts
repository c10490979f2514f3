/**
 * One aging trajectory, whatever the landscape: quench (the trajectory's initial condition), then
 * advance one time unit at a time (an SGD step, a Langevin step, a Monte Carlo sweep) up to T,
 * feeding the configuration to the two-time recorder at the grid times (Δ, C, Ĉ, D4, Y of
 * Baity-Jesi et al. 2018, observables/aging.ts) and measuring the energy (training loss, energy per
 * spin) at the log-spaced energy times.
 *
 * Resume: a checkpoint holds the time, the trajectory's full state (configuration, optimiser and
 * RNG states) and the recorders' snapshots (the held copies x(tw) included), taken BEFORE the
 * observations at that time — so a resumed run makes exactly the calls an uninterrupted one makes
 * and its arrays are bit-identical.
 */
import type { Float } from '../../core/backend.js';
import { GlassyError } from '../../core/errors.js';
import type { Checkpoint, ReplicaContext } from '../../executor/replica.js';
import { TimeSeriesRecorder, TwoTimeRecorder, type TwoTimeMatrices, type TwoTimeMeta } from '../../observables/aging.js';
import type { ArrayData } from '../../store/dtype.js';
import type { AgingGrids } from './config.js';

/** The landscape-specific part: a configuration that moves and can be measured. */
export interface AgingTrajectory {
  /** Degrees of freedom N (the 1/N of Δ and C). */
  readonly dim: number;
  /** Names of the one-time series measured at the energy times; the first is 'energy'. */
  readonly seriesNames: readonly string[];
  /** The current configuration as floats (may be a view; it is copied by whoever keeps it). */
  configuration(): Float;
  /** The configuration to store with --save-configs (int8 spins for Ising, floats otherwise). */
  savedConfiguration(): ArrayData;
  /** One time unit of the dynamics. */
  advance(): void;
  /** The series values at the current configuration, in seriesNames order. */
  measure(): number[];
  state(): { meta: Record<string, unknown>; arrays: Record<string, ArrayData> };
  restore(s: { meta: Record<string, unknown>; arrays: Record<string, ArrayData> }): void;
}

export interface AgingRecord {
  twoTime: TwoTimeMatrices;
  series: Record<string, Float64Array>;
}

export interface DriveOptions {
  tMax: number;
  grids: AgingGrids;
  /** Time units between checkpoints. */
  checkpointEvery: number;
  /** Called at each tw with the configuration (for --save-configs). */
  onWaitingTime?: (tw: number, traj: AgingTrajectory) => void;
  /** Called once before the first step of a fresh (not resumed) trajectory. */
  initialise: () => void;
  label: string;
}

/** Runs the trajectory from its checkpoint (or from the quench) to T; returns the recorded arrays. */
export function driveAging(traj: AgingTrajectory, ctx: ReplicaContext, o: DriveOptions): AgingRecord {
  const { tMax, grids } = o;
  let rec = new TwoTimeRecorder({ tw: grids.tw, t: grids.t, n: traj.dim });
  let series = traj.seriesNames.map(() => new TimeSeriesRecorder(grids.energyTimes));
  const twSet = new Set(grids.tw);
  let time = 0;

  const cp = ctx.loadCheckpoint();
  if (cp) {
    const meta = cp.meta as Checkpoint['meta'] & { traj: Record<string, unknown>; recorder: TwoTimeMeta };
    const pick = (prefix: string): Record<string, ArrayData> => {
      const out: Record<string, ArrayData> = {};
      for (const [k, v] of Object.entries(cp.arrays)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
      return out;
    };
    traj.restore({ meta: meta.traj, arrays: pick('traj.') });
    const recArrays = pick('rec.') as Record<string, Float64Array | Float32Array>;
    rec = TwoTimeRecorder.restore({ meta: meta.recorder, arrays: recArrays });
    series = traj.seriesNames.map((name) => {
      const values = cp.arrays[`series.${name}`];
      if (!(values instanceof Float64Array)) throw GlassyError.invalid(`checkpoint.arrays.series.${name}`, typeof values, 'a Float64Array');
      return TimeSeriesRecorder.restore({ meta: { times: grids.energyTimes }, arrays: { values } });
    });
    time = meta.step;
  } else {
    o.initialise();
  }

  const save = (): void => {
    const st = traj.state();
    const snap = rec.snapshot();
    const arrays: Record<string, ArrayData> = {};
    for (const [k, v] of Object.entries(st.arrays)) arrays[`traj.${k}`] = v;
    for (const [k, v] of Object.entries(snap.arrays)) arrays[`rec.${k}`] = v;
    traj.seriesNames.forEach((name, i) => { arrays[`series.${name}`] = series[i]!.values.slice(); });
    ctx.saveCheckpoint({ meta: { step: time, traj: st.meta, recorder: snap.meta }, arrays });
  };

  const every = o.checkpointEvery;
  const progressEvery = Math.max(1, Math.floor(tMax / 200));
  for (;;) {
    if (rec.needs(time)) rec.observe(time, traj.configuration());
    if (o.onWaitingTime && twSet.has(time)) o.onWaitingTime(time, traj);
    if (series[0]!.needs(time)) {
      const v = traj.measure();
      if (!Number.isFinite(v[0]!)) {
        throw new GlassyError(`${o.label} diverged at time ${time}: ${traj.seriesNames[0]} is ${v[0]}`, 'energy', v[0], 'a finite value (lower the learning rate or dt)');
      }
      series.forEach((s, i) => s.observe(time, v[i]!));
    }
    if (time >= tMax) break;
    traj.advance();
    time++;
    if (time % progressEvery === 0) ctx.progress(time / tMax, `${o.label} t=${time}/${tMax}`);
    if (time % every === 0 && time < tMax) save();
  }
  const out: Record<string, Float64Array> = {};
  traj.seriesNames.forEach((name, i) => { out[name] = series[i]!.values.slice(); });
  return { twoTime: rec.result(), series: out };
}
