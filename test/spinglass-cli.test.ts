/**
 * `glassy spinglass` end to end: bad flags give a one-line `error:` naming the flag with a non-zero exit
 * (never a stack trace, never a half-written run), and --json prints one JSON object whose summary has the contract keys.
 * Spawns the built CLI (node bin/glassy.js), so run after `npx tsc`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const bin = join(root, 'bin', 'glassy.js');
const dir = mkdtempSync(join(tmpdir(), 'glassy-sgc-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function glassy(args: string[]) {
  const r = spawnSync(process.execPath, [bin, 'spinglass', ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bad spinglass flags: clear message naming the flag, non-zero exit, no stack trace, no run left behind', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--model', 'sk', '--temperatures', '1'], /n: got undefined, expected a number of spins/],
    [['--model', 'sk', '--n', 'abc', '--temperatures', '1'], /--n .*'abc' is invalid\. expected an integer/],
    [['--model', 'sk', '--n', '1', '--temperatures', '1'], /n: got 1, expected an integer number of spins/],
    [['--model', 'sk', '--n', '16', '--temperatures', '1', '--replicas', '1'], /replicas: got 1, expected at least 2 replicas/],
    [['--model', 'sk', '--n', '16', '--temperatures', '-1,2'], /temperatures: .*expected a comma-separated list of temperatures > 0/],
    [['--model', 'sk', '--n', '30', '--dynamics', 'exact', '--temperatures', '1'], /n: got 30, expected N ≤ 20 spins for --dynamics exact/],
    [['--model', 'ea3d', '--n', '27', '--temperatures', '1'], /l: got undefined, expected a lattice side/],
    [['--model', 'ea2d', '--l', '4', '--couplings', 'pm1', '--p-plus', '1.5', '--temperatures', '1'], /p-plus: got 1.5, expected a probability/],
    [['--model', 'sk', '--n', '16', '--t-min', '0.5', '--t-max', '2'], /n-temperatures: got undefined/],
    [['--model', 'sk', '--n', '16', '--t-min', '2', '--t-max', '1', '--n-temperatures', '4'], /t-max: got 1, expected a temperature ≥ t-min/],
    [['--model', 'sk', '--n', '16', '--dynamics', 'pt', '--temperatures', '1'], /temperatures: .*at least 2 temperatures for parallel tempering/],
    [['--model', 'sk', '--n', '16'], /temperatures: .*expected at least one temperature/],
    [['--model', 'sk', '--n', '16', '--temperatures', '1', '--sweeps', '0'], /sweeps: got 0, expected an integer ≥ 1/],
    [['--model', 'sk', '--n', '16', '--temperatures', '1', '--alpha', '0.1'], /alpha: got 0.1, expected only with --model hopfield/],
    [['--model', 'potts', '--n', '16', '--temperatures', '1'], /--model.*potts.*(choices|Allowed)/i],
  ];
  cases.forEach(([args, re], k) => {
    const out = join(dir, `bad${k}`);
    const r = glassy([...args, '--out', out]);
    assert.notEqual(r.code, 0, `${args.join(' ')}: exit 0`);
    assert.match(r.stderr, re, `${args.join(' ')}: stderr was ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'stack trace printed');
    assert.equal(existsSync(out), false, 'a run directory was left behind');
  });
});

test('--json prints one object with per-temperature results in its summary; an existing run is not overwritten without --overwrite', () => {
  const out = join(dir, 'good');
  const args = ['--model', 'sk', '--n', '12', '--dynamics', 'metropolis', '--t-min', '0.5', '--t-max', '2', '--n-temperatures', '3', '--sweeps', '200', '--equilibration', '50', '--samples', '3', '--replicas', '2', '--seed', '4', '--out', out, '--json'];
  const r = glassy(args);
  assert.equal(r.code, 0, r.stderr);
  const top = JSON.parse(r.stdout) as { run: string; status: string; summary: Record<string, number[]> };
  const j = top.summary;
  for (const key of ['temperatures', 'energy', 'energy_se', 'q2', 'q2_se', 'binder', 'binder_se']) {
    assert.equal(j[key]!.length, 3, key);
    for (const v of j[key]!) assert.ok(Number.isFinite(v), `${key} has ${v}`);
  }
  assert.equal(top.run, out);
  assert.equal(top.status, 'complete');
  // geometric ladder 0.5, 1, 2
  assert.deepEqual(j['temperatures']!.map((t) => Math.round(t * 1e9) / 1e9), [0.5, 1, 2]);
  for (const a of ['configurations', 'energy', 'q2', 'q4', 'pq_hist', 'pq_edges', 'energy_vs_time', 'energy_times', 'binder_mean']) {
    assert.ok(existsSync(join(out, 'arrays', `${a}.npy`)), a);
  }
  const again = glassy(args);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /^error: /);
  assert.equal(glassy([...args, '--overwrite']).code, 0);
});
