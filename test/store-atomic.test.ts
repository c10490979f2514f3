import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GlassyError } from '../src/core/errors.js';
import { type AtomicIo, nodeIo, writeFileAtomic } from '../src/store/atomic.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'glassy-atomic-'));
}

function errno(code: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: simulated`) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}

test('atomic: writes, replaces, creates the parent folder, leaves no temp file', () => {
  const dir = tmp();
  try {
    const p = join(dir, 'sub', 'deeper', 'a.txt');
    writeFileAtomic(p, 'first');
    assert.equal(readFileSync(p, 'utf8'), 'first');
    writeFileAtomic(p, new Uint8Array([104, 105]));
    assert.equal(readFileSync(p, 'utf8'), 'hi');
    writeFileAtomic(p, [new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3])]);
    assert.deepEqual([...readFileSync(p)], [1, 2, 3]);
    assert.deepEqual(readdirSync(join(dir, 'sub', 'deeper')), ['a.txt']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('atomic: short writes are continued until the whole buffer is written', () => {
  const dir = tmp();
  try {
    const io: AtomicIo = { ...nodeIo, writeSync: (fd, b, o, l) => nodeIo.writeSync(fd, b, o, Math.min(l, 3)) };
    const data = new Uint8Array(1000).map((_, i) => i % 251);
    const p = join(dir, 'x.bin');
    writeFileAtomic(p, data, io);
    assert.deepEqual(new Uint8Array(readFileSync(p)), data);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('atomic: disk full mid-write keeps the old file, removes the temp file, names path and cause', () => {
  const dir = tmp();
  try {
    const p = join(dir, 'manifest.json');
    writeFileSync(p, 'old contents');
    let calls = 0;
    const io: AtomicIo = {
      ...nodeIo,
      writeSync: (fd, b, o, l) => {
        if (++calls > 1) throw errno('ENOSPC');
        return nodeIo.writeSync(fd, b, o, Math.min(l, 4)); // some bytes reach the temp file first
      },
    };
    assert.throws(() => writeFileAtomic(p, 'new contents that do not fit', io), (e: unknown) => {
      assert.ok(e instanceof GlassyError);
      assert.equal(e.message, `disk full while writing ${p}`);
      assert.equal(e.field, 'path');
      return true;
    });
    assert.equal(readFileSync(p, 'utf8'), 'old contents');
    assert.deepEqual(readdirSync(dir), ['manifest.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('atomic: permission denied at open and a failing fsync are reported and cleaned up', () => {
  const dir = tmp();
  try {
    const p = join(dir, 'a.npy');
    writeFileSync(p, 'keep');
    const denied: AtomicIo = { ...nodeIo, openSync: () => { throw errno('EACCES'); } };
    assert.throws(() => writeFileAtomic(p, 'x', denied), new RegExp(`^GlassyError: permission denied while writing ${p}$`));
    const ioFail: AtomicIo = { ...nodeIo, fsyncSync: () => { throw errno('EIO'); } };
    assert.throws(() => writeFileAtomic(p, 'x', ioFail), /I\/O error while writing/);
    assert.equal(readFileSync(p, 'utf8'), 'keep');
    assert.deepEqual(readdirSync(dir), ['a.npy']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('atomic: a real rename failure (target is a non-empty directory) leaves no temp file', () => {
  const dir = tmp();
  try {
    const p = join(dir, 'target');
    mkdirSync(p);
    writeFileSync(join(p, 'inside'), 'x');
    assert.throws(() => writeFileAtomic(p, 'data'), (e: unknown) => {
      assert.ok(e instanceof GlassyError);
      assert.ok(e.message.includes(p), e.message);
      return true;
    });
    assert.deepEqual(readdirSync(dir), ['target']);
    assert.deepEqual(readdirSync(p), ['inside']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('atomic: a parent that is a file gives a one-line error naming the path', () => {
  const dir = tmp();
  try {
    writeFileSync(join(dir, 'f'), '');
    const p = join(dir, 'f', 'x.txt');
    assert.throws(() => writeFileAtomic(p, 'data'), (e: unknown) =>
      e instanceof GlassyError && e.message.includes(p) && !e.message.includes('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
