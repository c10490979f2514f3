/**
 * Spin-flip benchmark (issue 9, item 5): Metropolis attempts per second of glassy's sweeps against
 * plain C references of the same algorithm (bench/c/sk_metropolis.c, bench/c/ea3d_metropolis.c),
 * compiled here with `gcc -O3` into a temporary directory at bench time. Cases: SK N = 1024 Gaussian
 * at T = 0.5 and 2.0; 3D EA L = 16 ±J at T = 1.0 and 2.0.
 *
 * Rows per case: glassy with the WebAssembly SIMD kernel (asm/spinflip.ts, the default), glassy with
 * the JavaScript kernel (the fallback, GLASSY_SPINFLIP=js), the C reference at `gcc -O3` — the
 * target's yardstick: x86-64 baseline, i.e. SSE2, the same 128-bit vectors as WebAssembly SIMD — and,
 * for information only, `gcc -O3 -march=native` (AVX-512 on the development machine), the ceiling no
 * portable kernel can reach.
 *
 * Same algorithm on every row: sequential sweeps, int8 spins, float64 local fields updated per
 * accepted flip, float64 couplings (dense N×N; z = 6 neighbour table), xoshiro128** with the state in
 * registers for the sweep, u = next()·2^−32, uphill Gaussian moves decided by the exact bounds
 * before exp, ±J by the (2z+1)-entry table.
 *
 * Timing: the implementations are interleaved ROUNDS times (so load spikes hit all of them alike);
 * each timing is CPU time of the process (process.cpuUsage here, CLOCK_PROCESS_CPUTIME_ID in C), not
 * wall time, because the 2-core machine is shared and wall time mostly measures the other jobs.
 * The table gives the median rate, its range over the rounds, and median / median of C -O3.
 *
 * Run alone: node dist/bench/spinglass.js
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, Stream } from '../src/core/rng.js';
import { SherringtonKirkpatrick } from '../src/landscapes/ising/sk.js';
import { EdwardsAnderson } from '../src/landscapes/ising/ea.js';
import type { IsingModel } from '../src/landscapes/ising/model.js';
import { SpinChain } from '../src/dynamics/montecarlo/chain.js';
import { metropolisSweep } from '../src/dynamics/montecarlo/kernels.js';
import { selectSpinFlipKernel, spinFlipUnavailableReason, type SpinFlipKernel } from '../src/dynamics/montecarlo/wasm.js';
import { quantile, type BenchSection, type Section } from './harness.js';

const ROUNDS = 7;

interface Case {
  name: string;
  binary: 'sk_metropolis' | 'ea3d_metropolis';
  size: number;
  T: number;
  sweeps: number;
  model: () => IsingModel;
}

const CASES: Case[] = [
  { name: 'SK N=1024 gauss', binary: 'sk_metropolis', size: 1024, T: 0.5, sweeps: 2000, model: () => new SherringtonKirkpatrick({ n: 1024, seed: 1 }) },
  { name: 'SK N=1024 gauss', binary: 'sk_metropolis', size: 1024, T: 2.0, sweeps: 300, model: () => new SherringtonKirkpatrick({ n: 1024, seed: 1 }) },
  { name: 'EA 3D L=16 ±J', binary: 'ea3d_metropolis', size: 16, T: 1.0, sweeps: 2000, model: () => new EdwardsAnderson({ dimension: 3, l: 16, couplings: 'pm1', seed: 1 }) },
  { name: 'EA 3D L=16 ±J', binary: 'ea3d_metropolis', size: 16, T: 2.0, sweeps: 2000, model: () => new EdwardsAnderson({ dimension: 3, l: 16, couplings: 'pm1', seed: 1 }) },
];

interface Sample {
  rate: number;
  acceptance: number;
}

/** A glassy chain ready to time: built and warmed up (sweeps/10 + 1 sweeps, as the C does) under `kind`. */
function glassyTimer(kind: SpinFlipKernel, model: IsingModel, T: number, sweeps: number): () => Sample {
  selectSpinFlipKernel(kind);
  const rng = Rng.stream(1, Stream.monteCarlo, 0, 0);
  const chain = new SpinChain(model).randomise(rng);
  const beta = 1 / T;
  for (let k = 0; k < Math.floor(sweeps / 10) + 1; k++) metropolisSweep(chain, beta, rng);
  return () => {
    selectSpinFlipKernel(kind);
    let accepted = 0;
    const u0 = process.cpuUsage();
    for (let k = 0; k < sweeps; k++) accepted += metropolisSweep(chain, beta, rng);
    const u = process.cpuUsage(u0);
    const seconds = (u.user + u.system) / 1e6;
    return { rate: (sweeps * chain.n) / seconds, acceptance: accepted / (sweeps * chain.n) };
  };
}

