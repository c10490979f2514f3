/**
 * `glassy merge RUN`: after the shards of a run (`--shard i/n`, e.g. a SLURM array) are done,
 * check that every replica is done exactly once and finalise the run.
 */
import type { Command } from 'commander';
import { mergeRun } from '../../executor/ensemble.js';
import { printJson } from '../options.js';

export function register(program: Command): void {
  program
    .command('merge')
    .description('check every replica of a sharded run is done exactly once, then finalise it')
    .argument('<run>', 'run directory')
    .option('--json', 'print the result as one JSON object on stdout')
    .action(async (dir: string, flags: { json?: boolean }) => {
      const r = await mergeRun(dir);
      if (flags.json) printJson({ ...r, status: 'complete' });
      else process.stdout.write(`${r.protocol}: ${r.runDir} merged (${r.replicas} replicas${r.shards ? ` from ${r.shards} shards` : ''}) and complete\n`);
    });
}
