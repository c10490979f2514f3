/**
 * `glassy spinglass`: Ising reference spin glasses (SK, EA 2D/3D, Hopfield) with Monte Carlo, parallel
 * tempering, annealing, quench or exact enumeration. Thin: parses and checks flags, calls
 * protocols/spinglass, prints where the run is (or, with --json, one JSON object of the results).
 */
import { Command, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { GlassyError } from '../../core/errors.js';
import { geometricLadder } from '../../dynamics/montecarlo/tempering.js';
import {
  SPINGLASS_DEFAULTS, SPINGLASS_DYNAMICS, SPINGLASS_MODELS, runSpinglass, type SpinglassConfig,
} from '../../protocols/spinglass.js';

interface Flags {
  model: string;
  n?: string;
  l?: string;
  alpha?: string;
  p?: string;
  dt?: string;
  couplings: string;
  pPlus?: string;
  field?: string;
  dynamics: string;
  temperatures?: string;
  tMin?: string;
  tMax?: string;
  nTemperatures?: string;
  sweeps?: string;
  equilibration?: string;
  samples?: string;
  replicas?: string;
  seed?: string;
  order: string;
  measureEvery?: string;
  bins?: string;
  start: string;
  timePoints?: string;
  out?: string;
  overwrite?: boolean;
  json?: boolean;
}

/** A finite number from a flag, or a GlassyError naming the flag. */
function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x)) throw GlassyError.invalid(flag, v, 'a number');
  return x;
}

function int(flag: string, v: string | undefined): number | undefined {
  const x = num(flag, v);
  if (x !== undefined && !Number.isInteger(x)) throw GlassyError.invalid(flag, v, 'an integer');
  return x;
}

/** --temperatures list, or the geometric ladder of --t-min/--t-max/--n-temperatures. */
function temperatures(f: Flags): number[] {
  const ladder = f.tMin !== undefined || f.tMax !== undefined || f.nTemperatures !== undefined;
  if (f.temperatures !== undefined) {
    if (ladder) throw GlassyError.invalid('temperatures', f.temperatures, 'either --temperatures or --t-min/--t-max/--n-temperatures, not both');
    const parts = f.temperatures.split(',').map((s) => s.trim());
    return parts.map((p) => {
      const T = Number(p);
      if (p === '' || !Number.isFinite(T) || T <= 0) throw GlassyError.invalid('temperatures', f.temperatures, 'a comma-separated list of temperatures > 0, e.g. 0.5,1,2');
      return T;
    });
  }
  if (!ladder) return [];
  const tMin = num('t-min', f.tMin);
  const tMax = num('t-max', f.tMax);
  const count = int('n-temperatures', f.nTemperatures) ?? (tMin !== undefined && tMax !== undefined && tMin === tMax ? 1 : undefined);
  if (tMin === undefined) throw GlassyError.invalid('t-min', undefined, 'a lowest temperature > 0 with --t-max/--n-temperatures');
  if (tMax === undefined) throw GlassyError.invalid('t-max', undefined, 'a highest temperature with --t-min/--n-temperatures');
  if (count === undefined) throw GlassyError.invalid('n-temperatures', undefined, 'a number of temperatures with --t-min/--t-max');
  return geometricLadder(tMin, tMax, count);
}

export function toConfig(f: Flags): Partial<SpinglassConfig> & Pick<SpinglassConfig, 'model' | 'dynamics'> {
  return {
    model: f.model as SpinglassConfig['model'],
    dynamics: f.dynamics as SpinglassConfig['dynamics'],
    n: int('n', f.n),
    l: int('l', f.l),
    alpha: num('alpha', f.alpha),
    p: int('p', f.p),
    dt: num('dt', f.dt),
    couplings: f.couplings as SpinglassConfig['couplings'],
    pPlus: num('p-plus', f.pPlus),
    field: num('field', f.field),
    temperatures: temperatures(f),
    sweeps: int('sweeps', f.sweeps),
    equilibration: int('equilibration', f.equilibration),
    samples: int('samples', f.samples),
    replicas: int('replicas', f.replicas),
    seed: int('seed', f.seed),
    order: f.order as SpinglassConfig['order'],
    measureEvery: int('measure-every', f.measureEvery),
    bins: int('bins', f.bins),
    start: f.start as SpinglassConfig['start'],
    timePoints: int('time-points', f.timePoints),
  };
}

