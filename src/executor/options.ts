/**
 * The executor options every replica-running command shares (`glassy run`, `glassy resume`, and
 * the protocol commands such as `glassy train`): one zod schema for the library, one commander
 * option set for the CLI, one converter between them — so the flags are spelled, defaulted and
 * validated in exactly one place.
 */
import { availableParallelism } from 'node:os';
import { type Command, Option } from 'commander';
import * as z from 'zod';
import { GlassyError } from '../core/errors.js';

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
  /** Seconds the queue's Redis may stay unreachable before the run fails (resume it later). */
  redisTimeout: z.number().positive().default(60),
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
  const r = executorOptionsSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const key = issue.path[0] as keyof ExecutorOptionsInput | undefined;
    const value = key !== undefined ? (input as Record<string, unknown>)[key] : input;
    throw GlassyError.invalid(`executor option ${issue.path.join('.') || '(root)'}`, value, issue.message);
  }
  const o = r.data;
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

function positiveInt(text: string, field: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < 1) throw GlassyError.invalid(field, text, 'a positive integer');
  return n;
}

function nonNegativeInt(text: string, field: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n)) throw GlassyError.invalid(field, text, 'a non-negative integer');
  return n;
}

/** Add the shared executor flags to a command (`glassy run`, `glassy resume`, protocol commands). */
export function addExecutorOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--executor <kind>', 'where replicas run').choices([...EXECUTORS]).default('local'))
    .option('--workers <n>', 'concurrent replicas of the local pool (default: number of cores)')
    .option('--shard <i/n>', 'run only replicas with index % n == i; finish with `glassy merge`')
    .option('--redis <url>', 'Redis URL for --executor queue (e.g. redis://127.0.0.1:6379)')
    .option('--queue <name>', 'BullMQ queue name', 'glassy')
    .option('--attempts <n>', 'tries per replica on the queue, with exponential back-off', '3')
    .option('--backoff <ms>', 'first retry delay on the queue (doubles each retry)', '1000')
    .option('--redis-timeout <s>', 'fail the run when Redis stays unreachable this long (resume it later)', '60')
    .option('--checkpoint-every <n>', 'checkpoint interval, in the protocol\'s own steps (default: the protocol\'s)')
    .option('--max-memory <size>', 'refuse to start if replicas would need more than this (e.g. 2G)')
    .option('--restart-corrupt', 'restart a replica whose checkpoints are all corrupt instead of stopping')
    .addOption(new Option('--progress <mode>', 'progress display (auto: a bar on a terminal, lines otherwise)').choices([...PROGRESS_MODES]).default('auto'));
}

/** Commander's parsed flags (strings) → validated ExecutorOptions. */
export function executorOptionsFrom(opts: Record<string, unknown>): ExecutorOptions {
  const str = (k: string): string | undefined => (opts[k] === undefined ? undefined : String(opts[k]));
  const input: ExecutorOptionsInput = {
    executor: (str('executor') ?? 'local') as ExecutorKind,
    queue: str('queue') ?? 'glassy',
    attempts: str('attempts') !== undefined ? positiveInt(str('attempts')!, 'attempts') : 3,
    restartCorrupt: opts['restartCorrupt'] === true,
    progress: (str('progress') ?? 'auto') as ProgressMode,
  };
  if (!(EXECUTORS as readonly string[]).includes(input.executor!)) {
    throw GlassyError.invalid('executor', input.executor, EXECUTORS.join(' | '));
  }
  if (str('workers') !== undefined) input.workers = positiveInt(str('workers')!, 'workers');
  if (str('shard') !== undefined) input.shard = parseShard(str('shard')!);
  if (str('redis') !== undefined) input.redis = str('redis')!;
  if (str('backoff') !== undefined) input.backoffMs = nonNegativeInt(str('backoff')!, 'backoff');
  if (str('redisTimeout') !== undefined) input.redisTimeout = positiveInt(str('redisTimeout')!, 'redis-timeout');
  if (str('checkpointEvery') !== undefined) input.checkpointEvery = positiveInt(str('checkpointEvery')!, 'checkpoint-every');
  if (str('maxMemory') !== undefined) input.maxMemory = parseSize(str('maxMemory')!);
  return parseExecutorOptions(input);
}
