/**
 * The unit of parallel work: one replica of one protocol in one run directory.
 *
 * A protocol that runs replicas provides a `ReplicaTask`: a function of (config, replica index)
 * only — its randomness comes from `Rng.stream(seed, domain, index)` — so the result is the same
 * whichever executor (in-process, worker pool, BullMQ queue, SLURM shard) runs it and however
 * many workers there are. The replica writes its own results into the run directory (through
 * store/), reports progress, and saves checkpoints through its context; an executor never
 * interprets a replica's results beyond the small JSON summary it returns.
 */
import type { RngState } from '../core/rng.js';

/** Everything a replica may persist to resume after a kill. */
export interface Checkpoint {
  /** JSON-able scalars: step counters, positions in the data order, RNG states, ... */
  meta: CheckpointMeta;
  /** Large state: weights, optimiser moments, measurement buffers. */
  arrays: Record<string, Float32Array | Float64Array | Int32Array | Uint8Array>;
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
  /** Fraction done in [0, 1] with an optional short message; cheap to call often (throttled). */
  progress(fraction: number, message?: string): void;
  /** Atomically persist a checkpoint (the previous good one stays until the new one is complete). */
  saveCheckpoint(cp: Checkpoint): void;
  /** The latest good checkpoint of this replica, or null to start from scratch. */
  loadCheckpoint(): Checkpoint | null;
}

/** JSON-able summary a replica returns (key figures; the arrays are on disk). */
export type ReplicaSummary = Record<string, number | string | boolean | null | number[]>;

export interface ReplicaTask<C> {
  /** Protocol name as registered in protocols/registry (workers look the task up by it). */
  readonly protocol: string;
  run(config: C, ctx: ReplicaContext): Promise<ReplicaSummary>;
}

export type ReplicaOutcome =
  | { index: number; ok: true; summary: ReplicaSummary }
  | { index: number; ok: false; error: string };
