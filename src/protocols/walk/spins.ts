/**
 * The spin trajectory of the `walk` protocol (Liao et al. protocol 1 on a glass), so networks and
 * glasses are walked with the same observables: W walkers start from the final configuration of one
 * replica of a `spinglass` run and take S steps — for Ising models k random distinct spin flips per
 * step, for the spherical p-spin an isotropic tangent step of norm h followed by the return to the
 * sphere — optionally Metropolis-accepted at temperature T on the energy. Recorded per walker and
 * step: the energy per spin (the glass's "loss"), the distance |x_t − x_0| and the overlap
 * q(x_t, x_0) = x_t·x_0/N; then the escape distance, the distribution and the autocorrelation of the
 * energy increments (ruggedness), exactly as for networks.
 *
 * Each walker is a replica: Rng.stream(seed, Stream.walk, walker), checkpointed (position, energy,
 * RNG state, the series so far), so a killed walk resumes to identical arrays on any executor.
 */
import { GlassyError } from '../../core/errors.js';
import { Rng, Stream } from '../../core/rng.js';
import { metropolisAccept } from '../../dynamics/metropolis.js';
import { normalizeToSphere, projectTangent } from '../../dynamics/sphere.js';
import type { ReplicaContext, ReplicaOutcomeOk, ReplicaSummary } from '../../executor/replica.js';
import { glassLandscape, type GlassSpec } from '../../landscapes/glass.js';
import type { Landscape } from '../../landscapes/landscape.js';
import { Run } from '../../store/run.js';
import type { SpinWalkConfig } from './config.js';
import { finiteMean, walkerName, writeIncrementStatistics } from './increments.js';

export interface SpinStart {
  landscape: Landscape<Float64Array>;
  x0: Float64Array;
  ising: boolean;
}

/** The landscape (rebuilt from the source's disorder seed) and the walkers' starting point; checked before any run exists. */
export function prepareSpinWalk(config: SpinWalkConfig): SpinStart {
  const source = Run.open(config.source);
  if (source.manifest.protocol !== 'spinglass') throw GlassyError.invalid('source', source.dir, 'a spinglass run');
  // The model as the source's config describes it (its own protocol validated it), with the source's seed.
  const spec = source.manifest.config as GlassSpec;
  if (!source.hasArray('configurations')) throw GlassyError.invalid('source', source.dir, 'a spinglass run with arrays/configurations.npy (not --dynamics exact)');
  const { data, shape } = source.readArray('configurations');
  const [K, M, R, N] = shape as [number, number, number, number];
  if (config.temperatureIndex >= K) throw GlassyError.invalid('temperature-index', config.temperatureIndex, `an index < ${K}`);
  if (config.sample >= M) throw GlassyError.invalid('sample', config.sample, `an index < ${M}`);
  if (config.replica >= R) throw GlassyError.invalid('replica', config.replica, `an index < ${R}`);
  const base = ((config.temperatureIndex * M + config.sample) * R + config.replica) * N;
  const x0 = Float64Array.from({ length: N }, (_, i) => data[base + i]!);
  const ising = spec.model !== 'pspin';
  const landscape = glassLandscape(spec, source.manifest.seed, config.sample);
  if (ising && config.flips > N) throw GlassyError.invalid('flips', config.flips, `at most N = ${N}`);
  return { landscape, x0, ising };
}

// A worker thread reuses the landscape for the next walker of the same source.
let cache: { key: string; start: SpinStart } | null = null;

function setup(config: SpinWalkConfig): SpinStart {
  const key = JSON.stringify([config.source, config.temperatureIndex, config.sample, config.replica]);
  if (!cache || cache.key !== key) cache = { key, start: prepareSpinWalk(config) };
  return cache.start;
}

const SERIES = ['energy', 'distance', 'overlap'] as const;

