/**
 * `glassy connect RUN a b`: mode connectivity between two replicas of a train run along straight,
 * Bézier and nudged-elastic-band paths (protocols/connect.ts), written as a new run.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { PATH_METHODS, parseConnectConfig, runConnect } from '../../protocols/connect.js';
import { betaLadder, nonNegative, nonNegativeInt, positive, positiveInt, printJson, derivedRunDir } from '../options.js';

function methodList(value: string): string[] {
  const out = value.split(',').map((s) => s.trim());
  if (out.some((m) => m === '')) throw new InvalidArgumentError(`expected methods separated by commas (${PATH_METHODS.join(', ')}), got "${value}"`);
  return out;
}

function replicaIndex(value: string): number {
  try {
    return nonNegativeInt(value);
  } catch {
    throw new InvalidArgumentError(`expected a replica index (an integer ≥ 0), got "${value}"`);
  }
}

function batchOrFull(value: string): number | 'full' {
  return value === 'full' ? 'full' : positiveInt(value);
}

export function register(program: Command): void {
  program
    .command('connect')
    .description('loss along paths between two replicas: linear, Bézier (Garipov et al. 2018), NEB (Draxler et al. 2018)')
    .argument('<run>', 'a complete train run directory')
    .argument('<a>', 'replica index of the start', replicaIndex)
    .argument('<b>', 'replica index of the end', replicaIndex)
    .option('--method <list>', `path methods, comma-separated: ${PATH_METHODS.join(', ')}`, methodList, ['linear'])
    .option('--points <G>', 'points along each path', positiveInt, 41)
    .option('--align', 'align b onto a by weight matching first')
    .option('--train-samples <n>', 'training samples of the evaluations along paths (default: all)', positiveInt)
    .option('--bezier-epochs <E>', 'epochs of control-point training', positive)
    .option('--bezier-lr <eta>', 'learning rate of the control point (default: the source run\'s)', positive)
    .option('--bezier-batch <B>', 'mini-batch of the control-point training (default: the source run\'s)', positiveInt)
    .option('--neb-images <M>', 'movable images of the band', positiveInt)
    .option('--neb-steps <n>', 'optimisation steps of the band', positiveInt)
    .option('--neb-optimizer <name>', 'auto | fire | gd (auto: FIRE full-batch, gd with mini-batches)')
    .option('--neb-lr <eta>', 'step size (gd) or initial Δt (FIRE)', positive)
    .option('--neb-spring <k>', 'spring constant', nonNegative)
    .option('--neb-climbing', 'climbing image at the highest image')
    .option('--neb-batch <B|full>', 'mini-batch size, or "full" for full-batch gradients (default: the source run\'s batch)', batchOrFull)
    .option('--l2-betas <ladder>', 'β ladder of --method l2: start:stop:step or a list (default: 26 points, 1e-4 … 10, geometric)', betaLadder)
    .option('--l2-max-epochs <n>', 'epochs per β of --method l2 at most (default 5)', positiveInt)
    .option('--l2-patience <n>', 'epochs without improvement before the next β (default 2)', positiveInt)
    .option('--seed <S>', 'seed of the mini-batch and t streams (default: the source run\'s)', nonNegativeInt)
    .option('--out <dir>', 'run directory (default: <run>-connect)')
    .option('--overwrite', 'replace an existing run directory')
    .option('--json', 'print the key figures as one JSON object')
    .action(async (source: string, a: number, b: number, flags: Record<string, unknown>) => {
      const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
      const config = parseConnectConfig({
        source, a, b,
        methods: flags['method'],
        points: flags['points'],
        align: flags['align'] === true,
        trainSamples: flags['trainSamples'] ?? null,
        bezier: defined({ epochs: flags['bezierEpochs'], lr: flags['bezierLr'], batch: flags['bezierBatch'] }),
        neb: defined({
          images: flags['nebImages'], steps: flags['nebSteps'], optimizer: flags['nebOptimizer'], lr: flags['nebLr'],
          spring: flags['nebSpring'], climbing: flags['nebClimbing'] === true ? true : undefined, batch: flags['nebBatch'],
        }),
        l2: defined({ betas: flags['l2Betas'], maxEpochs: flags['l2MaxEpochs'], patience: flags['l2Patience'] }),
      });
      const out = (flags['out'] as string | undefined) ?? derivedRunDir(source, 'connect');
      const json = flags['json'] === true;
      const s = await runConnect(config, out, {
        overwrite: flags['overwrite'] === true,
        ...(flags['seed'] !== undefined ? { seed: flags['seed'] as number } : {}),
        ...(json || !process.stderr.isTTY ? {} : { progress: (m: string) => process.stderr.write(`\r  ${m}      `) }),
      });
      if (!json && process.stderr.isTTY) process.stderr.write('\n');
      if (json) printJson(s);
      else {
        const lines = s.paths.map((p) => `  ${p}: barrier ${s.barriers[p]!.toPrecision(4)} at t = ${s.barrier_position[p]!.toFixed(3)} (max loss ${s.max_train_loss[p]!.toPrecision(4)}; test ${s.test_barriers[p]!.toPrecision(4)})`);
        process.stdout.write(`connect ${s.run}: replicas ${s.a} → ${s.b}${s.aligned ? ' (aligned)' : ''}, |θa − θb| = ${s.distance.toPrecision(4)}\n${lines.join('\n')}\n`);
      }
    });
}
