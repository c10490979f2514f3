/**
 * The random-walk protocol (Liao et al. protocol 1, protocols/walk.ts) on a spin-glass configuration,
 * so networks and glasses are walked with the same observables: W walkers start from the final
 * configuration of one replica of a `spinglass` run and take S steps — for Ising models k random
 * distinct spin flips per step, for the spherical p-spin an isotropic tangent step of norm h followed
 * by the return to the sphere — optionally Metropolis-accepted at temperature T on the energy.
 * Recorded per walker and step: the energy per spin (the glass's "loss"), the distance |x_t − x_0|
 * and the overlap q(x_t, x_0) = x_t·x_0/N; then the escape distance, the distribution and the
 * autocorrelation of the energy increments (ruggedness), exactly as for networks.
 */
import { z } from 'zod';
import { GlassyError, parseWith } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import { normalizeToSphere, projectTangent } from '../dynamics/sphere.js';
import type { Landscape } from '../landscapes/landscape.js';
import { PSpin } from '../landscapes/pspin.js';
import { Run } from '../store/run.js';
import { MODEL_BUILDERS, validateSpinglassConfig, type IsingModelName, type SpinglassConfig } from './spinglass.js';
import { autocorrelation, histogram, metropolisAccept } from './walk.js';

export const spinWalkConfigSchema = z.object({
  source: z.string().min(1),
  temperatureIndex: z.number().int().min(0).default(0),
  sample: z.number().int().min(0).default(0),
  replica: z.number().int().min(0).default(0),
  walkers: z.number().int().min(1).default(4),
  steps: z.number().int().min(1).default(1000),
  /** Ising: spins flipped per step. */
  flips: z.number().int().min(1).default(1),
  /** p-spin: norm of the tangent step. */
  stepSize: z.number().min(0).default(0.1),
  temperature: z.number().min(0).default(0),
  /** Escape: first distance where e exceeds e(x_0) + threshold (per spin). */
  threshold: z.number().positive().default(0.05),
  bins: z.number().int().min(2).default(50),
  maxLag: z.number().int().min(1).default(50),
});

export type SpinWalkConfig = z.infer<typeof spinWalkConfigSchema>;

export function parseSpinWalkConfig(raw: unknown): SpinWalkConfig {
  return parseWith(spinWalkConfigSchema, raw);
}

interface Start {
  landscape: Landscape<Float64Array>;
  x0: Float64Array;
  ising: boolean;
  seed: number;
}

/** The landscape (rebuilt from the source's disorder seed) and the walkers' starting point. */
export function prepareSpinWalk(config: SpinWalkConfig): Start {
  const source = Run.open(config.source);
  if (source.manifest.protocol !== 'spinglass') throw GlassyError.invalid('source', source.dir, 'a spinglass run');
  const cfg = validateSpinglassConfig(source.manifest.config as SpinglassConfig);
  if (!source.hasArray('configurations')) throw GlassyError.invalid('source', source.dir, 'a spinglass run with arrays/configurations.npy (not --dynamics exact)');
  const { data, shape } = source.readArray('configurations');
  const [K, M, R, N] = shape as [number, number, number, number];
  if (config.temperatureIndex >= K) throw GlassyError.invalid('temperatureIndex', config.temperatureIndex, `an index < ${K}`);
  if (config.sample >= M) throw GlassyError.invalid('sample', config.sample, `an index < ${M}`);
  if (config.replica >= R) throw GlassyError.invalid('replica', config.replica, `an index < ${R}`);
  const base = ((config.temperatureIndex * M + config.sample) * R + config.replica) * N;
  const x0 = Float64Array.from({ length: N }, (_, i) => data[base + i]!);
  const ising = cfg.model !== 'pspin';
  const landscape: Landscape<Float64Array> = ising
    ? MODEL_BUILDERS[cfg.model as IsingModelName](cfg, config.sample)
    : new PSpin({ n: N, p: (cfg.p ?? 3) as 2 | 3 | 4, seed: cfg.seed, sample: config.sample });
  if (ising && config.flips > N) throw GlassyError.invalid('flips', config.flips, `at most N = ${N}`);
  return { landscape, x0, ising, seed: source.manifest.seed };
}

