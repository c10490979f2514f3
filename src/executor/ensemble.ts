/**
 * runEnsemble: the library entry point every replica protocol uses (`glassy run`, `glassy resume`,
 * `glassy train --replicas 8 --workers 2`, ...). Given a run (created or reopened through store/)
 * and its task, it runs the replicas that are not done yet on the chosen executor, shows one
 * progress display, and finalises the run: the task's finalize hook, then manifest status
 * 'complete' — or 'failed' listing the failed replica indices. A shard (`--shard i/n`) runs its
 * part, records it in shards/, and leaves finalisation to `glassy merge` (mergeRun).
 */
import { GlassyError } from '../core/errors.js';
import { Run, type RunStatus } from '../store/run.js';
import { CheckpointStore, removeEmptyCheckpoints } from './checkpoint.js';
import type { Executor } from './executor.js';
import { InProcessExecutor } from './inprocess.js';
import {
  type EnsembleInfo, listDone, listShards, markShard, readDone, readEnsemble, writeEnsemble,
} from './markers.js';
import {
  type ExecutorOptions, type ExecutorOptionsInput, defaultWorkers, parseExecutorOptions,
} from './options.js';
import { checkMemory, concurrencyFor } from './memory.js';
import { createProgress } from './progress.js';
import type { QueueRunInfo } from './queue.js';
import { type Protocol, type Registry, parseConfig } from './protocol.js';
import type { ReplicaOutcome, ReplicaOutcomeOk, ReplicaTask } from './replica.js';
import type { ReplicaJob } from './runner.js';

export interface EnsembleOptions extends ExecutorOptionsInput {
  /** K. Required for a new run unless the protocol derives it from the config; on a resumed run it must match ensemble.json when given. */
  replicas?: number;
  /** Label of the progress display (default: "<protocol> <run dir>"). */
  label?: string;
  /**
   * Install SIGINT/SIGTERM handlers that mark the run 'interrupted', stop the workers and exit
   * (130/143). Default true; library users embedding glassy may turn it off.
   */
  handleSignals?: boolean;
}

export type EnsembleStatus = RunStatus | 'shard-complete' | 'shard-failed';

export interface EnsembleResult {
  runDir: string;
  protocol: string;
  status: EnsembleStatus;
  replicas: number;
  /** Indices run by this call. */
  ran: number[];
  /** Indices skipped because they were already done. */
  skipped: number[];
  failed: Array<{ index: number; error: string }>;
  shard?: { index: number; count: number };
  summary?: Record<string, unknown>;
  seconds: number;
}

/**
 * Write (or check) ensemble.json. A new run needs `replicas`; an existing one must agree with it.
 * Returns the ensemble description the workers will read.
 */
export function prepareEnsemble(run: Run, protocol: string, replicas: number | undefined,
  checkpointEvery?: number, shards?: number): EnsembleInfo {
  if (run.manifest.protocol !== protocol) {
    throw GlassyError.invalid('protocol', protocol, `the run's protocol "${run.manifest.protocol}" (${run.dir})`);
  }
  const existing = readEnsemble(run.dir);
  if (existing) {
    if (existing.protocol !== protocol) {
      throw GlassyError.invalid('protocol', protocol, `"${existing.protocol}" as in ${run.dir}/ensemble.json`);
    }
    if (replicas !== undefined && replicas !== existing.replicas) {
      throw GlassyError.invalid('replicas', replicas, `${existing.replicas}, the run's replica count (${run.dir})`);
    }
    return checkSplit(run.dir, existing, shards);
  }
  if (replicas === undefined || !Number.isSafeInteger(replicas) || replicas < 1) {
    throw GlassyError.invalid('replicas', replicas, 'a positive integer number of replicas');
  }
  const info: EnsembleInfo = { protocol, replicas, checkpointEvery: checkpointEvery ?? null, shards: shards ?? null };
  writeEnsemble(run.dir, info);
  return info;
}