export async function runSpinWalker(config: SpinWalkConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
  const { landscape: L, x0, ising } = setup(config);
  const N = x0.length, S = config.steps, w = ctx.index;
  const series: Record<(typeof SERIES)[number], Float64Array> = {
    energy: new Float64Array(S + 1), distance: new Float64Array(S + 1), overlap: new Float64Array(S + 1),
  };
  const x = x0.slice(), trial = new Float64Array(N), step = new Float64Array(N);
  const e0 = L.energy(x0) / N;
  let rng = Rng.stream(ctx.seed, Stream.walk, w);
  let e = e0;
  let s = 0;
  let accepted = 0;
  const record = (t: number): void => {
    let d2 = 0, q = 0;
    for (let i = 0; i < N; i++) { d2 += (x[i]! - x0[i]!) ** 2; q += x[i]! * x0[i]!; }
    series.energy[t] = e;
    series.distance[t] = Math.sqrt(d2);
    series.overlap[t] = q / N;
  };
  const cp = ctx.loadCheckpoint();
  if (cp) {
    x.set(cp.arrays['x'] as Float64Array);
    for (const k of SERIES) series[k].set(cp.arrays[k] as Float64Array);
    rng = Rng.fromState(cp.meta.rng!['walk']!);
    s = cp.meta.step;
    e = series.energy[s]!;
    accepted = cp.meta['accepted'] as number;
  } else {
    record(0);
  }
  const every = ctx.checkpointEvery ?? config.checkpointEvery;
  while (s < S) {
    trial.set(x);
    if (ising) {
      // k distinct sites drawn without replacement.
      const picked = new Set<number>();
      while (picked.size < config.flips) picked.add(rng.int(N));
      for (const i of picked) trial[i] = -trial[i]!;
    } else {
      rng.fillNormal(step);
      projectTangent(x, step);
      let n2 = 0;
      for (let i = 0; i < N; i++) n2 += step[i]! ** 2;
      const c = n2 > 0 ? config.stepSize / Math.sqrt(n2) : 0;
      for (let i = 0; i < N; i++) trial[i] = x[i]! + c * step[i]!;
      normalizeToSphere(trial);
    }
    const et = L.energy(trial) / N;
    if (metropolisAccept((et - e) * N, config.temperature, rng)) {
      x.set(trial);
      e = et;
      accepted++;
    }
    s++;
    record(s);
    if (s % every === 0 && s < S) {
      ctx.saveCheckpoint({ meta: { step: s, rng: { walk: rng.state() }, accepted }, arrays: { x: x.slice(), ...series } });
    }
    if ((s & 255) === 0) ctx.progress(s / S, `step ${s}/${S}`);
  }
  const name = walkerName(w);
  for (const k of SERIES) ctx.run.writeArray(`per-walker/${name}/${k}`, series[k]);
  let escape = NaN;
  for (let t = 0; t <= S; t++) if (series.energy[t]! > e0 + config.threshold) { escape = series.distance[t]!; break; }
  return { start_energy: e0, final_energy: e, acceptance: accepted / S, escape_distance: Number.isNaN(escape) ? null : escape };
}

export async function finalizeSpinWalk(run: Run, outcomes: ReplicaOutcomeOk[], config: SpinWalkConfig): Promise<Record<string, unknown>> {
  const W = outcomes.length, S = config.steps;
  const stack = (k: string): Float64Array => {
    const all = new Float64Array(W * (S + 1));
    outcomes.forEach((o, r) => all.set(run.readArray(`per-walker/${walkerName(o.index)}/${k}`).data as Float64Array, r * (S + 1)));
    return all;
  };
  const energy = stack('energy'), dist = stack('distance'), overlap = stack('overlap');
  const col = (k: string) => Float64Array.from(outcomes, (o) => (typeof o.summary[k] === 'number' ? o.summary[k] as number : NaN));
  const escape = col('escape_distance');
  const acceptance = col('acceptance');
  run.writeArray('walk_steps', Int32Array.from({ length: S + 1 }, (_, t) => t));
  run.writeArray('walk_energy', energy, [W, S + 1]);
  run.writeArray('walk_distance', dist, [W, S + 1]);
  run.writeArray('walk_overlap', overlap, [W, S + 1]);
  const inc = writeIncrementStatistics(run, energy, W, S, config.bins, config.maxLag);
  run.writeArray('escape_distance', escape);
  run.writeArray('walk_acceptance', acceptance);
  const last = (a: Float64Array) => finiteMean(Float64Array.from({ length: W }, (_, r) => a[r * (S + 1) + S]!));
  return {
    kind: 'spinglass', walkers: W, steps: S, temperature: config.temperature,
    start_energy: energy[0], final_energy_mean: last(energy), final_distance_mean: last(dist),
    final_overlap_mean: last(overlap), increment_mean: inc.mean, increment_variance: inc.variance,
    increment_autocorr_lag1: inc.autocorr.length > 1 && Number.isFinite(inc.autocorr[1]!) ? inc.autocorr[1] : null,
    acceptance_mean: finiteMean(acceptance),
    escaped_fraction: [...escape].filter(Number.isFinite).length / W,
    escape_distance_mean: finiteMean(escape),
  };
}
