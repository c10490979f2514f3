/**
 * `glassy walk | permute | connect` through the real CLI: a good run prints its JSON, and bad input
 * gets one clear line naming the field and value, a non-zero exit, no stack trace and no run left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runEnsemble } from '../src/executor/ensemble.js';
import { parseTrainConfig } from '../src/protocols/train.js';
import { Run } from '../src/store/run.js';
import { GLASSY, removeDir, tempDir } from './executor-helpers.js';
import { registry } from '../src/registry.js';

function glassy(args: string[]) {
  return spawnSync(process.execPath, [GLASSY, ...args], { encoding: 'utf8' });
}

test('glassy walk/permute/connect: JSON on success; bad input named, non-zero exit, no stack trace, no run', async () => {
  const root = tempDir('paths-cli');
  try {
    const src = join(root, 'ts');
    const raw = {
      data: { source: 'teacher-student', d: 10, nTrain: 300, nTest: 100, hidden: 4, nClasses: 2 },
      model: { sizes: [10, 6, 2], activation: 'relu' }, loss: 'ce', optimizer: { kind: 'sgd', lr: 0.1 }, batch: 30, epochs: 2, measurePoints: 3,
    };
    const r0 = await runEnsemble(Run.create(src, { protocol: 'train', config: parseTrainConfig(raw), seed: 1 }), registry, { replicas: 2, executor: 'inprocess', progress: 'none', handleSignals: false });
    assert.equal(r0.status, 'complete');

    const ok = glassy(['connect', src, '0', '1', '--method', 'linear', '--points', '5', '--json', '--out', join(root, 'c')]);
    assert.equal(ok.status, 0, ok.stderr);
    const js = (JSON.parse(ok.stdout) as { summary: { paths: string[]; barriers: Record<string, number> } }).summary;
    assert.deepEqual(js.paths, ['linear']);
    assert.equal(typeof js.barriers['linear'], 'number');
    const w = glassy(['walk', src, '--step-size', '0.01', '--steps', '5', '--walkers', '1', '--executor', 'inprocess', '--progress', 'none', '--json', '--out', join(root, 'w')]);
    assert.equal(w.status, 0, w.stderr);
    assert.equal((JSON.parse(w.stdout) as { status: string }).status, 'complete');

    const out = join(root, 'bad');
    const cases: Array<[string[], RegExp]> = [
      [['walk', join(root, 'missing'), '--step-size', '0.1'], /no glassy run at .*missing/],
      [['walk', src], /--step-size: got undefined/],
      [['walk', src, '--step-size', '-1'], /(--step-size|stepSize): got -1/],
      [['walk', src, '--step-size', '0.1', '--replica', '5'], /replica: got 5, expected a replica index in \[0, 2\)/],
      [['walk', src, '--step-size', '0.1', '--directions', 'diagonal'], /diagonal/],
      [['walk', join(root, 'c'), '--step-size', '0.1'], /source: got .*protocol connect.*expected a train (or import )?run/],
      [['permute', src, '--swaps', '1'], /swaps: got 1, expected 0 or an integer in \[2, 6\]/],
      [['permute', src, '--swaps', '2,99'], /swaps: got 99/],
      [['permute', src, '--pair', '0,0'], /pair: got "0,0"/],
      [['permute', src, '--pair', '0,7'], /pair: got 7/],
      [['connect', src, '0', '9'], /b: got 9, expected a replica index/],
      [['connect', src, '0', '1', '--method', 'linear,spline'], /methods\.1: got "spline"/],
      [['connect', src, '0', '1', '--method', 'linear,linear'], /method: got "linear,linear", expected each method once/],
      [['connect', src, '0', '1', '--neb-batch', 'half'], /--neb-batch.*half/],
    ];
    for (const [args, re] of cases) {
      const r = glassy([...args, '--out', out]);
      assert.notEqual(r.status, 0, `${args.join(' ')} should fail`);
      assert.match(r.stderr, re, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.ok(!existsSync(out), `${args.join(' ')}: no run directory left`);
    }
  } finally {
    removeDir(root);
  }
});
