/**
 * Protocol name → its ReplicaTask, imported lazily: `glassy --help` and every pool worker thread
 * load only the protocol they run. Workers (threads, queue workers on other machines) find a task
 * by the name in the run's manifest, so a protocol must be listed here to run on an executor.
 *
 * Add one line per protocol (one line each keeps concurrent edits trivial). The module must
 * export its task as `task`.
 */
import { GlassyError } from '../core/errors.js';
import type { ReplicaTask } from '../executor/replica.js';

type Loader = () => Promise<ReplicaTask<unknown>>;

const protocols: Record<string, Loader> = {
  l2sweep: async () => (await import('./l2sweep.js')).task as ReplicaTask<unknown>,
  train: async () => (await import('./train.js')).task as ReplicaTask<unknown>,
  selftest: async () => (await import('./selftest.js')).task as ReplicaTask<unknown>,
  aging: async () => (await import('./aging.js')).task as ReplicaTask<unknown>,
  walk: async () => (await import('./walk.js')).task as ReplicaTask<unknown>,
  flatness: async () => (await import('./flatness.js')).task as ReplicaTask<unknown>,
  surface: async () => (await import('./surface.js')).task as ReplicaTask<unknown>,
};

export function protocolNames(): string[] {
  return Object.keys(protocols).sort();
}

export async function loadTask(name: string): Promise<ReplicaTask<unknown>> {
  const load = Object.hasOwn(protocols, name) ? protocols[name] : undefined;
  if (!load) throw GlassyError.invalid('protocol', name, `one of ${protocolNames().join(', ')}`);
  const task = await load();
  if (task.protocol !== name) {
    // A mismatch would make workers run a different protocol than the manifest names.
    throw new GlassyError(`protocol registry: "${name}" loads a task named "${task.protocol}"`, 'protocol', name, 'matching names');
  }
  return task;
}
