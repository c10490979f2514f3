/**
 * GEMM throughput: glassy's BLAS and WebAssembly backends against PyTorch CPU (same machine, same
 * run), in float32 and float64, on the shapes of the 784→100→10 MLP and one square shape.
 */
import type { Backend, Float } from '../src/core/backend.js';
import { getBackend } from '../src/core/backends/index.js';
import type { BlasBackend } from '../src/core/backends/blas.js';
import { createWasmBackend } from '../src/core/backends/wasm.js';
import { measure, sig, type BenchSection, type Section, type Timing } from './harness.js';
import { torchAnchor, torchCommand, type TorchAnchor } from './torch.js';

type Layout = 'nt' | 'tn' | 'nn';
interface Shape { m: number; k: number; n: number; layout: Layout; what: string }

/** C[M,N] = op(A)·op(B); "nt" = A[M,K]·B[N,K]ᵀ (a layer's forward pass with weights [out, in]). */
export const GEMM_SHAPES: Shape[] = [
  { m: 128, k: 784, n: 100, layout: 'nt', what: 'X·W1ᵀ, batch 128' },
  { m: 784, k: 128, n: 100, layout: 'tn', what: 'Xᵀ·dH, batch 128' },
  { m: 1000, k: 784, n: 100, layout: 'nt', what: 'X·W1ᵀ, batch 1000' },
  { m: 512, k: 512, n: 512, layout: 'nn', what: 'square' },
];

function fill(x: Float, seed: number): void {
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37 + seed) * 0.5;
}

function timeGemm(be: Backend, s: Shape, dbl: boolean, copyOperands = false): Timing {
  const ta = s.layout === 'tn', tb = s.layout === 'nt';
  const alloc = (n: number): Float =>
    copyOperands ? (dbl ? new Float64Array(n) : new Float32Array(n)) : dbl ? be.allocF64(n) : be.allocF32(n);
  const a = alloc(s.m * s.k), b = alloc(s.k * s.n), c = alloc(s.m * s.n);
  fill(a, 1);
  fill(b, 2);
  const lda = ta ? s.m : s.k, ldb = tb ? s.k : s.n;
  const t = dbl
    ? measure(() => be.dgemm(ta, tb, s.m, s.n, s.k, 1, a as Float64Array, lda, b as Float64Array, ldb, 0, c as Float64Array, s.n))
    : measure(() => be.sgemm(ta, tb, s.m, s.n, s.k, 1, a as Float32Array, lda, b as Float32Array, ldb, 0, c as Float32Array, s.n));
  be.free?.(a);
  be.free?.(b);
  be.free?.(c);
  return t;
}

const gflops = (s: Shape, seconds: number): number => (2 * s.m * s.n * s.k) / seconds / 1e9;

interface Impl { label: string; threads: number; dbl: boolean; time(s: Shape): Timing | undefined }

export const gemmSection: Section = {
  title: 'GEMM throughput (GFLOP/s)',
  async run(): Promise<BenchSection> {
    const notes: string[] = [];
    const torch = new Map<number, TorchAnchor>();
    for (const t of [1, 2]) {
      const r = await torchAnchor(t);
      if ('error' in r) notes.push(`PyTorch ${t} thread(s) not measured: ${r.error}`);
      else torch.set(t, r);
    }
    let blas: BlasBackend | undefined;
    try {
      blas = getBackend('blas') as BlasBackend;
    } catch (e) {
      notes.push(`BLAS rows missing: ${(e as Error).message}`);
    }
    const wasm = getBackend('wasm');
    const wasmPlain = createWasmBackend({ relaxed: false });
    const impls: Impl[] = [];
    for (const dbl of [false, true]) {
      if (blas) {
        const b = blas;
        for (const threads of [1, 2]) {
          impls.push({ label: 'glassy blas', threads, dbl, time: (s) => { b.setThreads(threads); const t = timeGemm(b, s, dbl); b.setThreads(1); return t; } });
        }
      }
      impls.push({ label: 'glassy wasm', threads: 1, dbl, time: (s) => timeGemm(wasm, s, dbl) });
      if (!dbl) {
        impls.push({ label: 'glassy wasm, plain SIMD (no relaxed FMA)', threads: 1, dbl, time: (s) => timeGemm(wasmPlain, s, dbl) });
        impls.push({ label: 'glassy wasm, operands copied in/out', threads: 1, dbl, time: (s) => (s.m === 128 && s.layout === 'nt' ? timeGemm(wasm, s, dbl, true) : undefined) });
      }
    }
    const rows: Array<Record<string, string | number>> = [];
    for (const s of GEMM_SHAPES) {
      for (const dbl of [false, true]) {
        const prec = dbl ? 'f64' : 'f32';
        const torchG = (threads: number): number | undefined => {
          const g = torch.get(threads)?.gemm.find((x) => x.m === s.m && x.k === s.k && x.n === s.n && x.layout === s.layout && x.dtype === prec);
          return g ? gflops(s, g.median) : undefined;
        };
        const shape = `${s.m}×${s.k}×${s.n} ${s.layout.toUpperCase()} (${s.what})`;
        const row = (impl: string, threads: number, t: { median: number; q1: number; q3: number }): void => {
          const ref = torchG(threads);
          const g = gflops(s, t.median);
          rows.push({
            'M×K×N, op': shape, precision: prec, implementation: impl, threads,
            'GFLOP/s (median)': sig(g), 'GFLOP/s IQR': `${sig(gflops(s, t.q3))}–${sig(gflops(s, t.q1))}`,
            'µs/call': sig(t.median * 1e6), '× PyTorch (same threads)': ref === undefined ? '–' : sig(g / ref, 2),
          });
        };
        for (const impl of impls.filter((x) => x.dbl === dbl)) {
          const t = impl.time(s);
          if (t) row(impl.label, impl.threads, t);
        }
        for (const threads of [1, 2]) {
          const g = torch.get(threads)?.gemm.find((x) => x.m === s.m && x.k === s.k && x.n === s.n && x.layout === s.layout && x.dtype === prec);
          if (g) row(`PyTorch ${torch.get(threads)!.torch} (torch.mm, out=)`, threads, g);
        }
      }
    }
    notes.push(
      'GFLOP/s = 2·M·N·K / median seconds per call; IQR is the interquartile range of the per-call samples, expressed in GFLOP/s.',
      'glassy operands come from backend.allocF32/allocF64 (for wasm: views into its memory, no copy) unless the row says they are copied.',
      `PyTorch anchor: ${torchCommand(1)} (and 2 threads); torch.mm on the same layouts.`,
      'Measured with the other core possibly busy (shared machine): compare ratios within this run, not absolute numbers across runs.',
    );
    return { title: this.title, command: 'npm run bench -- --only GEMM', rows, notes };
  },
};
