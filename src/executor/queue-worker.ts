/**
 * The queue executor (worker side): `glassy worker --redis URL` takes replica jobs from BullMQ
 * and runs each on a local thread pool (`concurrency` threads), in a private scratch run
 * directory: the worker never sees the coordinator's run directory (docs/scale.md, "Queue").
 *
 * For each job: a scratch run is made from the job's protocol, config, seed and K; the run's
 * input files (another run the replica reads) are fetched from Redis once per worker and the
 * config pointed at them; the replica's latest checkpoint in Redis, if any, is put in place;
 * every checkpoint the replica saves is copied to Redis; when it is done, the files it wrote
 * (arrays, weights) go back to Redis as one bundle for the coordinator, and the scratch is removed.
 *
 * The replica runs in a pool thread, never on this thread: BullMQ renews a job's lock from this
 * thread's event loop, and a CPU-bound replica here would starve it, so a healthy worker would be
 * declared stalled and its job run twice. The stalled check is what rescues the jobs of a worker
 * killed outright: its lock expires after `lockDurationMs`, and the next check (every
 * `stalledIntervalMs`, on any live worker) puts the job back in the queue; the new holder resumes
 * it from the replica's latest checkpoint in Redis.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { listFiles, packFiles, unpackBundle, writeBundle } from '../store/bundle.js';
import { Run } from '../store/run.js';
import { checkpointDir, decodeCheckpoint } from './checkpoint.js';
import { LocalExecutor } from './local.js';
import { readDone, writeEnsemble } from './markers.js';
import {
  type QueueJobData, type QueueProgress, type QueueResult, closeOrDisconnect, connectionFor, keys, probeRedis,
} from './queue.js';
import { writeFileAtomic } from '../store/atomic.js';

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
  /** Where scratch runs are made (default: the system's temp directory). */
  scratch?: string;
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
  const client = new Redis(o.redis, { maxRetriesPerRequest: null });
  client.on('error', () => { /* BullMQ's own connection reports the outage */ });
  mkdirSync(o.scratch ?? tmpdir(), { recursive: true });
  const root = mkdtempSync(join(o.scratch ?? tmpdir(), 'glassy-worker-'));
  const inputsCache = new Map<string, Promise<string>>();

  /** The run's inputs bundle, unpacked once per worker (the key is a hash of its content). */
  const fetchInputs = (key: string): Promise<string> => {
    let p = inputsCache.get(key);
    if (!p) {
      p = (async () => {
        const bytes = await client.getBuffer(key);
        if (!bytes) throw new Error(`the run's input files are not in Redis (${key}); the coordinator uploads them again`);
        const dir = join(root, 'inputs', key.replace(/[^A-Za-z0-9_-]/g, '_'));
        const tmp = `${dir}.part`;
        rmSync(tmp, { recursive: true, force: true });
        writeBundle(tmp, unpackBundle(bytes, key).files);
        if (!existsSync(dir)) renameSync(tmp, dir);
        return dir;
      })();
      p.catch(() => inputsCache.delete(key));
      inputsCache.set(key, p);
    }
    return p;
  };

  const processor = async (job: Job<QueueJobData>): Promise<QueueResult> => {
    const d = job.data;
    const { runDir, index } = d;
    const jobId = job.id!;
    log(`replica ${index} of ${runDir} started (attempt ${job.attemptsMade + 1}, job ${jobId})`);
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
    const scratch = mkdtempSync(join(root, `job-${index}-`));
    const pendingWrites: Array<Promise<unknown>> = [];
    try {
      let config = d.config;
      if (d.inputsKey) {
        const local = await fetchInputs(d.inputsKey);
        config = relocate(config, new Map(d.inputs.map((i) => [i.path, join(local, ...i.local.split('/').filter(Boolean))])));
      }
      const dir = join(scratch, 'run');
      // The scratch run is this job's alone: its lock is not needed (and its heartbeat would outlive it).
      Run.create(dir, { protocol: d.protocol, config, seed: d.seed }).release();
      writeEnsemble(dir, { protocol: d.protocol, replicas: d.replicas, checkpointEvery: d.checkpointEvery ?? null, shards: null });
      const ckptKey = keys.checkpoint(o.queue, jobId);
      const saved = await client.getBuffer(ckptKey);
      if (saved) {
        let step = 0;
        try { step = decodeCheckpoint(saved, ckptKey).meta.step; } catch { /* the runner reports it as corrupt */ }
        writeFileAtomic(join(checkpointDir(dir, index), `step-${step}.ckpt`), saved);
      }
      const outcome = await pool.runOne({
        runDir: dir, protocol: d.protocol, index, restartCorrupt: d.restartCorrupt, shipCheckpoints: true,
        ...(d.checkpointEvery !== undefined ? { checkpointEvery: d.checkpointEvery } : {}),
      }, {
        progress: (f) => { lastFraction = f; publish(false); },
        warn: (m) => {
          warnings.push(m);
          log(`warning: replica ${index}: ${m}`);
          publish(true);
        },
        checkpoint: (bytes) => { pendingWrites.push(client.set(ckptKey, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))); },
      });
      await Promise.all(pendingWrites);
      if (!outcome.ok) {
        log(`replica ${index} of ${runDir} failed: ${outcome.error}`);
        throw new Error(outcome.error);
      }
      // The replica's own files go back; the scratch run's bookkeeping stays here.
      const files = listFiles(dir, (rel) => /^(manifest\.json|ensemble\.json|\.glassy-lock|checkpoints|replicas-done)$/.test(rel));
      await client.set(keys.result(o.queue, jobId), Buffer.from(packFiles(dir, files)));
      const marker = readDone(dir, index);
      log(`replica ${index} of ${runDir} done`);
      return {
        summary: outcome.summary, seconds: marker?.seconds ?? 0, resumedFrom: marker?.resumedFrom ?? null,
        host: hostname(), pid: process.pid,
      };
    } finally {
      await Promise.allSettled(pendingWrites);
      rmSync(scratch, { recursive: true, force: true });
    }
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
      await closeOrDisconnect([
        { close: () => worker.close(force), disconnect: () => worker.disconnect() },
        { close: async () => { await client.quit(); }, disconnect: async () => { client.disconnect(); } },
      ]);
      await pool.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The config with every string equal to an input path replaced by the worker's local copy. */
export function relocate(config: unknown, paths: Map<string, string>): unknown {
  if (typeof config === 'string') return paths.get(config) ?? config;
  if (Array.isArray(config)) return config.map((v) => relocate(v, paths));
  if (typeof config === 'object' && config !== null) {
    return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, relocate(v, paths)]));
  }
  return config;
}
