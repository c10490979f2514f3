/**
 * The executor options every replica-running command shares (`glassy run`, `glassy resume`, and
 * the protocol commands such as `glassy train`): one zod schema for the library; the CLI's flags
 * for them are in cli/executor-flags.ts.
 */
import { availableParallelism } from 'node:os';
import * as z from 'zod';
import { GlassyError, parseWith } from '../core/errors.js';

export const EXECUTORS = ['inprocess', 'local', 'queue'] as const;
export type ExecutorKind = (typeof EXECUTORS)[number];

export const PROGRESS_MODES = ['auto', 'bar', 'lines', 'none'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

export const executorOptionsSchema = z.strictObject({
  /** inprocess: sequential in this thread; local: worker-thread pool; queue: BullMQ workers. */
  executor: z.enum(EXECUTORS).default('local'),
  /** Concurrent replicas of the local pool (default: the number of cores). */
  workers: z.number().int().min(1).max(1024).optional(),
  /** Run only replicas with index % count == index (a SLURM array task, say). */
  shard: z.object({ index: z.number().int().min(0), count: z.number().int().min(1) }).optional(),
  /** Redis URL for the queue executor, e.g. redis://127.0.0.1:6379. */
  redis: z.string().optional(),
  /** BullMQ queue name (workers must listen on the same one). */
  queue: z.string().min(1).default('glassy'),
  /** Tries per replica on the queue (exponential back-off between them). */
  attempts: z.number().int().min(1).max(100).default(3),
  /** First back-off delay in ms (doubles each retry). */
  backoffMs: z.number().int().min(0).default(1000),
  /** Checkpoint interval passed to the task (its own step unit); undefined: the task's default. */
  checkpointEvery: z.number().int().min(1).optional(),
  /** Refuse to start when estimated bytes per replica × concurrent replicas exceeds this. */
  maxMemory: z.number().positive().optional(),
  /** When all checkpoints of a replica are corrupt: restart it rather than stop with an error. */
  restartCorrupt: z.boolean().default(false),
  progress: z.enum(PROGRESS_MODES).default('auto'),
});

export type ExecutorOptions = z.infer<typeof executorOptionsSchema>;
export type ExecutorOptionsInput = z.input<typeof executorOptionsSchema>;

/** Parse library options (throws a GlassyError naming the field). */
export function parseExecutorOptions(input: ExecutorOptionsInput): ExecutorOptions {
  const o = parseWith(executorOptionsSchema, input);
  if (o.shard && o.shard.index >= o.shard.count) {
    throw GlassyError.invalid('shard', `${o.shard.index}/${o.shard.count}`, 'i/n with 0 ≤ i < n');
  }
  if (o.executor === 'queue' && !o.redis) {
    throw GlassyError.invalid('redis', o.redis, 'a Redis URL (redis://host:port) with --executor queue');
  }
  if (o.executor === 'queue' && o.shard) {
    throw GlassyError.invalid('shard', `${o.shard.index}/${o.shard.count}`, 'no --shard with --executor queue (the queue already spreads replicas over workers)');
  }
  return o;
}

/** Default worker count: the cores this process may use. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** "2G", "512M", "1.5GiB", "1000000" → bytes (powers of 1024; a bare number is bytes). */
export function parseSize(text: string, field = 'max-memory'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!m) throw GlassyError.invalid(field, text, 'a size such as 512M, 2G or 1.5GiB');
  const pow = { '': 0, k: 1, m: 2, g: 3, t: 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const bytes = Number(m[1]) * 1024 ** pow;
  if (!(bytes > 0)) throw GlassyError.invalid(field, text, 'a positive size');
  return bytes;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 2 : 1)} ${units[i]}`;
}

/** "i/n" → { index, count }. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index < count)) throw GlassyError.invalid('shard', text, 'i/n with integers 0 ≤ i < n, e.g. 0/4');
  return { index, count };
}
