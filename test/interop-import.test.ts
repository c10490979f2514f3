/**
 * glassy import without PyTorch: the key-mapping rule (nn.Sequential keys, named modules in order,
 * refusals naming key, shape and expectation; non-finite counts), older `layers.<l>.*` MLP files,
 * and ONNX graphs written here with protobufjs against the same onnx.proto subset (Gemm, MatMul+Add,
 * an unsupported op refused by name).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { ONNX_SCHEMA } from '../src/interop/onnx-schema.js';
import { onnxSpec, onnxStateDict } from '../src/interop/onnx.js';
import { stateDictToTheta } from '../src/interop/state-dict.js';
import { mlpLayout } from '../src/landscapes/mlp/layout.js';
import { networkLayout } from '../src/landscapes/network/index.js';
import { readReplicaWeights } from '../src/landscapes/weights.js';
import { Run } from '../src/store/run.js';
import { encodeSafetensors } from '../src/store/safetensors.js';
import { GLASSY, removeDir, tempDir } from './executor-helpers.js';

const conv = networkLayout('conv(2,3)-relu-flatten-dense(4)', [1, 5, 5]);
const fill = (shape: number[], base: number) => ({ data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => base + i), shape });

test('nn.Sequential keys and named-module keys give the same θ; refusals name the key, its shape and the expectation', () => {
  const seq = { '0.weight': fill([2, 1, 3, 3], 0), '0.bias': fill([2], 100), '3.weight': fill([4, 18], 200), '3.bias': fill([4], 300) };
  const a = stateDictToTheta('a', seq, conv.tensors, conv.size);
  const named = { 'conv1.weight': seq['0.weight'], 'conv1.bias': seq['0.bias'], 'fc.weight': seq['3.weight'], 'fc.bias': seq['3.bias'] };
  assert.deepEqual(stateDictToTheta('b', named, conv.tensors, conv.size), a);
  assert.equal(a[conv.tensors[2]!.offset], 200);
  assert.throws(() => stateDictToTheta('f', { ...named, 'fc.weight': fill([4, 17], 0) }, conv.tensors, conv.size),
    /f: key "fc\.weight": got shape \[4, 17\], expected \[4, 18\] \(model tensor 3\.weight\)/);
  assert.throws(() => stateDictToTheta('f', { 'conv1.weight': seq['0.weight'], 'conv1.bias': seq['0.bias'], 'fc.weight': seq['3.weight'] }, conv.tensors, conv.size),
    /key "fc\.bias" missing: expected a tensor of shape \[4\]/);
  assert.throws(() => stateDictToTheta('f', { ...named, 'extra.weight': fill([1], 0) }, conv.tensors, conv.size),
    /key "extra\.weight" \[1\]: module "extra" is parameterised module 3, but the model has 2/);
  assert.throws(() => stateDictToTheta('f', { ...seq, 'num_batches': fill([1], 0) }, conv.tensors, conv.size), /key "num_batches" \[1\]: not a parameter of the model/);
  const nan = { ...seq, '3.bias': { data: new Float64Array([1, NaN, Infinity, 2]), shape: [4] } };
  assert.throws(() => stateDictToTheta('g.safetensors', nan, conv.tensors, conv.size), /g\.safetensors: key "3\.bias": 2 non-finite values/);
});

test('the MLP shorthand is nn.Sequential(Linear, act, Linear): tensors 0.* and 2.*', () => {
  const l = mlpLayout({ sizes: [6, 4, 3], activation: 'relu', bias: true, output: 'linear' });
  assert.deepEqual(l.tensors.map((t) => t.name), ['0.weight', '0.bias', '2.weight', '2.bias']);
});

/** An ONNX model of `nodes` with float initializers, encoded with protobufjs. */
function writeOnnx(file: string, nodes: object[], inits: Array<{ name: string; dims: number[]; values: number[] }>): void {
  const Model = protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto');
  const initializer = inits.map((t) => ({ name: t.name, dims: t.dims, dataType: 1, rawData: new Uint8Array(Float32Array.from(t.values).buffer) }));
  writeFileSync(file, Model.encode(Model.fromObject({ irVersion: 8, graph: { name: 'g', node: nodes, initializer } })).finish());
}

