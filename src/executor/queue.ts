/**
 * The queue executor (parent side): one BullMQ job per replica on Redis; any number of
 * `glassy worker` processes on any machines sharing the run directory take them.
 *
 * - jobId = hash(absolute run dir) + index, so enqueueing the same replicas twice (a resumed
 *   parent, a second `glassy run`) adds nothing: BullMQ ignores an add whose jobId exists.
 * - Retries: `attempts` tries with exponential back-off; a job held by a dead worker is found by
 *   the workers' stalled-job check and handed to another worker; either way the replica resumes
 *   from its latest checkpoint (the runner loads it), so retried work is not redone.
 * - Completion is learnt from QueueEvents (fast) AND by polling job states and done markers
 *   (robust: events published while this process was not listening are never waited for).
 * - The done marker on disk is the truth: a replica is done when its marker exists.
 *
 * Redis must not evict keys (maxmemory-policy noeviction), or jobs vanish; see docs/scale.md.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { type Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { GlassyError } from '../core/errors.js';
import type { EnsembleEvents, Executor } from './executor.js';
import { readDone } from './markers.js';
import type { ReplicaOutcome, ReplicaSummary } from './replica.js';
import type { ReplicaJob } from './runner.js';

/** What a job carries (the worker reads the config from the run's manifest, not from Redis). */
export interface QueueJobData {
  runDir: string;
  protocol: string;
  index: number;
  restartCorrupt: boolean;
  checkpointEvery?: number;
}

/** Progress payload a worker publishes with job.updateProgress. */
export interface QueueProgress {
  fraction: number;
  message?: string;
  /** Warnings raised so far by this attempt (the parent prints each once). */
  warnings?: string[];
}

export interface QueueExecutorOptions {
  redis: string;
  queue: string;
  attempts: number;
  backoffMs: number;
  /** How often to poll job states (ms). */
  pollMs?: number;
}

/** How long to wait for Redis before giving up with a clear error. */
export const CONNECT_TIMEOUT_MS = 10_000;

export function runKey(runDir: string): string {
  return createHash('sha256').update(resolve(runDir)).digest('hex').slice(0, 16);
}

export function jobIdFor(runDir: string, index: number): string {
  return `${runKey(runDir)}-${index}`;
}

