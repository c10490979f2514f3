/**
 * `glassy flatness RUN [RUN2 ...]`: flatness measures of every replica of the given train runs and
 * their rank correlations with the test error (protocols/flatness.ts, docs/curvature.md).
 */
import type { Command } from 'commander';
import { runEnsemble } from '../../executor/ensemble.js';
import { addExecutorOptions, executorOptionsFrom } from '../../executor/options.js';
import { parseFlatnessConfig, resolveSources, resolveWalks, task } from '../../protocols/flatness.js';
import { Run } from '../../store/run.js';
import { reportResult } from './run.js';
import { nonNegativeInt, positive, positiveInt, printJson } from '../options.js';

export function register(program: Command): void {
  const cmd = program
    .command('flatness')
    .description('λ_max, trace, log-volume, ε-sharpness and local entropy of every replica of train runs; Spearman/Kendall correlations with the test error')
    .argument('<runs...>', 'complete train runs (e.g. differing in batch size, lr, L2, width, SAM)')
    .option('--subset <n>', 'Hessian and losses on the first n training samples (default: all)', positiveInt)
    .option('--top <k>', 'top eigenvalues for λ_max and the log-volume', positiveInt, 5)
    .option('--tol <r>', 'Lanczos residual tolerance relative to ‖H‖', positive, 1e-5)
    .option('--volume-gamma <g>', 'γ of the log-volume Σ log(1 + λ⁺/γ)', positive, 1)
    .option('--trace-samples <n>', 'Hutchinson probes (0: skip)', nonNegativeInt, 30)
    .option('--epsilon <e>', "Keskar et al.'s box size ε", positive, 1e-3)
    .option('--sharpness-steps <n>', 'ascent steps of the ε-sharpness (0: skip)', nonNegativeInt, 10)
    .option('--entropy-gamma <g>', 'local entropy coupling γ (θ′ ~ N(θ, 1/γ))', positive, 1e4)
    .option('--entropy-samples <n>', 'local entropy samples (0: skip)', nonNegativeInt, 32)
    .option('--entropy-beta <b>', 'local entropy inverse temperature β', positive, 1)
    .option('--walk <runs...>', 'walk runs from these replicas: their loss-increment spread is the ruggedness')
    .option('--bootstrap <B>', 'bootstrap resamples of the confidence intervals', positiveInt, 2000)
    .option('--seed <S>', 'seed of the probe vectors and the bootstrap', nonNegativeInt, 0)
    .option('--out <dir>', 'run directory (default: <first run>-flatness)')
    .option('--overwrite', 'replace an existing run directory')
    .option('--json', 'print the key figures as one JSON object');
  addExecutorOptions(cmd);
  cmd.action(async (dirs: string[], flags: Record<string, unknown>) => {
    const exec = executorOptionsFrom(flags);
    const { sources, counts } = resolveSources(dirs);
    const config = parseFlatnessConfig({
      sources, counts,
      subset: flags['subset'] ?? null,
      top: flags['top'], tol: flags['tol'], volumeGamma: flags['volumeGamma'],
      traceSamples: flags['traceSamples'], epsilon: flags['epsilon'], sharpnessSteps: flags['sharpnessSteps'],
      entropyGamma: flags['entropyGamma'], entropySamples: flags['entropySamples'], entropyBeta: flags['entropyBeta'],
      bootstrap: flags['bootstrap'],
      walks: resolveWalks((flags['walk'] as string[] | undefined) ?? []),
    });
    const seed = flags['seed'] as number;
    const out = (flags['out'] as string | undefined) ?? `${dirs[0]!.replace(/\/+$/, '')}-flatness`;
    const run = Run.create(out, { protocol: 'flatness', config, seed }, { overwrite: flags['overwrite'] === true });
    const replicas = counts.reduce((a, b) => a + b, 0);
    const result = await runEnsemble(run, task, { ...exec, replicas, label: `flatness ${run.dir}` });
    if (flags['json'] === true) {
      printJson({ run: run.dir, status: result.status, replicas: result.replicas, summary: result.summary ?? null, failed: result.failed, seconds: result.seconds });
      if (result.status === 'failed') process.exitCode = 1;
    } else {
      reportResult(result, false);
      const rows = (result.summary?.['correlations'] ?? []) as Array<Record<string, number | string>>;
      for (const r of rows) {
        const f = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : 'n/a');
        const head = `  ${String(r['measure']).padEnd(18)} n = ${r['n']}`;
        if (r['power'] === 'none') process.stdout.write(`${head}  no power: ${r['reason']}\n`);
        else process.stdout.write(`${head}  Spearman ${f(r['spearman'])} [${f(r['spearman_lo'])}, ${f(r['spearman_hi'])}]  Kendall ${f(r['kendall'])} [${f(r['kendall_lo'])}, ${f(r['kendall_hi'])}]  (${r['ci_method']}${r['power'] === 'low' ? '; low power: CI wider than 1' : ''})\n`);
      }
    }
  });
}
