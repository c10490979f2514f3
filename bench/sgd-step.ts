/**
 * One SGD step of a 784→100→10 ReLU MLP with softmax cross-entropy at batch 128: PyTorch CPU is
 * the anchor; glassy's rows come from row providers. To add a row, push one provider onto
 * `sgdStepProviders` (one line), e.g.
 *
 *   { label: 'glassy mlp (wasm, f32)', threads: 1, run: async () => measure(makeStep('wasm')) },
 *
 * where makeStep returns a function doing one full step (forward, backward, update). The ratio
 * column compares each row with PyTorch at the same thread count.
 */
import type { Backend } from '../src/core/backend.js';
import { getBackend } from '../src/core/backends/index.js';
import { Rng } from '../src/core/rng.js';
import { BatchSchedule } from '../src/dynamics/batches.js';
import { createOptimizer } from '../src/dynamics/optimizers.js';
import { Trainer } from '../src/dynamics/trainer.js';
import { MlpLandscape } from '../src/landscapes/mlp/network.js';
import { measure, sig, type BenchSection, type Section, type Timing } from './harness.js';
import { torchAnchor, torchCommand } from './torch.js';

export interface SgdStepProvider {
  /** Row label, e.g. "glassy mlp (wasm, f32)". */
  label: string;
  /** Threads the row uses (the ratio is taken against PyTorch at this many). */
  threads: number;
  /** Per-step timing (seconds) from harness.measure. */
  run(): Promise<Timing>;
  /** A note printed under the table. */
  note?: string;
}

/** FLOPs in the GEMMs of one step: 2·B·(784·100 + 100·10) forward, twice that for dW1, dW2, dH (no dX). */
export const SGD_GEMM_FLOP = 2 * 128 * (784 * 100 + 100 * 10) + 2 * 128 * (784 * 100 + 100 * 10 + 10 * 100);

/**
 * The GEMMs of one step alone (weights [out, in], row-major), on operands allocated by the backend:
 * an upper bound on the steps/s glassy can reach with this backend (elementwise work excluded).
 */
export function gemmsOfOneStep(be: Backend): () => void {
  const B = 128, I = 784, H = 100, O = 10;
  const x = be.allocF32(B * I), w1 = be.allocF32(H * I), h = be.allocF32(B * H), w2 = be.allocF32(O * H);
  const y = be.allocF32(B * O), dy = be.allocF32(B * O), dw2 = be.allocF32(O * H), dh = be.allocF32(B * H), dw1 = be.allocF32(H * I);
  for (const [arr, s] of [[x, 1], [w1, 2], [w2, 3], [dy, 4]] as const) for (let i = 0; i < arr.length; i++) arr[i] = Math.sin(i + s) * 0.1;
  return () => {
    be.sgemm(false, true, B, H, I, 1, x, I, w1, I, 0, h, H); //      H  = X·W1ᵀ
    be.sgemm(false, true, B, O, H, 1, h, H, w2, H, 0, y, O); //      Y  = H·W2ᵀ
    be.sgemm(true, false, O, H, B, 1, dy, O, h, H, 0, dw2, H); //    dW2 = dYᵀ·H
    be.sgemm(false, false, B, H, O, 1, dy, O, w2, H, 0, dh, H); //   dH = dY·W2
    be.sgemm(true, false, H, I, B, 1, dh, H, x, I, 0, dw1, I); //    dW1 = dHᵀ·X
  };
}

function gemmOnly(name: 'blas' | 'wasm'): SgdStepProvider {
  return {
    label: `glassy GEMMs of one step only (${name}, f32)`,
    threads: 1,
    note: `"GEMMs of one step only": the five GEMMs of a step (${(SGD_GEMM_FLOP / 1e6).toFixed(1)} MFLOP) without the elementwise work — an upper bound for a full glassy step on that backend.`,
    run: async () => measure(gemmsOfOneStep(getBackend(name))),
  };
}

