/**
 * `glassy permute RUN`: permutation-interpolation (protocols/permute.ts, Liao et al. protocol 2):
 * the loss along θ → Pθ for hidden-unit permutations P, and optionally along θ_a → θ_b before and
 * after weight matching. Written as a new run.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parsePermuteConfig, runPermute } from '../../protocols/permute.js';
import { nonNegativeInt, positiveInt, printJson, derivedRunDir } from '../options.js';

/** "random,2,10,50" → ['random', 2, 10, 50]. */
function swapList(value: string): Array<number | 'random'> {
  return value.split(',').map((p) => {
    const s = p.trim();
    if (s === 'random') return 'random';
    const v = Number(s);
    if (s === '' || !Number.isInteger(v) || v < 0) throw new InvalidArgumentError(`expected non-negative integers or "random" separated by commas, got "${value}"`);
    return v;
  });
}

/** "0,1" → [0, 1]. */
function pairOf(value: string): [number, number] {
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(value);
  if (!m) throw new InvalidArgumentError(`expected two replica indices a,b, got "${value}"`);
  return [Number(m[1]), Number(m[2])];
}

export function register(program: Command): void {
  program
    .command('permute')
    .description('loss along θ → Pθ for hidden-unit permutations P (barrier vs displaced units k), and θa → θb before/after alignment')
    .argument('<run>', 'a complete train run directory')
    .option('--replica <i>', 'the replica whose θ is permuted', nonNegativeInt, 0)
    .option('--swaps <k,...>', 'displaced units per hidden layer (0 or 2..width), or "random"; a list gives the dependence on k', swapList, ['random'])
    .addOption(new Option('--shape <how>', 'how the k displaced units are permuted').choices(['cycle', 'transpositions']).default('cycle'))
    .option('--repeats <r>', 'independent permutations per k', positiveInt, 1)
    .option('--points <G>', 'points along each path', positiveInt, 41)
    .option('--pair <a,b>', 'also the straight path between replicas a and b, before and after weight matching', pairOf)
    .option('--train-samples <n>', 'training samples of the evaluations (default: all)', positiveInt)
    .option('--seed <S>', 'seed of the random permutations (default: the source run\'s)', nonNegativeInt)
    .option('--out <dir>', 'run directory (default: <run>-permute)')
    .option('--overwrite', 'replace an existing run directory')
    .option('--json', 'print the key figures as one JSON object')
    .action((source: string, flags: Record<string, unknown>) => {
      const config = parsePermuteConfig({
        source,
        replica: flags['replica'],
        swaps: flags['swaps'],
        shape: flags['shape'],
        repeats: flags['repeats'],
        points: flags['points'],
        pair: flags['pair'] ?? null,
        trainSamples: flags['trainSamples'] ?? null,
      });
      const out = (flags['out'] as string | undefined) ?? derivedRunDir(source, 'permute');
      const json = flags['json'] === true;
      const s = runPermute(config, out, {
        overwrite: flags['overwrite'] === true,
        ...(flags['seed'] !== undefined ? { seed: flags['seed'] as number } : {}),
        ...(json ? {} : { progress: (m: string) => process.stderr.write(`  ${m}\n`) }),
      });
      if (json) printJson(s);
      else {
        const lines = s.per_k.map((r) => `  k = ${r.k}: barrier ${r.barrier.toPrecision(4)} (test ${r.test_barrier.toPrecision(4)}), |θ − Pθ| = ${r.distance.toPrecision(4)}`);
        if (s.pair_barrier_linear !== undefined) lines.push(`  pair: barrier ${s.pair_barrier_linear.toPrecision(4)} before alignment, ${s.pair_barrier_aligned!.toPrecision(4)} after`);
        process.stdout.write(`permute ${s.run}: |E(Pθ) − E(θ)| ≤ ${s.invariance_max_abs.toExponential(2)}\n${lines.join('\n')}\n`);
      }
    });
}
