/**
 * glassy import / export against real PyTorch (Debian's python3-torch): PyTorch trains a small CNN on
 * CIFAR-10-format files the test writes, saves its state_dict as .safetensors (nn.Sequential keys and
 * named-module keys) and exports ONNX; `glassy import` of each gives PyTorch's test loss to 1e-5
 * relative. The other way, glassy-trained replica files (a conv spec and the MLP shorthand) load into
 * the nn.Sequential with load_state_dict(strict=True) and give glassy's test loss. Skipped with a
 * message when /usr/bin/python3 has no torch (apt-get install python3-torch).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GLASSY, removeDir, tempDir } from './executor-helpers.js';
import { writeCifar } from './cifar-helpers.js';

const PY = '/usr/bin/python3';
const hasTorch = spawnSync(PY, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const skip = hasTorch ? false : `${PY} has no torch (apt-get install python3-torch to run this test)`;

const SPEC = 'conv(4,5)-maxpool(2)-relu-flatten-dense(10)';

/** Shared Python: CIFAR-10 binary reader, safetensors by hand (8-byte header length, JSON header, raw LE data). */
const COMMON = String.raw`
import json, struct, sys, os, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
def cifar(path):
    b = np.fromfile(path, dtype=np.uint8).reshape(-1, 3073)
    return torch.tensor(b[:, 1:].reshape(-1, 3, 32, 32) / 255.0), torch.tensor(b[:, 0].astype(np.int64))
def train_set(d):
    xs, ys = zip(*[cifar(os.path.join(d, 'data_batch_%d.bin' % i)) for i in range(1, 6)])
    return torch.cat(xs), torch.cat(ys)
def save_safetensors(path, sd):
    header, chunks, off = {}, [], 0
    for k, v in sd.items():
        a = v.detach().cpu().contiguous().numpy().astype('<f4')
        header[k] = {'dtype': 'F32', 'shape': list(a.shape), 'data_offsets': [off, off + a.nbytes]}
        chunks.append(a.tobytes()); off += a.nbytes
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h))); f.write(h); [f.write(c) for c in chunks]
def load_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]; header = json.loads(f.read(n)); data = f.read()
    dt = {'F32': np.float32, 'F64': np.float64}
    return {k: torch.tensor(np.frombuffer(data[v['data_offsets'][0]:v['data_offsets'][1]], dtype=dt[v['dtype']]).reshape(v['shape']).copy())
            for k, v in header.items() if k != '__metadata__'}
def cnn(): return nn.Sequential(nn.Conv2d(3, 4, 5), nn.MaxPool2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(784, 10))
def loss_of(net, x, y):
    with torch.no_grad(): return F.cross_entropy(net.double()(x), y).item()
`;

const TRAIN = COMMON + String.raw`
d, out = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
x, y = train_set(d); xt, yt = cifar(os.path.join(d, 'test_batch.bin'))
net = cnn()
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
for step in range(100):
    i = torch.arange(step * 10, step * 10 + 10) % x.shape[0]
    opt.zero_grad(); F.cross_entropy(net(x[i].float()), y[i]).backward(); opt.step()
save_safetensors(os.path.join(out, 'seq.safetensors'), net.state_dict())
sd = net.state_dict()
save_safetensors(os.path.join(out, 'named.safetensors'), {'conv1.weight': sd['0.weight'], 'conv1.bias': sd['0.bias'], 'fc1.weight': sd['4.weight'], 'fc1.bias': sd['4.bias']})
save_safetensors(os.path.join(out, 'badshape.safetensors'), {'conv1.weight': sd['0.weight'], 'conv1.bias': sd['0.bias'], 'fc1.weight': sd['4.weight'][:, :700], 'fc1.bias': sd['4.bias']})
nan = dict(sd); nan['4.bias'] = sd['4.bias'].clone(); nan['4.bias'][3] = float('nan')
save_safetensors(os.path.join(out, 'nan.safetensors'), nan)
torch.onnx.export(net, x[:1].float(), os.path.join(out, 'model.onnx'))
softmax = nn.Sequential(*list(net), nn.Softmax(dim=1))
torch.onnx.export(softmax, x[:1].float(), os.path.join(out, 'softmax.onnx'))
print(json.dumps({'test_loss': loss_of(net, xt, yt), 'train_loss': loss_of(net, x, y)}))
`;

const LOAD = COMMON + String.raw`
d, f, kind = sys.argv[1], sys.argv[2], sys.argv[3]
xt, yt = cifar(os.path.join(d, 'test_batch.bin'))
net = cnn() if kind == 'cnn' else nn.Sequential(nn.Flatten(), nn.Sequential(nn.Linear(3072, 20), nn.ReLU(), nn.Linear(20, 10)))
target = net if kind == 'cnn' else net[1]
target.load_state_dict(load_safetensors(f), strict=True)
print(json.dumps({'test_loss': loss_of(net, xt, yt)}))
`;

