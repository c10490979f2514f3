/**
 * The queue executor (coordinator side): one BullMQ job per replica on Redis; any number of
 * `glassy worker` processes on any machines take them. Workers need no shared file system: a job
 * carries what the replica needs (protocol, config, seed, K, index, and a Redis key to the run's
 * input files), checkpoints live in Redis, and a finished replica's files come back as one binary
 * value that this process writes into the run directory (docs/scale.md, "Queue").
 *
 * - jobId = hash(host, absolute run dir) + index, so enqueueing the same replicas twice (a resumed
 *   coordinator, a second `glassy run`) adds nothing: BullMQ ignores an add whose jobId exists.
 * - Retries: `attempts` tries with exponential back-off; a job held by a dead worker is found by
 *   the workers' stalled-job check and handed to another worker; either way the replica resumes
 *   from its latest checkpoint in Redis, so retried work is not redone.
 * - Completion is learnt from QueueEvents (fast) AND by polling job states (robust: events
 *   published while this process was not listening are never waited for).
 * - The done marker on disk is the truth: a replica is done when its files and marker are here.
 * - Redis losing its data (FLUSHALL, a restart without persistence): a job that vanished is
 *   enqueued again (its id is the same) and the inputs uploaded again; Redis unreachable for
 *   `redisTimeoutMs`: the run fails with one line saying how to resume it.
 *
 * Redis must not evict keys (maxmemory-policy noeviction), or jobs vanish; see docs/scale.md.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { type Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { GlassyError } from '../core/errors.js';
import { listFiles, packBundle, unpackBundle, writeBundle } from '../store/bundle.js';
import type { EnsembleEvents, Executor } from './executor.js';
import { markDone, readDone } from './markers.js';
import type { ReplicaOutcome, ReplicaSummary } from './replica.js';
import type { ReplicaJob } from './runner.js';

/** One input path of the run, as written in the config, and where its files are in the inputs bundle. */
export interface QueueInput {
  /** The string in the config (the worker replaces it by its local copy). */
  path: string;
  /** Prefix of its files in the bundle: "<i>/" for a directory, "<i>/<name>" for a file. */
  local: string;
}

/** What a job carries: everything the replica needs, so the worker needs no run directory. */
export interface QueueJobData {
  /** The coordinator's run directory (for log lines only: the worker never opens it). */
  runDir: string;
  protocol: string;
  index: number;
  seed: number;
  replicas: number;
  /** The run's parsed config (manifest.config). */
  config: unknown;
  restartCorrupt: boolean;
  checkpointEvery?: number;
  /** Redis key of the inputs bundle (null: the replica reads no other run or file). */
  inputsKey: string | null;
  inputs: QueueInput[];
}

/** What a worker returns for a finished replica (its files wait in Redis under `resultKey`). */
export interface QueueResult {
  summary: ReplicaSummary;
  seconds: number;
  resumedFrom: number | null;
  host: string;
  pid: number;
}

/** Progress payload a worker publishes with job.updateProgress. */
export interface QueueProgress {
  fraction: number;
  message?: string;
  /** Warnings raised so far by this attempt (the parent prints each once). */
  warnings?: string[];
}

/** The run a queue executor serves (all its jobs belong to it). */
export interface QueueRunInfo {
  config: unknown;
  seed: number;
  replicas: number;
  /** ReplicaTask.inputs(config): paths the replicas read. */
  inputs: string[];
}

/** Redis keys beside BullMQ's, one namespace per queue. */
export const keys = {
  checkpoint: (queue: string, jobId: string): string => `glassy:${queue}:checkpoint:${jobId}`,
  result: (queue: string, jobId: string): string => `glassy:${queue}:result:${jobId}`,
  inputs: (queue: string, hash: string): string => `glassy:${queue}:inputs:${hash}`,
};

/** Files of an input run directory that a replica may read (not its checkpoints or bookkeeping). */
function inputFileWanted(rel: string): boolean {
  return !/^(checkpoints|replicas-done|shards)(\/|$)/.test(rel) && rel !== '.glassy-lock';
}

/** Pack the input paths (relative to this process's working directory) into one bundle. */
export function packInputs(paths: string[]): { bytes: Uint8Array; inputs: QueueInput[] } | null {
  if (paths.length === 0) return null;
  const files = new Map<string, Uint8Array>();
  const inputs: QueueInput[] = paths.map((path, i) => {
    const abs = resolve(path);
    if (!existsSync(abs)) throw new GlassyError(`input ${path} not found`, 'input', path, 'an existing file or run directory');
    if (statSync(abs).isDirectory()) {
      for (const rel of listFiles(abs, (r) => !inputFileWanted(r))) files.set(`${i}/${rel}`, readFileSync(join(abs, rel)));
      return { path, local: `${i}/` };
    }
    const name = basename(abs).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[^A-Za-z0-9_]/, '_');
    files.set(`${i}/${name}`, readFileSync(abs));
    return { path, local: `${i}/${name}` };
  });
  return { bytes: packBundle(files), inputs };
}

