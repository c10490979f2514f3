/**
 * The steps every analysis command shares (cluster, hessian, permute, connect): a new run directory
 * for the analysis of a source run, its replicas on the chosen executor (`--workers`, `--executor
 * queue`, `--shard`), then the result — one JSON object, or the run line plus the command's own
 * lines of key figures.
 */
import { runEnsemble } from '../executor/ensemble.js';
import { executorOptionsFrom } from '../executor/options.js';
import type { ReplicaTask } from '../executor/replica.js';
import { Run } from '../store/run.js';
import { reportResult } from './commands/run.js';
import { printJson } from './options.js';

export interface AnalysisRun<C> {
  task: ReplicaTask<C>;
  config: C;
  seed: number;
  replicas: number;
  /** `--out`, else `<source>-<protocol>`. */
  out: string;
  flags: Record<string, unknown>;
  /** Lines of key figures printed after the run line (human output only). */
  lines?: (summary: Record<string, unknown>) => string[];
  /** Warnings printed on stderr whatever the output format (e.g. an unconverged optimisation). */
  warnings?: (summary: Record<string, unknown>) => string[];
}

export function defaultOut(source: string, flags: Record<string, unknown>, protocol: string): string {
  return (flags['out'] as string | undefined) ?? `${source.replace(/\/+$/, '')}-${protocol}`;
}

export async function runAnalysis<C>(a: AnalysisRun<C>): Promise<void> {
  const exec = executorOptionsFrom(a.flags);
  const run = Run.create(a.out, { protocol: a.task.protocol, config: a.config, seed: a.seed }, { overwrite: a.flags['overwrite'] === true });
  const result = await runEnsemble(run, a.task, { ...exec, replicas: a.replicas, label: `${a.task.protocol} ${run.dir}` });
  const s = result.summary;
  if (a.flags['json'] === true) {
    // Flat, as these commands always printed it: the run, then the summary's key figures.
    printJson({ run: run.dir, status: result.status, ...(s ?? {}), ...(result.failed.length ? { failed: result.failed } : {}), seconds: result.seconds });
    if (result.status === 'failed') process.exitCode = 1;
  } else {
    reportResult(result, false);
    if (s && a.lines) for (const line of a.lines(s)) process.stdout.write(`  ${line}\n`);
  }
  if (s && a.warnings) for (const w of a.warnings(s)) process.stderr.write(`warning: ${w}\n`);
}
