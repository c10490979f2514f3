/**
 * `glassy worker --redis URL`: take replica jobs from the queue until stopped. Start any number,
 * on any machines that reach the Redis server: jobs, checkpoints, input files and results travel
 * through Redis, so a worker needs no access to the run directory (docs/scale.md). SIGINT/SIGTERM stop it at
 * once; its running jobs are picked up by other workers (after the lock expires) and resume from
 * their checkpoints.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { defaultWorkers } from '../../executor/options.js';
import { registry } from '../../registry.js';

function posInt(v: string): number {
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${v}"`);
  return n;
}

interface WorkerFlags {
  redis: string;
  queue: string;
  concurrency?: number;
  lockDuration: number;
  stalledInterval: number;
  maxStalled: number;
  scratch?: string;
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('take replica jobs from a BullMQ queue (for --executor queue) until stopped')
    .requiredOption('--redis <url>', 'Redis URL, e.g. redis://10.0.0.5:6379 (required)')
    .option('--queue <name>', 'BullMQ queue name', 'glassy')
    .option('--concurrency <n>', 'replicas at once, each on its own thread (default: number of cores)', posInt)
    .option('--lock-duration <ms>', 'job lock lifetime; a dead worker\'s job is retaken after it', posInt, 30000)
    .option('--stalled-interval <ms>', 'how often to look for jobs of dead workers', posInt, 30000)
    .option('--max-stalled <n>', 'times a job may be retaken from dead workers before it fails', posInt, 3)
    .option('--scratch <dir>', 'where replicas run before their files go back through Redis (default: the temp directory)')
    .action(async (f: WorkerFlags) => {
      const { connectionFor } = await import('../../executor/queue.js');
      const { startQueueWorker } = await import('../../executor/queue-worker.js');
      connectionFor(f.redis); // validates the URL before anything starts
      const concurrency = f.concurrency ?? defaultWorkers();
      const handle = await startQueueWorker({
        redis: f.redis, queue: f.queue, concurrency, registry: registry.url,
        lockDurationMs: f.lockDuration, stalledIntervalMs: f.stalledInterval, maxStalledCount: f.maxStalled,
        ...(f.scratch !== undefined ? { scratch: f.scratch } : {}),
      });
      process.stderr.write(`glassy worker ${process.pid} ready: queue "${f.queue}" on ${f.redis}, concurrency ${concurrency}\n`);
      await new Promise<void>((resolve) => {
        const stop = (sig: NodeJS.Signals): void => {
          process.stderr.write(`glassy worker ${process.pid}: ${sig}, stopping\n`);
          handle.close(true).finally(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
