/**
 * cluster, hessian, permute and connect as replica tasks: the same arrays, byte for byte, from one
 * in-process run, a pool of 2 workers, 3 shards + merge, a run whose replica was stopped dead after
 * its checkpoints (what kill -9 leaves) and then resumed, a real SIGKILL of `glassy connect` mid-NEB
 * and of `glassy cluster`, `hessian` and `permute` mid-run, each followed by `glassy resume`, and the BullMQ queue with two `glassy worker` processes, the one
 * holding a replica (after its first checkpoint, where the task checkpoints) SIGKILLed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { mergeRun, prepareEnsemble, runEnsemble } from '../src/executor/ensemble.js';
import { listDone, readDone } from '../src/executor/markers.js';
import { parseClusterConfig } from '../src/protocols/cluster.js';
import { clusterBlocks } from '../src/protocols/cluster/protocol.js';
import { parseConnectConfig } from '../src/protocols/connect/protocol.js';
import { hessianParts, parseHessianConfig } from '../src/protocols/hessian/protocol.js';
import { parsePermuteConfig, permuteReplicas } from '../src/protocols/permute/protocol.js';
import { parseTrainConfig } from '../src/protocols/train.js';
import { registry } from '../src/registry.js';
import { Run } from '../src/store/run.js';
import { killAfterCheckpoints, runAnalysis } from './analysis-helpers.js';
import {
  type Spawned, arrayDiff, freePort, glassy, killQueueHolder, killWhen, redisAvailable, removeDir, spawnGlassy, startRedis, startWorkers,
  stopProcess, tempDir, workerArgs,
} from './executor-helpers.js';

const SEED = 7;
const quiet = { progress: 'none', handleSignals: false } as const;

/** Checkpoint files of replica i (none before its first, none once it is done). */
function ckpts(dir: string, index: number): number {
  try {
    return readdirSync(join(dir, 'checkpoints', `replica-${String(index).padStart(4, '0')}`)).filter((n) => n.endsWith('.ckpt')).length;
  } catch {
    return 0;
  }
}

async function source(root: string, replicas = 4, hidden = 8): Promise<string> {
  const dir = join(root, hidden === 8 ? 'train' : `train-${hidden}`);
  const config = parseTrainConfig({
    data: { source: 'teacher-student', d: 10, nTrain: 200, nTest: 100, hidden: 4, nClasses: 2 },
    model: { sizes: [10, hidden, 2], activation: 'tanh' }, optimizer: { kind: 'sgd', lr: 0.1 }, batch: 20, epochs: 2, measurePoints: 3,
  });
  const r = await runEnsemble(Run.create(dir, { protocol: 'train', config, seed: 3 }), registry, { replicas, executor: 'inprocess', ...quiet });
  assert.equal(r.status, 'complete');
  return dir;
}

/** Reference, 2 workers, 3 shards + merge, and kill-after-checkpoints + resume of replica `killed`. */
async function checkEverywhere(root: string, name: string, protocol: string, config: unknown, K: number, killed: number, checkpoints: number): Promise<void> {
  const ref = join(root, `${name}-ref`);
  await runAnalysis(protocol, config, ref, SEED);

  const pool = join(root, `${name}-pool`);
  await runAnalysis(protocol, config, pool, SEED, { executor: 'local', workers: 2 });
  assert.deepEqual(arrayDiff(ref, pool), [], `${name}: 2 workers`);

  const sharded = join(root, `${name}-shards`);
  const run = Run.create(sharded, { protocol, config, seed: SEED });
  prepareEnsemble(run, protocol, K);
  for (let i = 0; i < 3; i++) {
    const r = await runEnsemble(Run.open(sharded), registry, { executor: 'inprocess', shard: { index: i, count: 3 }, ...quiet });
    assert.equal(r.status, 'shard-complete');
  }
  await mergeRun(sharded, registry);
  assert.deepEqual(arrayDiff(ref, sharded), [], `${name}: 3 shards + merge`);

  const dir = join(root, `${name}-killed`);
  Run.create(dir, { protocol, config, seed: SEED });
  if (checkpoints > 0) {
    const saved = await killAfterCheckpoints(dir, killed, checkpoints, 1);
    assert.equal(saved, checkpoints, `${name}: replica ${killed} stopped after ${checkpoints} checkpoints`);
  } else {
    // A task without checkpoints inside a replica: a kill loses the running replicas only.
    const r = await runEnsemble(Run.open(dir), registry, { executor: 'inprocess', replicas: K, shard: { index: 0, count: 2 }, ...quiet });
    assert.equal(r.status, 'shard-complete');
  }
  const r = await runEnsemble(Run.open(dir), registry, { executor: 'inprocess', replicas: K, ...quiet });
  assert.equal(r.status, 'complete');
  if (checkpoints > 0) assert.ok((readDone(dir, killed)!.resumedFrom ?? 0) >= checkpoints, `${name}: resumed from a checkpoint`);
  assert.deepEqual(arrayDiff(ref, dir), [], `${name}: killed and resumed`);
}