function python(script: string, args: string[]): Record<string, number> {
  const r = spawnSync(PY, ['-c', script, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
}

function glassy(args: string[]) {
  return spawnSync(process.execPath, [GLASSY, ...args], { encoding: 'utf8' });
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-5 * Math.abs(b), `${what}: glassy ${a}, PyTorch ${b}`);

test('PyTorch → glassy: safetensors (nn.Sequential and named keys) and ONNX give PyTorch\'s test loss', { skip }, () => {
  const dir = tempDir('interop-torch');
  try {
    const data = join(dir, 'cifar');
    writeCifar(data, 'cifar10', { perBatch: 40, test: 60, seed: 1 });
    const ref = python(TRAIN, [data, dir]);
    const common = ['--data', 'cifar10', '--data-dir', data, '--executor', 'inprocess', '--json', '--no-report'];
    const r = glassy(['import', join(dir, 'seq.safetensors'), join(dir, 'named.safetensors'), '--model', SPEC, '--out', join(dir, 'st'), ...common]);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { summary: Record<string, number> };
    close(s.summary['test_loss']!, ref['test_loss']!, 'test loss (safetensors)');
    close(s.summary['train_loss']!, ref['train_loss']!, 'train loss (safetensors)');
    assert.ok(s.summary['final_test_loss_se']! < 1e-12, 'both key styles give the same replica');
    const o = glassy(['import', join(dir, 'model.onnx'), '--out', join(dir, 'onnx'), ...common]);
    assert.equal(o.status, 0, o.stderr);
    close((JSON.parse(o.stdout) as { summary: Record<string, number> }).summary['test_loss']!, ref['test_loss']!, 'test loss (ONNX)');
    // The imported replica loads back into PyTorch unchanged.
    close(python(LOAD, [data, join(dir, 'onnx', 'replicas', 'replica-0000.safetensors'), 'cnn'])['test_loss']!, ref['test_loss']!, 'round trip');

    // Refusals: one line naming the key/op, no run directory.
    const bad = glassy(['import', join(dir, 'badshape.safetensors'), '--model', SPEC, '--out', join(dir, 'bad'), ...common]);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /key "fc1\.weight": got shape \[10, 700\], expected \[10, 784\]/);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    const nan = glassy(['import', join(dir, 'nan.safetensors'), '--model', SPEC, '--out', join(dir, 'nan'), ...common]);
    assert.match(nan.stderr, /nan\.safetensors: key "4\.bias": 1 non-finite value/);
    const soft = glassy(['import', join(dir, 'softmax.onnx'), '--out', join(dir, 'soft'), ...common]);
    assert.match(soft.stderr, /op Softmax is not supported/);
    const wrong = glassy(['import', join(dir, 'seq.safetensors'), '--model', 'conv(6,5)-maxpool(2)-relu-flatten-dense(10)', '--out', join(dir, 'w'), ...common]);
    assert.match(wrong.stderr, /key "0\.weight": got shape \[4, 3, 5, 5\], expected \[6, 3, 5, 5\]/);
    for (const d of ['bad', 'nan', 'soft', 'w']) assert.equal(spawnSync('test', ['-e', join(dir, d)]).status, 1, `${d} left behind`);
  } finally {
    removeDir(dir);
  }
});

test('glassy → PyTorch: replica files (conv spec and MLP shorthand) load with load_state_dict and give glassy\'s test loss', { skip }, () => {
  const dir = tempDir('interop-export');
  try {
    const data = join(dir, 'cifar');
    writeCifar(data, 'cifar10', { perBatch: 20, test: 50, seed: 2 });
    for (const [model, kind] of [[SPEC, 'cnn'], ['3072-20-10', 'mlp']] as const) {
      const out = join(dir, kind);
      const r = glassy(['train', '--model', model, '--data', 'cifar10', '--data-dir', data, '--precision', 'f64', '--epochs', '1', '--batch', '20',
        '--lr', '0.05', '--replicas', '1', '--measure-points', '2', '--executor', 'inprocess', '--json', '--no-report', '--out', out]);
      assert.equal(r.status, 0, r.stderr);
      const mine = (JSON.parse(r.stdout) as { summary: Record<string, number> }).summary['final_test_loss_mean']!;
      close(mine, python(LOAD, [data, join(out, 'replicas', 'replica-0000.safetensors'), kind])['test_loss']!, `${kind} export`);
    }
    writeFileSync(join(dir, 'done'), '');
  } finally {
    removeDir(dir);
  }
});

/** A CNN with BatchNorm2d, BatchNorm1d and Dropout, trained a few steps in train mode, saved in eval mode. */
const TRAIN_BN = COMMON + String.raw`
def save_typed(path, sd):
    # As safetensors.torch.save_file: float tensors F32, num_batches_tracked I64.
    header, chunks, off = {}, [], 0
    for k, v in sd.items():
        a = v.detach().cpu().contiguous().numpy()
        a, tag = (a.astype('<i8'), 'I64') if a.dtype == np.int64 else (a.astype('<f4'), 'F32')
        header[k] = {'dtype': tag, 'shape': list(a.shape), 'data_offsets': [off, off + a.nbytes]}
        chunks.append(a.tobytes()); off += a.nbytes
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h))); f.write(h); [f.write(c) for c in chunks]
d, out = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
x, y = train_set(d); xt, yt = cifar(os.path.join(d, 'test_batch.bin'))
net = nn.Sequential(nn.Conv2d(3, 4, 5, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
                    nn.Linear(784, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 10))
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
for step in range(30):
    i = torch.arange(step * 10, step * 10 + 10) % x.shape[0]
    opt.zero_grad(); F.cross_entropy(net(x[i].float()), y[i]).backward(); opt.step()
net.eval()
sd = net.state_dict()
save_typed(os.path.join(out, 'bn.safetensors'), sd)
save_typed(os.path.join(out, 'ddp.safetensors'), {'module.' + k: v for k, v in sd.items()})
names = {'0': 'conv1', '1': 'bn1', '6': 'fc1', '7': 'bn2', '10': 'fc2'}
save_typed(os.path.join(out, 'named.safetensors'), {names[k.split('.')[0]] + '.' + k.split('.', 1)[1]: v for k, v in sd.items()})
save_typed(os.path.join(out, 'relu-bn.safetensors'), {'0.weight': sd['0.weight'], **{'2.' + k.split('.', 1)[1]: v for k, v in sd.items() if k.startswith('1.')},
                                                       '6.weight': sd['6.weight'], '6.bias': sd['6.bias'], '10.weight': sd['10.weight'], '10.bias': sd['10.bias']})
torch.onnx.export(net, x[:2].float(), os.path.join(out, 'bn.onnx'))
print(json.dumps({'test_loss': loss_of(net, xt, yt), 'train_loss': loss_of(net, x, y)}))
`;

test('BatchNorm (2d and 1d) folded and Dropout skipped: .safetensors (nn.Sequential, named, DataParallel `module.`) and ONNX give PyTorch\'s eval test loss', { skip }, () => {
  const dir = tempDir('interop-torch-bn');
  try {
    const data = join(dir, 'cifar');
    writeCifar(data, 'cifar10', { perBatch: 20, test: 60, seed: 3 });
    const ref = python(TRAIN_BN, [data, dir]);
    const spec = 'conv(4,5)-relu-maxpool(2)-flatten-dense(16)-relu-dense(10)';
    const common = ['--data', 'cifar10', '--data-dir', data, '--executor', 'inprocess', '--json', '--no-report'];
    const files = ['bn', 'ddp', 'named'].map((f) => join(dir, `${f}.safetensors`));
    const r = glassy(['import', ...files, '--model', spec, '--out', join(dir, 'st'), ...common]);
    assert.equal(r.status, 0, r.stderr);
    const s = (JSON.parse(r.stdout) as { summary: Record<string, number> }).summary;
    close(s['test_loss']!, ref['test_loss']!, 'test loss (safetensors with BatchNorm)');
    close(s['train_loss']!, ref['train_loss']!, 'train loss (safetensors with BatchNorm)');
    assert.ok(s['final_test_loss_se']! < 1e-12, 'the three key styles give the same replica');
    // PyTorch's exporter fuses Conv+BatchNorm2d itself in eval mode; the BatchNorm1d stays a BatchNormalization node after the Gemm.
    const o = glassy(['import', join(dir, 'bn.onnx'), '--out', join(dir, 'onnx'), ...common]);
    assert.equal(o.status, 0, o.stderr);
    close((JSON.parse(o.stdout) as { summary: Record<string, number> }).summary['test_loss']!, ref['test_loss']!, 'test loss (ONNX with BatchNormalization)');
    // A BatchNorm that does not directly follow the conv (here: after the ReLU) is refused, nothing written.
    const bad = glassy(['import', join(dir, 'relu-bn.safetensors'), '--model', spec, '--out', join(dir, 'bad'), ...common]);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /relu-bn\.safetensors: BatchNorm module "2" follows module "0" at a distance of 2 nn\.Sequential positions/);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.equal(spawnSync('test', ['-e', join(dir, 'bad')]).status, 1, 'bad left behind');
  } finally {
    removeDir(dir);
  }
});
