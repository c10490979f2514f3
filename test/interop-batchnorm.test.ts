/**
 * Inference-only modules at import, without PyTorch: BatchNorm folded into the conv or Linear before
 * it (the folded layer's outputs = BN applied to the original layer's outputs, eval-mode formula),
 * the DataParallel `module.` prefix, int64 num_batches_tracked in .safetensors, ONNX
 * BatchNormalization / Dropout / Identity / bias-less Conv in graphs written with protobufjs, and the
 * refusals (a BN not right after a conv/Linear, wrong channel counts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { getBackend } from '../src/core/backends/index.js';
import { Rng } from '../src/core/rng.js';
import { foldStateDictBatchNorms } from '../src/interop/batchnorm.js';
import { ONNX_SCHEMA } from '../src/interop/onnx-schema.js';
import { onnxSpec, onnxStateDict } from '../src/interop/onnx.js';
import { stateDictToTheta, stripDataParallelPrefix, type StateTensor } from '../src/interop/state-dict.js';
import { createNetwork } from '../src/landscapes/network/index.js';
import { readStateDict } from '../src/protocols/import.js';
import { removeDir, tempDir } from './executor-helpers.js';

const rand = (shape: number[], rng: Rng, lo = -1, hi = 1): StateTensor => {
  const data = new Float64Array(shape.reduce((a, b) => a * b, 1));
  rng.fillUniform(data, lo, hi);
  return { data, shape };
};

/** A conv net on [1, 6, 6] and its outputs at token `layer` for θ from a state_dict. */
function convOutputs(sd: Record<string, StateTensor>, layer: number): Float64Array {
  const rng = Rng.stream(7, 1);
  const x = new Float64Array(4 * 36);
  rng.fillNormal(x);
  const net = createNetwork<Float64Array>({ model: 'conv(3,3)-relu-flatten-dense(2)', inputShape: [1, 6, 6], loss: 'ce', precision: 'f64', backend: getBackend('reference'), general: true },
    { x, y: new Int32Array(4), targets: null, n: 4 });
  const theta = net.newConfig();
  theta.set(stateDictToTheta('sd', sd, net.layout.tensors, net.layout.size));
  return net.outputs(theta, layer);
}

test('BatchNorm2d and BatchNorm1d fold exactly: folded conv/Linear outputs = eval-mode BN of the original outputs', () => {
  const rng = Rng.stream(3, 0);
  const conv = { w: rand([3, 1, 3, 3], rng), b: rand([3], rng) };
  const bn1 = { weight: rand([3], rng, 0.5, 2), bias: rand([3], rng), running_mean: rand([3], rng), running_var: rand([3], rng, 0.1, 2) };
  const fc = { w: rand([2, 48], rng), b: rand([2], rng) };
  const bn2 = { running_mean: rand([2], rng), running_var: rand([2], rng, 0.1, 2) }; // affine=False: γ = 1, β = 0
  const eps = 1e-3;
  const plain = { '0.weight': conv.w, '0.bias': conv.b, '3.weight': fc.w, '3.bias': fc.b };
  // nn.Sequential(Conv2d, BatchNorm2d, ReLU, Dropout, Flatten, Linear, BatchNorm1d(affine=False)) → keys 0, 1, 5, 6.
  const withBn: Record<string, StateTensor> = {
    '0.weight': conv.w, '0.bias': conv.b,
    ...Object.fromEntries(Object.entries(bn1).map(([k, v]) => [`1.${k}`, v])), '1.num_batches_tracked': { data: [7], shape: [] },
    '5.weight': fc.w, '5.bias': fc.b, '6.running_mean': bn2.running_mean, '6.running_var': bn2.running_var,
  };
  const folded = foldStateDictBatchNorms('f', withBn, eps);
  assert.deepEqual(Object.keys(folded), ['0.weight', '0.bias', '5.weight', '5.bias']);
  // Conv: token 0's output [n, 3, 4, 4] against BN applied per channel.
  const before = convOutputs(plain, 0), after = convOutputs({ '0.weight': folded['0.weight']!, '0.bias': folded['0.bias']!, '3.weight': folded['5.weight']!, '3.bias': folded['5.bias']! }, 0);
  let worst = 0;
  for (let i = 0; i < before.length; i++) {
    const c = Math.floor(i / 16) % 3;
    const want = bn1.weight.data[c]! * (before[i]! - bn1.running_mean.data[c]!) / Math.sqrt(bn1.running_var.data[c]! + eps) + bn1.bias.data[c]!;
    worst = Math.max(worst, Math.abs(after[i]! - want));
  }
  assert.ok(worst < 1e-13, `conv: max |Δ| ${worst}`);
  // Linear: y = W'x + b' against BN(Wx + b) for random x.
  const x = rand([48], rng).data;
  for (let o = 0; o < 2; o++) {
    let z = fc.b.data[o]!, zf = folded['5.bias']!.data[o]!;
    for (let j = 0; j < 48; j++) {
      z += fc.w.data[o * 48 + j]! * x[j]!;
      zf += folded['5.weight']!.data[o * 48 + j]! * x[j]!;
    }
    const want = (z - bn2.running_mean.data[o]!) / Math.sqrt(bn2.running_var.data[o]! + eps);
    assert.ok(Math.abs(zf - want) < 1e-13, `linear ${o}: ${zf} vs ${want}`);
  }
  // A bias-less conv (Conv2d(bias=False) before BN) gains the bias −s·μ + β.
  const noBias = foldStateDictBatchNorms('f', { 'c.weight': conv.w, ...Object.fromEntries(Object.entries(bn1).map(([k, v]) => [`bn.${k}`, v])) }, eps);
  assert.deepEqual(Object.keys(noBias), ['c.weight', 'c.bias']);
  const s0 = bn1.weight.data[0]! / Math.sqrt(bn1.running_var.data[0]! + eps);
  assert.ok(Math.abs(noBias['c.bias']!.data[0]! - (bn1.bias.data[0]! - s0 * bn1.running_mean.data[0]!)) < 1e-15);
  // No batch norm: unchanged.
  assert.deepEqual(foldStateDictBatchNorms('f', plain), plain);
});

