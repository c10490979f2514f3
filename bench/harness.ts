/**
 * The benchmark harness: timing with warm-up and repeated samples (median and interquartile range,
 * robust to the other core being busy), machine information for BENCHMARKS.md, and the section
 * contract every benchmark module implements. Benchmarks are never tests.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** One table of BENCHMARKS.md. */
export interface BenchSection {
  title: string;
  /** How to reproduce just this section, if different from `npm run bench`. */
  command?: string;
  rows: Array<Record<string, string | number>>;
  notes?: string[];
}

/** An entry of bench/sections.ts. */
export interface Section {
  title: string;
  run(): Promise<BenchSection>;
}

/** Per-call time statistics in seconds. */
export interface Timing {
  median: number;
  q1: number;
  q3: number;
  /** q3 − q1 */
  iqr: number;
  samples: number;
  /** calls per sample */
  reps: number;
}

export interface MeasureOptions {
  /** Warm-up time before sampling (JIT tiering, caches, BLAS thread start-up). Default 0.2 s. */
  warmupS?: number;
  /** Each sample runs enough calls to last at least this long. Default 0.02 s. */
  sampleS?: number;
  /** Number of samples. Default 15. */
  samples?: number;
}

/** Quantile by nearest rank on sorted data (the same rule as bench/torch_anchor.py). */
export function quantile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))]!;
}

/** Times fn: warm-up, calibrate calls per sample, then `samples` samples; per-call statistics. */
export function measure(fn: () => void, opts: MeasureOptions = {}): Timing {
  const warmupS = opts.warmupS ?? 0.2, sampleS = opts.sampleS ?? 0.02, samples = opts.samples ?? 15;
  const now = (): number => Number(process.hrtime.bigint()) / 1e9;
  let calls = 0;
  const t0 = now();
  while (now() - t0 < warmupS || calls < 3) {
    fn();
    calls++;
  }
  const per = (now() - t0) / calls;
  const reps = Math.max(1, Math.floor(sampleS / Math.max(per, 1e-9)));
  const times: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t = now();
    for (let r = 0; r < reps; r++) fn();
    times.push((now() - t) / reps);
  }
  times.sort((a, b) => a - b);
  const q1 = quantile(times, 0.25), q3 = quantile(times, 0.75);
  return { median: quantile(times, 0.5), q1, q3, iqr: q3 - q1, samples, reps };
}

/** Rounds for tables: 3 significant digits (integers above 1000 as integers). */
export function sig(x: number, digits = 3): number {
  if (!Number.isFinite(x) || x === 0) return x;
  if (Math.abs(x) >= 10 ** digits) return Math.round(x);
  return Number(x.toPrecision(digits));
}

/** The machine, as BENCHMARKS.md records it. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  simd: string;
  memory: string;
  os: string;
  node: string;
  v8: string;
  blas: string;
  openblasCoretype: string;
  commit: string;
  date: string;
  loadAverage: string;
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** Collects machine information; `blas` is filled in by the caller (it needs the backend). */
export function machineInfo(blas = 'not loaded'): MachineInfo {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  let flags = '';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    cpu = /^model name\s*:\s*(.*)$/m.exec(info)?.[1] ?? cpu;
    flags = /^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? '';
  } catch {
    // not Linux
  }
  const have = new Set(flags.split(/\s+/));
  const simd = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512_bf16'].filter((f) => have.has(f)).join(' ') || 'unknown';
  const head = sh('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = head && sh('git', ['status', '--porcelain', '--untracked-files=no']) ? '+modified' : '';
  return {
    cpu,
    cores: os.cpus().length,
    simd,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    blas,
    openblasCoretype: process.env.OPENBLAS_CORETYPE ?? '(unset: detected at run time)',
    commit: head ? `${head}${dirty}` : 'unknown',
    date: new Date().toISOString(),
    loadAverage: os.loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}
