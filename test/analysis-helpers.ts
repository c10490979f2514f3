/**
 * Shared helpers of the analysis-protocol tests (not a test file itself): run an analysis protocol
 * (cluster, hessian, permute, connect) as a new run on an executor, and a simulated kill -9 — a
 * replica stopped right after its n-th checkpoint, leaving exactly what a killed process leaves
 * (checkpoints on disk, no done marker, the run not finalised).
 */
import assert from 'node:assert/strict';
import { prepareEnsemble, runEnsemble, type EnsembleOptions } from '../src/executor/ensemble.js';
import { CheckpointStore } from '../src/executor/checkpoint.js';
import { parseConfig } from '../src/executor/protocol.js';
import type { ReplicaContext } from '../src/executor/replica.js';
import { registry } from '../src/registry.js';
import { Run } from '../src/store/run.js';

/** A new run of protocol `name` with K from the protocol; its summary once complete. */
export async function runAnalysis(name: string, config: unknown, out: string, seed: number, options: EnsembleOptions = {}): Promise<Record<string, unknown>> {
  const protocol = await registry.protocol(name);
  const run = Run.create(out, { protocol: name, config, seed });
  const r = await runEnsemble(run, registry, { executor: 'inprocess', progress: 'none', handleSignals: false, ...options, replicas: protocol.replicas!(config) });
  assert.equal(r.status, 'complete', JSON.stringify(r.failed));
  return r.summary!;
}

class Killed extends Error {}

/**
 * Runs replica `index` of the run at `runDir` until it has saved `after` checkpoints (every
 * `checkpointEvery` steps), then stops it dead. Returns the number of checkpoints saved.
 */
export async function killAfterCheckpoints(runDir: string, index: number, after: number, checkpointEvery?: number): Promise<number> {
  const run = Run.open(runDir);
  const protocol = await registry.protocol(run.manifest.protocol);
  const config = parseConfig(protocol, run.manifest.config);
  const replicas = protocol.replicas!(config)!;
  prepareEnsemble(run, protocol.name, replicas);
  const task = await protocol.task();
  const store = new CheckpointStore(runDir, index);
  let saved = 0;
  const ctx: ReplicaContext = {
    runDir, index, seed: run.manifest.seed, replicas, checkpointEvery, run,
    progress: () => {}, warn: () => {},
    saveCheckpoint: (cp) => { store.save(cp); if (++saved >= after) throw new Killed(); },
    loadCheckpoint: () => store.load(),
  };
  try {
    await task.run(config, ctx);
  } catch (e) {
    if (!(e instanceof Killed)) throw e;
  }
  return saved;
}
