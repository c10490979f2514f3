/**
 * `glassy surface RUN [--replica i | --through a,b,c | --path CONNECT_RUN]` or `glassy surface
 * --pspin-n N`: the loss on a 2-D plane of parameter space (protocols/surface.ts; Li et al. 2018,
 * Garipov et al. 2018), the grid's row blocks run as replicas on any executor.
 */
import { Option, type Command } from 'commander';
import { runEnsemble } from '../../executor/ensemble.js';
import { addExecutorOptions, executorOptionsFrom } from '../../executor/options.js';
import { parseSurfaceConfig, prepareSurface, surfaceReplicas, task } from '../../protocols/surface.js';
import { Run } from '../../store/run.js';
import { intList, nonNegative, nonNegativeInt, positive, positiveInt, printJson } from '../options.js';
import { reportResult } from './run.js';

export function register(program: Command): void {
  const cmd = program
    .command('surface')
    .description('loss on a 2-D plane through a minimum (Li et al. 2018) or through three minima (Garipov et al. 2018), for networks and the spherical p-spin')
    .argument('[run]', 'a complete train run (or use --pspin-n)')
    .option('--replica <i>', 'the minimum at the centre of the random plane', nonNegativeInt, 0)
    .option('--through <a,b,c>', 'the plane through three replicas instead of a random plane', intList)
    .option('--path <connect-run>', 'a connect run (bezier or neb) drawn on the plane; without --through the plane is spanned by its path')
    .option('--grid <G>', 'grid points per axis (G × G loss evaluations)', positiveInt, 21)
    .option('--range <r>', 'random plane: α, β from −r to r (units of the normalised directions)', positive, 1)
    .option('--margin <f>', 'plane through points: margin around them, a fraction of their extent', nonNegative, 0.25)
    .addOption(new Option('--normalisation <how>', 'random directions scaled per filter (row), per layer, or as a whole (Li et al. 2018)').choices(['filter', 'layer', 'none']).default('filter'))
    .addOption(new Option('--loss <which>', 'the loss evaluated on the grid (networks)').choices(['train', 'test', 'both']).default('train'))
    .option('--train-samples <n>', 'training samples the loss is measured on (the first n)', positiveInt, 2000)
    .option('--all-train', 'measure the loss on the whole training set (overrides --train-samples)')
    .option('--rows-per-replica <n>', 'grid rows per replica (the unit of parallel work; does not change the numbers)', positiveInt, 2)
    .option('--pspin-n <N>', 'spherical p-spin of N spins instead of a network run', positiveInt)
    .option('--p <p>', 'p-spin: interaction order 2, 3 or 4', positiveInt, 3)
    .option('--gd-steps <n>', 'p-spin: gradient-descent steps on the sphere to reach the centre', nonNegativeInt, 2000)
    .option('--dt <dt>', 'p-spin: gradient-descent time step', positive, 0.05)
    .option('--seed <S>', 'seed of the random directions (default: the source run\'s; p-spin: of the couplings too)', nonNegativeInt)
    .option('--out <dir>', 'run directory (default: <run>-surface, or runs/surface-pspin-N)')
    .option('--overwrite', 'replace an existing run directory')
    .option('--json', 'print one JSON object with the key figures');
  addExecutorOptions(cmd);
  cmd.action(async (source: string | undefined, flags: Record<string, unknown>) => {
    const exec = executorOptionsFrom(flags);
    const pspinN = flags['pspinN'] as number | undefined;
    const config = parseSurfaceConfig({
      source: source ?? null,
      pspin: pspinN === undefined ? null : { n: pspinN, p: flags['p'], seed: flags['seed'] ?? 0, gdSteps: flags['gdSteps'], dt: flags['dt'] },
      replica: flags['replica'],
      through: flags['through'] ?? null,
      path: flags['path'] ?? null,
      grid: flags['grid'],
      range: flags['range'],
      margin: flags['margin'],
      normalisation: flags['normalisation'],
      loss: flags['loss'],
      trainSamples: flags['allTrain'] === true ? null : flags['trainSamples'],
      rowsPerReplica: flags['rowsPerReplica'],
    });
    const prepared = prepareSurface(config);
    const seed = (flags['seed'] as number | undefined) ?? prepared.seed;
    const out = (flags['out'] as string | undefined) ?? (source ? `${source.replace(/\/+$/, '')}-surface` : `runs/surface-pspin-${pspinN}`);
    const run = Run.create(out, { protocol: 'surface', config, seed }, { overwrite: flags['overwrite'] === true });
    const result = await runEnsemble(run, task, { ...exec, replicas: surfaceReplicas(config), label: `surface ${run.dir}` });
    if (flags['json'] === true) {
      printJson({ run: run.dir, protocol: 'surface', status: result.status, summary: result.summary ?? null, seconds: result.seconds, replicas: result.replicas, failed: result.failed });
      if (result.status === 'failed') process.exitCode = 1;
    } else {
      reportResult(result, false);
      const s = result.summary;
      if (s) {
        const f = (v: unknown) => (typeof v === 'number' ? v.toPrecision(4) : String(v));
        process.stdout.write(`  plane ${String(s['plane'])}; ${f(s['evaluations'])} points, training loss from ${f(s['train_loss_min'])} to ${f(s['train_loss_max'])}\n`);
      }
    }
  });
}
