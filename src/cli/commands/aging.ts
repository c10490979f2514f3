/**
 * `glassy aging`: two-time observables Δ, C (and Ĉ, D4, Y) and the energy after a quench, on a
 * network (SGD steps), the spherical p-spin (Langevin / gradient descent steps), SK (Metropolis
 * sweeps) or the flat landscape (free diffusion, a calibration) — protocols/aging.ts. Flags and a
 * config file (`--config F`) say the same things; flags win. Everything is validated before the run
 * directory is created.
 */
import { Option, type Command } from 'commander';
import { GlassyError } from '../../core/errors.js';
import { runEnsemble } from '../../executor/ensemble.js';
import { addExecutorFlags, executorOptionsFrom } from '../executor-flags.js';
import { agingPoints, agingUnits, parseAgingConfig } from '../../protocols/aging.js';
import { mlpSizes, trainConfigOf } from '../../protocols/aging/config.js';
import { checkTrainData } from '../../protocols/train.js';
import { Run } from '../../store/run.js';
import { addTrainingOptions, trainingConfigFrom } from '../training-options.js';
import {
  integer, intList, loadConfigFile, merge, nonNegative, nonNegativeInt, numberList, positive, positiveInt, printJson, defaultRunDir,
} from '../options.js';
import { reportResult } from '../protocol-command.js';
import { registry } from '../../registry.js';

