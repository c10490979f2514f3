/**
 * The spinglass protocol on the BullMQ queue: a private redis-server, two `glassy worker`s, a
 * parallel-tempering run of 4 disorder samples; one worker is SIGKILLed while it holds a sample that
 * has checkpointed. The other worker takes the sample over, resumes it from its checkpoint, and the
 * arrays are byte-identical to an in-process run. Skipped, saying so, when redis-server is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { runEnsemble } from '../src/executor/ensemble.js';
import { readDone } from '../src/executor/markers.js';
import { jobIdFor, keys } from '../src/executor/queue.js';
import { registry } from '../src/registry.js';
import { Run } from '../src/store/run.js';
import { type Spawned, arrayDiff, freePort, redisAvailable, removeDir, spawnGlassy, startRedis, stopProcess, tempDir, waitFor } from './executor-helpers.js';
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
    for (let w = 0; w < 2; w++) {
      workers.push(spawnGlassy(['worker', '--redis', url, '--queue', 'sg-test', '--concurrency', '1', '--lock-duration', '2000', '--stalled-interval', '1000']));
    }
    await waitFor(() => workers.every((w) => /ready/.test(w.stderr())), 20_000, 'two workers ready');
    const { config, seed } = spinglassConfig(PT);
    const dir = join(root, 'queued');
    const pending = runEnsemble(Run.create(dir, { protocol: 'spinglass', config, seed }), registry, {
      executor: 'queue', redis: url, queue: 'sg-test', attempts: 3, backoffMs: 200, checkpointEvery: 500, progress: 'none', handleSignals: false,
    });
    const victim = workers[0]!;
    // Checkpoints of queue jobs live in Redis (workers see no run directory): probe the job's key.
    const redisClient = new Redis(url);
    const checkpointed = new Set<number>();
    const probing = new Set<number>();
    let held = -1;
    await waitFor(() => {
      const started = [...victim.stderr().matchAll(/replica (\d+) of \S+ started/g)].map((m) => Number(m[1]));
      const last = started[started.length - 1];
      if (last === undefined || new RegExp(`replica ${last} of \\S+ done`).test(victim.stderr())) return false;
      if (checkpointed.has(last)) { held = last; return true; }
      if (!probing.has(last)) {
        probing.add(last);
        void redisClient.exists(keys.checkpoint('sg-test', jobIdFor(dir, last))).then((n) => { if (n) checkpointed.add(last); probing.delete(last); });
      }
      return false;
    }, 30_000, 'worker 0 holding a checkpointed sample');
    redisClient.disconnect();
    victim.child.kill('SIGKILL');
    await victim.exit;
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
