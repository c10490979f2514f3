/**
 * One interface for every way of running replicas: give it the jobs, get back one outcome per
 * job (never a rejection for a failed replica — that is an outcome), with progress and warnings
 * streamed through `events` as they happen.
 */
import type { ReplicaOutcome } from './replica.js';
import type { ReplicaJob } from './runner.js';

export interface EnsembleEvents {
  progress(index: number, fraction: number, message?: string): void;
  warn(index: number, message: string): void;
  /** A replica finished (ok or not); called once per job. */
  done(outcome: ReplicaOutcome): void;
}

export interface Executor {
  readonly name: string;
  /** How many replicas run at once (for the memory check). */
  readonly concurrency: number;
  run(jobs: ReplicaJob[], events: EnsembleEvents): Promise<ReplicaOutcome[]>;
  /** Release threads and connections. Idempotent. */
  close(): Promise<void>;
}