test('connect, permute, hessian, cluster: identical arrays in-process, 2 workers, 3 shards + merge, killed + resumed', async () => {
  const root = tempDir('analyses');
  try {
    const src = await source(root);
    const connect = parseConnectConfig({
      source: src, a: 0, b: 1, methods: ['linear', 'bezier', 'neb'], points: 9,
      bezier: { epochs: 3, tolerance: 1e-12 }, neb: { images: 3, steps: 40, tolerance: 1e-12 },
    });
    await checkEverywhere(root, 'connect-neb', 'connect', connect, 3, 2, 3);
    await checkEverywhere(root, 'connect-bezier', 'connect', connect, 3, 1, 3);
    const connected = Run.open(join(root, 'connect-neb-ref')).manifest.summary!;
    assert.equal(connected['converged'], false);
    assert.deepEqual(connected['unconverged'], ['bezier', 'neb']);
    assert.equal(connected['neb_iterations'], 40);

    const permute = parsePermuteConfig({ source: src, swaps: [0, 2, 'random'], repeats: 2, pair: [0, 1], points: 7 });
    await checkEverywhere(root, 'permute', 'permute', permute, permuteReplicas(permute), 0, 0);

    const hessian = parseHessianConfig({ source: src, top: 2, density: true, densityRuns: 2, densitySteps: 10, densityPoints: 50, trace: true, samples: 12, traceBlock: 5, vectors: false });
    const parts = hessianParts(hessian);
    assert.equal(parts.length, 6);
    await checkEverywhere(root, 'hessian', 'hessian', hessian, parts.length, parts.findIndex((p) => p.kind === 'trace'), 2);

    const cluster = parseClusterConfig({ source: src, overlap: 'aligned', pairBlock: 2, permutations: 19 });
    assert.equal(clusterBlocks(cluster), 3);
    await checkEverywhere(root, 'cluster', 'cluster', cluster, 3, 0, 1);
    const s = Run.open(join(root, 'cluster-ref')).manifest.summary!;
    for (const k of ['ultrametric_p_value', 'ultrametric_effect_size', 'pq_axis_min', 'pq_axis_max', 'pq_peak_aligned']) assert.equal(typeof s[k], 'number', k);
    const c = Run.open(join(root, 'cluster-ref'));
    assert.equal(c.readArray('pq_axis_hist_aligned').data.length, c.readArray('pq_axis_edges').data.length - 1);
    assert.equal(c.readArray('pq_axis_hist_unaligned').data.length, c.readArray('pq_axis_edges').data.length - 1);
  } finally {
    removeDir(root);
  }
});