/** A shard must use the split the run's shards use (recorded by the first shard to start). */
function checkSplit(runDir: string, info: EnsembleInfo, shards: number | undefined): EnsembleInfo {
  if (shards === undefined) return info;
  if (info.shards === null) {
    const next = { ...info, shards };
    writeEnsemble(runDir, next);
    return next;
  }
  if (info.shards !== shards) {
    throw GlassyError.invalid('shard', `i/${shards}`, `i/${info.shards}, the split the run's shards use (${runDir})`);
  }
  return info;
}

/**
 * The pool (piscina) and the queue (bullmq, ioredis) are loaded only when a run uses them. A pool
 * of one thread runs a task that breathes (ReplicaTask.breathes) in this thread instead: the same
 * runner and numbers, without a worker's start-up and its second copy of the data — unless BLAS is
 * asked for several threads here, which the pool's worker would not use.
 */
async function makeExecutor(o: ExecutorOptions, pending: number, registry: Registry, run: QueueRunInfo, breathes: boolean): Promise<Executor> {
  switch (o.executor) {
    case 'inprocess': return new InProcessExecutor(registry);
    case 'local': {
      const threads = Math.max(1, Math.min(o.workers ?? defaultWorkers(), pending));
      if (threads === 1 && breathes && (process.env['GLASSY_BLAS_THREADS'] ?? '1') === '1') return new InProcessExecutor(registry);
      const { LocalExecutor } = await import('./local.js');
      return new LocalExecutor(threads, registry.url);
    }
    case 'queue': {
      const { QueueExecutor } = await import('./queue.js');
      return new QueueExecutor({
        redis: o.redis!, queue: o.queue, attempts: o.attempts, backoffMs: o.backoffMs, redisTimeoutMs: o.redisTimeout * 1000,
      }, run);
    }
  }
}

function describeFailures(failed: Array<{ index: number; error: string }>): string {
  const first = failed.slice(0, 5).map((f) => `replica ${f.index}: ${f.error.split('\n')[0]}`).join('; ');
  return `replica${failed.length > 1 ? 's' : ''} ${failed.map((f) => f.index).join(', ')} failed (${first}${failed.length > 5 ? '; ...' : ''})`;
}

/** K for a config: the protocol's own rule, else the caller's (the --replicas flag). */
export function replicaCount<C>(protocol: Protocol<C>, config: C, requested: number | undefined): number | undefined {
  return protocol.replicas?.(config) ?? requested;
}

/**
 * Run the replicas of `run` that are not done yet. The protocol is the run manifest's, looked up
 * in `registry` (which the pool threads import again by its URL).
 */
