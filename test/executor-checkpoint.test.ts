/**
 * Checkpoints on disk: round trip, retention of the newest two, corrupt-latest fallback with a
 * warning naming both files, all-corrupt error naming the files (and --restart-corrupt), a full
 * disk leaving the last good checkpoint intact; plus the shared executor-option parsing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { GlassyError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import { CheckpointStore, checkpointDir } from '../src/executor/checkpoint.js';
import { executorOptionsFrom } from '../src/cli/executor-flags.js';
import { parseShard, parseSize } from '../src/executor/options.js';
import type { Checkpoint } from '../src/executor/replica.js';
import { type AtomicIo, nodeIo, writeFileAtomic } from '../src/store/atomic.js';
import { removeDir, tempDir } from './executor-helpers.js';

function sample(step: number): Checkpoint {
  const rng = Rng.stream(7, 3, step);
  const x = new Float64Array(4);
  rng.fillNormal(x);
  rng.normal(); // an odd draw leaves a Box–Muller spare in the state: it must survive the round trip
  return {
    meta: { step, rng: { noise: rng.state() }, note: 'é', nested: { a: [1, 2] } },
    arrays: {
      x,
      w: Float32Array.from([1.5, -2.25, Math.PI]),
      idx: Int32Array.from([-3, 0, 2 ** 31 - 1]),
      spins: Int8Array.from([1, -1, -1, 1]),
      mask: Uint8Array.from([0, 255]),
    },
  };
}

/** Flip one byte near the end of a file (inside the tensor payload). */
function corrupt(path: string): void {
  const b = readFileSync(path);
  b[b.length - 3] = b[b.length - 3]! ^ 0xff;
  writeFileSync(path, b);
}

test('checkpoint round trip is exact for meta (RNG state with spare) and every dtype', () => {
  const dir = tempDir('ckpt');
  try {
    const store = new CheckpointStore(dir, 3);
    const cp = sample(40);
    const path = store.save(cp);
    assert.equal(path, join(dir, 'checkpoints', 'replica-0003', 'step-40.ckpt'));
    const back = store.load();
    assert.ok(back);
    assert.deepEqual(back.meta, cp.meta);
    assert.notEqual(back.meta.rng!['noise']!.spare, null);
    for (const [name, a] of Object.entries(cp.arrays)) {
      const b: ArrayLike<number> = back.arrays[name]!;
      assert.equal((b as object).constructor, a.constructor, name);
      assert.deepEqual(Array.from(b), Array.from(a), name);
    }
    // The restored generator continues exactly where the saved one would have.
    const live = Rng.fromState(cp.meta.rng!['noise']!);
    const restored = Rng.fromState(back.meta.rng!['noise']!);
    for (let i = 0; i < 5; i++) assert.equal(restored.normal(), live.normal());
  } finally {
    removeDir(dir);
  }
});

test('no checkpoint → null; only the newest two are kept', () => {
  const dir = tempDir('ckpt');
  try {
    const store = new CheckpointStore(dir, 0);
    assert.equal(store.load(), null);
    for (const s of [10, 20, 30, 40]) store.save(sample(s));
    assert.deepEqual(readdirSync(checkpointDir(dir, 0)).sort(), ['step-30.ckpt', 'step-40.ckpt']);
    assert.equal(store.load()!.meta.step, 40);
  } finally {
    removeDir(dir);
  }
});

test('corrupt latest checkpoint: warning names it and the previous one, which is used', () => {
  const dir = tempDir('ckpt');
  try {
    const warnings: string[] = [];
    const store = new CheckpointStore(dir, 1, { warn: (m) => warnings.push(m) });
    store.save(sample(10));
    const latest = store.save(sample(20));
    corrupt(latest);
    const cp = store.load();
    assert.equal(cp!.meta.step, 10);
    assert.deepEqual(Array.from(cp!.arrays['x']!), Array.from(sample(10).arrays['x']!));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /corrupt checkpoint/);
    assert.ok(warnings[0]!.includes(latest), warnings[0]);
    assert.ok(warnings[0]!.includes(join(checkpointDir(dir, 1), 'step-10.ckpt')), warnings[0]);
    assert.match(warnings[0]!, /checksum mismatch/);

    // The corrupt file was moved aside, so it does not count among the two kept: saving step 30
    // keeps step 10, and a truncated step 30 (header no longer matches the size) falls back to it.
    assert.ok(existsSync(latest + '.corrupt'));
    const again = store.save(sample(30));
    assert.deepEqual(readdirSync(checkpointDir(dir, 1)).sort(), ['step-10.ckpt', 'step-20.ckpt.corrupt', 'step-30.ckpt']);
    writeFileSync(again, readFileSync(again).subarray(0, 40));
    warnings.length = 0;
    assert.equal(store.load()!.meta.step, 10);
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0]!.includes(again), warnings[0]);
    assert.match(warnings[0]!, /not a valid \.safetensors file/);
  } finally {
    removeDir(dir);
  }
});

