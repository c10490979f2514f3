/**
 * Sequential, in this thread: for debugging (breakpoints, stack traces), for tests that want no
 * threads, and in place of a local pool of one thread for tasks that breathe (ensemble.ts). Same
 * runner as the pool, so the numbers are the same.
 */
import type { EnsembleEvents, Executor } from './executor.js';
import type { Registry } from './protocol.js';
import type { ReplicaOutcome } from './replica.js';
import { type ReplicaJob, runReplicaJob } from './runner.js';

export class InProcessExecutor implements Executor {
  readonly name = 'inprocess';
  readonly concurrency = 1;

  constructor(private readonly registry: Registry) {}

  async run(jobs: ReplicaJob[], events: EnsembleEvents): Promise<ReplicaOutcome[]> {
    const out: ReplicaOutcome[] = [];
    for (const job of jobs) {
      const o = await runReplicaJob(job, {
        progress: (f, m) => events.progress(job.index, f, m),
        warn: (m) => events.warn(job.index, m),
      }, this.registry);
      events.done(o);
      out.push(o);
    }
    return out;
  }

  async close(): Promise<void> {}
}