/** Runs the W walkers and writes the walk arrays (docs/run-format/walk.md, `walk_energy` for glasses). */
export function runSpinWalk(config: SpinWalkConfig, start: Start, out: string, seed: number, opts: { overwrite?: boolean } = {}): Record<string, unknown> {
  const { landscape: L, x0, ising } = start;
  const N = x0.length, W = config.walkers, S = config.steps;
  const run = Run.create(out, { protocol: 'walk', config: { ...config, kind: 'spinglass' }, seed }, opts);
  try {
    const e0 = L.energy(x0) / N;
    const energy = new Float64Array(W * (S + 1)), dist = new Float64Array(W * (S + 1)), overlap = new Float64Array(W * (S + 1));
    const accepted = new Float64Array(W), escape = new Float64Array(W).fill(NaN);
    const increments: number[] = [];
    const auto = new Float64Array(config.maxLag + 1);
    for (let w = 0; w < W; w++) {
      const rng = Rng.stream(seed, Stream.walk, w);
      const x = x0.slice(), trial = new Float64Array(N), step = new Float64Array(N);
      let e = e0;
      const series = new Float64Array(S + 1);
      const record = (s: number) => {
        let d2 = 0, q = 0;
        for (let i = 0; i < N; i++) { d2 += (x[i]! - x0[i]!) ** 2; q += x[i]! * x0[i]!; }
        energy[w * (S + 1) + s] = e;
        dist[w * (S + 1) + s] = Math.sqrt(d2);
        overlap[w * (S + 1) + s] = q / N;
        series[s] = e;
        if (Number.isNaN(escape[w]!) && e > e0 + config.threshold) escape[w] = Math.sqrt(d2);
      };
      record(0);
      for (let s = 1; s <= S; s++) {
        trial.set(x);
        if (ising) {
          // k distinct sites: a partial Fisher–Yates draw without replacement.
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
          accepted[w]!++;
        }
        record(s);
      }
      for (let s = 1; s <= S; s++) increments.push(series[s]! - series[s - 1]!);
      const ac = autocorrelation(Float64Array.from({ length: S }, (_, s) => series[s + 1]! - series[s]!), Math.min(config.maxLag, S - 1));
      for (let k = 0; k < ac.length; k++) auto[k] = auto[k]! + ac[k]! / W;
    }
    const inc = Float64Array.from(increments);
    const h = histogram(inc, config.bins);
    const mean = inc.reduce((a, b) => a + b, 0) / inc.length;
    const variance = inc.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, inc.length - 1);
    run.writeArray('walk_steps', Int32Array.from({ length: S + 1 }, (_, s) => s));
    run.writeArray('walk_energy', energy, [W, S + 1]);
    run.writeArray('walk_distance', dist, [W, S + 1]);
    run.writeArray('walk_overlap', overlap, [W, S + 1]);
    run.writeArray('walk_increments_hist', h.counts);
    run.writeArray('walk_increments_edges', h.edges);
    run.writeArray('walk_increment_autocorr', auto);
    run.writeArray('walk_lags', Int32Array.from(auto, (_, k) => k));
    run.writeArray('escape_distance', escape);
    run.writeArray('walk_acceptance', accepted.map((a) => a / S));
    const last = (a: Float64Array) => Array.from({ length: W }, (_, w) => a[w * (S + 1) + S]!).reduce((x, y) => x + y, 0) / W;
    const summary = {
      kind: 'spinglass', start_energy: e0, final_energy_mean: last(energy), final_distance_mean: last(dist),
      final_overlap_mean: last(overlap), increment_variance: variance, increment_autocorr_1: auto[1] ?? NaN,
      acceptance_mean: accepted.reduce((a, b) => a + b, 0) / (W * S),
      escaped_fraction: escape.filter((v) => !Number.isNaN(v)).length / W,
    };
    run.finish(summary);
    return { run: run.dir, ...summary };
  } catch (err) {
    run.fail(err instanceof Error ? err.message : String(err));
    throw err;
  }
}
