/**
 * The queue executor (worker side): `glassy worker --redis URL` takes replica jobs from BullMQ
 * and runs each on a local thread pool (`concurrency` threads).
 *
 * The replica runs in a pool thread, never on this thread: BullMQ renews a job's lock from this
 * thread's event loop, and a CPU-bound replica here would starve it, so a healthy worker would be
 * declared stalled and its job run twice. The stalled check is what rescues the jobs of a worker
 * killed outright: its lock expires after `lockDurationMs`, and the next check (every
 * `stalledIntervalMs`, on any live worker) puts the job back in the queue; the new holder resumes
 * it from the replica's latest checkpoint.
 */
import { Worker, type Job } from 'bullmq';
import { LocalExecutor } from './local.js';
import { type QueueJobData, type QueueProgress, closeOrDisconnect, connectionFor, probeRedis } from './queue.js';

export interface QueueWorkerOptions {
  redis: string;
  queue: string;
  concurrency: number;
  /** A job's lock lives this long without renewal (BullMQ default 30 s). */
  lockDurationMs: number;
  /** How often this worker looks for stalled jobs (BullMQ default 30 s). */
  stalledIntervalMs: number;
  /** Stalls allowed before a job is failed (it then counts against nothing else). */
  maxStalledCount: number;
  /** URL of the module exporting the protocol registry the pool threads run jobs from. */
  registry: string;
  /** Lines of activity ("replica 3 of runs/x started") go here. */
  log?: (line: string) => void;
}

const PROGRESS_PUBLISH_MS = 500;

export interface QueueWorkerHandle {
  worker: Worker<QueueJobData>;
  /** Stop taking jobs, wait for running ones (or abandon them with force), release the pool. */
  close(force?: boolean): Promise<void>;
}

export async function startQueueWorker(o: QueueWorkerOptions): Promise<QueueWorkerHandle> {
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  await probeRedis(o.redis, (m) => log(`warning: ${m}`));
  const pool = new LocalExecutor(o.concurrency, o.registry);
  const processor = async (job: Job<QueueJobData>): Promise<unknown> => {
    const { runDir, index } = job.data;
    log(`replica ${index} of ${runDir} started (attempt ${job.attemptsMade + 1}, job ${job.id})`);
    const warnings: string[] = [];
    let lastFraction = 0;
    let lastSent = 0;
    const publish = (force: boolean): void => {
      const now = Date.now();
      if (!force && now - lastSent < PROGRESS_PUBLISH_MS) return;
      lastSent = now;
      const p: QueueProgress = { fraction: lastFraction, warnings: [...warnings] };
      job.updateProgress(p as unknown as object).catch(() => { /* lost progress is only cosmetic */ });
    };
    const outcome = await pool.runOne(job.data, {
      progress: (f) => { lastFraction = f; publish(false); },
      warn: (m) => {
        warnings.push(m);
        log(`warning: replica ${index}: ${m}`);
        publish(true);
      },
    });
    if (!outcome.ok) {
      log(`replica ${index} of ${runDir} failed: ${outcome.error}`);
      throw new Error(outcome.error);
    }
    log(`replica ${index} of ${runDir} done`);
    return outcome.summary;
  };
  const worker = new Worker<QueueJobData>(o.queue, processor, {
    connection: connectionFor(o.redis),
    concurrency: o.concurrency,
    lockDuration: o.lockDurationMs,
    stalledInterval: o.stalledIntervalMs,
    maxStalledCount: o.maxStalledCount,
    autorun: true,
  });
  worker.on('error', (err) => log(`worker error: ${err.message}`));
  await worker.waitUntilReady();
  return {
    worker,
    async close(force = false) {
      await closeOrDisconnect([{ close: () => worker.close(force), disconnect: () => worker.disconnect() }]);
      await pool.close();
    },
  };
}