test('glassy connect killed with SIGKILL mid-NEB, then glassy resume: arrays bit-identical, UNCONVERGED said', async () => {
  const root = tempDir('connect-kill');
  try {
    const src = await source(root);
    const args = ['--method', 'linear,neb', '--points', '9', '--neb-images', '3', '--neb-steps', '1500', '--neb-tolerance', '1e-14'];
    const config = parseConnectConfig({ source: src, a: 0, b: 1, methods: ['linear', 'neb'], points: 9, neb: { images: 3, steps: 1500, tolerance: 1e-14 } });
    const ref = join(root, 'ref');
    await runAnalysis('connect', config, ref, 0);
    const dir = join(root, 'killed');
    // A checkpoint every iteration: slow enough to be caught mid-band, and the kill lands between two.
    const p = spawnGlassy(['connect', src, '0', '1', ...args, '--out', dir, '--workers', '2', '--checkpoint-every', '1', '--progress', 'lines']);
    await killWhen([p], () => ckpts(dir, 1) >= 2 && readDone(dir, 1) === null, 30_000, 'two NEB checkpoints');
    const r = await glassy(['resume', dir, '--json', '--progress', 'none']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((readDone(dir, 1)!.resumedFrom ?? 0) >= 1, JSON.stringify(readDone(dir, 1)));
    assert.deepEqual(arrayDiff(ref, dir), []);
    const s = Run.open(dir).manifest.summary!;
    assert.equal(s['neb_converged'], false);
    assert.deepEqual(s['unconverged'], ['neb']);
    // The command line says it beside the barriers.
    const again = await glassy(['connect', src, '0', '1', ...args, '--neb-steps', '30', '--out', join(root, 'again'), '--progress', 'none', '--no-report']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /UNCONVERGED: neb stopped at 30 iterations with max force/);
  } finally {
    removeDir(root);
  }
});

test('cluster, hessian, permute killed with SIGKILL mid-run, then glassy resume: arrays byte-identical', async () => {
  const root = tempDir('analyses-kill');
  try {
    const src = await source(root, 8);
    const wide = await source(root, 8, 384);
    // Replicas long enough to be caught: 14 of the 28 alignments (of 384 hidden units each), 60 Hutchinson probes, 8 profiles of
    // 1001 points; cluster and hessian are killed after a checkpoint, permute (no checkpoints) between replicas.
    const cases: Array<{ name: string; from: string; config: unknown; flags: string[]; checkpoints: boolean }> = [
      {
        name: 'cluster', from: wide, config: parseClusterConfig({ source: wide, overlap: 'aligned', pairBlock: 14, permutations: 9 }),
        flags: ['--overlap', 'aligned', '--pair-block', '14', '--permutations', '9'], checkpoints: true,
      },
      {
        name: 'hessian', from: src, config: parseHessianConfig({ source: src, top: 2, trace: true, samples: 120, traceBlock: 60, vectors: false }),
        flags: ['--top', '2', '--trace', '--probes', '120', '--trace-block', '60', '--no-vectors'], checkpoints: true,
      },
      {
        name: 'permute', from: src, config: parsePermuteConfig({ source: src, swaps: [2, 'random'], repeats: 4, points: 1001 }),
        flags: ['--swaps', '2,random', '--repeats', '4', '--points', '1001'], checkpoints: false,
      },
    ];
    for (const c of cases) {
      const ref = join(root, `${c.name}-ref`), dir = join(root, `${c.name}-killed`);
      await runAnalysis(c.name, c.config, ref, SEED);
      const K = (await registry.protocol(c.name)).replicas!(c.config)!;
      const p = spawnGlassy([c.name, c.from, ...c.flags, '--seed', String(SEED), '--out', dir, '--workers', '2', '--checkpoint-every', '1', '--progress', 'lines', '--no-report']);
      let held = -1;
      await killWhen([p], () => {
        const done = listDone(dir);
        if (!c.checkpoints) return done.length >= 1 && done.length < K;
        held = Array.from({ length: K }, (_, i) => i).find((i) => !done.includes(i) && ckpts(dir, i) >= 1) ?? -1;
        return held >= 0;
      }, 60_000, c.checkpoints ? `a checkpointed ${c.name} replica` : `a finished ${c.name} replica`);
      assert.equal(Run.open(dir).status, 'interrupted', c.name);
      const r = await glassy(['resume', dir, '--json', '--progress', 'none', '--no-report']);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { status: string; ran: number[]; skipped: number[] };
      assert.equal(out.status, 'complete');
      assert.ok(out.ran.length > 0, `${c.name}: ${r.stdout}`);
      if (c.checkpoints) assert.ok((readDone(dir, held)!.resumedFrom ?? 0) >= 1, `${c.name}: replica ${held} resumed from ${JSON.stringify(readDone(dir, held))}`);
      else assert.ok(out.skipped.length > 0, `${c.name}: ${r.stdout}`);
      assert.deepEqual(arrayDiff(ref, dir), [], `${c.name}: killed and resumed`);
    }
  } finally {
    removeDir(root);
  }
});

test('the BullMQ queue with 2 glassy workers, the one holding a replica SIGKILLed: connect, permute, hessian, cluster identical to in-process', { skip: redisAvailable() ? false : 'redis-server is not installed: queue test skipped' }, async () => {
  const root = tempDir('analyses-queue');
  const port = await freePort();
  const redis = await startRedis(port);
  const url = `redis://127.0.0.1:${port}`;
  const queue = 'analyses';
  let workers: Spawned[] = [];
  try {
    const src = await source(root, 6);
    // Alignments of 8 hidden units take microseconds: a block of them could finish between two looks
    // of the killer. 384 units make each alignment (a 384 × 384 assignment) long enough to be caught.
    const wide = await source(root, 6, 384);
    workers = await startWorkers(url, queue, 2);
    // Each case is killed inside a replica that is long enough to be caught (checkpointed ones after
    // their first checkpoint): the NEB band, a block of 12 Hutchinson probes, a block of 8 of the 15
    // alignments, one permutation profile of 101 points (permute does not checkpoint).
    const cases: Array<[string, unknown, number | undefined]> = [
      ['connect', parseConnectConfig({ source: src, a: 0, b: 2, methods: ['linear', 'neb'], points: 7, neb: { images: 3, steps: 100, tolerance: 1e-14 } }), 1],
      ['permute', parsePermuteConfig({ source: src, swaps: [2, 'random'], repeats: 2, pair: [0, 1], points: 101 }), undefined],
      ['hessian', parseHessianConfig({ source: src, top: 2, trace: true, samples: 24, traceBlock: 12, vectors: false }), 1],
      ['cluster', parseClusterConfig({ source: wide, overlap: 'aligned', pairBlock: 8, permutations: 9 }), 1],
    ];
    for (const [name, config, checkpointEvery] of cases) {
      const ref = join(root, `${name}-ref`), queued = join(root, `${name}-queued`);
      await runAnalysis(name, config, ref, SEED);
      const pending = runAnalysis(name, config, queued, SEED, {
        executor: 'queue', redis: url, queue, attempts: 3, backoffMs: 200, ...(checkpointEvery ? { checkpointEvery } : {}),
      });
      pending.catch(() => { /* awaited below */ });
      const { victim, index } = await killQueueHolder(workers, url, queue, queued, checkpointEvery !== undefined);
      // The survivor takes the job over; a restarted worker joins it for the next case.
      workers = workers.map((w) => (w === victim ? spawnGlassy(workerArgs(url, queue)) : w));
      await pending;
      const takeover = readDone(queued, index)!;
      assert.notEqual(takeover.pid, victim.child.pid, `${name}: replica ${index} finished elsewhere`);
      if (checkpointEvery !== undefined) assert.ok((takeover.resumedFrom ?? 0) >= 1, `${name}: resumed from a checkpoint, ${JSON.stringify(takeover)}`);
      assert.deepEqual(arrayDiff(ref, queued), [], `${name} on the queue, one worker killed`);
    }
  } finally {
    for (const w of workers) await stopProcess(w.child);
    await stopProcess(redis);
    removeDir(root);
  }
});
