/**
 * Ensemble scaling (issue "scale"): wall time of the same training ensemble on one and on two local
 * workers (the piscina pool), and their ratio — ≤ 0.6 means the second core is put to work.
 * Workload: 8 replicas of 784→100→10 on the full MNIST training set for three epochs (train protocol,
 * BLAS, 1 BLAS thread per worker). Alternating repeats; the median of each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEnsemble } from '../src/executor/ensemble.js';
import { parseTrainConfig } from '../src/protocols/train.js';
import { Run } from '../src/store/run.js';
import { sig, type BenchSection, type Section } from './harness.js';
import { registry } from '../src/registry.js';

const config = parseTrainConfig({
  data: { source: 'mnist', nTest: 2000 },
  model: { sizes: [784, 100, 10] },
  optimizer: { kind: 'momentum', lr: 0.05 },
  epochs: 3,
  measurePoints: 8,
  evalTrainSamples: 2000,
});

async function wall(workers: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'glassy-bench-ens-'));
  try {
    const run = Run.create(join(dir, 'run'), { protocol: 'train', config, seed: 1 });
    const t0 = performance.now();
    const r = await runEnsemble(run, registry, { replicas: 8, executor: 'local', workers, progress: 'none', handleSignals: false });
    if (r.status !== 'complete') throw new Error(`ensemble failed: ${JSON.stringify(r.failed)}`);
    return (performance.now() - t0) / 1000;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

export const ensembleSection: Section = {
  title: 'Ensemble scaling: 8 training replicas on 1 and 2 local workers (s)',
  async run(): Promise<BenchSection> {
    const one: number[] = [], two: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      one.push(await wall(1));
      two.push(await wall(2));
    }
    const t1 = median(one), t2 = median(two);
    return {
      title: this.title,
      command: 'npm run bench -- --only Ensemble',
      rows: [
        { workers: 1, 'wall s (median of 3)': sig(t1), 'ratio to 1 worker': 1 },
        { workers: 2, 'wall s (median of 3)': sig(t2), 'ratio to 1 worker': sig(t2 / t1) },
      ],
      notes: ['Target (issue "scale"): two workers ≤ 0.6× one worker. Each worker runs 1 BLAS thread; the data set loads once per worker thread.'],
    };
  },
};
