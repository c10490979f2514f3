/**
 * How a run that has finished is told: its report written (report/ loaded only now) and one line —
 * or, with --json, one object of the same shape for every protocol command, resume and merge.
 */
import type { EnsembleResult } from '../executor/ensemble.js';
import { recipeOf } from '../registry.js';
import { printJson } from './options.js';

/** Result of one protocol command, the same shape for every protocol (`--json`). */
export interface CommandResult {
  run: string;
  protocol: string;
  status: string;
  summary: Record<string, unknown> | null;
  seconds: number;
  replicas: number;
  failed: Array<{ index: number; error: string }>;
  /** Replica indices run by this call, and those already done (a resumed run). */
  ran?: number[];
  skipped?: number[];
  shard?: { index: number; count: number };
  report?: string;
}

/** After an ensemble: the report of a complete run (unless turned off), then the result printed. */
export async function reportResult(r: EnsembleResult, json: boolean, report = true,
  describe?: (s: Record<string, unknown>) => string[]): Promise<void> {
  const out: CommandResult = {
    run: r.runDir, protocol: r.protocol, status: r.status, summary: r.summary ?? null,
    seconds: r.seconds, replicas: r.replicas, failed: r.failed, ran: r.ran, skipped: r.skipped,
    ...(r.shard ? { shard: r.shard } : {}),
  };
  if (r.status === 'complete' && report) {
    const path = await writeReport(r.runDir);
    if (path) out.report = path;
  }
  const { formatEnsembleResult } = await import('../executor/ensemble.js');
  printResult(out, formatEnsembleResult(r), json, describe);
}

/** The report of a complete run; a failure to draw is a warning (the run itself is fine). */
export async function writeReport(runDir: string): Promise<string | undefined> {
  try {
    const { buildReport } = await import('../report/report.js');
    const { Run } = await import('../store/run.js');
    const recipe = await recipeOf(Run.open(runDir).manifest.protocol);
    return (await buildReport(runDir, { png: false, ...(recipe ? { recipe } : {}) })).report;
  } catch (err) {
    process.stderr.write(`warning: the report of ${runDir} could not be written (${(err as Error).message}); try glassy report ${runDir}\n`);
    return undefined;
  }
}

/** One line (or --json) on stdout; a failed run: `error: ...` on stderr and exit code 1. */
export function printResult(r: CommandResult, line: string, json: boolean, describe?: (s: Record<string, unknown>) => string[]): void {
  const failed = r.status === 'failed' || r.status === 'shard-failed';
  if (json) printJson(r);
  else if (!failed) {
    process.stdout.write(line + '\n');
    if (r.summary && describe) for (const l of describe(r.summary)) process.stdout.write(`  ${l}\n`);
    if (r.report) process.stdout.write(`report: ${r.report}\n`);
  }
  if (failed) {
    process.stderr.write(`error: ${line}\n`);
    process.exitCode = 1;
  }
}
