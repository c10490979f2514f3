/**
 * Entry point of a pool worker thread (piscina loads the compiled dist/ file). One call runs one
 * replica; progress and warnings go back over the MessagePort that came with the task, and an
 * 'end' message tells the parent nothing more will follow on it. The registry travels as its
 * module URL (a thread cannot receive functions) and is imported once per thread.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Registry } from './protocol.js';
import type { ReplicaOutcome } from './replica.js';
import { type ReplicaJob, runReplicaJob } from './runner.js';

export interface PoolTask {
  job: ReplicaJob;
  port: MessagePort;
  /** URL of the module exporting the `registry` (executor/protocol.ts). */
  registry: string;
}

const registries = new Map<string, Promise<Registry>>();

function registryAt(url: string): Promise<Registry> {
  let r = registries.get(url);
  if (!r) {
    r = import(url).then((m: { registry: Registry }) => m.registry);
    registries.set(url, r);
  }
  return r;
}

export type PoolMessage =
  | { type: 'progress'; fraction: number; message?: string }
  | { type: 'warn'; message: string }
  | { type: 'end' };

export default async function runPoolTask({ job, port, registry }: PoolTask): Promise<ReplicaOutcome> {
  const post = (m: PoolMessage): void => port.postMessage(m);
  try {
    return await runReplicaJob(job, {
      progress: (fraction, message) => post(message === undefined ? { type: 'progress', fraction } : { type: 'progress', fraction, message }),
      warn: (message) => post({ type: 'warn', message }),
    }, await registryAt(registry));
  } finally {
    post({ type: 'end' });
    port.close();
  }
}
