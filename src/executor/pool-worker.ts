/**
 * Entry point of a pool worker thread (piscina loads the compiled dist/ file). One call runs one
 * replica; progress and warnings go back over the MessagePort that came with the task, and an
 * 'end' message tells the parent nothing more will follow on it.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ReplicaOutcome } from './replica.js';
import { type ReplicaJob, runReplicaJob } from './runner.js';

export interface PoolTask {
  job: ReplicaJob;
  port: MessagePort;
}

export type PoolMessage =
  | { type: 'progress'; fraction: number; message?: string }
  | { type: 'warn'; message: string }
  | { type: 'checkpoint'; bytes: Uint8Array }
  | { type: 'end' };

export default async function runPoolTask({ job, port }: PoolTask): Promise<ReplicaOutcome> {
  const post = (m: PoolMessage): void => port.postMessage(m);
  try {
    return await runReplicaJob(job, {
      progress: (fraction, message) => post(message === undefined ? { type: 'progress', fraction } : { type: 'progress', fraction, message }),
      warn: (message) => post({ type: 'warn', message }),
      ...(job.shipCheckpoints ? { checkpoint: (bytes: Uint8Array) => post({ type: 'checkpoint', bytes }) } : {}),
    });
  } finally {
    post({ type: 'end' });
    port.close();
  }
}
