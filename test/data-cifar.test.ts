/**
 * CIFAR-10/100 from the binary distribution (data/cifar.ts), on small folders written here in that
 * exact format: records, labels (CIFAR-100 fine by default, coarse as an option), the NCHW [3, 32, 32]
 * pixel order, and the one-line messages for a missing folder or files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../src/data/index.js';
import { GLASSY, removeDir, tempDir } from './executor-helpers.js';
import { writeCifar } from './cifar-helpers.js';

test('CIFAR-10: five training batches and the test batch, pixels as stored (NCHW), labels from the first byte', () => {
  const dir = tempDir('cifar10');
  try {
    writeCifar(dir, 'cifar10', { perBatch: 7, test: 5, seed: 3 });
    const ds = loadDataset({ source: 'cifar10', dir, normalise: 'none' }, 0);
    assert.equal(ds.train.n, 35);
    assert.equal(ds.test.n, 5);
    assert.deepEqual(ds.inputShape, [3, 32, 32]);
    assert.equal(ds.nFeatures, 3072);
    assert.equal(ds.nClasses, 10);
    // Record 2 of data_batch_2.bin is training sample 9; its label byte and its 3072 pixels, in order.
    const raw = readFileSync(join(dir, 'data_batch_2.bin')).subarray(2 * 3073, 3 * 3073);
    assert.equal(ds.train.y[9], raw[0]);
    assert.deepEqual(Array.from(ds.train.x.subarray(9 * 3072, 10 * 3072)), Array.from(raw.subarray(1)));
    const unit = loadDataset({ source: 'cifar10', dir, nTrain: 10 }, 0);
    assert.equal(unit.train.n, 10);
    assert.ok(Math.abs(unit.train.x[5]! - ds.train.x[5]! / 255) < 1e-7);
  } finally {
    removeDir(dir);
  }
});

test('CIFAR-100: fine labels by default, coarse as an option', () => {
  const dir = tempDir('cifar100');
  try {
    writeCifar(dir, 'cifar100', { perBatch: 30, test: 20, seed: 4 });
    const fine = loadDataset({ source: 'cifar100', dir }, 0);
    const coarse = loadDataset({ source: 'cifar100', dir, labels: 'coarse' }, 0);
    assert.equal(fine.train.n, 150);
    assert.equal(fine.nClasses, 100);
    assert.equal(coarse.nClasses, 20);
    const raw = readFileSync(join(dir, 'train.bin'));
    for (const i of [0, 57, 149]) {
      assert.equal(fine.train.y[i], raw[i * 3074 + 1]);
      assert.equal(coarse.train.y[i], raw[i * 3074]);
    }
    assert.deepEqual(Array.from(fine.test.x.subarray(3072, 3072 + 4)).map((v) => Math.round(v * 255)),
      Array.from(readFileSync(join(dir, 'test.bin')).subarray(3074 + 2, 3074 + 6)));
  } finally {
    removeDir(dir);
  }
});

test('missing CIFAR files or folder: one line naming the expected files and the directory; nothing downloaded', () => {
  const dir = tempDir('cifar-missing');
  try {
    writeCifar(dir, 'cifar10', { perBatch: 2, test: 2, seed: 5 });
    rmSync(join(dir, 'data_batch_4.bin'));
    assert.throws(() => loadDataset({ source: 'cifar10', dir }, 0), (e: Error) =>
      e.message.includes(dir) && e.message.includes('lacks data_batch_4.bin') && e.message.includes('test_batch.bin') && !e.message.includes('\n'));
    const r = spawnSync(process.execPath, [GLASSY, 'train', '--data', 'cifar100', '--data-dir', join(dir, 'nowhere'), '--model', '3072-10-100',
      '--out', join(dir, 'run'), '--executor', 'inprocess'], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /cifar100 not found: .*nowhere lacks train\.bin, test\.bin/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    const noDir = spawnSync(process.execPath, [GLASSY, 'train', '--data', 'cifar10', '--model', '3072-10-10', '--out', join(dir, 'run')], { encoding: 'utf8' });
    assert.match(noDir.stderr, /data\.dir: .*data_batch_1\.bin.*--data-dir DIR/);
    assert.equal(spawnSync('test', ['-e', join(dir, 'run')]).status, 1);
  } finally {
    removeDir(dir);
  }
});
