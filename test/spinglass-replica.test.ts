/**
 * The spinglass protocol as a replica task (a replica = one disorder sample with its R replicas or
 * PT ladders; docs/spinglass.md): every dynamics resumes from a checkpoint to byte-identical arrays;
 * a parallel-tempering run killed with SIGKILL through the real CLI and `glassy resume`d equals an
 * uninterrupted one; 2 workers equal 1; 3 shards + `glassy merge` equal one process. The spin
 * trajectory of `walk` resumes the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { mergeRun, prepareEnsemble, runEnsemble } from '../src/executor/ensemble.js';
import { readDone } from '../src/executor/markers.js';
import type { Checkpoint, ReplicaContext, ReplicaTask } from '../src/executor/replica.js';
import { task } from '../src/protocols/spinglass/task.js';
import type { WalkConfig } from '../src/protocols/walk/config.js';
import { task as walkTask } from '../src/protocols/walk/task.js';
import { registry } from '../src/registry.js';
import { runSpinglass, spinglassConfig, walkConfig, type SpinglassInput } from './spinglass-helpers.js';
import { Run } from '../src/store/run.js';
import { arrayDiff, glassy, killWhen, removeDir, spawnGlassy, tempDir } from './executor-helpers.js';

/**
 * Runs replica `index` of a task directly with an in-memory checkpoint store that goes through JSON
 * (as the real store does). With `killAfter`, the first attempt dies right after that many checkpoints,
 * and a second attempt continues from the last one.
 */
async function direct<C>(t: ReplicaTask<C>, run: Run, config: C, index: number, replicas: number, every: number, killAfter: number | null): Promise<number> {
  let saved: Checkpoint | null = null;
  let saves = 0;
  const ctx = (kill: boolean): ReplicaContext => ({
    runDir: run.dir, index, seed: run.manifest.seed, replicas, checkpointEvery: every, run,
    progress() {}, warn() {},
    saveCheckpoint(cp) {
      saved = { meta: JSON.parse(JSON.stringify(cp.meta)) as Checkpoint['meta'], arrays: Object.fromEntries(Object.entries(cp.arrays).map(([k, v]) => [k, v.slice()])) };
      saves++;
      if (kill && saves === killAfter) throw new Error('killed');
    },
    loadCheckpoint: () => saved,
  });
  if (killAfter !== null) await assert.rejects(t.run(config, ctx(true)), /killed/);
  await t.run(config, ctx(false));
  return saves;
}

const CASES: Array<[string, SpinglassInput]> = [
  ['metropolis sk', { model: 'sk', n: 20, dynamics: 'metropolis', temperatures: [0.6, 1.5], sweeps: 300, equilibration: 100, samples: 1, replicas: 3, seed: 2 }],
  ['heatbath ea2d', { model: 'ea2d', l: 4, dynamics: 'heatbath', temperatures: [0.8, 2], sweeps: 300, equilibration: 100, samples: 1, replicas: 2, seed: 3 }],
  ['pt hopfield', { model: 'hopfield', n: 24, alpha: 0.1, dynamics: 'pt', temperatures: [0.3, 0.6, 1.2], sweeps: 300, equilibration: 100, samples: 1, replicas: 2, seed: 4 }],
  ['anneal sk', { model: 'sk', n: 20, dynamics: 'anneal', temperatures: [0.1, 2], sweeps: 200, samples: 1, replicas: 3, seed: 5 }],
  ['quench ea3d', { model: 'ea3d', l: 3, dynamics: 'quench', samples: 1, replicas: 4, seed: 6 }],
  ['langevin pspin', { model: 'pspin', n: 12, p: 3, dynamics: 'langevin', temperatures: [0.5, 2], dt: 0.05, sweeps: 200, equilibration: 50, measureEvery: 5, samples: 1, replicas: 2, seed: 7 }],
  ['gd pspin', { model: 'pspin', n: 12, p: 3, dynamics: 'gd', dt: 0.1, sweeps: 200, equilibration: 0, samples: 1, replicas: 2, seed: 8 }],
];

test('every dynamics: a sample killed after a checkpoint resumes to byte-identical arrays', async () => {
  const root = tempDir('sg-direct');
  try {
    for (const [name, input] of CASES) {
      const { config: cfg, seed } = spinglassConfig(input);
      const make = (d: string) => Run.create(join(root, `${name.replace(' ', '-')}-${d}`), { protocol: 'spinglass', config: cfg, seed });
      const a = make('a');
      const b = make('b');
      const every = cfg.dynamics === 'quench' ? 1 : 40;
      const total = await direct(task, a, cfg, 0, 1, every, null);
      assert.ok(total >= 2, `${name}: ${total} checkpoints, expected several`);
      // Killed past the middle: inside the measurement window, with earlier temperatures done.
      await direct(task, b, cfg, 0, 1, every, Math.max(2, Math.floor(total * 0.6)));
      assert.deepEqual(arrayDiff(a.dir, b.dir), [], name);
      assert.ok(readdirSync(join(a.dir, 'arrays', 'per-sample', 'sample-0000')).includes('energy.npy'), name);
    }
  } finally {
    removeDir(root);
  }
});

