/**
 * The PyTorch CPU anchor: runs bench/torch_anchor.py with Debian's /usr/bin/python3 (the python3
 * on PATH may be a pyenv one without torch), once per thread count, memoised so the GEMM and
 * SGD-step sections share one run. Threads are fixed through the environment before torch starts
 * (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS) and by torch.set_num_threads.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export interface TorchTiming {
  median: number;
  q1: number;
  q3: number;
  samples: number;
  reps: number;
}
export interface TorchGemm extends TorchTiming {
  m: number;
  k: number;
  n: number;
  layout: 'nt' | 'tn' | 'nn';
  dtype: 'f32' | 'f64';
}
export interface TorchAnchor {
  torch: string;
  threads: number;
  gemm: TorchGemm[];
  sgd: TorchTiming;
}

export const PYTHON = process.env.GLASSY_BENCH_PYTHON ?? '/usr/bin/python3';
const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'torch_anchor.py');
const runs = new Map<number, Promise<TorchAnchor | { error: string }>>();

export function torchCommand(threads: number): string {
  return `OPENBLAS_NUM_THREADS=${threads} OMP_NUM_THREADS=${threads} ${PYTHON} bench/torch_anchor.py ${threads}`;
}

/** The anchor at `threads` threads, or why it could not run. */
export function torchAnchor(threads: number): Promise<TorchAnchor | { error: string }> {
  let p = runs.get(threads);
  if (!p) {
    p = new Promise((resolve) => {
      const t = String(threads);
      const child = spawn(PYTHON, [script, t], {
        env: { ...process.env, OPENBLAS_NUM_THREADS: t, OMP_NUM_THREADS: t, MKL_NUM_THREADS: t },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '', err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', (e) => resolve({ error: `${PYTHON}: ${e.message}` }));
      child.on('close', (code) => {
        if (code !== 0) {
          const last = err.trim().split('\n').pop() ?? '';
          resolve({ error: `${torchCommand(threads)} exited with ${code}: ${last}` });
          return;
        }
        try {
          resolve(JSON.parse(out) as TorchAnchor);
        } catch {
          resolve({ error: `unreadable output from torch_anchor.py: ${out.slice(0, 120)}` });
        }
      });
    });
    runs.set(threads, p);
  }
  return p;
}