test('batch norms that cannot fold are refused in one line naming the module', () => {
  const rng = Rng.stream(4, 0);
  const bn = (C: number) => ({ running_mean: rand([C], rng), running_var: rand([C], rng, 0.5, 1) });
  const withPrefix = (p: string, t: Record<string, StateTensor>) => Object.fromEntries(Object.entries(t).map(([k, v]) => [`${p}.${k}`, v]));
  assert.throws(() => foldStateDictBatchNorms('a.safetensors', { ...withPrefix('0', bn(3)), '1.weight': rand([2, 3], rng) }),
    /a\.safetensors: BatchNorm module "0": no conv or Linear module just before it/);
  assert.throws(() => foldStateDictBatchNorms('a.safetensors', { 'f.0.weight': rand([3, 4], rng), 'f.0.bias': rand([3], rng), ...withPrefix('f.2', bn(3)) }),
    /BatchNorm module "f\.2" follows module "f\.0" at a distance of 2 nn\.Sequential positions/);
  assert.throws(() => foldStateDictBatchNorms('a.safetensors', { 'fc.weight': rand([3, 4], rng), ...withPrefix('bn', bn(5)) }),
    /BatchNorm module "bn": running_mean has 5 values, expected 3 \(the output channels of the layer before it, weight \[3, 4\]\)/);
  assert.throws(() => foldStateDictBatchNorms('a.safetensors', { 'fc.weight': rand([3, 4], rng), ...withPrefix('bn', bn(3)), 'bn.scale': rand([3], rng) }),
    /unexpected key "bn\.scale"/);
});

test('DataParallel/DDP: a `module.` prefix on every key is removed; otherwise keys are left alone', () => {
  const t = { data: [1], shape: [1] };
  assert.deepEqual(Object.keys(stripDataParallelPrefix({ 'module.0.weight': t, 'module.0.bias': t })), ['0.weight', '0.bias']);
  assert.deepEqual(Object.keys(stripDataParallelPrefix({ 'module.weight': t, 'fc.bias': t })), ['module.weight', 'fc.bias']);
});

test('.safetensors with int64 num_batches_tracked (as safetensors.torch saves a BN model) and a `module.` prefix import as the plain network', () => {
  const dir = tempDir('bn-safetensors');
  try {
    const w = Float32Array.from([1, 2, 3, 4, 5, 6]), b = Float32Array.from([0.5, -0.5]);
    const mean = Float32Array.from([1, -1]), variance = Float32Array.from([3, 0.25]);
    const n = new BigInt64Array([42n]);
    const parts: Array<[string, string, number[], Uint8Array]> = [
      ['module.0.weight', 'F32', [2, 3], new Uint8Array(w.buffer)], ['module.0.bias', 'F32', [2], new Uint8Array(b.buffer)],
      ['module.1.running_mean', 'F32', [2], new Uint8Array(mean.buffer)], ['module.1.running_var', 'F32', [2], new Uint8Array(variance.buffer)],
      ['module.1.num_batches_tracked', 'I64', [], new Uint8Array(n.buffer)],
    ];
    const header: Record<string, unknown> = {};
    let off = 0;
    for (const [k, dtype, shape, bytes] of parts) {
      header[k] = { dtype, shape, data_offsets: [off, off + bytes.byteLength] };
      off += bytes.byteLength;
    }
    let h = JSON.stringify(header);
    h += ' '.repeat((8 - (h.length % 8)) % 8);
    const len = new Uint8Array(8);
    new DataView(len.buffer).setBigUint64(0, BigInt(h.length), true);
    const file = join(dir, 'm.safetensors');
    writeFileSync(file, Buffer.concat([len, Buffer.from(h), ...parts.map((p) => p[3])]));
    const sd = readStateDict(file, 1e-5);
    assert.deepEqual(Object.keys(sd), ['0.weight', '0.bias']);
    const s = 1 / Math.sqrt(0.25 + 1e-5);
    assert.ok(Math.abs(sd['0.weight']!.data[5]! - 6 * s) < 1e-12);
    assert.ok(Math.abs(sd['0.bias']!.data[1]! - (-0.5 + 1) * s) < 1e-12);
  } finally {
    removeDir(dir);
  }
});

