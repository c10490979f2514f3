/**
 * The BullMQ queue executor with real parts: a private redis-server, three `glassy worker` child
 * processes, 64 selftest replicas; one worker is SIGKILLed while it holds a job. The workers share
 * no file system with the run: each has its own working directory and (as root) its own mount
 * namespace in which the runs' parent directory is an empty tmpfs. Every replica must complete
 * exactly once, the killed worker's replica must be taken over (stalled-job check) and resumed
 * from its checkpoint in Redis, and the arrays must be bit-identical to an in-process run.
 * Then the CLI parent (`glassy run --executor queue`) on the surviving workers.
 *
 * Skipped, saying so, only when the redis-server binary is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { runEnsemble } from '../src/executor/ensemble.js';
import { listDone, readDone } from '../src/executor/markers.js';
import { jobIdFor } from '../src/executor/queue.js';
import { Run } from '../src/store/run.js';
import { registry } from '../src/registry.js';
import {
  type Spawned, arrayDiff, freePort, glassy, killQueueHolder, redisAvailable, removeDir, selftestRun, spawnIsolated, startRedis,
  stopProcess, tempDir, waitFor, workerArgs,
} from './executor-helpers.js';

const K = 64;
const SEED = 21;
// ~0.3 s of wall time per replica, checkpoints every 10 of 30 steps.
const CONFIG = { dim: 8, steps: 30, sleepMs: 10, checkpointEvery: 10, recordEvery: 5 };

const skip = redisAvailable() ? false : 'redis-server is not installed (apt-get install redis-server): queue tests skipped';

function startedIndices(w: Spawned): number[] {
  return [...w.stderr().matchAll(/replica (\d+) of \S+ started/g)].map((m) => Number(m[1]));
}

test('jobIds are stable per run directory and replica, distinct across runs', () => {
  assert.equal(jobIdFor('/runs/a', 3), jobIdFor('/runs/../runs/a', 3));
  assert.match(jobIdFor('/runs/a', 3), /^[0-9a-f]{16}-3$/);
  assert.notEqual(jobIdFor('/runs/a', 3), jobIdFor('/runs/b', 3));
});

test('queue: 64 replicas on 3 workers, one SIGKILLed mid-job: all done once, identical to in-process', { skip }, async () => {
  const root = tempDir('queue');
  const port = await freePort();
  const redis = await startRedis(port);
  const url = `redis://127.0.0.1:${port}`;
  const queueName = 'glassy-test';
  const workers: Spawned[] = [];
  const workdir = tempDir('queue-worker');
  try {
    const ref = join(root, 'reference');
    const r0 = await runEnsemble(selftestRun(ref, { ...CONFIG, sleepMs: 0 }, K, SEED), registry,
      { executor: 'inprocess', progress: 'none', handleSignals: false });
    assert.equal(r0.status, 'complete');

    for (let w = 0; w < 3; w++) {
      workers.push(spawnIsolated(workerArgs(url, queueName), root, workdir));
    }
    await waitFor(() => workers.every((w) => /ready/.test(w.stderr())), 20_000, 'three workers ready');

    const dir = join(root, 'queued');
    const pending = runEnsemble(selftestRun(dir, CONFIG, K, SEED), registry, {
      executor: 'queue', redis: url, queue: queueName, attempts: 3, backoffMs: 200, progress: 'none', handleSignals: false,
    });
    // Kill worker 0 once it holds a job that has written a checkpoint (to Redis).
    const { victim, index: held } = await killQueueHolder([workers[0]!], url, queueName, dir, true);

    const result = await pending;
    assert.equal(result.status, 'complete', JSON.stringify(result.failed));
    assert.deepEqual(result.failed, []);
    assert.deepEqual(listDone(dir), Array.from({ length: K }, (_, i) => i));
    // Exactly once: each replica finished on exactly one worker (the victim never finished `held`).
    const doneCount = new Map<number, number>();
    for (const w of workers) {
      for (const m of w.stderr().matchAll(/replica (\d+) of \S+ done/g)) doneCount.set(Number(m[1]), (doneCount.get(Number(m[1])) ?? 0) + 1);
    }
    assert.deepEqual([...doneCount.keys()].sort((a, b) => a - b), Array.from({ length: K }, (_, i) => i));
    assert.ok([...doneCount.values()].every((c) => c === 1), JSON.stringify([...doneCount]));
    // The victim's job was taken over by another worker and resumed from its checkpoint.
    const takeover = readDone(dir, held)!;
    assert.notEqual(takeover.pid, victim.child.pid);
    assert.ok((takeover.resumedFrom ?? 0) >= 10, JSON.stringify(takeover));
    assert.ok(workers.slice(1).some((w) => startedIndices(w).includes(held)));
    // Bit-identical to the in-process run.
    assert.deepEqual(arrayDiff(ref, dir), []);
    assert.equal(Run.open(dir).status, 'complete');
    assert.equal(existsSync(join(dir, 'checkpoints')), false, 'no checkpoints/ left in a queue run');
    // Redis is left tidy: the run's jobs were removed after finalising.
    const q = new Queue(queueName, { connection: { url } });
    const counts = await q.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed');
    await q.close();
    assert.equal(Object.values(counts).reduce((x, y) => x + y, 0), 0, JSON.stringify(counts));
    const left = new Redis(url);
    assert.deepEqual(await left.keys('glassy:*'), []);
    left.disconnect();

    // The CLI parent on the two surviving workers: flags, JSON output, same numbers.
    const cliDir = join(root, 'cli');
    const sets = Object.entries(CONFIG).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
    const cli = await glassy(['run', 'selftest', '--replicas', '8', '--seed', String(SEED), '--out', cliDir,
      '--executor', 'queue', '--redis', url, '--queue', queueName, '--json', ...sets]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal((JSON.parse(cli.stdout) as { status: string }).status, 'complete');
    const a = Run.open(cliDir).readArray('x_final').data as Float64Array;
    const b = Run.open(ref).readArray('x_final').data as Float64Array;
    assert.deepEqual(Array.from(a), Array.from(b.subarray(0, 8 * CONFIG.dim)));
  } finally {
    await Promise.all(workers.map((w) => stopProcess(w.child)));
    await stopProcess(redis);
    removeDir(root);
    removeDir(workdir);
  }
});