function cTimer(exe: string, c: Case): () => Sample {
  return () => {
    const r = spawnSync(exe, [String(c.size), String(c.T), String(c.sweeps), '1'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${exe} failed: ${r.stderr}`);
    const j = JSON.parse(r.stdout) as { attempts_per_cpu_second: number; acceptance: number };
    return { rate: j.attempts_per_cpu_second, acceptance: j.acceptance };
  };
}

function median(xs: number[]): number {
  return quantile([...xs].sort((a, b) => a - b), 0.5);
}

export async function runSpinglassBench(): Promise<BenchSection> {
  const here = resolve(fileURLToPath(import.meta.url), '..');
  // dist/bench/spinglass.js → sources in <root>/bench/c
  const src = resolve(here, '..', '..', 'bench', 'c');
  const tmp = mkdtempSync(join(tmpdir(), 'glassy-bench-sg-'));
  const notes: string[] = [];
  const rows: Array<Record<string, string | number>> = [];
  const wasmOk = selectSpinFlipKernel('auto') === 'wasm';
  if (!wasmOk) notes.push(`WebAssembly spin-flip kernel unavailable (${spinFlipUnavailableReason()}): no wasm rows.`);
  try {
    const flags: Array<[string, string[]]> = [['C gcc -O3 (reference)', ['-O3']], ['C gcc -O3 -march=native (info only)', ['-O3', '-march=native']]];
    const exes: Record<string, Array<[string, string]>> = {};
    for (const b of ['sk_metropolis', 'ea3d_metropolis']) {
      exes[b] = [];
      for (const [label, f] of flags) {
        const exe = join(tmp, `${b}${f.length > 1 ? '_native' : ''}`);
        const r = spawnSync('gcc', [...f, '-o', exe, join(src, `${b}.c`), '-lm'], { encoding: 'utf8' });
        if (r.status !== 0) notes.push(`gcc ${f.join(' ')} failed for ${b}: ${(r.stderr || String(r.error)).trim().split('\n')[0]}`);
        else exes[b]!.push([label, exe]);
      }
    }
    for (const c of CASES) {
      const model = c.model();
      const impls: Array<[string, () => Sample]> = [];
      if (wasmOk) impls.push(['glassy wasm (SIMD kernel, default)', glassyTimer('wasm', model, c.T, c.sweeps)]);
      impls.push(['glassy js (fallback)', glassyTimer('js', model, c.T, c.sweeps)]);
      for (const [label, exe] of exes[c.binary]!) impls.push([label, cTimer(exe, c)]);
      const samples: Sample[][] = impls.map(() => []);
      for (let round = 0; round < ROUNDS; round++) impls.forEach(([, f], k) => samples[k]!.push(f()));
      const ref = impls.findIndex(([l]) => l.includes('(reference)'));
      const refRate = ref >= 0 ? median(samples[ref]!.map((s) => s.rate)) : NaN;
      impls.forEach(([label], k) => {
        const rates = samples[k]!.map((s) => s.rate);
        const med = median(rates);
        rows.push({
          case: c.name,
          T: c.T,
          implementation: label,
          acceptance: samples[k]![0]!.acceptance.toFixed(3),
          'attempts/s (median, CPU time)': med.toExponential(2),
          range: `${Math.min(...rates).toExponential(1)}–${Math.max(...rates).toExponential(1)}`,
          'vs C -O3': Number.isFinite(refRate) ? (med / refRate).toFixed(2) : 'n/a',
        });
      });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    selectSpinFlipKernel('auto');
  }
  notes.push('Target (issue 9, item 5): glassy ≥ 0.7× the C reference compiled with gcc -O3 on one core. The -march=native row (AVX-512 here) is information only: WebAssembly SIMD is 128 bits wide everywhere.');
  notes.push('Same algorithm on every row: sequential Metropolis, int8 spins, float64 fields updated per accepted flip, float64 couplings, xoshiro128** (state in registers during a sweep), u = next()·2^-32; Gaussian uphill moves by exact bounds before exp, ±J by a (2z+1)-entry table. glassy wasm and js rows are bit-identical runs (same acceptance, same configurations).');
  notes.push(`CPU time of the process, ${ROUNDS} interleaved rounds per case (median and min–max): the machine is shared, and wall time would mostly measure the other jobs.`);
  return { title: 'Spin glasses: Metropolis spin-flip attempts per second, glassy vs C', command: 'node dist/bench/spinglass.js', rows, notes };
}

export const spinglassSection: Section = { title: 'Spin glasses: Metropolis spin flips vs C', run: runSpinglassBench };

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await runSpinglassBench();
  console.log(r.title);
  console.table(r.rows);
  for (const n of r.notes ?? []) console.log(`- ${n}`);
}
