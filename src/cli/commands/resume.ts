/**
 * `glassy resume RUN`: finish a run that was killed, interrupted or had failed replicas. Done
 * replicas are skipped, the others continue from their latest good checkpoint, then the run is
 * finalised — with results bit-identical to an uninterrupted run. Also how shards of a prepared
 * run are started (`glassy resume RUN --shard i/n`).
 */
import type { Command } from 'commander';
import { GlassyError } from '../../core/errors.js';
import { runEnsemble } from '../../executor/ensemble.js';
import { readEnsemble } from '../../executor/markers.js';
import { addExecutorOptions, executorOptionsFrom } from '../../executor/options.js';
import { loadTask } from '../../protocols/registry.js';
import { Run } from '../../store/run.js';
import { printJson } from '../options.js';
import { reportResult } from './run.js';

export function register(program: Command): void {
  const cmd = program
    .command('resume')
    .description('finish an interrupted or failed run: skip done replicas, continue the others from their checkpoints')
    .argument('<run>', 'run directory')
    .option('--force', 'resume even though the manifest says another host is still running it')
    .option('--json', 'print the result as one JSON object on stdout');
  addExecutorOptions(cmd);
  cmd.action(async (dir: string, flags: Record<string, unknown>) => {
    const exec = executorOptionsFrom(flags);
    const run = Run.open(dir);
    if (run.status === 'complete' && !exec.shard) {
      if (flags['json']) printJson({ runDir: run.dir, protocol: run.manifest.protocol, status: 'complete', summary: run.manifest.summary ?? {} });
      else process.stdout.write(`${run.manifest.protocol}: ${run.dir} is already complete\n`);
      return;
    }
    // Run.open already turned a dead local process into 'interrupted'; a 'running' run of another
    // host cannot be checked from here, so it takes --force to say it is dead.
    if (run.status === 'running' && !exec.shard && !flags['force']) {
      throw new GlassyError(`${run.dir} is still running (pid ${run.manifest.pid} on ${run.manifest.host}); ` +
        'stop it first, or pass --force if that process is gone', 'run', run.dir, 'an interrupted or failed run');
    }
    // One mechanism for "is it live?": the run's lock (store/lock.ts); shards share the run.
    if (!exec.shard) run.claim({ force: flags['force'] === true });
    if (!readEnsemble(run.dir)) {
      throw new GlassyError(`${run.dir} was not made by an ensemble run (no ensemble.json); rerun its protocol command`,
        'run', run.dir, 'a run made by glassy run or a replica protocol');
    }
    const task = await loadTask(run.manifest.protocol);
    const result = await runEnsemble(run, task, exec);
    reportResult(result, flags['json'] === true);
  });
}
