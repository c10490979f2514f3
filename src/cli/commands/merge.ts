/**
 * `glassy merge RUN`: after the shards of a run (`--shard i/n`, e.g. a SLURM array) are done,
 * check that every replica is done exactly once and finalise the run.
 */
import type { Command } from 'commander';
import { registry } from '../../registry.js';
import { printJson } from '../options.js';
import { writeReport } from '../result.js';

export function register(program: Command): void {
  program
    .command('merge')
    .description('check every replica of a sharded run is done exactly once, then finalise it')
    .argument('<run>', 'run directory')
    .option('--no-report', 'do not write RUN/report.html')
    .option('--json', 'print { run, protocol, status, summary, seconds, ... } as one JSON object')
    .action(async (dir: string, flags: { json?: boolean; report: boolean }) => {
      const t0 = performance.now();
      const { mergeRun } = await import('../../executor/ensemble.js');
      const r = await mergeRun(dir, registry);
      const report = flags.report ? await writeReport(r.runDir) : undefined;
      const seconds = (performance.now() - t0) / 1000;
      if (flags.json) {
        printJson({ run: r.runDir, protocol: r.protocol, status: 'complete', summary: r.summary, seconds, replicas: r.replicas, shards: r.shards, ...(report ? { report } : {}) });
      } else {
        process.stdout.write(`${r.protocol}: ${r.runDir} merged (${r.replicas} replicas${r.shards ? ` from ${r.shards} shards` : ''}) and complete\n`);
        if (report) process.stdout.write(`report: ${report}\n`);
      }
    });
}
