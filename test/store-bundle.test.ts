/**
 * Bundles (files as one binary value, for Redis) and the config relocation of a queue worker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { relocate } from '../src/executor/queue-worker.js';
import { packInputs } from '../src/executor/queue.js';
import { listFiles, packBundle, packFiles, unpackBundle, writeBundle } from '../src/store/bundle.js';
import { encodeSafetensors } from '../src/store/safetensors.js';
import { removeDir, tempDir } from './executor-helpers.js';

test('bundle: files round-trip byte for byte (nested, empty, binary); temp files and skipped folders stay out', () => {
  const a = tempDir('bundle-a'), b = tempDir('bundle-b');
  try {
    mkdirSync(join(a, 'arrays', 'per-replica'), { recursive: true });
    mkdirSync(join(a, 'checkpoints'), { recursive: true });
    writeFileSync(join(a, 'arrays', 'per-replica', 'x.npy'), Buffer.from([0, 255, 1, 128]));
    writeFileSync(join(a, 'empty.bin'), Buffer.alloc(0));
    writeFileSync(join(a, 'arrays', '.glassy-tmp-x.npy.1.abcdef01'), 'half');
    writeFileSync(join(a, 'checkpoints', 'step-1.ckpt'), 'ckpt');
    const names = listFiles(a, (rel) => rel === 'checkpoints');
    assert.deepEqual(names, ['arrays/per-replica/x.npy', 'empty.bin']);
    const { files, metadata } = unpackBundle(packFiles(a, names, { k: 'v' }), 'test');
    assert.deepEqual(metadata, { k: 'v' });
    writeBundle(b, files);
    for (const n of names) assert.ok(readFileSync(join(a, n)).equals(readFileSync(join(b, n))), n);
  } finally {
    removeDir(a);
    removeDir(b);
  }
});

test('bundle: names that could escape the destination are refused on pack and on unpack', () => {
  for (const bad of ['../x', '/abs', 'a/../../x', 'a//b', '.glassy-tmp-x']) {
    assert.throws(() => packBundle(new Map([[bad, new Uint8Array(1)]])), /bundle file/);
    const forged = encodeSafetensors({ [bad]: { data: new Uint8Array(1), shape: [1] } });
    assert.throws(() => unpackBundle(forged, 'forged'), /not a safe relative file name/);
  }
});

test('inputs: a run directory travels without its checkpoints and bookkeeping; the config is relocated', () => {
  const src = tempDir('inputs');
  try {
    mkdirSync(join(src, 'replicas'), { recursive: true });
    mkdirSync(join(src, 'checkpoints', 'replica-0000'), { recursive: true });
    mkdirSync(join(src, 'replicas-done'), { recursive: true });
    writeFileSync(join(src, 'manifest.json'), '{}');
    writeFileSync(join(src, 'replicas', 'replica-0000.safetensors'), 'w');
    writeFileSync(join(src, 'checkpoints', 'replica-0000', 'step-1.ckpt'), 'c');
    writeFileSync(join(src, 'replicas-done', '0000.json'), '{}');
    writeFileSync(join(src, '.glassy-lock'), '{}');
    const packed = packInputs([src])!;
    assert.deepEqual(packed.inputs, [{ path: src, local: '0/' }]);
    assert.deepEqual([...unpackBundle(packed.bytes, 'inputs').files.keys()], ['0/manifest.json', '0/replicas/replica-0000.safetensors']);
    const config = { source: src, other: `${src}x`, nested: [{ run: src }], n: 3 };
    assert.deepEqual(relocate(config, new Map([[src, '/scratch/0']])), { source: '/scratch/0', other: `${src}x`, nested: [{ run: '/scratch/0' }], n: 3 });
    assert.equal(packInputs([]), null);
  } finally {
    removeDir(src);
  }
});
