/**
 * A training step of DEEP-GLASS's conv1020relu (conv 1→10 5×5, max-pool 2, ReLU, conv 10→20 5×5,
 * max-pool 2, ReLU, dense 320→80, ReLU, dense 80→10; Baity-Jesi et al. 2018) on MNIST-shaped inputs,
 * batch 100, momentum SGD — glassy (landscapes/network through Trainer, as `glassy train --model
 * deepglass-conv1020relu` runs it) against PyTorch CPU at the same thread count, in f32 and f64; and
 * the cost of an exact Hessian-vector product (R-operator) relative to a gradient on the same data.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend } from '../src/core/backends/index.js';
import { Rng } from '../src/core/rng.js';
import { BatchSchedule } from '../src/dynamics/batches.js';
import { createOptimizer } from '../src/dynamics/optimizers.js';
import { Trainer } from '../src/dynamics/trainer.js';
import { createNetwork } from '../src/landscapes/network/index.js';
import { measure, sig, type BenchSection, type Section, type Timing } from './harness.js';
import { PYTHON } from './torch.js';

const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'torch_conv_anchor.py');
const command = `OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 ${PYTHON} bench/torch_conv_anchor.py 1`;

interface ConvAnchor { torch: string; f32: Timing; f64: Timing }

function torchConv(): ConvAnchor | { error: string } {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const r = spawnSync(PYTHON, [script, '1'], { env, encoding: 'utf8' });
  if (r.error) return { error: `${PYTHON}: ${r.error.message}` };
  if (r.status !== 0) return { error: `${command} exited with ${r.status}: ${(r.stderr ?? '').trim().split('\n').pop() ?? ''}` };
  try {
    return JSON.parse(r.stdout) as ConvAnchor;
  } catch {
    return { error: `unreadable output from torch_conv_anchor.py: ${r.stdout.slice(0, 120)}` };
  }
}

function data(n: number) {
  const rng = Rng.stream(0, 1);
  const x = new Float32Array(n * 784);
  rng.fillUniform(x);
  const y = Int32Array.from({ length: n }, () => rng.int(10));
  return { x, y, targets: null, n };
}

/** One full momentum-SGD step of glassy (shuffled batch of 100 from 1 000 samples). */
function glassyStep(backend: 'blas' | 'wasm', precision: 'f32' | 'f64'): Timing {
  const be = getBackend(backend);
  const land = createNetwork({ model: 'deepglass-conv1020relu', inputShape: [1, 28, 28], loss: 'ce', precision, backend: be }, data(1000));
  const theta = land.newConfig();
  land.initialise(theta, Rng.stream(0, 3));
  const opt = createOptimizer({ kind: 'momentum', lr: 0.01, momentum: 0.9 }, land.dim, theta, Rng.stream(0, 4));
  const trainer = new Trainer(land, theta, opt, new BatchSchedule(1000, 100, 'shuffle', Rng.stream(0, 2)), { replica: 0, lr: 0.01 });
  return measure(() => { trainer.advance(); }, { warmupS: 0.5, sampleS: 0.1 });
}

/** HVP and gradient over the same 500 samples (f64, the precision Hessian protocols use). */
function hvpRatio(backend: 'blas' | 'wasm'): { grad: Timing; hvp: Timing } {
  const be = getBackend(backend);
  const land = createNetwork({ model: 'deepglass-conv1020relu', inputShape: [1, 28, 28], loss: 'ce', precision: 'f64', backend: be }, data(500));
  const theta = land.newConfig();
  land.initialise(theta, Rng.stream(0, 3));
  const v = land.newConfig(), out = land.newConfig();
  Rng.stream(0, 5).fillNormal(v);
  return {
    grad: measure(() => { land.gradient(theta, out); }, { warmupS: 0.5, sampleS: 0.1, samples: 7 }),
    hvp: measure(() => { land.hvp(theta, v, out); }, { warmupS: 0.5, sampleS: 0.1, samples: 7 }),
  };
}

export const convSection: Section = {
  title: 'Training step, conv1020relu (DEEP-GLASS) on 1×28×28 inputs, batch 100, momentum SGD (steps/s)',
  async run(): Promise<BenchSection> {
    const rows: Array<Record<string, string | number>> = [];
    const notes: string[] = [];
    const anchor = torchConv();
    if ('error' in anchor) notes.push(`PyTorch not measured: ${anchor.error}`);
    const row = (label: string, t: Timing, ref: Timing | undefined) => rows.push({
      implementation: label, threads: 1,
      'steps/s (median)': sig(1 / t.median), 'steps/s IQR': `${sig(1 / t.q3)}–${sig(1 / t.q1)}`,
      'ms/step': sig(t.median * 1e3), '× PyTorch (same precision)': ref ? sig(ref.median / t.median, 2) : '–',
    });
    for (const precision of ['f32', 'f64'] as const) {
      const ref = 'error' in anchor ? undefined : anchor[precision];
      for (const backend of ['blas', 'wasm'] as const) {
        try {
          row(`glassy network (${backend}, ${precision})`, glassyStep(backend, precision), ref);
        } catch (e) {
          notes.push(`glassy (${backend}, ${precision}): failed: ${(e as Error).message}`);
        }
      }
      if (ref && !('error' in anchor)) row(`PyTorch ${anchor.torch} (nn.Conv2d, optim.SGD momentum, ${precision})`, ref, ref);
    }
    for (const backend of ['blas', 'wasm'] as const) {
      try {
        const { grad, hvp } = hvpRatio(backend);
        notes.push(`HVP / gradient cost (${backend}, f64, 500 samples): ${sig(hvp.median / grad.median, 3)} (gradient ${sig(grad.median * 1e3)} ms, HVP ${sig(hvp.median * 1e3)} ms; goal ≤ 2.5).`);
      } catch (e) {
        notes.push(`HVP / gradient (${backend}): failed: ${(e as Error).message}`);
      }
    }
    notes.push(`PyTorch anchor: ${command}; glassy draws shuffled batches of 100 from 1 000 samples (the gather is extra work the anchor does not do).`);
    return { title: this.title, command: 'npm run bench -- --only conv1020relu', rows, notes };
  },
};
