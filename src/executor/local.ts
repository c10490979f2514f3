/**
 * The local executor: a piscina pool of worker threads, one replica per thread at a time.
 * Threads (not processes) because replicas share nothing and the data crossing is tiny (a job
 * and progress messages); each thread imports the registry (by the URL it was handed) and runs
 * `runReplicaJob`.
 *
 * Native BLAS libraries start as many threads as cores by default; with N workers that is N×cores
 * threads fighting for N cores, so each worker is told to use one (GLASSY_BLAS_THREADS and the
 * variables OpenBLAS/OpenMP/MKL read).
 */
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { EnsembleEvents, Executor } from './executor.js';
import type { PoolMessage, PoolTask } from './pool-worker.js';
import type { ReplicaOutcome } from './replica.js';
import { type ReplicaJob, errorText } from './runner.js';

const WORKER_FILE = fileURLToPath(new URL('./pool-worker.js', import.meta.url));

export const SINGLE_THREAD_ENV: Record<string, string> = {
  GLASSY_BLAS_THREADS: '1',
  OPENBLAS_NUM_THREADS: '1',
  OMP_NUM_THREADS: '1',
  MKL_NUM_THREADS: '1',
};

/**
 * piscina loads a worker file with require() first and falls back to import(). Since Node 20.19
 * require() can load ES modules, and when that fails part-way (a module with top-level await in
 * the graph, e.g. a WASM backend) the import() fallback hits a Node bug ("Unexpected status of a
 * module that is imported again after being required"). Turning require(esm) off in the workers
 * makes require fail cleanly (ERR_REQUIRE_ESM) and piscina use import() alone.
 */
const REQUIRE_ESM_OFF = '--no-experimental-require-module';
export const WORKER_EXEC_ARGV: string[] = process.allowedNodeEnvironmentFlags.has(REQUIRE_ESM_OFF) ? [REQUIRE_ESM_OFF] : [];

export interface ReplicaHandlers {
  progress(fraction: number, message?: string): void;
  warn(message: string): void;
}

export class LocalExecutor implements Executor {
  readonly name = 'local';
  private readonly pool: Piscina<PoolTask, ReplicaOutcome>;
  private closed = false;

  /** `registry`: URL of the module exporting the protocol registry (see pool-worker.ts). */
  constructor(readonly concurrency: number, private readonly registry: string) {
    this.pool = new Piscina<PoolTask, ReplicaOutcome>({
      filename: WORKER_FILE,
      minThreads: 0,
      maxThreads: concurrency,
      // Threads linger briefly: a queue worker gets jobs one after another.
      idleTimeout: 5000,
      env: { ...process.env, ...SINGLE_THREAD_ENV } as Record<string, string>,
      execArgv: [...process.execArgv, ...WORKER_EXEC_ARGV],
    });
  }

  /** Run one job on the pool; resolves (never rejects) with its outcome. */
  runOne(job: ReplicaJob, handlers: ReplicaHandlers): Promise<ReplicaOutcome> {
    const { port1, port2 } = new MessageChannel();
    let ended!: () => void;
    const endSeen = new Promise<void>((r) => { ended = r; });
    port1.on('message', (m: PoolMessage) => {
      if (m.type === 'progress') handlers.progress(m.fraction, m.message);
      else if (m.type === 'warn') handlers.warn(m.message);
      else ended();
    });
    return this.pool.run({ job, port: port2, registry: this.registry }, { transferList: [port2] }).then(
      // The result and the port travel on different channels: wait for 'end' so no warning is lost.
      async (o) => { await endSeen; port1.close(); return o; },
      (err: unknown) => {
        port1.close();
        return { index: job.index, ok: false as const, error: `worker thread died: ${errorText(err)}` };
      },
    );
  }

  async run(jobs: ReplicaJob[], events: EnsembleEvents): Promise<ReplicaOutcome[]> {
    // Hand the pool at most `concurrency` jobs at a time, in index order: piscina's own queue does
    // not keep submission order across threads, and replicas finishing in order make progress
    // (and a partial run after a kill) easier to read.
    const out: ReplicaOutcome[] = new Array(jobs.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < jobs.length) {
        const k = next++;
        const job = jobs[k]!;
        const o = await this.runOne(job, {
          progress: (f, m) => events.progress(job.index, f, m),
          warn: (m) => events.warn(job.index, m),
        });
        events.done(o);
        out[k] = o;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, jobs.length) }, lane));
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.destroy();
  }
}
