/**
 * `glassy resume RUN`: finish a run that was killed, interrupted or had failed replicas. Done
 * replicas are skipped, the others continue from their latest good checkpoint, then the run is
 * finalised — with results bit-identical to an uninterrupted run. Also how shards of a prepared
 * run are started (`glassy resume RUN --shard i/n`).
 */
import type { Command } from 'commander';
import { GlassyError } from '../../core/errors.js';
import { registry } from '../../registry.js';
import { addExecutorFlags, executorOptionsFrom } from '../executor-flags.js';
import { reportResult } from '../result.js';
import { printJson } from '../options.js';

export function register(program: Command): void {
  const cmd = program
    .command('resume')
    .description('finish an interrupted or failed run: skip done replicas, continue the others from their checkpoints')
    .argument('<run>', 'run directory')
    .option('--force', 'resume even though the manifest says another host is still running it')
    .option('--no-report', 'do not write RUN/report.html when the run completes')
    .option('--json', 'print { run, protocol, status, summary, seconds, ... } as one JSON object');
  addExecutorFlags(cmd);
  cmd.action(async (dir: string, flags: Record<string, unknown>) => {
    const exec = executorOptionsFrom(flags);
    const { Run } = await import('../../store/run.js');
    const { readEnsemble } = await import('../../executor/markers.js');
    const { runEnsemble } = await import('../../executor/ensemble.js');
    const run = Run.open(dir);
    if (run.status === 'complete' && !exec.shard) {
      if (flags['json']) {
        printJson({ run: run.dir, protocol: run.manifest.protocol, status: 'complete', summary: run.manifest.summary ?? {}, seconds: 0 });
      } else process.stdout.write(`${run.manifest.protocol}: ${run.dir} is already complete\n`);
      return;
    }
    // Run.open already turned a dead local process into 'interrupted'; a 'running' run of another
    // host cannot be checked from here, so it takes --force to say it is dead.
    if (run.status === 'running' && !exec.shard && !flags['force']) {
      throw new GlassyError(`${run.dir} is still running (pid ${run.manifest.pid} on ${run.manifest.host}); ` +
        'stop it first, or pass --force if that process is gone', 'run', run.dir, 'an interrupted or failed run');
    }
    if (!readEnsemble(run.dir)) {
      throw new GlassyError(`${run.dir} was not made by an ensemble run (no ensemble.json); rerun its protocol command`,
        'run', run.dir, 'a run made by glassy run or a replica protocol');
    }
    const protocol = await registry.protocol(run.manifest.protocol);
    const r = await runEnsemble(run, registry, exec);
    await reportResult(r, flags['json'] === true, flags['report'] !== false, protocol.cli.describeSummary);
  });
}
