/**
 * The resume contract, end to end through the real CLI: `glassy run selftest` killed with SIGKILL
 * mid-way and `glassy resume`d gives arrays BIT-IDENTICAL to an uninterrupted run of the same seed;
 * a corrupt latest checkpoint is reported by name and the previous one used (still identical);
 * a replica whose checkpoints are all corrupt fails with the files named, and --restart-corrupt
 * recomputes it (identical again).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runEnsemble } from '../src/executor/ensemble.js';
import { readDone } from '../src/executor/markers.js';
import { Run } from '../src/store/run.js';
import { arrayDiff, glassy, removeDir, selftestRun, spawnGlassy, tempDir, waitFor } from './executor-helpers.js';
import { registry } from '../src/registry.js';

const K = 4;
const SEED = 5;
// ~2 s of wall time per replica (sleepMs), little CPU: long enough to be killed mid-way.
const CONFIG = { dim: 16, steps: 200, sleepMs: 10, checkpointEvery: 20, recordEvery: 5 };
const SETS = Object.entries(CONFIG).flatMap(([k, v]) => ['--set', `${k}=${v}`]);

function ckpts(dir: string, index: number): string[] {
  const d = join(dir, 'checkpoints', `replica-${String(index).padStart(4, '0')}`);
  let names: string[];
  try { names = readdirSync(d); } catch { return []; /* not yet, or already cleared */ }
  return names.filter((n) => /^step-\d+\.ckpt$/.test(n))
    .sort((a, b) => Number(a.slice(5, -5)) - Number(b.slice(5, -5))).map((n) => join(d, n));
}

function corrupt(path: string): void {
  const b = readFileSync(path);
  b[b.length - 5] = b[b.length - 5]! ^ 0x5a;
  writeFileSync(path, b);
}

/** Start `glassy run selftest` and SIGKILL it once replicas 0 and 1 have two checkpoints each. */
async function runAndKill(dir: string): Promise<void> {
  const p = spawnGlassy(['run', 'selftest', '--replicas', String(K), '--seed', String(SEED), '--out', dir,
    '--workers', '2', '--progress', 'lines', ...SETS]);
  try {
    await waitFor(() => ckpts(dir, 0).length >= 2 && ckpts(dir, 1).length >= 2 || p.child.exitCode !== null, 20_000,
      'two checkpoints of replicas 0 and 1');
  } finally {
    p.child.kill('SIGKILL');
  }
  await p.exit;
  assert.equal(p.child.signalCode, 'SIGKILL', `the run ended before it could be killed: ${p.stderr()}`);
}

async function reference(root: string): Promise<string> {
  const dir = join(root, 'reference');
  // No sleeping needed for the reference: sleepMs does not change the numbers (it is not in them).
  const r = await runEnsemble(selftestRun(dir, { ...CONFIG, sleepMs: 0 }, K, SEED), registry,
    { executor: 'inprocess', progress: 'none', handleSignals: false });
  assert.equal(r.status, 'complete');
  return dir;
}

test('SIGKILL mid-way, then glassy resume: arrays bit-identical to an uninterrupted run', async () => {
  const root = tempDir('resume');
  try {
    const ref = await reference(root);
    const dir = join(root, 'killed');
    await runAndKill(dir);
    assert.equal(Run.open(dir).status, 'interrupted');
    assert.ok(!existsSync(join(dir, 'arrays', 'energy.npy')), 'killed before finalising');

    const r = await glassy(['resume', dir, '--workers', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { status: string; ran: number[]; skipped: number[] };
    assert.equal(out.status, 'complete');
    assert.equal(out.ran.length + out.skipped.length, K);
    // Replicas 0 and 1 really continued from a checkpoint (step ≥ 40), not from scratch.
    for (const i of [0, 1]) assert.ok((readDone(dir, i)!.resumedFrom ?? 0) >= 40, `replica ${i}: ${JSON.stringify(readDone(dir, i))}`);
    assert.equal(Run.open(dir).status, 'complete');
    assert.deepEqual(arrayDiff(ref, dir), []);
    // Summary: the resumed run finalised with the same figures.
    assert.deepEqual(Run.open(dir).manifest.summary, Run.open(ref).manifest.summary);
  } finally {
    removeDir(root);
  }
});

test('corrupt checkpoints after a kill: warning and fallback, clear error, --restart-corrupt', async () => {
  const root = tempDir('corrupt');
  try {
    const ref = await reference(root);
    const dir = join(root, 'killed');
    await runAndKill(dir);
    const r0 = ckpts(dir, 0);
    const r1 = ckpts(dir, 1);
    const latest0 = r0[r0.length - 1]!;
    const previous0 = r0[r0.length - 2]!;
    corrupt(latest0);
    for (const f of r1) corrupt(f);

    const first = await glassy(['resume', dir, '--workers', '2', '--progress', 'none']);
    assert.equal(first.code, 1, first.stderr);
    // Replica 0: warning naming the corrupt file and the previous one, which was used.
    assert.ok(first.stderr.includes(`warning: replica 0: corrupt checkpoint ${latest0} (checksum mismatch)`), first.stderr);
    assert.ok(first.stderr.includes(`resuming from the previous good checkpoint ${previous0}`), first.stderr);
    // Replica 1: every checkpoint corrupt → a clear error naming them; the others completed.
    assert.match(first.stderr, /error: selftest: .* failed: replica 1 failed \(replica 1: every checkpoint is corrupt: /);
    for (const f of r1) assert.ok(first.stderr.includes(f), `${f} named in: ${first.stderr}`);
    assert.match(first.stderr, /Rerun with --restart-corrupt/);
    assert.equal(Run.open(dir).status, 'failed');
    for (const i of [0, 2, 3]) assert.ok(readDone(dir, i), `replica ${i} done`);
    assert.equal(readDone(dir, 1), null);

    const second = await glassy(['resume', dir, '--workers', '2', '--restart-corrupt', '--progress', 'none']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /replica 1: no good checkpoint .* restarting the replica from scratch as asked/);
    assert.equal(readDone(dir, 1)!.resumedFrom, null);
    assert.match(second.stdout, /complete \(4 replicas; 1 replica run, 3 already done/);
    assert.deepEqual(arrayDiff(ref, dir), []);
  } finally {
    removeDir(root);
  }
});
