import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GlassyError } from '../src/core/errors.js';
import { Run } from '../src/store/run.js';
import type { Manifest } from '../src/store/manifest.js';
import { VERSION } from '../src/version.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'glassy-run-'));
}

function onDisk(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
}

function throwsGlassy(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GlassyError, `expected a GlassyError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

const init = { protocol: 'aging', config: { lr: 0.1, widths: [10, 100] }, seed: 42 };

test('run: create writes a complete manifest with status running', () => {
  const root = tmp();
  try {
    const dir = join(root, 'runs', 'a');
    const run = Run.create(dir, init);
    const m = onDisk(dir);
    assert.equal(m.status, 'running');
    assert.equal(m.protocol, 'aging');
    assert.deepEqual(m.config, init.config);
    assert.equal(m.seed, 42);
    assert.equal(m.glassy, VERSION);
    assert.equal(m.pid, process.pid);
    assert.equal(m.host, hostname());
    assert.deepEqual(m.versions, { node: process.versions.node, glassy: VERSION, platform: process.platform, arch: process.arch });
    assert.deepEqual(m.timings, {});
    assert.equal(m.created, m.started);
    assert.ok(Math.abs(Date.parse(m.created) - Date.now()) < 60_000);
    assert.equal(m.ended, undefined);
    // This test runs from the glassy checkout, so git provenance is known.
    if (existsSync(new URL('../../.git', import.meta.url))) {
      assert.ok(m.git !== null);
      assert.match(m.git.commit, /^[0-9a-f]{40}$/);
      assert.equal(typeof m.git.dirty, 'boolean');
    }
    assert.deepEqual(run.manifest, m);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('run: create refuses non-empty folders; overwrite only replaces glassy runs', () => {
  const root = tmp();
  try {
    const other = join(root, 'photos');
    mkdirSync(other);
    writeFileSync(join(other, 'cat.jpg'), 'meow');
    throwsGlassy(() => Run.create(other, init), /already exists and is not empty/);
    throwsGlassy(() => Run.create(other, init, { overwrite: true }), /refusing to overwrite .*not a glassy run/);
    assert.equal(readFileSync(join(other, 'cat.jpg'), 'utf8'), 'meow');

    const dir = join(root, 'r');
    const first = Run.create(dir, init);
    first.writeArray('old', new Float32Array(1));
    throwsGlassy(() => Run.create(dir, init), /already exists/);
    const second = Run.create(dir, { ...init, seed: 7 }, { overwrite: true });
    assert.equal(second.manifest.seed, 7);
    assert.deepEqual(second.listArrays(), []);
    // An empty folder is fine without overwrite.
    mkdirSync(join(root, 'empty'));
    Run.create(join(root, 'empty'), init);
    throwsGlassy(() => Run.create(join(root, 'x'), { ...init, seed: -1 }), /seed: got -1/);
    throwsGlassy(() => Run.create(join(root, 'y'), { ...init, protocol: '' }), /protocol: got ""/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('run: arrays and tensors are written, listed and read back', () => {
  const root = tmp();
  try {
    const run = Run.create(root, init);
    const p = run.writeArray('overlaps/q_ab', new Float64Array([1, 0.5, 0.5, 1]), [2, 2]);
    assert.equal(p, join(root, 'arrays', 'overlaps', 'q_ab.npy'));
    run.writeArray('steps', new Int32Array([0, 1, 2, 4]));
    run.writeArray('spins.npy', new Int8Array([1, -1]));
    assert.deepEqual(run.listArrays(), ['overlaps/q_ab', 'spins', 'steps']);
    assert.ok(run.hasArray('steps'));
    assert.ok(!run.hasArray('nope'));
    const q = run.readArray('overlaps/q_ab');
    assert.deepEqual(q.shape, [2, 2]);
    assert.equal(q.dtype, 'float64');
    assert.deepEqual([...q.data], [1, 0.5, 0.5, 1]);
    assert.equal(run.readArray('spins').dtype, 'int8');
    throwsGlassy(() => run.readArray('missing'), /array "missing" not found: .*arrays\/missing\.npy/);
    for (const bad of ['../escape', '/abs', 'a//b', '', 'a/./b', 'sp ace']) {
      throwsGlassy(() => run.writeArray(bad, new Float32Array(1)), /^array name: got/);
    }
    run.writeTensors('replica-0000', { 'layers.0.weight': { data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [2, 3] } },
      { 'glassy.replica': '0' });
    run.writeTensors('replica-0001', { 'layers.0.weight': { data: new Float32Array(6), shape: [2, 3] } });
    assert.deepEqual(run.listTensors(), ['replica-0000', 'replica-0001']);
    const t = run.readTensors('replica-0000');
    assert.deepEqual(t.metadata, { 'glassy.replica': '0' });
    assert.deepEqual([...t.tensors['layers.0.weight']!.data], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(readdirSync(join(root, 'replicas')).sort(), ['replica-0000.safetensors', 'replica-0001.safetensors']);
    // A corrupted array is reported with its path.
    writeFileSync(join(root, 'arrays', 'steps.npy'), 'garbage');
    throwsGlassy(() => run.readArray('steps'), /arrays\/steps\.npy: not a valid \.npy file: bad magic/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('run: status lifecycle running → complete / failed, timings merged, persisted', () => {
  const root = tmp();
  try {
    const a = Run.create(join(root, 'a'), init);
    a.setTiming('train', 1.5);
    a.setTiming('measure', 0.25);
    a.update({ summary: { replicas: 3 } });
    assert.deepEqual(onDisk(a.dir).timings, { train: 1.5, measure: 0.25 });
    a.finish({ q_mean: 0.3 });
    const m = Run.open(a.dir).manifest;
    assert.equal(m.status, 'complete');
    assert.deepEqual(m.summary, { q_mean: 0.3 });
    assert.ok(m.ended !== undefined && Date.parse(m.ended) >= Date.parse(m.started));
    throwsGlassy(() => a.setTiming('x', NaN), /timings\.x: got NaN/);

    const b = Run.create(join(root, 'b'), init);
    b.fail('loss diverged at step 17');
    const mb = onDisk(b.dir);
    assert.equal(mb.status, 'failed');
    assert.equal(mb.error, 'loss diverged at step 17');
    // Resuming clears the end and the error and takes the run over.
    const rb = Run.open(b.dir);
    rb.resume();
    assert.equal(onDisk(b.dir).status, 'running');
    assert.equal(onDisk(b.dir).error, undefined);
    assert.equal(onDisk(b.dir).pid, process.pid);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('run: a running run whose process died on this host opens as interrupted', () => {
  const root = tmp();
  try {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid; // has exited when spawnSync returns
    assert.ok(typeof dead === 'number' && dead > 0);
    const mk = (name: string, patch: Partial<Manifest>): string => {
      const r = Run.create(join(root, name), init);
      r.update(patch);
      return r.dir;
    };
    const died = mk('died', { pid: dead });
    const opened = Run.open(died);
    assert.equal(opened.manifest.status, 'interrupted');
    assert.equal(onDisk(died).status, 'interrupted'); // recorded

    const alive = mk('alive', {});
    assert.equal(Run.open(alive).manifest.status, 'running');

    const remote = mk('remote', { pid: dead, host: 'some-other-node' });
    assert.equal(Run.open(remote).manifest.status, 'running');
    assert.equal(onDisk(remote).status, 'running');

    const done = mk('done', { pid: dead, status: 'complete' });
    assert.equal(Run.open(done).manifest.status, 'complete');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('run: open reports missing and malformed manifests by path', () => {
  const root = tmp();
  try {
    throwsGlassy(() => Run.open(join(root, 'nope')), /no glassy run at .*nope \(manifest\.json not found\)/);
    writeFileSync(join(root, 'manifest.json'), '{ not json');
    throwsGlassy(() => Run.open(root), /manifest\.json is not valid JSON/);
    const r = Run.create(join(root, 'ok'), init);
    const m = onDisk(r.dir) as unknown as Record<string, unknown>;
    delete m['seed'];
    writeFileSync(join(r.dir, 'manifest.json'), JSON.stringify(m));
    throwsGlassy(() => Run.open(r.dir), /manifest\.json is malformed: seed: /);
    m['seed'] = 1;
    m['status'] = 'exploded';
    writeFileSync(join(r.dir, 'manifest.json'), JSON.stringify(m));
    throwsGlassy(() => Run.open(r.dir), /malformed: status/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