export function register(program: Command): void {
  const cmd = program
    .command('aging')
    .description('aging after a quench: Δ(tw,tw+t), C(tw,tw+t) and the energy for networks (SGD), the p-spin, SK (Baity-Jesi et al. 2018)')
    .addOption(new Option('--landscape <kind>', 'mlp (network, time = SGD steps), pspin (spherical p-spin), sk (Metropolis sweeps), flat (free diffusion)').choices(['mlp', 'pspin', 'sk', 'flat']))
    .option('--config <file>', 'config file (JSON or YAML) with the same fields; flags override it')
    // grids
    .option('--t-max <T>', 'total time T (SGD steps, dynamics steps or sweeps; default 1000)', positiveInt)
    .option('--tw <list>', 'waiting times, e.g. 0,10,100 (default LogList(1, T/2, --tw-points))', intList)
    .option('--tw-points <n>', 'points of the waiting-time LogList (default 50, as DEEP-GLASS)', positiveInt)
    .option('--t-points <n>', 'points of the lag LogList(1, T/2, n) (default 100)', positiveInt)
    .option('--energy-points <n>', 'points of the energy-time LogList(1, T, n) (default 100)', positiveInt)
    .option('--collapse-tw-min <tw>', 'leave waiting times below this out of the μ collapse (default 1)', nonNegative)
    .option('--save-configs', 'store the configuration at every tw (per-replica/<r>/configs/tw-<tw>.npy)')
    // network
    // network: the flags of `glassy train` (training-options.ts), with Baity-Jesi et al.'s defaults from the schema
    .option('--widths <list>', 'mlp: hidden widths of the parametrisation sweep, e.g. 10,100,1000', intList)
    .addOption(new Option('--sampling <mode>', 'mlp: mini-batches').choices(['shuffle', 'replacement', 'full']))
    .option('--l2 <lambda>', 'mlp: L2 strength λ in λ‖θ‖² (default 0)', nonNegative)
    .option('--eval-train-samples <n>', 'mlp: measure the training loss on the first n samples', positiveInt)
    .option('--hessian', 'mlp: count near-zero Hessian eigenvalues of the final training loss')
    .option('--hessian-tol <eps>', 'mlp: near zero means |λ| ≤ eps·max|λ| (default 1e-4)', positive)
    // glasses
    .option('--n <N>', 'pspin/sk/flat: number of spins (degrees of freedom)', positiveInt)
    .option('--p <p>', 'pspin: interaction order 2, 3 or 4 (default 3)', positiveInt)
    .option('--temperature <list>', 'pspin/sk/flat: temperature(s) of the quench, e.g. 0.5,1.0 (mlp: Langevin optimiser temperature)', numberList)
    .option('--dt <dt>', 'pspin/flat: time step (continuous time = steps·dt)', positive)
    .addOption(new Option('--dynamics <kind>', 'pspin: langevin (at --temperature) or gd (gradient descent, T = 0)').choices(['langevin', 'gd']))
    .addOption(new Option('--storage <type>', 'pspin: coupling storage').choices(['float64', 'float32']))
    .addOption(new Option('--couplings <dist>', 'sk: coupling distribution').choices(['gauss', 'pm1']))
    .addOption(new Option('--rule <rule>', 'sk: single-spin-flip rule').choices(['metropolis', 'heatbath']))
    .option('--samples <S>', 'pspin/sk: disorder samples (default 1)', positiveInt)
    // ensemble
    .option('--replicas <R>', 'trajectories per point (width/temperature) and disorder sample', positiveInt)
    .option('--seed <S>', 'seed of every random stream', nonNegativeInt)
    .option('--out <dir>', 'run directory (default: runs/aging-<time>)')
    .option('--overwrite', 'replace an existing run directory')
    .option('--json', 'print one JSON object: exponents α, μ and final energy per point');
  addTrainingOptions(cmd);
  addExecutorFlags(cmd);
  cmd.action(async (flags: Record<string, unknown>) => {
    const exec = executorOptionsFrom(flags);
    const fromFile = typeof flags['config'] === 'string' ? loadConfigFile(flags['config']) : {};
    const landscape = (flags['landscape'] as string | undefined) ?? (fromFile['landscape'] as string | undefined);
    if (landscape === undefined) throw GlassyError.invalid('--landscape', undefined, 'mlp, pspin, sk or flat');
    const temps = flags['temperature'] as number[] | undefined;
    const section: Record<string, unknown> = {};
    if (landscape === 'mlp') {
      const file = (fromFile['mlp'] as Record<string, unknown> | undefined) ?? {};
      if (temps && temps.length !== 1) throw GlassyError.invalid('--temperature', temps.join(','), 'one temperature for the mlp Langevin optimiser');
      // --temperature is a list here; the network's Langevin optimiser takes its one value.
      section['mlp'] = merge(trainingConfigFrom({ ...flags, temperature: temps?.[0] }, file), {
        sampling: flags['sampling'], l2: flags['l2'], evalTrainSamples: flags['evalTrainSamples'],
        widths: flags['widths'], hessian: flags['hessian'] === true ? true : undefined, hessianTol: flags['hessianTol'],
      });
    } else if (landscape === 'pspin') {
      section['pspin'] = merge((fromFile['pspin'] as Record<string, unknown> | undefined) ?? {}, {
        p: flags['p'], n: flags['n'], temperatures: temps, dt: flags['dt'], dynamics: flags['dynamics'], storage: flags['storage'],
      });
    } else if (landscape === 'sk') {
      section['sk'] = merge((fromFile['sk'] as Record<string, unknown> | undefined) ?? {}, {
        n: flags['n'], temperatures: temps, couplings: flags['couplings'], rule: flags['rule'],
      });
    } else if (landscape === 'flat') {
      section['flat'] = merge((fromFile['flat'] as Record<string, unknown> | undefined) ?? {}, { n: flags['n'], temperatures: temps, dt: flags['dt'] });
    }
    const raw = merge(fromFile, {
      landscape,
      ...section,
      tMax: flags['tMax'], tw: flags['tw'], twPoints: flags['twPoints'], tPoints: flags['tPoints'],
      energyPoints: flags['energyPoints'], collapseTwMin: flags['collapseTwMin'],
      saveConfigs: flags['saveConfigs'] === true ? true : undefined,
      replicas: flags['replicas'], samples: flags['samples'],
    });
    delete raw['seed'];
    const config = parseAgingConfig(raw);
    const seed = integer(String(flags['seed'] ?? fromFile['seed'] ?? 0));
    if (config.landscape === 'mlp') {
      // The data must load and fit every network of the sweep before a run directory exists.
      for (const w of agingPoints(config)) {
        mlpSizes(config.mlp!, w);
        checkTrainData(trainConfigOf(config.mlp!, w, config.checkpointEvery), seed);
      }
    }
    const dir = (flags['out'] as string | undefined) ?? defaultRunDir('aging');
    const run = Run.create(dir, { protocol: 'aging', config, seed }, { overwrite: flags['overwrite'] === true });
    const result = await runEnsemble(run, registry, { ...exec, replicas: agingUnits(config), label: `aging ${run.dir}` });
    if (flags['json'] === true) {
      printJson({
        run: run.dir,
        status: result.status,
        landscape: config.landscape,
        replicas: result.replicas,
        points: (result.summary?.['points'] as unknown[] | undefined) ?? [],
        failed: result.failed,
        seconds: result.seconds,
      });
      if (result.status === 'failed') process.exitCode = 1;
    } else {
      await reportResult(result, false);
    }
  });
}