export function register(program: Command): void {
  const d = SPINGLASS_DEFAULTS;
  program
    .command('spinglass')
    .description('spin glasses (SK, EA 2D/3D, Hopfield, spherical p-spin): energy, P(q), <q²>, Binder ratio over disorder samples')
    .addOption(new Option('--model <name>', 'model').choices([...SPINGLASS_MODELS]).makeOptionMandatory())
    .option('--n <N>', 'number of spins (sk, hopfield)')
    .option('--l <L>', 'lattice side (ea2d, ea3d)')
    .option('--alpha <a>', 'Hopfield load P/N (default 0.05)')
    .option('--p <p>', 'p-spin interaction order: 2, 3 or 4 (default 3)')
    .option('--dt <dt>', 'p-spin Langevin time step (default 0.05; a sweep is one step)')
    .addOption(new Option('--couplings <dist>', 'coupling distribution').choices(['gauss', 'pm1']).default(d.couplings))
    .option('--p-plus <p>', 'P(J = +1) for ±J lattice couplings (default 0.5)')
    .option('--field <h>', 'uniform external field h (default 0)')
    .addOption(new Option('--dynamics <name>', 'dynamics').choices([...SPINGLASS_DYNAMICS]).default('metropolis'))
    .option('--temperatures <list>', 'comma-separated temperatures, e.g. 0.5,1,2')
    .option('--t-min <T>', 'lowest temperature of a geometric ladder')
    .option('--t-max <T>', 'highest temperature of a geometric ladder')
    .option('--n-temperatures <K>', 'number of temperatures of the geometric ladder')
    .option('--sweeps <S>', `measurement sweeps (anneal: annealing sweeps) (default ${d.sweeps})`)
    .option('--equilibration <E>', `equilibration sweeps (default ${d.equilibration})`)
    .option('--samples <M>', `disorder samples (default ${d.samples})`)
    .option('--replicas <R>', `replicas per sample and temperature, ≥ 2 for q (default ${d.replicas})`)
    .option('--seed <S>', `seed (default ${d.seed})`)
    .addOption(new Option('--order <order>', 'site order of a sweep').choices(['sequential', 'random']).default(d.order))
    .option('--measure-every <k>', 'measure every k sweeps (default 1)')
    .option('--bins <B>', 'P(q) histogram bins (default N + 1)')
    .addOption(new Option('--start <how>', 'initial spins (pattern: Hopfield pattern 0)').choices(['random', 'pattern']).default(d.start))
    .option('--time-points <k>', `log-spaced times of the energy-vs-time series (default ${d.timePoints})`)
    .option('--out <dir>', 'run directory (default runs/spinglass-<model>-<dynamics>-<seed>)')
    .option('--overwrite', 'replace an existing run directory')
    .option('--json', 'print one JSON object with the results')
    .action(async (f: Flags) => {
      const cfg = toConfig(f);
      const out = f.out ?? `runs/spinglass-${cfg.model}-${cfg.dynamics}-${cfg.seed ?? d.seed}`;
      const tty = process.stderr.isTTY === true;
      const bar = tty ? new SingleBar({ format: 'spinglass [{bar}] {value}/{total} samples | {eta_formatted}' }, Presets.shades_classic) : null;
      let started = false;
      const summary = await runSpinglass(cfg, out, {
        overwrite: f.overwrite === true,
        progress: (done, total, message) => {
          if (bar) {
            if (!started) bar.start(total, 0);
            started = true;
            bar.update(done);
          } else if (!f.json || process.env['GLASSY_PROGRESS']) {
            process.stderr.write(`spinglass: ${message}\n`);
          }
        },
      }).finally(() => bar?.stop());
      if (f.json) process.stdout.write(JSON.stringify(summary) + '\n');
      else {
        process.stdout.write(`run: ${summary.run}\n`);
        for (let k = 0; k < summary.temperatures.length; k++) {
          process.stdout.write(
            `T=${summary.temperatures[k]!.toPrecision(4)}  e=${fmt(summary.energy[k]!, summary.energy_se[k]!)}  q2=${fmt(summary.q2[k]!, summary.q2_se[k]!)}  g=${fmt(summary.binder[k]!, summary.binder_se[k]!)}\n`,
          );
        }
      }
    });
}

function fmt(x: number, se: number): string {
  return Number.isFinite(se) ? `${x.toFixed(5)} ± ${se.toFixed(5)}` : x.toFixed(5);
}