export async function runEnsemble(run: Run, registry: Registry, options: EnsembleOptions): Promise<EnsembleResult> {
  const { replicas, label, handleSignals = true, ...execInput } = options;
  const o = parseExecutorOptions(execInput);
  const name = run.manifest.protocol;
  const protocol = await registry.protocol(name);
  const config = parseConfig(protocol, run.manifest.config);
  const info = prepareEnsemble(run, name, replicaCount(protocol, config, replicas), o.checkpointEvery, o.shard?.count);
  const task = await protocol.task();
  const k = info.replicas;
  const mine: number[] = [];
  for (let i = 0; i < k; i++) if (!o.shard || i % o.shard.count === o.shard.index) mine.push(i);
  const skipped = mine.filter((i) => readDone(run.dir, i) !== null);
  const pending = mine.filter((i) => !skipped.includes(i));

  checkMemory(name, task, config, concurrencyFor(o, pending.length), k, o.maxMemory);

  // A shard shares the manifest with the other shards (other processes, other machines): it
  // leaves it alone; the merge finalises. A whole run owns it.
  if (!o.shard && (run.status !== 'running' || run.manifest.pid !== process.pid)) run.resume();

  const t0 = performance.now();
  const jobs: ReplicaJob[] = pending.map((index) => ({
    runDir: run.dir, protocol: name, index, restartCorrupt: o.restartCorrupt,
    ...(o.checkpointEvery !== undefined ? { checkpointEvery: o.checkpointEvery } : {}),
  }));
  let outcomes: ReplicaOutcome[] = [];
  // Set by a signal: the replicas the pool abandons are not failures, and the manifest says 'interrupted'.
  let stopping = false;
  if (jobs.length > 0) {
    const executor = await makeExecutor(o, jobs.length, registry,
      { config: run.manifest.config, seed: run.manifest.seed, replicas: k, inputs: task.inputs?.(config) ?? [] }, task.breathes === true);
    const display = createProgress(o.progress, label ?? `${name} ${run.dir}`, pending);
    const onSignal = (sig: NodeJS.Signals): void => {
      stopping = true;
      display.stop();
      display.warn(null, `${sig}: stopping; continue with \`glassy resume ${run.dir}\``);
      if (!o.shard) {
        try { run.update({ status: 'interrupted' }); } catch { /* exiting anyway */ }
      }
      const code = sig === 'SIGINT' ? 130 : 143;
      // Threads and connections get a moment to close; a stuck one must not keep us alive.
      setTimeout(() => process.exit(code), 3000).unref();
      void executor.close().finally(() => process.exit(code));
    };
    if (handleSignals) { process.once('SIGINT', onSignal); process.once('SIGTERM', onSignal); }
    try {
      outcomes = await executor.run(jobs, {
        progress: (i, f, m) => display.update(i, f, m),
        warn: (i, m) => display.warn(i, m),
        done: (oc) => display.finish(oc.index, oc.ok, oc.ok ? undefined : oc.error),
      });
    } catch (err) {
      display.stop();
      await executor.close();
      if (!o.shard && !stopping) run.fail(err instanceof Error ? err.message : String(err));
      throw err;
    } finally {
      if (handleSignals) { process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal); }
    }
    display.stop();
    await executor.close();
  }
  if (stopping) {
    return {
      runDir: run.dir, protocol: name, status: 'interrupted', replicas: k, ran: [], skipped, failed: [],
      seconds: (performance.now() - t0) / 1000, ...(o.shard ? { shard: o.shard } : {}),
    };
  }
  const seconds = (performance.now() - t0) / 1000;
  const failed = outcomes.filter((x): x is { index: number; ok: false; error: string } => !x.ok)
    .map(({ index, error }) => ({ index, error }));
  const result: EnsembleResult = {
    runDir: run.dir, protocol: name, status: 'running', replicas: k,
    ran: pending, skipped, failed, seconds,
    ...(o.shard ? { shard: o.shard } : {}),
  };

  if (o.shard) {
    if (failed.length === 0) markShard(run.dir, o.shard.index, o.shard.count, mine);
    result.status = failed.length === 0 ? 'shard-complete' : 'shard-failed';
    return result;
  }
  run.setTiming('replicas', (run.manifest.timings['replicas'] ?? 0) + seconds);
  if (failed.length > 0) {
    run.fail(describeFailures(failed));
    result.status = 'failed';
    return result;
  }
  result.summary = await finalizeRun(run, task, config, k);
  // A unit may hold several replicas (train --lockstep G): the task's summary counts replicas.
  if (typeof result.summary['replicas'] === 'number') result.replicas = result.summary['replicas'];
  result.status = 'complete';
  return result;
}

/** All K done markers → the task's finalize → manifest 'complete' with the summary. */
async function finalizeRun<C>(run: Run, task: ReplicaTask<C>, config: C, k: number): Promise<Record<string, unknown>> {
  const ok: ReplicaOutcomeOk[] = [];
  const missing: number[] = [];
  for (let i = 0; i < k; i++) {
    const m = readDone(run.dir, i);
    if (m) ok.push({ index: i, ok: true, summary: m.summary });
    else missing.push(i);
  }
  if (missing.length > 0) {
    throw new GlassyError(`${run.dir}: replicas ${missing.join(', ')} are not done`, 'replicas', missing, 'every replica done');
  }
  const t0 = performance.now();
  let extra: Record<string, unknown> | void;
  try {
    extra = task.finalize ? await task.finalize(run, ok, config) : undefined;
  } catch (err) {
    run.fail(`finalize: ${err instanceof Error ? err.message : String(err)}`);
    throw err;
  }
  run.setTiming('finalize', (performance.now() - t0) / 1000);
  removeEmptyCheckpoints(run.dir);
  const summary = { replicas: k, ...(extra ?? {}) };
  run.finish(summary);
  return summary;
}

export interface MergeResult {
  runDir: string;
  protocol: string;
  replicas: number;
  shards: number | null;
  summary: Record<string, unknown>;
}

