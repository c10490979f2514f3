/**
 * The unit of parallel work: one replica of one protocol in one run directory.
 *
 * Every protocol (protocol.ts) provides a `ReplicaTask`: a function of (config, replica index)
 * only — its randomness comes from `Rng.stream(seed, domain, index)` — so the result is the same
 * whichever executor (in-process, worker pool, BullMQ queue, SLURM shard) runs it and however
 * many workers there are. The replica writes its own results into the run directory (through
 * store/, via `ctx.run`), reports progress, and saves checkpoints through its context; an executor
 * never interprets a replica's results beyond the small JSON summary it returns.
 *
 * Rules a task must keep (they are what makes resume and any-executor results bit-identical):
 * - everything random comes from seeded streams of (ctx.seed, domain, ctx.index);
 * - a checkpoint holds ALL state the remaining steps depend on (RNG states included), and the
 *   checkpoint interval never changes the numbers;
 * - a replica writes only its own files (e.g. arrays named after its index) and never the manifest:
 *   replicas run concurrently in several processes, and the manifest belongs to the executor.
 */
import type { RngState } from '../core/rng.js';
import type { ArrayData } from '../store/dtype.js';
import type { Run } from '../store/run.js';

/** Everything a replica may persist to resume after a kill. */
export interface Checkpoint {
  /** JSON-able scalars: step counters, positions in the data order, RNG states, ... */
  meta: CheckpointMeta;
  /** Large state: weights, optimiser moments, spins (Int8Array), measurement buffers; stored 1-D. */
  arrays: Record<string, ArrayData>;
}

export interface CheckpointMeta {
  /** Monotone progress counter of the replica (e.g. SGD steps done) at which this was taken. */
  step: number;
  rng?: Record<string, RngState>;
  [key: string]: unknown;
}

export interface ReplicaContext {
  readonly runDir: string;
  readonly index: number;
  /** The run's seed (manifest.seed): derive every stream from (seed, domain, index). */
  readonly seed: number;
  /** Number of replicas K in the ensemble (indices 0..K-1). */
  readonly replicas: number;
  /**
   * `--checkpoint-every N` when the user gave it (in the task's own step unit), else undefined and
   * the task uses its own default. It must not change the results, only how much a kill loses.
   */
  readonly checkpointEvery: number | undefined;
  /** The run, opened for writing this replica's arrays and weights (opened lazily, once). */
  readonly run: Run;
  /** Fraction done in [0, 1] with an optional short message; cheap to call often (throttled). */
  progress(fraction: number, message?: string): void;
  /** A warning for the user (shown once, with the replica index), e.g. a fallback that was taken. */
  warn(message: string): void;
  /**
   * Lets the thread's event loop run (signal handlers, the progress display) when ~0.1 s has passed
   * since the last time; cheap to await every step. A task that awaits it in its long loops sets
   * `ReplicaTask.breathes`.
   */
  breathe?(): Promise<void> | undefined;
  /** Atomically persist a checkpoint (the previous good one stays until the new one is complete). */
  saveCheckpoint(cp: Checkpoint): void;
  /** The latest good checkpoint of this replica, or null to start from scratch. */
  loadCheckpoint(): Checkpoint | null;
}

/** JSON-able summary a replica returns (key figures; the arrays are on disk). */
export type ReplicaSummary = Record<string, number | string | boolean | null | number[]>;

/** The heavy half of a Protocol (protocol.ts): what runs one replica and reduces K of them. */
export interface ReplicaTask<C> {
  /**
   * Completes the raw config of a NEW run from outside sources before the schema sees it — e.g.
   * source run directories → absolute paths and their replica counts. Not called on resume (the
   * manifest already holds the completed config). Throw a GlassyError naming the field.
   */
  prepare?(raw: Record<string, unknown>): Record<string, unknown> | Promise<Record<string, unknown>>;
  /**
   * Checks that need more than the config — the data loads and fits the model, a source run
   * exists and is complete — run before the run directory is created, so a refused run leaves
   * nothing behind. Throw a GlassyError naming the field.
   */
  validate?(config: C, seed: number): Promise<void> | void;
  run(config: C, ctx: ReplicaContext): Promise<ReplicaSummary>;
  /**
   * The task awaits `ctx.breathe()` in its long loops, so it can run on the main thread without
   * freezing Ctrl-C and the progress display: where the local pool would get one thread, the
   * replicas then run in-process, without a worker thread's start-up and second copy of the data.
   */
  breathes?: boolean;
  /**
   * Bytes one replica needs at its peak (weights, data, buffers). Used by `--max-memory` to refuse
   * a run that would not fit with the chosen number of concurrent workers.
   */
  estimateMemory?(config: C): number;
  /**
   * Bytes the run's finalisation holds for K replicas (e.g. every replica's curves stacked).
   * Added to the executor's own per-replica bookkeeping by the memory check.
   */
  estimateFinalizeMemory?(config: C, replicas: number): number;
  /**
   * Paths (files or run directories) a replica reads, exactly as they are written in the config
   * (e.g. walk's `source` train run). A queue worker on another machine cannot see them: the
   * coordinator packs them into Redis once per run, and the worker unpacks them and runs with
   * every config string equal to such a path replaced by its local copy (docs/scale.md).
   */
  inputs?(config: C): string[];
  /**
   * Runs once after all K replicas are done (by `glassy run`, `glassy resume` or `glassy merge`):
   * combine the per-replica files into the run's ensemble arrays (axis 0 = replica index) and
   * compute cross-replica observables. `outcomes` is sorted by index and all ok; `config` is the
   * parsed manifest config (a hook that only takes (run, outcomes) is fine). Its return value
   * becomes the manifest's summary (merged with the executor's own counts).
   */
  finalize?(run: Run, outcomes: ReplicaOutcomeOk[], config: C): Promise<Record<string, unknown> | void>;
}

export type ReplicaOutcomeOk = { index: number; ok: true; summary: ReplicaSummary };

export type ReplicaOutcome =
  | ReplicaOutcomeOk
  | { index: number; ok: false; error: string };