/**
 * One full glassy SGD step through the code `glassy train` runs (MlpLandscape.batchGradient: forward,
 * backward; Trainer: plain SGD update). `fixed`: one batch of 128 samples every step, as the PyTorch
 * anchor does (same work: forward, backward, update); otherwise a shuffled mini-batch gathered from
 * 1 280 samples, the cost of real training (the gather is extra work the anchor does not do).
 */
function fullStep(name: 'blas' | 'wasm', threads: number, fixed: boolean): SgdStepProvider {
  return {
    label: fixed ? `glassy SGD step, fixed batch as the anchor (${name}, f32)` : `glassy train step, shuffled batch of 128 from 1 280 (${name}, f32)`,
    threads,
    run: async () => {
      const be = getBackend(name);
      be.setThreads?.(threads);
      try {
        const n = fixed ? 128 : 1280, rng = Rng.stream(0, 1);
        const x = new Float32Array(n * 784);
        rng.fillUniform(x);
        const y = Int32Array.from({ length: n }, () => rng.int(10));
        const land = new MlpLandscape<Float32Array>({ arch: { sizes: [784, 100, 10], activation: 'relu', bias: true }, loss: 'ce', precision: 'f32', backend: be }, { x, y, n });
        const theta = land.newConfig();
        land.initialise(theta, rng);
        const opt = createOptimizer({ kind: 'sgd', lr: 0.01 }, land.dim, theta, rng);
        const trainer = new Trainer(land, theta, opt, new BatchSchedule(n, 128, fixed ? 'full' : 'shuffle', Rng.stream(0, 2)), { replica: 0, lr: 0.01 });
        return await measure(() => { trainer.advance(); });
      } finally {
        be.setThreads?.(1);
      }
    },
  };
}

/** glassy's rows. Add a provider here (one line) to add a row. */
export const sgdStepProviders: SgdStepProvider[] = [
  fullStep('blas', 1, true),
  fullStep('wasm', 1, true),
  fullStep('blas', 2, true),
  fullStep('blas', 1, false),
  fullStep('wasm', 1, false),
  gemmOnly('blas'),
  gemmOnly('wasm'),
];

export const sgdStepSection: Section = {
  title: 'SGD step, 784→100→10 ReLU MLP, softmax cross-entropy, batch 128 (steps/s)',
  async run(): Promise<BenchSection> {
    const rows: Array<Record<string, string | number>> = [];
    const notes: string[] = [];
    const anchor = new Map<number, number>();
    const torchRows: Array<Record<string, string | number>> = [];
    for (const t of [1, 2]) {
      const r = await torchAnchor(t);
      if ('error' in r) {
        notes.push(`PyTorch ${t} thread(s) not measured: ${r.error}`);
        continue;
      }
      anchor.set(t, 1 / r.sgd.median);
      torchRows.push({
        implementation: `PyTorch ${r.torch} (nn.Linear, F.cross_entropy, optim.SGD)`, threads: t,
        'steps/s (median)': sig(1 / r.sgd.median), 'steps/s IQR': `${sig(1 / r.sgd.q3)}–${sig(1 / r.sgd.q1)}`,
        'µs/step': sig(r.sgd.median * 1e6), '× PyTorch (same threads)': 1,
      });
    }
    for (const p of sgdStepProviders) {
      let t: Timing;
      try {
        t = await p.run();
      } catch (e) {
        notes.push(`${p.label}: failed: ${(e as Error).message}`);
        continue;
      }
      const ref = anchor.get(p.threads);
      rows.push({
        implementation: p.label, threads: p.threads,
        'steps/s (median)': sig(1 / t.median), 'steps/s IQR': `${sig(1 / t.q3)}–${sig(1 / t.q1)}`,
        'µs/step': sig(t.median * 1e6), '× PyTorch (same threads)': ref === undefined ? '–' : sig(1 / t.median / ref, 2),
      });
      if (p.note && !notes.includes(p.note)) notes.push(p.note);
    }
    notes.push(`PyTorch anchor: ${torchCommand(1)} (and 2 threads); forward, backward and update of one step, float32.`);
    return { title: this.title, command: 'npm run bench -- --only SGD', rows: [...rows, ...torchRows], notes };
  },
};
