/**
 * `glassy aging` through the real CLI: the width sweep across the interpolation threshold (under-
 * versus over-parametrised networks), the --json contract, and bad input (one-line GlassyError
 * naming the field, exit code 2, no stack trace, no run directory left behind).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Run } from '../src/store/run.js';
import { glassy, removeDir, tempDir } from './executor-helpers.js';

test('width sweep: the over-parametrised net fits the training set, the under-parametrised one cannot', async () => {
  // 200 training points of a 2-class Gaussian mixture with overlapping classes (separation 1),
  // so fitting every label needs memorisation: n·C = 400 constraints. Width 2 has 48 parameters,
  // width 200 has 4 602. Measured (seed 0, 3 replicas, 3 000 SGD steps at η = 0.5, momentum 0.5,
  // batch 20, sigmoid outputs + MSE): final training loss 0.0749 ± 0.0027 (width 2) versus
  // 1.7e-4 (width 200), a ratio ≈ 450; asserted: wide < 0.05 × narrow.
  const root = tempDir('aging-cli');
  try {
    const dir = join(root, 'sweep');
    const r = await glassy(['aging', '--landscape', 'mlp', '--data', 'gaussian-mixture', '--separation', '1',
      '--n-train', '200', '--n-test', '200', '--model', '20-10-2', '--widths', '2,200', '--lr', '0.5', '--batch', '20',
      '--t-max', '3000', '--tw-points', '10', '--t-points', '20', '--energy-points', '20', '--replicas', '3',
      '--workers', '2', '--progress', 'none', '--out', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { status: string; replicas: number; summary: { points: Array<Record<string, number>> } };
    assert.equal(out.status, 'complete');
    assert.equal(out.replicas, 6); // 2 widths × 3 replicas
    const [narrow, wide] = out.summary.points;
    assert.equal(narrow!['width'], 2);
    assert.equal(wide!['parameters'], 4602);
    assert.ok(wide!['final_energy_mean']! < 0.05 * narrow!['final_energy_mean']!,
      `final loss wide ${wide!['final_energy_mean']} vs narrow ${narrow!['final_energy_mean']}`);
    assert.ok(narrow!['final_energy_mean']! > 0.03, `the narrow net cannot fit: ${narrow!['final_energy_mean']}`);
    for (const p of out.summary.points) assert.ok(Number.isFinite(p['alpha']) && Number.isFinite(p['mu_delta']), JSON.stringify(p));
    // Arrays with the width axis.
    const run = Run.open(dir);
    const ntw = run.readArray('tw').shape[0]!;
    const nt = run.readArray('t').shape[0]!;
    assert.deepEqual(run.readArray('delta_mean').shape, [2, ntw, nt]);
    assert.deepEqual(run.readArray('corr_se').shape, [2, ntw, nt]);
    assert.deepEqual(run.readArray('energy_mean').shape, [2, run.readArray('energy_times').shape[0]!]);
    assert.deepEqual(Array.from(run.readArray('widths').data), [2, 200]);
    assert.deepEqual(run.readArray('per-replica/replica-0005/delta').shape, [ntw, nt]);
    assert.equal(run.manifest.config && (run.manifest.config as { mlp: { precision: string } }).mlp.precision, 'f64');
  } finally {
    removeDir(root);
  }
});

test('bad input: one line naming the field, exit 2, no run directory', async () => {
  const root = tempDir('aging-bad');
  const common = ['--progress', 'none', '--executor', 'inprocess'];
  const cases: Array<[string[], RegExp]> = [
    [['--landscape', 'pspin', '--dynamics', 'gd', '--temperature', '0.5'], /^error: --temperature: got \[0\.5\], expected \[0\] with --dynamics gd/],
    [['--landscape', 'pspin', '--n', '3000'], /^error: --n: got 3000, expected a size whose couplings fit/],
    [['--landscape', 'sk', '--t-max', '100', '--tw', '10,5'], /^error: tw\[1\]: got 5, expected a time > tw\[0\] = 10/],
    [['--landscape', 'sk', '--t-max', '100', '--tw', '0,500'], /^error: tw\[1\]: got 500, expected a waiting time ≤ tMax = 100/],
    [['--landscape', 'mlp'], /^error: mlp: got undefined, expected the network section \(model, data, \.\.\.\) for --landscape mlp/],
    [['--landscape', 'mlp', '--model', '20-2', '--data', 'gaussian-mixture', '--widths', '5'], /^error: widths: got \[5\], expected a model with a hidden layer/],
    [['--landscape', 'mlp', '--model', '20-5-2', '--data', 'gaussian-mixture', '--samples', '2'], /^error: --samples: got 2, expected 1 for --landscape mlp/],
    [['--landscape', 'sk', '--temperature', '-1'], /^error: sk\.temperatures\.0: got -1, expected/],
    [['--t-max', '100'], /^error: --landscape: got undefined, expected one of "mlp", "pspin", "sk", "flat"/],
  ];
  try {
    for (const [k, [args, re]] of cases.entries()) {
      const dir = join(root, `bad-${k}`);
      const r = await glassy(['aging', ...args, ...common, '--out', dir]);
      assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}; ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
      assert.ok(!existsSync(dir), `no run directory for ${args.join(' ')}`);
    }
    // commander rejects an unknown landscape itself (non-zero exit, nothing created).
    const dir = join(root, 'bad-kind');
    const r = await glassy(['aging', '--landscape', 'ising3d', ...common, '--out', dir]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--landscape.*ising3d/);
    assert.ok(!existsSync(dir));
  } finally {
    removeDir(root);
  }
});