/** An ONNX model of `nodes` with float initializers, encoded with protobufjs. */
function writeOnnx(file: string, nodes: object[], inits: Array<{ name: string; dims: number[]; values: number[] }>): void {
  const Model = protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto');
  const initializer = inits.map((t) => ({ name: t.name, dims: t.dims, dataType: 1, rawData: new Uint8Array(Float32Array.from(t.values).buffer) }));
  writeFileSync(file, Model.encode(Model.fromObject({ irVersion: 8, graph: { name: 'g', node: nodes, initializer } })).finish());
}

test('ONNX: BatchNormalization after a bias-less Conv folds with the node\'s epsilon; Dropout and Identity are the identity; a BN after Relu is refused', () => {
  const dir = tempDir('onnx-bn');
  try {
    const f = join(dir, 'm.onnx');
    const eps = 0.01;
    const bnInits = [{ name: 'g', dims: [2], values: [2, 0.5] }, { name: 'be', dims: [2], values: [0.25, -1] }, { name: 'mu', dims: [2], values: [1, 2] }, { name: 'var', dims: [2], values: [4, 1] }];
    writeOnnx(f, [
      { opType: 'Conv', input: ['x', 'W'], output: ['c'], attribute: [{ name: 'kernel_shape', ints: [1, 1], type: 7 }] },
      { opType: 'Identity', input: ['var'], output: ['var2'] },
      { opType: 'BatchNormalization', input: ['c', 'g', 'be', 'mu', 'var2'], output: ['n'], attribute: [{ name: 'epsilon', f: eps, type: 1 }] },
      { opType: 'Relu', input: ['n'], output: ['r'] },
      { opType: 'Dropout', input: ['r'], output: ['d'] },
      { opType: 'Flatten', input: ['d'], output: ['fl'], attribute: [{ name: 'axis', i: 1, type: 2 }] },
      { opType: 'Gemm', input: ['fl', 'W2', 'B2'], output: ['y'], attribute: [{ name: 'transB', i: 1, type: 2 }] },
    ], [{ name: 'W', dims: [2, 1, 1, 1], values: [3, -1] }, ...bnInits, { name: 'W2', dims: [2, 8], values: Array.from({ length: 16 }, (_, i) => i) }, { name: 'B2', dims: [2], values: [0, 1] }]);
    assert.equal(onnxSpec(f), 'conv(2,1,1,0)-relu-flatten-dense(2)');
    const sd = onnxStateDict(f);
    assert.deepEqual(Object.keys(sd), ['0.weight', '0.bias', '3.weight', '3.bias']);
    const e = Math.fround(eps);
    const s = [2 / Math.sqrt(4 + e), 0.5 / Math.sqrt(1 + e)];
    const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
    close(sd['0.weight']!.data[0]!, 3 * s[0]!);
    close(sd['0.weight']!.data[1]!, -1 * s[1]!);
    close(sd['0.bias']!.data[0]!, -1 * s[0]! + 0.25);
    close(sd['0.bias']!.data[1]!, -2 * s[1]! - 1);
    const bad = join(dir, 'bad.onnx');
    writeOnnx(bad, [
      { opType: 'Conv', input: ['x', 'W'], output: ['c'], attribute: [{ name: 'kernel_shape', ints: [1, 1], type: 7 }] },
      { opType: 'Relu', input: ['c'], output: ['r'] },
      { opType: 'BatchNormalization', name: 'bn', input: ['r', 'g', 'be', 'mu', 'var'], output: ['n'] },
    ], [{ name: 'W', dims: [2, 1, 1, 1], values: [3, -1] }, ...bnInits]);
    assert.throws(() => onnxSpec(bad), /bad\.onnx: ONNX node "bn" \(BatchNormalization\): after "relu": glassy folds a BatchNormalization only into the Conv or Gemm right before it/);
  } finally {
    removeDir(dir);
  }
});