test('ONNX: Gemm (transB 0 and 1) and MatMul+Add become dense layers with Linear [out, in] weights; other ops are refused by name', () => {
  const dir = tempDir('onnx');
  try {
    const f = join(dir, 'm.onnx');
    const w1 = [1, 2, 3, 4, 5, 6]; // Gemm transB=1: [out 2, in 3]
    const w2 = [7, 8, 9, 10]; // MatMul: [in 2, out 2], stored transposed
    writeOnnx(f, [
      { opType: 'Flatten', input: ['x'], output: ['f'], attribute: [{ name: 'axis', i: 1, type: 2 }] },
      { opType: 'Gemm', input: ['f', 'W1', 'B1'], output: ['h'], attribute: [{ name: 'transB', i: 1, type: 2 }] },
      { opType: 'Tanh', input: ['h'], output: ['t'] },
      { opType: 'MatMul', input: ['t', 'W2'], output: ['m'] },
      { opType: 'Add', input: ['m', 'B2'], output: ['y'] },
    ], [{ name: 'W1', dims: [2, 3], values: w1 }, { name: 'B1', dims: [2], values: [0.5, -0.5] }, { name: 'W2', dims: [2, 2], values: w2 }, { name: 'B2', dims: [2], values: [1, 2] }]);
    assert.equal(onnxSpec(f), 'flatten-dense(2)-tanh-dense(2)');
    const sd = onnxStateDict(f);
    assert.deepEqual(Object.keys(sd), ['1.weight', '1.bias', '3.weight', '3.bias']);
    assert.deepEqual(Array.from(sd['1.weight']!.data), w1);
    assert.deepEqual(sd['3.weight']!.shape, [2, 2]);
    assert.deepEqual(Array.from(sd['3.weight']!.data), [7, 9, 8, 10]);
    const g = join(dir, 'g.onnx');
    writeOnnx(g, [{ opType: 'Gemm', input: ['x', 'W', 'B'], output: ['y'] }], [{ name: 'W', dims: [3, 2], values: [1, 2, 3, 4, 5, 6] }, { name: 'B', dims: [2], values: [0, 0] }]);
    assert.deepEqual(Array.from(onnxStateDict(g)['0.weight']!.data), [1, 3, 5, 2, 4, 6]);
    const bad = join(dir, 'bad.onnx');
    writeOnnx(bad, [{ opType: 'Relu', input: ['x'], output: ['r'] }, { opType: 'LogSoftmax', name: 'out', input: ['r'], output: ['y'] }], []);
    assert.throws(() => onnxSpec(bad), /bad\.onnx: ONNX node "out" \(LogSoftmax\): op LogSoftmax is not supported \(supported: Conv, MaxPool/);
  } finally {
    removeDir(dir);
  }
});

test('MLP replica files written with the older names layers.<l>.* are still read', () => {
  const dir = tempDir('legacy');
  try {
    const run = Run.create(join(dir, 'r'), { protocol: 'train', config: {}, seed: 1 });
    const arch = { sizes: [3, 2, 2], activation: 'relu', bias: true, output: 'linear' };
    run.writeTensors('replica-0000', {
      'layers.0.weight': fill([2, 3], 1), 'layers.0.bias': fill([2], 10), 'layers.1.weight': fill([2, 2], 20), 'layers.1.bias': fill([2], 30),
    }, { 'glassy.arch': JSON.stringify(arch) });
    const { theta, layout } = readReplicaWeights(run, 0);
    assert.deepEqual(layout.tensors.map((t) => t.name), ['0.weight', '0.bias', '2.weight', '2.bias']);
    assert.deepEqual(Array.from(theta), [1, 2, 3, 4, 5, 6, 10, 11, 20, 21, 22, 23, 30, 31]);
  } finally {
    removeDir(dir);
  }
});

test('glassy import of glassy\'s own replica files (both key styles) gives the trained run\'s losses; hessian takes the imported run as its source', () => {
  const dir = tempDir('import-cli');
  const glassy = (args: string[]) => spawnSync(process.execPath, [GLASSY, ...args], { encoding: 'utf8' });
  const data = ['--n-train', '300', '--n-test', '200', '--executor', 'inprocess', '--json'];
  try {
    // --measure full: the final training loss is evaluated at θ, as an import evaluates it (lean would give the epoch's running mean).
    const tr = glassy(['train', '--model', '784-16-10', '--epochs', '1', '--batch', '50', '--replicas', '1', '--measure', 'full', '--out', join(dir, 'tr'), ...data]);
    assert.equal(tr.status, 0, tr.stderr);
    const trained = (JSON.parse(tr.stdout) as { summary: Record<string, number> }).summary;
    const file = join(dir, 'tr', 'replicas', 'replica-0000.safetensors');
    // The same weights under named-module keys (fc1, fc2), as a hand-written nn.Module saves them.
    const { tensors } = Run.open(join(dir, 'tr')).readTensors('replica-0000');
    const named = join(dir, 'named.safetensors');
    writeFileSync(named, encodeSafetensors({ 'fc1.weight': tensors['0.weight']!, 'fc1.bias': tensors['0.bias']!, 'fc2.weight': tensors['2.weight']!, 'fc2.bias': tensors['2.bias']! }));
    const im = glassy(['import', file, named, '--model', '784-16-10', '--precision', 'f32', '--out', join(dir, 'im'), ...data]);
    assert.equal(im.status, 0, im.stderr);
    const s = (JSON.parse(im.stdout) as { summary: Record<string, number> }).summary;
    assert.equal(s['replicas'], 2);
    for (const k of ['test_loss', 'train_loss', 'test_error', 'train_error']) {
      assert.ok(Math.abs(s[k]! - trained[`final_${k}_mean`]!) <= 1e-6 * Math.max(1, Math.abs(trained[`final_${k}_mean`]!)), `${k}: ${s[k]} vs ${trained[`final_${k}_mean`]}`);
    }
    const h = glassy(['hessian', join(dir, 'im'), '--out', join(dir, 'h')]);
    assert.equal(h.status, 0, h.stderr);
    const none = glassy(['import', file, '--out', join(dir, 'x'), ...data]);
    assert.match(none.stderr, /--model: got undefined, expected the network of the \.safetensors files/);
  } finally {
    removeDir(dir);
  }
});
