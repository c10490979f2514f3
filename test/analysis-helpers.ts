/**
 * Shared helpers of the analysis-protocol tests (not a test file itself): run an analysis task
 * (cluster, hessian, permute, connect) as a new run on an executor, and a simulated kill -9 — a
 * replica stopped right after its n-th checkpoint, leaving exactly what a killed process leaves
 * (checkpoints on disk, no done marker, the run not finalised).
 */
import assert from 'node:assert/strict';
import { prepareEnsemble, runEnsemble, type EnsembleOptions } from '../src/executor/ensemble.js';
import { CheckpointStore } from '../src/executor/checkpoint.js';
import type { ReplicaContext, ReplicaTask } from '../src/executor/replica.js';
import { Run } from '../src/store/run.js';

export async function runAnalysisTask<C>(
  task: ReplicaTask<C>, config: C, out: string, seed: number, replicas: number, options: EnsembleOptions = {},
): Promise<Record<string, unknown>> {
  const run = Run.create(out, { protocol: task.protocol, config, seed });
  const r = await runEnsemble(run, task, { executor: 'inprocess', progress: 'none', handleSignals: false, ...options, replicas });
  assert.equal(r.status, 'complete', JSON.stringify(r.failed));
  return r.summary!;
}

class Killed extends Error {}

/**
 * Runs replica `index` of a prepared run until it has saved `after` checkpoints, then stops it dead.
 * Returns the number of checkpoints saved (fewer when the replica finished first).
 */
export async function killAfterCheckpoints<C>(task: ReplicaTask<C>, runDir: string, index: number, replicas: number, after: number, checkpointEvery?: number): Promise<number> {
  const run = Run.open(runDir);
  prepareEnsemble(run, task.protocol, replicas);
  const config = task.parseConfig ? task.parseConfig(run.manifest.config) : (run.manifest.config as C);
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
