/**
 * `glassy spinglass`: reference spin glasses (SK, EA 2D/3D, Hopfield; the spherical p-spin) with Monte
 * Carlo, parallel tempering, annealing, quench, exact enumeration, Langevin or gradient descent. Thin:
 * parses and checks flags, runs the protocol's disorder samples as replicas on the chosen executor
 * (protocols/spinglass), prints where the run is (or, with --json, one JSON object of the results).
 */
import { Command, Option } from 'commander';
import { GlassyError } from '../../core/errors.js';
import { geometricLadder } from '../../dynamics/montecarlo/tempering.js';
import { runEnsemble } from '../../executor/ensemble.js';
import { addExecutorOptions, executorOptionsFrom } from '../../executor/options.js';
import {
  SPINGLASS_DEFAULTS, SPINGLASS_DYNAMICS, SPINGLASS_MODELS, checkSpinglassSize, task, validateSpinglassConfig, type SpinglassConfig,
} from '../../protocols/spinglass/index.js';
import { Run } from '../../store/run.js';
import { reportResult } from './run.js';

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
  [executorFlag: string]: unknown;
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
  const cmd = program
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
    .option('--json', 'print one JSON object with the results');
  addExecutorOptions(cmd);
  cmd.action(async (f: Flags) => {
      // Everything is checked before the run directory exists: a refused run leaves nothing behind.
      const cfg = validateSpinglassConfig(toConfig(f));
      checkSpinglassSize(cfg);
      const exec = executorOptionsFrom(f);
      const out = f.out ?? `runs/spinglass-${cfg.model}-${cfg.dynamics}-${cfg.seed}`;
      const run = Run.create(out, { protocol: 'spinglass', config: cfg, seed: cfg.seed }, { overwrite: f.overwrite === true });
      const result = await runEnsemble(run, task, { ...exec, replicas: cfg.samples, label: `spinglass ${run.dir}` });
      const summary = result.summary as Record<string, unknown> | undefined;
      if (!summary) {
        reportResult(result, f.json === true);
        return;
      }
      if (f.json) process.stdout.write(JSON.stringify({ run: run.dir, ...summary }) + '\n');
      else {
        process.stdout.write(`run: ${run.dir}\n`);
        const T = summary['temperatures'] as number[];
        const col = (k: string) => summary[k] as number[] | undefined;
        for (let k = 0; k < T.length; k++) {
          const g = col('binder');
          process.stdout.write(
            `T=${T[k]!.toPrecision(4)}  e=${fmt(col('energy')![k]!, col('energy_se')![k]!)}  q2=${fmt(col('q2')![k]!, col('q2_se')![k]!)}` +
            (g ? `  g=${fmt(g[k]!, col('binder_se')![k]!)}` : '') + '\n',
          );
        }
        if (typeof summary['binder_note'] === 'string') process.stdout.write(`(${summary['binder_note']})\n`);
      }
  });
}

function fmt(x: number, se: number): string {
  return Number.isFinite(se) ? `${x.toFixed(5)} ± ${se.toFixed(5)}` : x.toFixed(5);
}
