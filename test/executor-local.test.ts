/**
 * runEnsemble with the in-process and local (worker-thread) executors: bit-identical arrays for
 * inprocess, 1 and 2 workers, and for shards merged; a failing replica reported by index while
 * the others complete; --max-memory refusal with the estimate × workers; merge refusing an
 * incomplete or overlapping set of shards; a one-thread pool running a breathing task in-process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { GlassyError } from '../src/core/errors.js';
import { mergeRun, runEnsemble } from '../src/executor/ensemble.js';
import { listDone, markShard, readDone } from '../src/executor/markers.js';
import { parseConfig, type Registry } from '../src/executor/protocol.js';
import type { ReplicaContext } from '../src/executor/replica.js';
import { protocol, task } from '../src/protocols/selftest.js';
import { Run } from '../src/store/run.js';
import { arrayBytes, arrayDiff, removeDir, selftestRun, tempDir } from './executor-helpers.js';
import { registry } from '../src/registry.js';

const CONFIG = { dim: 24, steps: 300, recordEvery: 10, checkpointEvery: 50, temperature: 0.2 };
const K = 6;
const SEED = 11;
const quiet = { progress: 'none' as const, handleSignals: false };

test('inprocess, 1 worker and 2 workers give bit-identical arrays; shards merged too', async () => {
  const root = tempDir('local');
  try {
    const dirs = { inproc: join(root, 'inproc'), w1: join(root, 'w1'), w2: join(root, 'w2'), shards: join(root, 'shards') };
    const r0 = await runEnsemble(selftestRun(dirs.inproc, CONFIG, K, SEED), registry, { ...quiet, executor: 'inprocess' });
    const r1 = await runEnsemble(selftestRun(dirs.w1, CONFIG, K, SEED), registry, { ...quiet, executor: 'local', workers: 1 });
    const r2 = await runEnsemble(selftestRun(dirs.w2, CONFIG, K, SEED), registry, { ...quiet, executor: 'local', workers: 2 });
    for (const r of [r0, r1, r2]) {
      assert.equal(r.status, 'complete');
      assert.deepEqual(r.ran, [0, 1, 2, 3, 4, 5]);
      assert.deepEqual(r.failed, []);
    }
    const energy = Run.open(dirs.inproc).readArray('energy');
    assert.deepEqual(energy.shape, [K, 31]);
    // Replicas differ from each other (own streams) but start from the same landscape scale.
    const e = energy.data as Float64Array;
    assert.notEqual(e[30], e[31 + 30]);
    assert.ok(Number.isFinite(r0.summary!['energyFinalMean'] as number));
    assert.equal(arrayBytes(dirs.inproc).size, 5 + 2 * K);
    assert.deepEqual(arrayDiff(dirs.inproc, dirs.w1), []);
    assert.deepEqual(arrayDiff(dirs.inproc, dirs.w2), []);
    assert.equal(Run.open(dirs.w2).status, 'complete');
    assert.equal(existsSync(join(dirs.w2, 'checkpoints', 'replica-0000')), false, 'checkpoints of done replicas are dropped');

    // Shards: two "machines" each run half, then merge finalises.
    selftestRun(dirs.shards, CONFIG, K, SEED);
    const s0 = await runEnsemble(Run.open(dirs.shards), registry, { ...quiet, executor: 'local', workers: 2, shard: { index: 0, count: 2 } });
    assert.equal(s0.status, 'shard-complete');
    assert.deepEqual(s0.ran, [0, 2, 4]);
    await assert.rejects(mergeRun(dirs.shards, registry), (err: unknown) => {
      assert.ok(err instanceof GlassyError);
      assert.match(err.message, /shards 1\/2 have not completed/);
      assert.match(err.message, /replicas 1, 3, 5 are not done/);
      return true;
    });
    const s1 = await runEnsemble(Run.open(dirs.shards), registry, { ...quiet, executor: 'inprocess', shard: { index: 1, count: 2 } });
    assert.deepEqual(s1.ran, [1, 3, 5]);
    const shardFile = JSON.parse(readFileSync(join(dirs.shards, 'shards', '1-of-2.json'), 'utf8')) as { indices: number[] };
    assert.deepEqual(shardFile.indices, [1, 3, 5]);
    const merged = await mergeRun(dirs.shards, registry);
    assert.equal(merged.shards, 2);
    assert.equal(Run.open(dirs.shards).status, 'complete');
    assert.deepEqual(arrayDiff(dirs.inproc, dirs.shards), []);
  } finally {
    removeDir(root);
  }
});

test('merge refuses replicas run by two shards of different splits', async () => {
  const dir = tempDir('merge');
  try {
    selftestRun(dir, { ...CONFIG, steps: 20 }, 4, 1);
    await runEnsemble(Run.open(dir), registry, { ...quiet, executor: 'inprocess', shard: { index: 0, count: 2 } });
    await runEnsemble(Run.open(dir), registry, { ...quiet, executor: 'inprocess', shard: { index: 1, count: 2 } });
    // A shard of another split is refused at start; one that got in anyway is caught by merge.
    await assert.rejects(runEnsemble(Run.open(dir), registry, { ...quiet, executor: 'inprocess', shard: { index: 0, count: 4 } }),
      /shard: got "i\/4", expected i\/2, the split the run's shards use/);
    markShard(dir, 0, 4, [0]);
    await assert.rejects(mergeRun(dir, registry), /shard files of different splits \(\/2, \/4\).*replicas 0 were run by more than one shard/);
    rmSync(join(dir, 'shards', '0-of-4.json'));
    assert.equal((await mergeRun(dir, registry)).replicas, 4);
  } finally {
    removeDir(dir);
  }
});

test('a failing replica is reported by index; the others complete; the run is failed', async () => {
  const dir = tempDir('fail');
  try {
    const run = selftestRun(dir, { ...CONFIG, failReplicas: [2], failAtStep: 120 }, 4, SEED);
    const r = await runEnsemble(run, registry, { ...quiet, executor: 'local', workers: 2 });
    assert.equal(r.status, 'failed');
    assert.deepEqual(r.failed.map((f) => f.index), [2]);
    assert.equal(r.failed[0]!.error, 'selftest: replica 2 fails on purpose at step 120');
    assert.deepEqual(listDone(dir), [0, 1, 3]);
    assert.equal(readDone(dir, 3)!.summary['steps'], 300);
    const m = Run.open(dir).manifest;
    assert.equal(m.status, 'failed');
    assert.match(m.error!, /^replica 2 failed \(replica 2: selftest: replica 2 fails on purpose at step 120\)$/);
    // Its checkpoint at step 100 is kept for a resume.
    assert.ok(existsSync(join(dir, 'checkpoints', 'replica-0002', 'step-100.ckpt')));
  } finally {
    removeDir(dir);
  }
});

test('--max-memory refuses with the estimate × concurrent workers', async () => {
  const dir = tempDir('mem');
  try {
    const run = selftestRun(dir, { dim: 1024, steps: 10 }, 8, 0);
    const per = task.estimateMemory!(parseConfig(protocol, { dim: 1024, steps: 10 }));
    assert.ok(per > 16 * 1024 * 1024 && per < 17 * 1024 * 1024, String(per));
    await assert.rejects(
      runEnsemble(run, registry, { ...quiet, executor: 'local', workers: 4, maxMemory: 40 * 1024 * 1024 }),
      (err: unknown) => {
        assert.ok(err instanceof GlassyError);
        assert.match(err.message, /^max-memory: got 40\.0 MiB, expected at least 64\.\d MiB \(selftest needs about 16\.\d MiB per replica × 4 concurrent workers \+ 32\.0 KiB of bookkeeping for 8 replicas\); use --workers 2 or fewer/);
        return true;
      });
    assert.deepEqual(listDone(dir), [], 'nothing ran');
  } finally {
    removeDir(dir);
  }
});

/** The registry with selftest's task marked as breathing (or not), its replicas recording the thread they ran on. */
function markedRegistry(breathes: boolean): Registry {
  return {
    url: registry.url,
    names: () => registry.names(),
    async protocol(name) {
      const p = await registry.protocol(name);
      if (name !== 'selftest') return p;
      const real = await p.task();
      return {
        ...p,
        task: async () => ({
          ...real,
          breathes,
          async run(config: unknown, ctx: ReplicaContext) {
            // ctx.breathe must hand the event loop a turn sooner or later (else this never ends).
            let turned = false;
            setImmediate(() => { turned = true; });
            while (!turned) await ctx.breathe?.();
            return { ...(await real.run(config, ctx)), thread: threadId };
          },
        }),
      };
    },
  };
}

test('a one-thread local pool runs a breathing task in this thread (the pool runs the rest); ctx.breathe yields', { timeout: 120_000 }, async () => {
  const root = tempDir('breathe');
  try {
    for (const breathes of [true, false]) {
      const dir = join(root, String(breathes));
      const r = await runEnsemble(selftestRun(dir, { ...CONFIG, steps: 60 }, 2, SEED), markedRegistry(breathes), { ...quiet, executor: 'local', workers: 1 });
      assert.equal(r.status, 'complete', JSON.stringify(r.failed));
      // In this thread the marked task ran (threadId 0); in a pool thread the registry's own task did.
      for (const i of [0, 1]) assert.equal(readDone(dir, i)!.summary['thread'], breathes ? threadId : undefined);
    }
  } finally {
    removeDir(root);
  }
});