/**
 * `glassy merge RUN`: check that every replica 0..K-1 is done exactly once — each index in
 * exactly one shard file (when shards were used, all of the same split), a done marker for every
 * index and none beyond — then finalise the run.
 */
export async function mergeRun(runDir: string, registry: Registry): Promise<MergeResult> {
  const run = Run.open(runDir);
  const info = readEnsemble(run.dir);
  if (!info) throw new GlassyError(`${run.dir} has no ensemble.json: not a replica run`, 'run', run.dir, 'a run made by glassy run');
  const k = info.replicas;
  const shards = listShards(run.dir);
  const problems: string[] = [];
  let split: number | null = null;
  if (shards.length > 0) {
    const splits = [...new Set(shards.map((s) => s.of))];
    if (splits.length > 1) problems.push(`shard files of different splits (${splits.map((n) => `/${n}`).join(', ')}) in ${run.dir}/shards`);
    split = splits[0]!;
    const count = new Map<number, number>();
    for (const s of shards) for (const i of s.indices) count.set(i, (count.get(i) ?? 0) + 1);
    const twice = [...count].filter(([, c]) => c > 1).map(([i]) => i);
    const outside = [...count.keys()].filter((i) => i >= k);
    if (twice.length) problems.push(`replicas ${twice.join(', ')} were run by more than one shard`);
    if (outside.length) problems.push(`shard files list replicas ${outside.join(', ')} beyond K = ${k}`);
    const have = new Set(shards.filter((s) => s.of === split).map((s) => s.shard));
    const absent: number[] = [];
    for (let s = 0; s < split; s++) if (!have.has(s)) absent.push(s);
    if (absent.length) problems.push(`shards ${absent.map((s) => `${s}/${split}`).join(', ')} have not completed (no ${run.dir}/shards/<i>-of-${split}.json)`);
  }
  const done = new Set(listDone(run.dir));
  const missing: number[] = [];
  for (let i = 0; i < k; i++) if (!done.has(i)) missing.push(i);
  const extra = [...done].filter((i) => i >= k);
  if (missing.length) problems.push(`replicas ${missing.join(', ')} are not done (run \`glassy resume ${run.dir}\` with the same --shard)`);
  if (extra.length) problems.push(`done markers for replicas ${extra.join(', ')} beyond K = ${k}`);
  if (problems.length) {
    throw new GlassyError(`cannot merge ${run.dir}: ${problems.join('; ')}`, 'run', run.dir, 'every replica done exactly once');
  }
  const protocol = await registry.protocol(info.protocol);
  const config = parseConfig(protocol, run.manifest.config);
  const task = await protocol.task();
  if (run.status !== 'running' || run.manifest.pid !== process.pid) run.resume();
  const summary = await finalizeRun(run, task, config, k);
  for (let i = 0; i < k; i++) new CheckpointStore(run.dir, i).clear();
  removeEmptyCheckpoints(run.dir);
  return { runDir: run.dir, protocol: info.protocol, replicas: k, shards: split, summary };
}

/** One line for people: where the run is and how it ended. */
export function formatEnsembleResult(r: EnsembleResult): string {
  const head = `${r.protocol}: ${r.runDir}`;
  const counts = `${r.ran.length} replica${r.ran.length === 1 ? '' : 's'} run` +
    (r.skipped.length ? `, ${r.skipped.length} already done` : '') + ` in ${r.seconds.toFixed(1)} s`;
  switch (r.status) {
    case 'complete': return `${head} complete (${r.replicas} replicas; ${counts})`;
    case 'shard-complete': return `${head} shard ${r.shard!.index}/${r.shard!.count} complete (${counts}); when every shard is done: glassy merge ${r.runDir}`;
    case 'shard-failed': return `${head} shard ${r.shard!.index}/${r.shard!.count}: ${describeFailures(r.failed)}; rerun with glassy resume ${r.runDir} --shard ${r.shard!.index}/${r.shard!.count}`;
    case 'failed': return `${head} failed: ${describeFailures(r.failed)} (${counts}); the others are kept: glassy resume ${r.runDir} reruns only the failed`;
    default: return `${head} ${r.status}`;
  }
}
