/**
 * Networks against PyTorch itself: the nn.Sequential built from the spec, loaded with glassy's θ by
 * tensor name (the layout's names are its state_dict keys), gives the same outputs, loss, gradient and
 * Hessian-vector product (double backward) on a fixed tiny input, in float64. Skipped with a message
 * when Debian's /usr/bin/python3 has no torch (apt-get install python3-torch).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { getBackend } from '../src/core/backends/index.js';
import { Rng } from '../src/core/rng.js';
import type { LossKind } from '../src/landscapes/mlp/loss.js';
import { createNetwork } from '../src/landscapes/network/index.js';

const PY = '/usr/bin/python3';
const hasTorch = spawnSync(PY, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const skip = hasTorch ? false : `${PY} has no torch (apt-get install python3-torch to run this test)`;

const SCRIPT = String.raw`
import json, sys, torch
import torch.nn as nn, torch.nn.functional as F
torch.set_default_dtype(torch.float64)
q = json.load(sys.stdin)
mods = []
for l in q['layers']:
    k = l['kind']; i = l['inShape']; o = l['outShape']
    if k == 'conv':
        w = l['params'][0]['shape']
        s = l['spec']
        mods.append(nn.Conv2d(i[0], o[0], w[2], stride=s['stride'], padding=s['padding']))
    elif k == 'dense': mods.append(nn.Linear(i[0], o[0]))
    elif k == 'maxpool': mods.append(nn.MaxPool2d(l['spec']['kernel'], l['spec']['stride']))
    elif k == 'avgpool': mods.append(nn.AvgPool2d(l['spec']['kernel'], l['spec']['stride']))
    elif k == 'flatten': mods.append(nn.Flatten())
    else: mods.append({'relu': nn.ReLU, 'tanh': nn.Tanh, 'sigmoid': nn.Sigmoid, 'linear': nn.Identity}[k]())
net = nn.Sequential(*mods)
theta = torch.tensor(q['theta'])
net.load_state_dict({t['name']: theta[t['offset']:t['offset'] + t['size']].reshape(t['shape']) for t in q['tensors']})
x = torch.tensor(q['x']).reshape([q['n']] + q['inputShape'])
y = torch.tensor(q['y'], dtype=torch.long)
params = list(net.parameters())
out = net(x)
if q['loss'] == 'ce': loss = F.cross_entropy(out, y)
elif q['loss'] == 'mse': loss = F.mse_loss(out, F.one_hot(y, out.shape[1]).to(out.dtype))
else:
    # nn.MultiMarginLoss has no double backward; the same sum written out (and checked equal).
    m = (1 - out.gather(1, y[:, None]) + out).clamp(min=0).scatter(1, y[:, None], 0)
    loss = m.sum(1).mean() / out.shape[1]
    assert abs(loss.item() - F.multi_margin_loss(out, y).item()) < 1e-12
g = torch.autograd.grad(loss, params, create_graph=True)
flat = torch.cat([t.reshape(-1) for t in g])
v = torch.tensor(q['v'])
hv = torch.autograd.grad(flat @ v, params, allow_unused=True)
hv = [torch.zeros_like(p) if h is None else h for h, p in zip(hv, params)]
print(json.dumps({'out': out.detach().reshape(-1).tolist(), 'loss': loss.item(), 'grad': flat.detach().tolist(),
                  'hvp': torch.cat([t.reshape(-1) for t in hv]).tolist()}))
`;

const cases: Array<{ spec: string; input: number[]; loss: LossKind }> = [
  { spec: 'conv(3,3)-maxpool(2)-relu-conv(4,2)-tanh-flatten-dense(5)-relu-dense(3)', input: [2, 9, 8], loss: 'ce' },
  { spec: 'conv(2,3,2,1)-avgpool(2,1)-sigmoid-flatten-dense(3)', input: [1, 7, 7], loss: 'mse' },
  { spec: 'ersoy-cnn', input: [1, 4, 4], loss: 'hinge' },
];

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num = Math.max(num, Math.abs(a[i]! - b[i]!)); den = Math.max(den, Math.abs(b[i]!)); }
  return num / Math.max(den, 1e-300);
}

for (const c of cases) {
  test(`PyTorch nn.Sequential agrees (outputs, loss, gradient, HVP): ${c.spec} on [${c.input.join(',')}] ${c.loss}`, { skip }, () => {
    const rng = Rng.stream(9, 1);
    const n = 5;
    const d = c.input.reduce((a, b) => a * b, 1);
    const x = new Float64Array(n * d);
    rng.fillNormal(x);
    const y = Int32Array.from({ length: n }, (_, i) => i % 3);
    const land = createNetwork<Float64Array>({ model: c.spec, inputShape: c.input, loss: c.loss, precision: 'f64', backend: getBackend('reference') }, { x, y, targets: null, n });
    const theta = land.newConfig();
    land.initialise(theta, Rng.stream(9, 2));
    const v = land.newConfig();
    rng.fillNormal(v);
    const g = land.newConfig(), hv = land.newConfig();
    const loss = land.gradient(theta, g);
    land.hvp(theta, v, hv);
    const layers = land.layout.layers.map((l) => ({ ...l, spec: specOf(l.token) }));
    const q = { layers, tensors: land.layout.tensors, inputShape: c.input, n, x: [...x], y: [...y], theta: [...theta], v: [...v], loss: c.loss };
    const r = spawnSync(PY, ['-c', SCRIPT], { input: JSON.stringify(q), encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(r.status, 0, r.stderr);
    const t = JSON.parse(r.stdout) as { out: number[]; loss: number; grad: number[]; hvp: number[] };
    assert.ok(maxRel(land.outputs(theta), t.out) < 1e-12, 'outputs');
    assert.ok(Math.abs(loss - t.loss) < 1e-12 * Math.max(1, Math.abs(t.loss)), `loss ${loss} vs ${t.loss}`);
    assert.ok(maxRel(g, t.grad) < 1e-10, `gradient ${maxRel(g, t.grad)}`);
    assert.ok(maxRel(hv, t.hvp) < 1e-10, `hvp ${maxRel(hv, t.hvp)}`);
  });
}

/** kernel and stride of a pool token, stride and padding of a conv token, for the Python side. */
function specOf(token: string): Record<string, number> {
  const m = /\((.*)\)/.exec(token);
  const a = m ? m[1]!.split(',').map(Number) : [];
  if (token.startsWith('conv')) return { stride: a[2] ?? 1, padding: a[3] ?? 0 };
  if (token.includes('pool')) return { kernel: a[0]!, stride: a[1] ?? a[0]! };
  return {};
}