test('every checkpoint corrupt: GlassyError naming the files; restartCorrupt starts over', () => {
  const dir = tempDir('ckpt');
  try {
    const store = new CheckpointStore(dir, 2, { warn: () => {} });
    const a = store.save(sample(10));
    const b = store.save(sample(20));
    corrupt(a);
    corrupt(b);
    assert.throws(() => store.load(), (err: unknown) => {
      assert.ok(err instanceof GlassyError);
      assert.ok(err.message.includes(a) && err.message.includes(b), err.message);
      assert.match(err.message, /--restart-corrupt/);
      return true;
    });
    const warnings: string[] = [];
    const restart = new CheckpointStore(dir, 2, { restartCorrupt: true, warn: (m) => warnings.push(m) });
    assert.equal(restart.load(), null);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /restarting the replica from scratch/);
    assert.equal(existsSync(checkpointDir(dir, 2)), false);
  } finally {
    removeDir(dir);
  }
});

test('disk full while writing: GlassyError naming the path, last good checkpoint intact, no temp file', () => {
  const dir = tempDir('ckpt');
  try {
    const ok = new CheckpointStore(dir, 5);
    const good = ok.save(sample(10));
    const goodBytes = readFileSync(good);
    let wrote = 0;
    const full: AtomicIo = {
      ...nodeIo,
      writeSync: (fd, buf, off, len) => {
        // Half the file fits, then the disk is full.
        if (wrote > 100) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        const n = nodeIo.writeSync(fd, buf, off, Math.min(len, 101));
        wrote += n;
        return n;
      },
    };
    const store = new CheckpointStore(dir, 5, { write: (p, d) => writeFileAtomic(p, d, full) });
    const target = join(checkpointDir(dir, 5), 'step-20.ckpt');
    assert.throws(() => store.save(sample(20)), (err: unknown) => {
      assert.ok(err instanceof GlassyError);
      assert.equal(err.message, `disk full while writing ${target}`);
      return true;
    });
    assert.deepEqual(readdirSync(checkpointDir(dir, 5)), [basename(good)]);
    assert.ok(readFileSync(good).equals(goodBytes));
    assert.equal(ok.load()!.meta.step, 10);
  } finally {
    removeDir(dir);
  }
});

test('executor flags: sizes, shards and bad values name the field', () => {
  assert.equal(parseSize('2G'), 2 * 1024 ** 3);
  assert.equal(parseSize('512M'), 512 * 1024 ** 2);
  assert.equal(parseSize('1.5GiB'), 1.5 * 1024 ** 3);
  assert.equal(parseSize('1000'), 1000);
  assert.throws(() => parseSize('lots'), /max-memory: got "lots", expected a size/);
  assert.deepEqual(parseShard('1/4'), { index: 1, count: 4 });
  assert.throws(() => parseShard('4/4'), /shard: got "4\/4", expected i\/n with integers 0 ≤ i < n/);
  const o = executorOptionsFrom({ executor: 'local', workers: '3', shard: '0/2', maxMemory: '1G', checkpointEvery: '50' });
  assert.equal(o.workers, 3);
  assert.deepEqual(o.shard, { index: 0, count: 2 });
  assert.equal(o.maxMemory, 1024 ** 3);
  assert.equal(o.checkpointEvery, 50);
  assert.equal(o.attempts, 3);
  assert.throws(() => executorOptionsFrom({ workers: '0' }), /workers: got "0", expected a positive integer/);
  assert.throws(() => executorOptionsFrom({ executor: 'cloud' }), /executor: got "cloud", expected inprocess \| local \| queue/);
  assert.throws(() => executorOptionsFrom({ executor: 'queue' }), /redis: got undefined, expected a Redis URL/);
});
