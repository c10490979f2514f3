/**
 * `glassy train --model <layer spec>`: a small conv net on MNIST end to end (replica files named as
 * nn.Sequential, the network's metadata, identical bytes on a rerun), the YAML token list, and
 * one-line errors for specs that do not fit the data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Run } from '../src/store/run.js';
import { GLASSY, removeDir, tempDir } from './executor-helpers.js';

const SPEC = 'conv(4,5)-maxpool(2)-relu-conv(6,5)-maxpool(2)-relu-flatten-dense(10)';
const COMMON = ['--data', 'mnist', '--normalise', 'unit', '--n-train', '200', '--n-test', '100', '--batch', '50', '--epochs', '1',
  '--optimizer', 'momentum', '--lr', '0.05', '--executor', 'inprocess', '--measure-points', '3'];

function train(args: string[]) {
  return spawnSync(process.execPath, [GLASSY, 'train', ...COMMON, ...args], { encoding: 'utf8' });
}

test('a conv net trains from a spec; replica tensors carry nn.Sequential names; reruns are byte-identical', () => {
  const dir = tempDir('network-train');
  try {
    const a = join(dir, 'a'), b = join(dir, 'b'), c = join(dir, 'c');
    for (const out of [a, b]) {
      const r = train(['--model', SPEC, '--out', out, '--replicas', '2']);
      assert.equal(r.status, 0, r.stderr);
    }
    const run = Run.open(a);
    const { tensors, metadata } = run.readTensors('replica-0001');
    assert.deepEqual(Object.keys(tensors).sort(), ['0.bias', '0.weight', '3.bias', '3.weight', '7.bias', '7.weight']);
    assert.deepEqual(tensors['3.weight']!.shape, [6, 4, 5, 5]);
    assert.deepEqual(tensors['7.weight']!.shape, [10, 96]);
    assert.deepEqual(JSON.parse(metadata['glassy.network']!), { spec: SPEC, inputShape: [1, 28, 28] });
    for (const f of ['replicas/replica-0000.safetensors', 'replicas/replica-0001.safetensors', 'arrays/test_error.npy']) {
      assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), f);
    }
    // The same network as a YAML token list.
    const yaml = join(dir, 'model.yaml');
    // (a block list: in a YAML flow list [..] the commas inside conv(4,5) would split the token)
    writeFileSync(yaml, `model:\n  layers:\n${SPEC.split('-').map((t) => `    - ${t}\n`).join('')}`);
    const r = train(['--config', yaml, '--out', c, '--replicas', '2']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(readFileSync(join(a, 'replicas/replica-0001.safetensors')).equals(readFileSync(join(c, 'replicas/replica-0001.safetensors'))));
  } finally {
    removeDir(dir);
  }
});

test('specs that do not fit the data get one line and leave no run', () => {
  const dir = tempDir('network-train-bad');
  try {
    const cases: Array<[string, RegExp]> = [
      ['conv(4,5)-dense(10)', /token 2 "dense\(10\)": expected a flat input \[N\] \(put 'flatten' before it\), got input shape \[4, 24, 24\]/],
      ['conv(4,5)-flatten-dense(7)', /a last layer of 10 outputs .* not 7/],
      ['conv(4,30)-flatten-dense(10)', /token 1 "conv\(4,30\)": expected an image at least 30×30/],
      ['conv(4,5)-maxpol(2)-flatten-dense(10)', /--model.*token 2 "maxpol\(2\)": expected one of/],
    ];
    for (const [spec, re] of cases) {
      const out = join(dir, 'run');
      const r = train(['--model', spec, '--out', out]);
      assert.notEqual(r.status, 0, spec);
      assert.match(r.stderr, re, `${spec}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').filter((l) => l.startsWith('error')).length, 1);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.ok(!existsSync(out), 'no run directory');
    }
  } finally {
    removeDir(dir);
  }
});
