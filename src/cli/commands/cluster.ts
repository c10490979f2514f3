/**
 * `glassy cluster RUN`: overlaps, P(q), hierarchical clustering and ultrametricity of the replicas of
 * a training or spin-glass run (protocols/cluster.ts), written as a new run.
 */
import { Option, type Command } from 'commander';
import { parseClusterConfig, runCluster } from '../../protocols/cluster.js';
import { nonNegativeInt, positiveInt, printJson, derivedRunDir } from '../options.js';

export function register(program: Command): void {
  program
    .command('cluster')
    .description('overlap matrix, P(q), dendrogram and ultrametricity of the replicas of a train or spinglass run')
    .argument('<run>', 'a complete train or spinglass run directory')
    .addOption(new Option('--overlap <kind>', 'params: as trained; aligned: after weight matching (networks) or spin flip; outputs: test-set outputs').choices(['params', 'aligned', 'outputs']).default('aligned'))
    .addOption(new Option('--linkage <method>', 'agglomerative linkage').choices(['single', 'complete', 'average', 'ward']).default('average'))
    .addOption(new Option('--align <how>', 'network alignment: every pair, or all onto replica 0 (auto: pairwise up to 64 replicas)').choices(['auto', 'pairwise', 'reference']).default('auto'))
    .addOption(new Option('--align-method <how>', 'match hidden units by their weights, or by their activations on a probe batch').choices(['weights', 'activations']).default('weights'))
    .option('--probe <n>', 'training samples of the activation-matching probe batch', positiveInt, 1000)
    .option('--temperature-index <i>', 'spin glasses: which temperature of the run', nonNegativeInt, 0)
    .option('--sample <s>', 'spin glasses: which disorder sample to cluster (P(q) uses all)', nonNegativeInt, 0)
    .option('--bins <n>', 'P(q) histogram bins', positiveInt, 50)
    .addOption(new Option('--null <model>', 'null model of the ultrametricity statistic').choices(['gaussian', 'shuffle']).default('shuffle'))
    .option('--out <dir>', 'run directory (default: <run>-cluster)')
    .option('--overwrite', 'replace an existing run directory')
    .option('--json', 'print the key figures as one JSON object')
    .action((source: string, flags: Record<string, unknown>) => {
      const config = parseClusterConfig({
        source,
        overlap: flags['overlap'],
        linkage: flags['linkage'],
        align: flags['align'],
        alignMethod: flags['alignMethod'],
        probe: flags['probe'],
        temperatureIndex: flags['temperatureIndex'],
        sample: flags['sample'],
        bins: flags['bins'],
        nullModel: flags['null'],
      });
      const out = (flags['out'] as string | undefined) ?? derivedRunDir(source, 'cluster');
      const s = runCluster(config, out, { overwrite: flags['overwrite'] === true });
      if (flags['json'] === true) printJson(s);
      else {
        process.stdout.write(
          `cluster ${s.run}: K = ${s.replicas}, ⟨q⟩ = ${s.q_mean.toFixed(4)}` +
          (s.q_mean_unaligned !== undefined ? ` (unaligned ${s.q_mean_unaligned.toFixed(4)})` : '') +
          `, cophenetic correlation ${s.cophenetic_correlation.toFixed(3)}, ultrametricity ${s.ultrametric_median.toFixed(3)} (null ${s.ultrametric_null_median.toFixed(3)})\n`,
        );
      }
    });
}
