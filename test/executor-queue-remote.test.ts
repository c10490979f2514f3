/**
 * The queue without a shared file system, and the queue when Redis misbehaves:
 * - a walk (which reads a train run's weights) runs on a worker that cannot see the run
 *   directories (own working directory, own mount namespace hiding their parent): the source run
 *   travels through Redis, and arrays and weights are byte-identical to an in-process walk;
 * - Redis losing its data mid-run (FLUSHALL): the lost jobs are enqueued again, the run completes,
 *   byte-identical;
 * - Redis down for good: the run fails within the bounded time with one line naming
 *   `glassy resume RUN --executor queue`, and that resume completes it, byte-identical; from the
 *   CLI too (exit ≠ 0, status failed — not a silent exit).
 *
 * Skipped, saying so, only when the redis-server binary is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { runEnsemble } from '../src/executor/ensemble.js';
import { listDone } from '../src/executor/markers.js';
import { parseTrainConfig } from '../src/protocols/train.js';
import { walkConfig as parseWalkConfig } from './spinglass-helpers.js';
import { Run } from '../src/store/run.js';
import { registry } from '../src/registry.js';
import {
  type Spawned, arrayDiff, canUnshare, freePort, redisAvailable, removeDir, selftestRun, sleep, spawnGlassy, spawnIsolated,
  startRedis, stopProcess, tempDir, visibleWhenIsolated, waitFor, workerArgs,
} from './executor-helpers.js';

const skip = redisAvailable() ? false : 'redis-server is not installed (apt-get install redis-server): queue tests skipped';
const quiet = { progress: 'none', handleSignals: false } as const;

async function trainSource(dir: string): Promise<void> {
  const config = parseTrainConfig({
    data: { source: 'teacher-student', d: 12, nTrain: 200, nTest: 100, hidden: 6, nClasses: 2 },
    model: { sizes: [12, 16, 2], activation: 'relu' },
    optimizer: { kind: 'momentum', lr: 0.1, momentum: 0.9 },
    batch: 50, epochs: 2, measurePoints: 2,
  });
  const r = await runEnsemble(Run.create(dir, { protocol: 'train', config, seed: 3 }), registry, { replicas: 2, executor: 'inprocess', ...quiet });
  assert.equal(r.status, 'complete');
}

function walkRun(dir: string, source: string): Run {
  const config = parseWalkConfig({ source, stepSize: 0.05, steps: 40, walkers: 3, temperature: 0.01 });
  return Run.create(dir, { protocol: 'walk', config, seed: 5 });
}

function tensorsDiff(a: string, b: string): string[] {
  const ra = Run.open(a), rb = Run.open(b);
  const names = new Set([...ra.listTensors(), ...rb.listTensors()]);
  return [...names].filter((n) => !ra.hasTensors(n) || !rb.hasTensors(n) ||
    !readFileSync(ra.tensorsPath(n)).equals(readFileSync(rb.tensorsPath(n))));
}

function worker(url: string, queue: string, hide: string, cwd: string): Spawned {
  return spawnIsolated(workerArgs(url, queue), hide, cwd);
}

test('queue: a worker that cannot see the run directory runs a walk on a train run; identical to in-process', { skip }, async () => {
  const root = tempDir('qremote');
  const workdir = tempDir('qremote-worker');
  const port = await freePort();
  const redis = await startRedis(port);
  const url = `redis://127.0.0.1:${port}`;
  let w: Spawned | null = null;
  try {
    const source = join(root, 'train');
    await trainSource(source);
    if (canUnshare()) assert.equal(visibleWhenIsolated(join(source, 'manifest.json'), root), false, 'the isolation hides the runs');
    const ref = join(root, 'walk-ref');
    assert.equal((await runEnsemble(walkRun(ref, source), registry, { replicas: 3, executor: 'inprocess', ...quiet })).status, 'complete');

    w = worker(url, 'remote', root, workdir);
    await waitFor(() => /ready/.test(w!.stderr()), 20_000, 'worker ready');
    const dir = join(root, 'walk-queue');
    const r = await runEnsemble(walkRun(dir, source), registry, { replicas: 3, executor: 'queue', redis: url, queue: 'remote', ...quiet });
    assert.equal(r.status, 'complete', JSON.stringify(r.failed) + w.stderr());
    assert.deepEqual(arrayDiff(ref, dir), []);
    assert.deepEqual(tensorsDiff(ref, dir), []);
    assert.ok(Run.open(dir).listArrays().length > 0);
    assert.equal(existsSync(join(dir, 'checkpoints')), false);
    const left = new Redis(url);
    assert.deepEqual(await left.keys('glassy:*'), [], 'inputs, checkpoints and results removed from Redis');
    left.disconnect();
  } finally {
    if (w) await stopProcess(w.child);
    await stopProcess(redis);
    removeDir(root);
    removeDir(workdir);
  }
});

const SELFTEST = { dim: 8, steps: 30, sleepMs: 15, checkpointEvery: 10, recordEvery: 5 };

test('queue: Redis loses its data mid-run (FLUSHALL): jobs enqueued again, run complete and identical', { skip }, async () => {
  const root = tempDir('qflush');
  const workdir = tempDir('qflush-worker');
  const port = await freePort();
  const redis = await startRedis(port);
  const url = `redis://127.0.0.1:${port}`;
  const workers: Spawned[] = [];
  try {
    const ref = join(root, 'ref');
    await runEnsemble(selftestRun(ref, { ...SELFTEST, sleepMs: 0 }, 12, 7), registry, { executor: 'inprocess', ...quiet });
    for (let i = 0; i < 2; i++) workers.push(worker(url, 'flush', root, workdir));
    await waitFor(() => workers.every((x) => /ready/.test(x.stderr())), 20_000, 'workers ready');
    const dir = join(root, 'queued');
    const pending = runEnsemble(selftestRun(dir, SELFTEST, 12, 7), registry,
      { executor: 'queue', redis: url, queue: 'flush', backoffMs: 100, ...quiet });
    await waitFor(() => listDone(dir).length >= 3, 30_000, 'three replicas done');
    const admin = new Redis(url);
    await admin.flushall();
    admin.disconnect();
    const r = await pending;
    assert.equal(r.status, 'complete', JSON.stringify(r.failed));
    assert.deepEqual(listDone(dir), Array.from({ length: 12 }, (_, i) => i));
    assert.deepEqual(arrayDiff(ref, dir), []);
  } finally {
    await Promise.all(workers.map((x) => stopProcess(x.child)));
    await stopProcess(redis);
    removeDir(root);
    removeDir(workdir);
  }
});

test('queue: Redis down for good: bounded failure with the resume hint; the resume completes it identically', { skip }, async () => {
  const root = tempDir('qdown');
  const workdir = tempDir('qdown-worker');
  const port = await freePort();
  let redis = await startRedis(port);
  const url = `redis://127.0.0.1:${port}`;
  const workers: Spawned[] = [];
  try {
    const ref = join(root, 'ref');
    await runEnsemble(selftestRun(ref, { ...SELFTEST, sleepMs: 0 }, 8, 9), registry, { executor: 'inprocess', ...quiet });
    workers.push(worker(url, 'down', root, workdir));
    await waitFor(() => /ready/.test(workers[0]!.stderr()), 20_000, 'worker ready');
    const dir = join(root, 'queued');
    const pending = runEnsemble(selftestRun(dir, SELFTEST, 8, 9), registry,
      { executor: 'queue', redis: url, queue: 'down', redisTimeout: 2, ...quiet });
    const failure = pending.then(() => null, (e: Error) => e);
    await waitFor(() => listDone(dir).length >= 2, 30_000, 'two replicas done');
    await stopProcess(redis, 'SIGKILL');
    const err = await failure;
    assert.ok(err, 'the run must fail while Redis is down');
    assert.doesNotMatch(err.message, /\n/);
    assert.ok(err.message.includes(`glassy resume ${dir} --executor queue`), err.message);
    assert.equal(Run.open(dir).status, 'failed');

    redis = await startRedis(port);
    await stopProcess(workers[0]!.child, 'SIGKILL');
    workers.push(worker(url, 'down', root, workdir));
    await waitFor(() => /ready/.test(workers[1]!.stderr()), 20_000, 'second worker ready');
    const r = await runEnsemble(Run.open(dir), registry, { executor: 'queue', redis: url, queue: 'down', ...quiet });
    assert.equal(r.status, 'complete', JSON.stringify(r.failed));
    assert.deepEqual(arrayDiff(ref, dir), []);
  } finally {
    await Promise.all(workers.map((x) => stopProcess(x.child)));
    await stopProcess(redis);
    removeDir(root);
    removeDir(workdir);
  }
});

test('queue CLI: Redis killed under `glassy run --executor queue`: one line with the hint, exit ≠ 0, run failed', { skip }, async () => {
  const root = tempDir('qdown-cli');
  const port = await freePort();
  const redis = await startRedis(port);
  const url = `redis://127.0.0.1:${port}`;
  try {
    const dir = join(root, 'r');
    // No worker: the run waits on Redis, which then dies.
    const cli = spawnGlassy(['run', 'selftest', '--replicas', '2', '--out', dir, '--executor', 'queue', '--redis', url,
      '--queue', 'cli', '--redis-timeout', '1', '--progress', 'none']);
    await waitFor(() => existsSync(join(dir, 'ensemble.json')), 20_000, 'the run to be enqueued');
    await sleep(500);
    await stopProcess(redis, 'SIGKILL');
    const code = await cli.exit;
    assert.notEqual(code, 0);
    const lines = cli.stderr().trim().split('\n');
    assert.equal(lines.length, 1, cli.stderr());
    assert.match(lines[0]!, new RegExp(`^error: lost Redis at ${url} .*glassy resume ${dir} --executor queue --redis ${url}$`));
    assert.equal(Run.open(dir).status, 'failed');
  } finally {
    await stopProcess(redis);
    removeDir(root);
  }
});
