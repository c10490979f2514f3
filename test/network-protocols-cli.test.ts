/**
 * Every analysis of a trained network runs on a convolutional run (a layer spec): hessian, walk,
 * connect (linear, Bézier, NEB, L2), flatness, surface, permute, cluster, l2sweep and aging, each
 * through the CLI on a tiny conv net and a few hundred MNIST samples, completing with finite
 * summaries. The conv-channel symmetry is checked by value: a channel-permuted copy has the same
 * loss, and weight or activation matching of permuted copies recovers q = 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../src/core/rng.js';
import { readReplicaWeights, writeReplicaWeights } from '../src/landscapes/weights.js';
import { Run } from '../src/store/run.js';
import { applyGroupElement, randomGroupElement } from '../src/symmetry/group.js';
import { GLASSY, removeDir, tempDir } from './executor-helpers.js';

const SPEC = 'conv(2,3)-maxpool(2)-relu-flatten-dense(10)';
const DATA = ['--data', 'mnist', '--normalise', 'unit', '--n-train', '200', '--n-test', '100'];

function glassy(args: string[]): { status: string; summary: Record<string, unknown> } {
  const r = spawnSync(process.execPath, [GLASSY, ...args, '--executor', 'inprocess', '--no-report', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { status: string; summary: Record<string, unknown> };
}

/** Every number of the summary (nested too) is finite; null only where the protocol says it has no value. */
function assertFinite(name: string, value: unknown, path = 'summary'): void {
  if (typeof value === 'number') assert.ok(Number.isFinite(value), `${name}: ${path} = ${value}`);
  else if (Array.isArray(value)) value.forEach((v, i) => assertFinite(name, v, `${path}[${i}]`));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) assertFinite(name, v, `${path}.${k}`);
}

test('hessian, walk, connect, flatness, surface, permute, cluster, l2sweep and aging run on a conv net', () => {
  const dir = tempDir('network-protocols');
  try {
    const src = join(dir, 'train');
    const trained = glassy(['train', ...DATA, '--model', SPEC, '--batch', '50', '--epochs', '1', '--optimizer', 'momentum', '--lr', '0.05', '--replicas', '3', '--out', src]);
    assert.equal(trained.status, 'complete');
    const runs: Array<[string, string[], (s: Record<string, unknown>) => void]> = [
      ['hessian', ['hessian', src, '--top', '2'], (s) => assert.ok((s['lambda_max'] as number) > 0)],
      // The Gauss–Newton matrix is positive semi-definite: its bottom eigenvalue is ≥ 0 up to Lanczos' tolerance.
      ['hessian gn', ['hessian', src, '--top', '2', '--bottom', '1', '--gauss-newton'], (s) => {
        assert.ok((s['gn_lambda_max'] as number) > 0);
        assert.ok((s['gn_lambda_min'] as number) >= -1e-6 * (s['gn_lambda_max'] as number), `gn_lambda_min ${String(s['gn_lambda_min'])}`);
      }],
      ['walk', ['walk', src, '--steps', '10', '--step-size', '0.01', '--directions', 'filter', '--retrain-epochs', '0.25'], (s) => assert.ok((s['final_distance_mean'] as number) > 0)],
      ['connect', ['connect', src, '0', '1', '--method', 'linear,bezier,neb', '--align', '--points', '5'], (s) => assert.equal(Object.keys(s['barriers'] as object).length, 3)],
      ['connect l2', ['connect', src, '0', '1', '--method', 'l2', '--points', '5', '--l2-betas', '0:0.01:0.005', '--l2-max-epochs', '1'], (s) => assert.ok((s['l2_final_distance'] as number) > 0)],
      ['flatness', ['flatness', src, '--top', '2', '--trace-samples', '2'], () => {}],
      ['surface', ['surface', src, '--grid', '5'], (s) => assert.equal(s['evaluations'], 25)],
      // A channel permutation leaves the loss unchanged: only the order of sums changes.
      ['permute', ['permute', src, '--swaps', 'random,2', '--pair', '0,1', '--points', '5'], (s) => assert.ok((s['invariance_max_abs'] as number) <= 1e-12)],
      ['cluster', ['cluster', src], (s) => assert.ok(Math.abs(s['q_mean'] as number) < 1)],
      ['l2sweep', ['l2sweep', ...DATA, '--model', SPEC, '--l2', '0,0.01', '--max-epochs', '1', '--hessian-k', '1'], (s) => assert.equal(s['points'], 2)],
      ['aging', ['aging', '--landscape', 'mlp', ...DATA, '--model', SPEC, '--loss', 'ce', '--t-max', '20', '--tw', '0,5', '--t-points', '4', '--energy-points', '4'],
        (s) => assert.equal((s['points'] as Array<Record<string, unknown>>)[0]!['sizes'], SPEC)],
    ];
    runs.forEach(([name, args, check], i) => {
      const r = glassy([...args, '--out', join(dir, `a${i}`)]);
      assert.equal(r.status, 'complete', name);
      assertFinite(name, r.summary);
      check(r.summary);
    });
  } finally {
    removeDir(dir);
  }
});

test('cluster of channel-permuted copies: weight and activation matching both give q = 1', () => {
  const dir = tempDir('network-protocols-cluster');
  try {
    const src = join(dir, 'train');
    glassy(['train', ...DATA, '--model', SPEC, '--batch', '50', '--epochs', '1', '--optimizer', 'momentum', '--lr', '0.05', '--replicas', '3', '--out', src]);
    const run = Run.open(src);
    const r0 = readReplicaWeights(run, 0);
    for (let i = 1; i < 3; i++) writeReplicaWeights(run, i, r0.layout, applyGroupElement(r0.layout, r0.theta, randomGroupElement(r0.layout, Rng.stream(5, i))), run.manifest.seed);
    for (const method of ['weights', 'activations']) {
      const s = glassy(['cluster', src, '--align-method', method, '--out', join(dir, `c-${method}`)]).summary;
      assert.ok(Math.abs((s['q_mean'] as number) - 1) < 1e-12, `${method}: ⟨q⟩ = ${String(s['q_mean'])}`);
    }
  } finally {
    removeDir(dir);
  }
});

test('what does not run on a conv run is refused in one line before a run directory exists', () => {
  const dir = tempDir('network-protocols-refused');
  try {
    const src = join(dir, 'train');
    glassy(['train', ...DATA, '--model', SPEC, '--batch', '50', '--epochs', '1', '--replicas', '1', '--out', src]);
    const cases: Array<[string[], RegExp]> = [
      [['aging', '--landscape', 'mlp', ...DATA, '--model', SPEC, '--widths', '4,8', '--t-max', '10'], /widths: got \[4,8\], expected no width sweep for a layer-spec model/],
    ];
    for (const [args, re] of cases) {
      const out = join(dir, 'refused');
      const r = spawnSync(process.execPath, [GLASSY, ...args, '--out', out], { encoding: 'utf8' });
      assert.notEqual(r.status, 0, args[0]);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').filter((l) => l.startsWith('error')).length, 1);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.ok(!existsSync(out), 'no run directory');
    }
  } finally {
    removeDir(dir);
  }
});