test('the spin walk: a walker killed after a checkpoint resumes to byte-identical arrays', async () => {
  const root = tempDir('sg-walk');
  try {
    await runSpinglass({ model: 'sk', n: 16, dynamics: 'metropolis', temperatures: [0.5], sweeps: 50, equilibration: 50, samples: 1, replicas: 2, seed: 1 }, join(root, 'sk'));
    const config: WalkConfig = walkConfig({ source: join(root, 'sk'), walkers: 2, steps: 60, flips: 2, temperature: 0.5 });
    const make = (d: string) => Run.create(join(root, d), { protocol: 'walk', config, seed: 3 });
    const a = make('a');
    const b = make('b');
    assert.ok(await direct(walkTask, a, config, 1, 2, 7, null) >= 2);
    await direct(walkTask, b, config, 1, 2, 7, 3);
    assert.deepEqual(arrayDiff(a.dir, b.dir), []);
  } finally {
    removeDir(root);
  }
});

const PT: SpinglassInput = { model: 'sk', n: 24, dynamics: 'pt', temperatures: [0.4, 0.7, 1.1, 1.8], sweeps: 400, equilibration: 100, samples: 5, replicas: 2, seed: 11 };

test('parallel tempering: 2 workers and 3 shards + merge give the bytes of one process', async () => {
  const root = tempDir('sg-exec');
  try {
    const ref = await runSpinglass(PT, join(root, 'ref'));
    const two = await runSpinglass(PT, join(root, 'two'), { executor: 'local', workers: 2, checkpointEvery: 37 });
    assert.deepEqual(arrayDiff(ref.run, two.run), []);
    assert.deepEqual(two, { ...ref, run: two.run });

    const { config: cfg, seed } = spinglassConfig(PT);
    const sharded = Run.create(join(root, 'shards'), { protocol: 'spinglass', config: cfg, seed });
    prepareEnsemble(sharded, 'spinglass', cfg.samples);
    for (let i = 0; i < 3; i++) {
      const r = await runEnsemble(Run.open(sharded.dir), registry, { executor: 'inprocess', shard: { index: i, count: 3 }, progress: 'none', handleSignals: false });
      assert.equal(r.status, 'shard-complete');
    }
    const merged = await mergeRun(sharded.dir, registry);
    assert.deepEqual(arrayDiff(ref.run, sharded.dir), []);
    assert.deepEqual(merged.summary, Run.open(ref.run).manifest.summary);
  } finally {
    removeDir(root);
  }
});

/** Checkpoint files of replica i (none before the first, none after it is done). */
function ckpts(dir: string, index: number): string[] {
  try {
    return readdirSync(join(dir, 'checkpoints', `replica-${String(index).padStart(4, '0')}`)).filter((n) => /^step-\d+\.ckpt$/.test(n));
  } catch {
    return [];
  }
}

test('parallel tempering killed with SIGKILL mid-run, then glassy resume: arrays byte-identical', async () => {
  const root = tempDir('sg-kill');
  try {
    // Several seconds per sample on a quiet machine (20 000 sweeps took 1 s there, and a sample could
    // finish before the other had two checkpoints): killed, frozen first, once each running sample
    // has two checkpoints (killWhen re-checks after SIGSTOP, so the kill lands in the state it saw).
    const input: SpinglassInput = { model: 'sk', n: 64, dynamics: 'pt', temperatures: [0.5, 0.8, 1.2, 2], sweeps: 60000, equilibration: 2000, samples: 2, replicas: 2, seed: 3 };
    const dir = join(root, 'killed');
    const p = spawnGlassy(['spinglass', '--model', 'sk', '--n', '64', '--dynamics', 'pt', '--temperatures', '0.5,0.8,1.2,2', '--sweeps', '60000',
      '--equilibration', '2000', '--samples', '2', '--replicas', '2', '--seed', '3', '--workers', '2', '--checkpoint-every', '1000', '--progress', 'lines', '--out', dir]);
    await killWhen([p], () => ckpts(dir, 0).length >= 2 && ckpts(dir, 1).length >= 2, 60_000, 'two checkpoints of samples 0 and 1');
    assert.equal(p.child.signalCode, 'SIGKILL', `the run ended before it could be killed: ${p.stderr()}`);
    assert.equal(Run.open(dir).status, 'interrupted');

    const r = await glassy(['resume', dir, '--workers', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    for (const i of [0, 1]) assert.ok((readDone(dir, i)!.resumedFrom ?? 0) >= 2000, `sample ${i} resumed from ${JSON.stringify(readDone(dir, i))}`);
    const ref = await runSpinglass(input, join(root, 'ref'));
    assert.deepEqual(arrayDiff(ref.run, dir), []);
    assert.deepEqual(Run.open(dir).manifest.summary, Run.open(ref.run).manifest.summary);
  } finally {
    removeDir(root);
  }
});