/** ioredis options for a URL; workers need maxRetriesPerRequest null (blocking commands). */
export function connectionFor(url: string): { url: string; maxRetriesPerRequest: null } {
  if (!/^rediss?:\/\//.test(url)) throw GlassyError.invalid('redis', url, 'a URL like redis://host:port');
  return { url, maxRetriesPerRequest: null };
}

/**
 * Check Redis is reachable BEFORE any BullMQ object exists: BullMQ and ioredis retry a dead server
 * forever (and their close() waits for a connection that never comes), so a typo in --redis would
 * hang instead of failing. Also warns when keys may be evicted (BullMQ needs noeviction).
 */
export async function probeRedis(url: string, warn: (m: string) => void = (m) => process.stderr.write(`warning: ${m}\n`)): Promise<void> {
  connectionFor(url);
  const client = new Redis(url, {
    lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: CONNECT_TIMEOUT_MS,
    enableOfflineQueue: false,
  });
  let cause: Error | null = null;
  client.on('error', (e: Error) => { cause = e; });
  try {
    await withTimeout(client.connect().then(() => client.ping()), CONNECT_TIMEOUT_MS, () => new Error('timed out'));
    try {
      const policy = (await client.config('GET', 'maxmemory-policy')) as string[];
      if (policy[1] && policy[1] !== 'noeviction') {
        warn(`Redis at ${url} has maxmemory-policy ${policy[1]}; BullMQ needs noeviction (jobs may vanish). See docs/scale.md.`);
      }
    } catch { /* CONFIG may be disabled on managed Redis: nothing to check then */ }
  } catch (err) {
    // ioredis reports "Connection is closed"; the socket error before it says why.
    const why = (cause as Error | null)?.message ?? (err as Error).message;
    throw new GlassyError(`cannot reach Redis at ${url}: ${why}`, 'redis', url, 'a reachable Redis server');
  } finally {
    client.disconnect();
  }
}

function parseReturn(v: unknown): ReplicaSummary {
  if (typeof v === 'string') {
    try { return JSON.parse(v) as ReplicaSummary; } catch { return {}; }
  }
  return (v ?? {}) as ReplicaSummary;
}

export class QueueExecutor implements Executor {
  readonly name = 'queue';
  /** Replicas run on the workers, not here: the memory check belongs to each worker. */
  readonly concurrency = 0;
  private queue: Queue | null = null;
  private events: QueueEvents | null = null;

  constructor(private readonly opts: QueueExecutorOptions) {}

  async run(jobs: ReplicaJob[], ev: EnsembleEvents): Promise<ReplicaOutcome[]> {
    await probeRedis(this.opts.redis);
    const connection = connectionFor(this.opts.redis);
    const queue = (this.queue = new Queue<QueueJobData>(this.opts.queue, { connection }));
    const events = (this.events = new QueueEvents(this.opts.queue, { connection }));
    queue.on('error', () => { /* connection errors surface through the awaited calls */ });
    events.on('error', () => {});
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);

    const byId = new Map<string, ReplicaJob>();
    for (const j of jobs) byId.set(jobIdFor(j.runDir, j.index), j);
    const outcomes = new Map<number, ReplicaOutcome>();
    const seenWarnings = new Map<number, Set<string>>();
    let wake: (() => void) | null = null;
    const settle = (o: ReplicaOutcome): void => {
      if (outcomes.has(o.index)) return;
      outcomes.set(o.index, o);
      ev.done(o);
      if (outcomes.size === jobs.length && wake) wake();
    };
    const fromDisk = (j: ReplicaJob): boolean => {
      const m = readDone(j.runDir, j.index);
      if (m) settle({ index: j.index, ok: true, summary: m.summary });
      return m !== null;
    };

    events.on('progress', ({ jobId, data }) => {
      const j = byId.get(jobId);
      if (!j || typeof data !== 'object' || data === null) return;
      const p = data as unknown as QueueProgress;
      if (typeof p.fraction === 'number') ev.progress(j.index, p.fraction, p.message);
      const seen = seenWarnings.get(j.index) ?? new Set<string>();
      seenWarnings.set(j.index, seen);
      for (const w of p.warnings ?? []) if (!seen.has(w)) { seen.add(w); ev.warn(j.index, w); }
    });
    events.on('completed', ({ jobId, returnvalue }) => {
      const j = byId.get(jobId);
      if (j) settle({ index: j.index, ok: true, summary: parseReturn(returnvalue) });
    });
    events.on('failed', ({ jobId, failedReason }) => {
      const j = byId.get(jobId);
      if (j) settle({ index: j.index, ok: false, error: failedReason });
    });

    // Enqueue (idempotently). A finished job left in Redis from an earlier attempt of this same
    // run directory is removed and re-added when its result is not on disk (e.g. the run was
    // overwritten, or it failed for good last time and the user resumes).
    const toAdd: Array<{ name: string; data: QueueJobData; opts: { jobId: string } & Record<string, unknown> }> = [];
    for (const [jobId, j] of byId) {
      if (fromDisk(j)) continue;
      const existing = await queue.getJob(jobId);
      if (existing) {
        const state = await existing.getState();
        if (state === 'completed' || state === 'failed') await existing.remove().catch(() => {});
        else continue; // waiting, delayed, active: it is on its way
      }
      toAdd.push({
        name: 'replica',
        data: {
          runDir: resolve(j.runDir), protocol: j.protocol, index: j.index, restartCorrupt: j.restartCorrupt ?? false,
          ...(j.checkpointEvery !== undefined ? { checkpointEvery: j.checkpointEvery } : {}),
        },
        opts: {
          jobId,
          attempts: this.opts.attempts,
          backoff: { type: 'exponential', delay: this.opts.backoffMs },
          removeOnComplete: false,
          removeOnFail: false,
        },
      });
    }
    if (toAdd.length > 0) await queue.addBulk(toAdd);

    // Poll as a safety net for missed events and for results written straight to disk.
    const poll = async (): Promise<void> => {
      for (const [jobId, j] of byId) {
        if (outcomes.has(j.index)) continue;
        if (fromDisk(j)) continue;
        const job: Job | undefined = await queue.getJob(jobId);
        if (!job) continue;
        const state = await job.getState();
        if (state === 'completed') settle({ index: j.index, ok: true, summary: parseReturn(job.returnvalue) });
        else if (state === 'failed') settle({ index: j.index, ok: false, error: job.failedReason ?? 'failed' });
      }
    };
    const pollMs = this.opts.pollMs ?? 2000;
    while (outcomes.size < jobs.length) {
      await poll();
      if (outcomes.size >= jobs.length) break;
      await new Promise<void>((r) => {
        wake = r;
        const t = setTimeout(r, pollMs);
        t.unref?.();
      });
      wake = null;
    }
    // Keep Redis tidy: this run's results are on disk now.
    for (const jobId of byId.keys()) {
      const job = await queue.getJob(jobId);
      if (job) await job.remove().catch(() => { /* a stale duplicate still holds it: it expires with its lock */ });
    }
    return jobs.map((j) => outcomes.get(j.index)!);
  }

  async close(): Promise<void> {
    const q = this.queue, e = this.events;
    this.queue = null;
    this.events = null;
    await closeOrDisconnect([q, e]);
  }
}

export async function withTimeout<T>(p: Promise<T>, ms: number, err: () => Error): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => { t = setTimeout(() => rej(err()), ms); })]);
  } finally {
    if (t) clearTimeout(t);
  }
}

/**
 * Close BullMQ objects gracefully, but never hang: close() waits for a connection that may never
 * come (Redis down), so after `ms` the clients are disconnected outright (which also stops
 * ioredis from reconnecting forever and keeping the process alive).
 */
export async function closeOrDisconnect(objs: Array<{ close(): Promise<void>; disconnect(): Promise<void> } | null>, ms = 3000): Promise<void> {
  const live = objs.filter((o): o is { close(): Promise<void>; disconnect(): Promise<void> } => o !== null);
  const closed = await Promise.race([
    Promise.allSettled(live.map((o) => o.close())).then(() => true),
    new Promise<boolean>((r) => { const t = setTimeout(() => r(false), ms); t.unref(); }),
  ]);
  if (!closed) await Promise.allSettled(live.map((o) => o.disconnect()));
}
