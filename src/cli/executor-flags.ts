/**
 * The executor flags every replica-running command shares (protocol commands, `glassy resume`),
 * spelled, defaulted and converted to ExecutorOptions (executor/options.ts) in one place.
 */
import { type Command, Option } from 'commander';
import { GlassyError } from '../core/errors.js';
import {
  EXECUTORS, type ExecutorKind, type ExecutorOptions, type ExecutorOptionsInput, PROGRESS_MODES, type ProgressMode,
  parseExecutorOptions, parseShard, parseSize,
} from '../executor/options.js';

export type { ExecutorOptions };

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
export function addExecutorFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--executor <kind>', 'where replicas run').choices([...EXECUTORS]).default('local'))
    .option('--workers <n>', 'concurrent replicas of the local pool (default: number of cores)')
    .option('--shard <i/n>', 'run only replicas with index % n == i; finish with `glassy merge`')
    .option('--redis <url>', 'Redis URL for --executor queue (e.g. redis://127.0.0.1:6379)')
    .option('--queue <name>', 'BullMQ queue name', 'glassy')
    .addOption(new Option('--attempts <n>', 'tries per replica on the queue, with exponential back-off').default('3', '3'))
    .addOption(new Option('--backoff <ms>', 'first retry delay on the queue (doubles each retry)').default('1000', '1000'))
    .addOption(new Option('--redis-timeout <s>', 'fail the run when Redis stays unreachable this long (resume it later)').default('60', '60'))
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
