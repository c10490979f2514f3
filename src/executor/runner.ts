/**
 * Runs ONE replica job `{ runDir, protocol, index }` wherever it lands — this thread, a pool
 * worker thread, a queue worker on another machine — so every executor shares the same steps:
 * look the protocol up by name in the registry it was handed, read the config and seed from the run's manifest, skip a replica that
 * is already done, run it with checkpoints on disk, mark it done, drop its checkpoints.
 *
 * Errors become a failed outcome carrying the message (never thrown): one bad replica must not
 * stop the others, and the message has to cross thread and process boundaries as plain text.
 */
import { GlassyError } from '../core/errors.js';
import { writeFileAtomic } from '../store/atomic.js';
import { type Registry, parseConfig } from './protocol.js';
import { Run } from '../store/run.js';
import { CheckpointStore } from './checkpoint.js';
import { markDone, readDone, readEnsemble } from './markers.js';
import type { ReplicaContext, ReplicaOutcome, ReplicaTask } from './replica.js';

export interface ReplicaJob {
  runDir: string;
  protocol: string;
  index: number;
  /** See ExecutorOptions.restartCorrupt. */
  restartCorrupt?: boolean;
  /** `--checkpoint-every` of this invocation; else ensemble.json's; else the task's default. */
  checkpointEvery?: number;
  /** Send each checkpoint's bytes back to the executor (queue workers keep them in Redis). */
  shipCheckpoints?: boolean;
}

export interface ReplicaEvents {
  progress(fraction: number, message?: string): void;
  warn(message: string): void;
  /** A checkpoint was saved (its bytes as on disk): the queue worker also keeps it in Redis. */
  checkpoint?(bytes: Uint8Array): void;
}

/** Progress calls closer together than this are dropped (tasks may call it every step). */
const PROGRESS_INTERVAL_MS = 200;
/** ctx.breathe yields to the event loop at most this often. */
const BREATH_INTERVAL_MS = 100;

/** The message shown for a failure: GlassyErrors are the user's; others get the stack under GLASSY_DEBUG. */
export function errorText(err: unknown): string {
  if (err instanceof GlassyError) return err.message;
  const e = err instanceof Error ? err : new Error(String(err));
  return process.env['GLASSY_DEBUG'] ? `${e.message}\n${e.stack}` : e.message;
}

export async function runReplicaJob(job: ReplicaJob, events: ReplicaEvents, registry: Registry): Promise<ReplicaOutcome> {
  const { runDir, index } = job;
  try {
    const done = readDone(runDir, index);
    if (done) return { index, ok: true, summary: done.summary };
    const run = Run.open(runDir);
    if (run.manifest.protocol !== job.protocol) {
      throw GlassyError.invalid('protocol', job.protocol, `the run's protocol "${run.manifest.protocol}" (${runDir})`);
    }
    const ensemble = readEnsemble(runDir);
    if (!ensemble) throw new GlassyError(`${runDir} has no ensemble.json: not a replica run`, 'run', runDir, 'a run made by glassy run');
    if (!(Number.isSafeInteger(index) && index >= 0 && index < ensemble.replicas)) {
      throw GlassyError.invalid('index', index, `a replica index in 0..${ensemble.replicas - 1}`);
    }
    const protocol = await registry.protocol(job.protocol);
    const config = parseConfig(protocol, run.manifest.config);
    const task = await protocol.task();
    const store = new CheckpointStore(runDir, index, {
      warn: events.warn, restartCorrupt: job.restartCorrupt ?? false,
      write: (p, d) => { writeFileAtomic(p, d); events.checkpoint?.(d); },
    });
    let last = 0;
    let lastBreath = performance.now();
    let resumedFrom: number | null = null;
    const ctx: ReplicaContext = {
      runDir,
      index,
      seed: run.manifest.seed,
      replicas: ensemble.replicas,
      checkpointEvery: job.checkpointEvery ?? ensemble.checkpointEvery ?? undefined,
      run,
      progress(fraction, message) {
        const now = Date.now();
        if (now - last < PROGRESS_INTERVAL_MS && fraction < 1) return;
        last = now;
        events.progress(Math.min(1, Math.max(0, fraction)), message);
      },
      warn: (m) => events.warn(m),
      breathe() {
        const now = performance.now();
        if (now - lastBreath < BREATH_INTERVAL_MS) return undefined;
        lastBreath = now;
        return new Promise<void>((resolve) => { setImmediate(resolve); });
      },
      saveCheckpoint: (cp) => { store.save(cp); },
      loadCheckpoint: () => {
        const cp = store.load();
        resumedFrom = cp ? cp.meta.step : null;
        return cp;
      },
    };
    const t0 = performance.now();
    const summary = await (task as ReplicaTask<unknown>).run(config, ctx);
    // Done marker first, then the checkpoints go: a kill in between leaves a done replica with
    // stale checkpoints (harmless), never a replica with neither.
    markDone(runDir, index, summary, (performance.now() - t0) / 1000, resumedFrom);
    store.clear();
    events.progress(1);
    return { index, ok: true, summary };
  } catch (err) {
    return { index, ok: false, error: errorText(err) };
  }
}
