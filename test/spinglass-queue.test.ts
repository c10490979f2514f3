/**
 * The spinglass protocol on the BullMQ queue: a private redis-server, two `glassy worker`s, a
 * parallel-tempering run of 4 disorder samples; the worker holding a sample that has checkpointed is
 * SIGKILLed. The other worker takes the sample over, resumes it from its checkpoint, and the
 * arrays are byte-identical to an in-process run. Skipped, saying so, when redis-server is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runEnsemble } from '../src/executor/ensemble.js';
import { readDone } from '../src/executor/markers.js';
import { registry } from '../src/registry.js';
import { Run } from '../src/store/run.js';
import { type Spawned, arrayDiff, freePort, killQueueHolder, redisAvailable, removeDir, startRedis, startWorkers, stopProcess, tempDir } from './executor-helpers.js';
import { runSpinglass, spinglassConfig, type SpinglassInput } from './spinglass-helpers.js';

const skip = redisAvailable() ? false : 'redis-server is not installed (apt-get install redis-server): queue test skipped';

const PT: SpinglassInput = { model: 'sk', n: 48, dynamics: 'pt', temperatures: [0.5, 0.8, 1.2, 2], sweeps: 6000, equilibration: 1000, samples: 4, replicas: 2, seed: 8 };

test('queue: PT samples on 2 workers, one SIGKILLed mid-sample: resumed elsewhere, identical to in-process', { skip }, async () => {
  const root = tempDir('sg-queue');
  const port = await freePort();
  const redis = await startRedis(port);
  const url = `redis://127.0.0.1:${port}`;
  const workers: Spawned[] = [];
  try {
    const ref = await runSpinglass(PT, join(root, 'ref'));
    workers.push(...await startWorkers(url, 'sg-test', 2));
    const { config, seed } = spinglassConfig(PT);
    const dir = join(root, 'queued');
    const pending = runEnsemble(Run.create(dir, { protocol: 'spinglass', config, seed }), registry, {
      executor: 'queue', redis: url, queue: 'sg-test', attempts: 3, backoffMs: 200, checkpointEvery: 500, progress: 'none', handleSignals: false,
    });
    // Checkpoints of queue jobs live in Redis (workers see no run directory): killQueueHolder probes them.
    const { victim, index: held } = await killQueueHolder(workers, url, 'sg-test', dir, true);
    const result = await pending;
    assert.equal(result.status, 'complete', JSON.stringify(result.failed));
    const takeover = readDone(dir, held)!;
    assert.notEqual(takeover.pid, victim.child.pid);
    assert.ok((takeover.resumedFrom ?? 0) >= 500, JSON.stringify(takeover));
    assert.deepEqual(arrayDiff(ref.run, dir), []);
  } finally {
    await Promise.all(workers.map((w) => stopProcess(w.child)));
    await stopProcess(redis);
    removeDir(root);
  }
});
