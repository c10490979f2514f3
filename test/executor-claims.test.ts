/**
 * Nothing lost, no silent failure, around the run directory itself:
 * - two runs started together on one --out: exactly one wins, the other gets one line;
 * - --overwrite refuses to delete a live run (which then completes);
 * - without --max-memory the machine's memory is the limit: absurd K or models are refused
 *   before anything is created, with the estimate in one line;
 * - `train --shard i/3` processes join the run shard 0 created; a /4 shard is refused at start;
 * - a kill during finalisation leaves temp files that the resume sweeps; no empty checkpoints/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runEnsemble } from '../src/executor/ensemble.js';
import { TEMP_PREFIX } from '../src/store/atomic.js';
import { Run } from '../src/store/run.js';
import { registry } from '../src/registry.js';
import { glassy, removeDir, selftestRun, spawnGlassy, tempDir, waitFor } from './executor-helpers.js';

const SLOW = ['--set', 'dim=4', '--set', 'steps=60', '--set', 'sleepMs=20', '--set', 'checkpointEvery=20'];

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n').filter((l) => !/^warning:/.test(l));
  assert.equal(lines.length, 1, stderr);
  return lines[0]!;
}

function tempFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.startsWith(TEMP_PREFIX)) out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

test('two runs started together on one --out: exactly one wins, the other gets one line', async () => {
  const root = tempDir('claim-race');
  try {
    const out = join(root, 'r');
    const args = ['run', 'selftest', '--replicas', '2', '--executor', 'inprocess', '--progress', 'none', '--out', out, ...SLOW];
    const [a, b] = await Promise.all([glassy(args), glassy(args)]);
    const codes = [a.code, b.code].sort();
    assert.deepEqual(codes[0], 0, a.stderr + b.stderr);
    assert.notEqual(codes[1], 0, 'both runs claimed the directory');
    const loser = a.code === 0 ? b : a;
    assert.match(oneLine(loser.stderr), /^error: .*(is in use by pid \d+ on |already exists and is not empty)/);
    assert.equal(Run.open(out).status, 'complete');
  } finally {
    removeDir(root);
  }
});

test('--overwrite refuses to delete a live run; the live run completes', async () => {
  const root = tempDir('claim-overwrite');
  try {
    const out = join(root, 'r');
    const live = spawnGlassy(['run', 'selftest', '--replicas', '2', '--executor', 'inprocess', '--progress', 'none', '--out', out, ...SLOW]);
    await waitFor(() => existsSync(join(out, 'manifest.json')), 20_000, 'the live run to start');
    const again = await glassy(['run', 'selftest', '--replicas', '1', '--out', out, '--overwrite', '--progress', 'none']);
    assert.notEqual(again.code, 0);
    assert.match(oneLine(again.stderr), new RegExp(`is in use by pid ${live.child.pid} on `));
    assert.equal(await live.exit, 0, live.stderr());
    assert.equal(Run.open(out).status, 'complete');
    // Once it is over, --overwrite may replace it.
    const later = await glassy(['run', 'selftest', '--replicas', '1', '--out', out, '--overwrite', '--progress', 'none', '--set', 'steps=5']);
    assert.equal(later.code, 0, later.stderr);
  } finally {
    removeDir(root);
  }
});

test('no --max-memory: the machine\'s memory is the limit; absurd K or model refused before anything is created', async () => {
  const root = tempDir('claim-memory');
  try {
    const data = ['--data', 'teacher-student', '--n-train', '100', '--n-test', '50'];
    for (const extra of [['--replicas', '100000000', '--model', '20-8-2'], ['--model', '5-100000000-2']]) {
      const out = join(root, 'r');
      const r = await glassy(['train', ...data, ...extra, '--out', out, '--progress', 'none']);
      assert.notEqual(r.code, 0);
      assert.match(oneLine(r.stderr), /^error: max-memory: got [\d.]+ [KMGT]iB \(this machine's memory\), expected at least [\d.]+ [KMGT]iB \(train needs about /);
      assert.equal(existsSync(out), false, 'nothing created');
    }
  } finally {
    removeDir(root);
  }
});

test('train --shard i/3 joins the run shard 0 created; a /4 shard is refused at start; merge completes', async () => {
  const root = tempDir('claim-shards');
  try {
    const out = join(root, 'r');
    const base = ['train', '--data', 'teacher-student', '--n-train', '100', '--n-test', '50', '--model', '20-8-2', '--epochs', '1',
      '--replicas', '3', '--seed', '4', '--out', out, '--executor', 'inprocess', '--progress', 'none'];
    const s0 = await glassy([...base, '--shard', '0/3']);
    assert.equal(s0.code, 0, s0.stderr);
    const s1 = await glassy([...base, '--shard', '1/3']);
    assert.equal(s1.code, 0, s1.stderr);
    const wrong = await glassy([...base, '--shard', '2/4']);
    assert.notEqual(wrong.code, 0);
    assert.match(oneLine(wrong.stderr), /shard: got "?i\/4"?, expected i\/3/);
    const otherSeed = await glassy([...base.map((a) => (a === '4' ? '5' : a)), '--shard', '2/3']);
    assert.notEqual(otherSeed.code, 0);
    assert.match(oneLine(otherSeed.stderr), /seed 4 ≠ 5/);
    const s2 = await glassy([...base, '--shard', '2/3']);
    assert.equal(s2.code, 0, s2.stderr);
    const merged = await glassy(['merge', out]);
    assert.equal(merged.code, 0, merged.stderr);
    assert.equal(Run.open(out).status, 'complete');
    assert.deepEqual(Run.open(out).readArray('final_test_error').shape, [3]);
  } finally {
    removeDir(root);
  }
});

test('a kill during finalisation: the resume sweeps the dead writer\'s temp files; no empty checkpoints/', async () => {
  const root = tempDir('claim-finalise');
  try {
    const out = join(root, 'r');
    const r0 = await runEnsemble(selftestRun(out, { dim: 4, steps: 20, checkpointEvery: 5 }, 2, 3), registry,
      { executor: 'local', workers: 2, progress: 'none', handleSignals: false });
    assert.equal(r0.status, 'complete');
    assert.equal(existsSync(join(out, 'checkpoints')), false, 'a complete run keeps no empty checkpoints/');
    // What a SIGKILL in finalize leaves: a 'running' manifest of a dead process and its temp files.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const run = Run.open(out);
    run.update({ status: 'running', pid: dead });
    writeFileSync(join(out, 'arrays', `${TEMP_PREFIX}x_final.npy.${dead}.0badf00d`), 'half');
    writeFileSync(join(out, `${TEMP_PREFIX}manifest.json.${dead}.0badf00d`), '{');
    writeFileSync(join(out, '.glassy-lock'), JSON.stringify({ pid: dead, host: run.manifest.host, since: '' }));
    const r = await glassy(['resume', out, '--progress', 'none']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(Run.open(out).status, 'complete');
    assert.deepEqual(tempFiles(out), []);
    assert.equal(existsSync(join(out, '.glassy-lock')), false, 'the lock is released at the end');
  } finally {
    removeDir(root);
  }
});