export interface QueueExecutorOptions {
  redis: string;
  queue: string;
  attempts: number;
  backoffMs: number;
  /** How often to poll job states (ms). */
  pollMs?: number;
  /** Redis unreachable this long (ms) → the run fails with a resume hint. */
  redisTimeoutMs: number;
}

/** How long to wait for Redis before giving up with a clear error. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** Bound on one Redis round trip of the coordinator (a dead server otherwise blocks forever). */
const CALL_TIMEOUT_MS = 5_000;

/** The run's id on the queue: this host and the absolute run directory. */
export function runKey(runDir: string): string {
  return createHash('sha256').update(`${hostname()}\0${resolve(runDir)}`).digest('hex').slice(0, 16);
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

function parseResult(v: unknown): QueueResult | null {
  let r: unknown = v;
  if (typeof v === 'string') {
    try { r = JSON.parse(v); } catch { return null; }
  }
  if (typeof r !== 'object' || r === null || typeof (r as QueueResult).summary !== 'object') return null;
  return r as QueueResult;
}

export class QueueExecutor implements Executor {
  readonly name = 'queue';
  /** Replicas run on the workers, not here: the memory check belongs to each worker. */
  readonly concurrency = 0;
  private queue: Queue | null = null;
  private events: QueueEvents | null = null;
  private client: Redis | null = null;

  constructor(private readonly opts: QueueExecutorOptions, private readonly info: QueueRunInfo) {}

  async run(jobs: ReplicaJob[], ev: EnsembleEvents): Promise<ReplicaOutcome[]> {
    const url = this.opts.redis;
    const qname = this.opts.queue;
    await probeRedis(url);
    const connection = connectionFor(url);
    const queue = (this.queue = new Queue<QueueJobData>(qname, { connection }));
    const events = (this.events = new QueueEvents(qname, { connection }));
    const client = (this.client = new Redis(url, { maxRetriesPerRequest: null }));
    queue.on('error', () => { /* connection errors surface through the awaited calls */ });
    events.on('error', () => {});
    client.on('error', () => {});
    const runDir = jobs[0]?.runDir ?? '.';
    // Every Redis call is bounded; `lastContact` says when Redis last answered.
    let lastContact = Date.now();
    const call = async <T>(p: Promise<T>): Promise<T> => {
      const v = await withTimeout(p, CALL_TIMEOUT_MS, () => new Error('Redis did not answer'));
      lastContact = Date.now();
      return v;
    };
    await call(Promise.all([queue.waitUntilReady(), events.waitUntilReady()]));

    const packed = packInputs(this.info.inputs);
    const inputsKey = packed ? keys.inputs(qname, createHash('sha256').update(packed.bytes).digest('hex').slice(0, 32)) : null;
    const uploadInputs = async (): Promise<void> => {
      if (packed && inputsKey && !(await call(client.exists(inputsKey)))) await call(client.set(inputsKey, Buffer.from(packed.bytes)));
    };
    await uploadInputs();

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
    const dataOf = (j: ReplicaJob): QueueJobData => ({
      runDir: resolve(j.runDir), protocol: j.protocol, index: j.index, seed: this.info.seed, replicas: this.info.replicas,
      config: this.info.config, restartCorrupt: j.restartCorrupt ?? false,
      ...(j.checkpointEvery !== undefined ? { checkpointEvery: j.checkpointEvery } : {}),
      inputsKey, inputs: packed?.inputs ?? [],
    });
    const add = async (jobId: string, j: ReplicaJob): Promise<void> => {
      await call(queue.add('replica', dataOf(j), {
        jobId,
        attempts: this.opts.attempts,
        backoff: { type: 'exponential', delay: this.opts.backoffMs },
        removeOnComplete: false,
        removeOnFail: false,
      }));
    };

    // A finished replica's files: from Redis into the run directory, then its done marker.
    // Returns false when the result is not (or no longer) in Redis.
    const importing = new Set<string>();
    const importResult = async (jobId: string, j: ReplicaJob, returned: unknown): Promise<boolean> => {
      if (outcomes.has(j.index) || importing.has(jobId)) return true;
      importing.add(jobId);
      try {
        const r = parseResult(returned);
        const bytes = await call(client.getBuffer(keys.result(qname, jobId)));
        if (!r || !bytes) return false;
        const { files } = unpackBundle(bytes, `result of replica ${j.index}`);
        writeBundle(j.runDir, files);
        // Marker last: a kill before it leaves files that the rerun rewrites identically.
        markDone(j.runDir, j.index, r.summary, r.seconds, r.resumedFrom, { host: r.host, pid: r.pid });
        settle({ index: j.index, ok: true, summary: r.summary });
        await call(client.del(keys.result(qname, jobId), keys.checkpoint(qname, jobId))).catch(() => {});
        return true;
      } finally {
        importing.delete(jobId);
      }
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
      if (j) importResult(jobId, j, returnvalue).catch(() => { /* the poll retries */ });
    });
    events.on('failed', ({ jobId, failedReason }) => {
      const j = byId.get(jobId);
      // A failed attempt with tries left is 'failed' here too: only the job's state is final.
      if (j) void queue.getJob(jobId).then(async (job) => {
        if (job && (await job.getState()) === 'failed') settle({ index: j.index, ok: false, error: failedReason });
      }).catch(() => {});
    });

    // Enqueue (idempotently). A finished job left in Redis from an earlier attempt of this same
    // run directory is imported when its result is still there, else removed and re-added (e.g.
    // the run was overwritten, or it failed for good last time and the user resumes).
    for (const [jobId, j] of byId) {
      if (fromDisk(j)) continue;
      const existing = await call(queue.getJob(jobId));
      if (existing) {
        const state = await call(existing.getState());
        if (state === 'completed' && (await importResult(jobId, j, (await call(queue.getJob(jobId)))?.returnvalue ?? null))) continue;
        if (state === 'completed' || state === 'failed') await call(existing.remove()).catch(() => {});
        else continue; // waiting, delayed, active: it is on its way
      }
      await add(jobId, j);
    }

    // Poll: the safety net for missed events, and where lost jobs are found again.
    const poll = async (): Promise<void> => {
      for (const [jobId, j] of byId) {
        if (outcomes.has(j.index) || fromDisk(j)) continue;
        const job: Job | undefined = await call(queue.getJob(jobId));
        if (!job) {
          // Redis lost the job (FLUSHALL, a restart without persistence). A worker may have
          // finished it meanwhile (its result is kept apart from the job); else run it again.
          if (await importResult(jobId, j, null)) continue;
          ev.warn(j.index, `its job vanished from Redis at ${url}; enqueued again`);
          await uploadInputs();
          await add(jobId, j);
          continue;
        }
        const state = await call(job.getState());
        if (state === 'completed') {
          // Its return value as of now: the job read above may predate its completion (then it has none).
          const finished = await call(queue.getJob(jobId));
          if (!(await importResult(jobId, j, finished?.returnvalue ?? null))) {
            ev.warn(j.index, `its result vanished from Redis at ${url}; enqueued again`);
            await call(job.remove());
            await uploadInputs();
            await add(jobId, j);
          }
        } else if (state === 'failed') settle({ index: j.index, ok: false, error: job.failedReason ?? 'failed' });
      }
    };
    const pollMs = this.opts.pollMs ?? 1000;
    while (outcomes.size < jobs.length) {
      try {
        await poll();
      } catch (err) {
        if (err instanceof GlassyError && err.field !== 'redis') throw err;
        const down = Date.now() - lastContact;
        if (down > this.opts.redisTimeoutMs) {
          throw new GlassyError(
            `lost Redis at ${url} for ${Math.round(down / 1000)} s (${(err as Error).message}); ` +
            `the finished replicas are kept: glassy resume ${runDir} --executor queue --redis ${url}`,
            'redis', url, 'a reachable Redis server');
        }
      }
      if (outcomes.size >= jobs.length) break;
      // Not unref'd: with Redis gone, this timer is what keeps the coordinator alive to notice.
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, pollMs);
      });
      wake = null;
    }
    // Keep Redis tidy: this run's results are on disk now.
    for (const jobId of byId.keys()) {
      try {
        const job = await call(queue.getJob(jobId));
        if (job) await call(job.remove());
        await call(client.del(keys.result(qname, jobId), keys.checkpoint(qname, jobId)));
      } catch { /* a stale duplicate still holds it, or Redis went away: it expires with its lock */ }
    }
    if (inputsKey) await call(client.del(inputsKey)).catch(() => {});
    return jobs.map((j) => outcomes.get(j.index)!);
  }

  async close(): Promise<void> {
    const q = this.queue, e = this.events, c = this.client;
    this.queue = null;
    this.events = null;
    this.client = null;
    await closeOrDisconnect([q, e, c ? { close: async () => { await c.quit(); }, disconnect: async () => { c.disconnect(); } } : null]);
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
  // withTimeout's timer is not unref'd: with Redis gone it is what keeps the process alive to
  // finish closing (and to record the run's failure) instead of exiting mid-way.
  const settled = (f: (o: { close(): Promise<void>; disconnect(): Promise<void> }) => Promise<void>): Promise<boolean> =>
    withTimeout(Promise.allSettled(live.map(f)).then(() => true), ms, () => new Error('timed out')).catch(() => false);
  // disconnect() itself waits for a connection BullMQ is still re-establishing: bounded too.
  if (!(await settled((o) => o.close()))) await settled((o) => o.disconnect());
}
