/**
 * The memory check every ensemble passes before it starts: the replicas running at once, and the
 * ensemble's own bookkeeping and finalisation for K replicas, must fit the limit — `--max-memory`,
 * or by default this machine's memory (the cgroup limit when a container sets a lower one). A run
 * that cannot fit is refused with the estimate, instead of starting to eat memory.
 */
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { GlassyError } from '../core/errors.js';
import { type ExecutorOptions, defaultWorkers, formatBytes } from './options.js';
import type { ReplicaTask } from './replica.js';

/**
 * Bytes the executor holds per replica whatever the protocol: its job, outcome, summary and done
 * marker, progress state (an upper bound of what those objects take in V8).
 */
export const REPLICA_BOOKKEEPING_BYTES = 4096;

/** The cgroup's memory limit in bytes (v2, then v1), or null when none is set. */
function cgroupLimit(): number | null {
  for (const path of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const text = readFileSync(path, 'utf8').trim();
      const n = Number(text);
      // v2 says "max"; v1 says a huge number (page-rounded 2^63) for no limit.
      if (Number.isFinite(n) && n > 0 && n < 2 ** 60) return n;
    } catch { /* not this cgroup version, or no cgroup fs */ }
  }
  return null;
}

/** This machine's memory: os.totalmem(), or the cgroup limit when it is lower. */
export function machineMemory(): number {
  const c = cgroupLimit();
  return c !== null ? Math.min(c, totalmem()) : totalmem();
}

/**
 * Refuse (one-line GlassyError with the estimate) when the replicas running at once, plus the
 * bookkeeping and finalisation of K replicas, would not fit `maxMemory` (default: machineMemory()).
 * Replicas that run elsewhere (the queue: concurrency 0) are the workers' to check.
 */
export function checkMemory<C>(name: string, task: ReplicaTask<C>, config: C, concurrency: number, replicas: number,
  maxMemory: number | undefined): void {
  const limit = maxMemory ?? machineMemory();
  const per = task.estimateMemory?.(config) ?? 0;
  const running = per * Math.max(0, concurrency);
  const finalize = task.estimateFinalizeMemory?.(config, replicas) ?? 0;
  const bookkeeping = replicas * REPLICA_BOOKKEEPING_BYTES;
  // Replicas run before finalisation starts: the peak is the larger of the two, over the bookkeeping.
  const need = bookkeeping + Math.max(running, finalize);
  if (need <= limit) return;
  const parts = [
    running > 0 ? `${formatBytes(per)} per replica × ${concurrency} concurrent worker${concurrency > 1 ? 's' : ''}` : '',
    finalize > running ? `${formatBytes(finalize)} to finalise ${replicas} replicas` : '',
    `${formatBytes(bookkeeping)} of bookkeeping for ${replicas} replicas`,
  ].filter(Boolean).join(' + ').replace(/ 1 replicas/g, ' 1 replica');
  const fit = per > 0 ? Math.floor((limit - bookkeeping) / per) : 0;
  const advice = running >= finalize && running > 0 && fit >= 1 && fit < concurrency
    ? `use --workers ${fit} or fewer, or raise --max-memory`
    : `use fewer replicas or a smaller model${maxMemory === undefined ? ', or set --max-memory if the machine has swap' : ', or raise --max-memory'}`;
  throw new GlassyError(
    `max-memory: got ${formatBytes(limit)}${maxMemory === undefined ? " (this machine's memory)" : ''}, ` +
    `expected at least ${formatBytes(need)} (${name} needs about ${parts}); ${advice}`,
    'max-memory', limit, `at least ${need} bytes`,
  );
}

/** Replicas this process runs at once for `pending` replicas (the queue's run on its workers: 0). */
export function concurrencyFor(o: Pick<ExecutorOptions, 'executor' | 'workers'>, pending: number): number {
  if (o.executor === 'inprocess') return pending > 0 ? 1 : 0;
  if (o.executor === 'local') return Math.min(o.workers ?? defaultWorkers(), pending);
  return 0;
}
