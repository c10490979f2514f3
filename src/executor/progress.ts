/**
 * ONE aggregated progress display for an ensemble: the mean fraction over the replicas this
 * process runs, replicas done/failed, and an ETA. On a terminal a cli-progress bar (warnings and
 * failures are logged above it); otherwise (logs, CI, SLURM) a plain line every few seconds, so
 * a log file gets a readable heartbeat instead of carriage-return noise. Always on stderr: stdout
 * is kept for results (`--json`).
 */
import cliProgress from 'cli-progress';
import type { ProgressMode } from './options.js';

export interface ProgressDisplay {
  update(index: number, fraction: number, message?: string): void;
  finish(index: number, ok: boolean, error?: string): void;
  warn(index: number | null, message: string): void;
  stop(): void;
}

/** Seconds between plain progress lines (GLASSY_PROGRESS_INTERVAL overrides, in seconds). */
function lineInterval(): number {
  const env = Number(process.env['GLASSY_PROGRESS_INTERVAL']);
  return Number.isFinite(env) && env > 0 ? env * 1000 : 5000;
}

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * @param label   e.g. "selftest runs/x"
 * @param indices the replicas this process will run (already-done ones are not counted)
 */
export function createProgress(mode: ProgressMode, label: string, indices: number[],
  stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  const fractions = new Map<number, number>(indices.map((i) => [i, 0]));
  const total = indices.length;
  let done = 0;
  let failed = 0;
  const t0 = Date.now();
  const overall = (): number => {
    let s = 0;
    for (const f of fractions.values()) s += f;
    return total === 0 ? 1 : s / total;
  };
  const resolved = mode === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : mode;
  const line = (text: string): void => { stream.write(text.endsWith('\n') ? text : text + '\n'); };

  if (resolved === 'none') {
    return {
      update: (i, f) => { fractions.set(i, f); },
      finish: (i, ok) => { fractions.set(i, 1); if (ok) done++; else failed++; },
      // Warnings and failures are not progress: they are shown even without a display.
      warn: (i, m) => line(`warning: ${i === null ? '' : `replica ${i}: `}${m}`),
      stop: () => {},
    };
  }

  if (resolved === 'lines') {
    // The ETA divides by the work done in this process: a resumed replica's first report (its
    // checkpoint's fraction) is its baseline, else a resumed run would promise to end at once.
    const baseline = new Map<number, number>();
    const status = (): string => {
      const f = overall();
      const el = (Date.now() - t0) / 1000;
      let gained = 0;
      for (const [i, b] of baseline) gained += fractions.get(i)! - b;
      gained /= Math.max(total, 1);
      const eta = gained > 0 ? (el * (1 - f)) / gained : Infinity;
      return `${label}: ${(100 * f).toFixed(1)}% | ${done}/${total} replicas done` +
        `${failed ? `, ${failed} failed` : ''} | ${fmtDuration(el)} elapsed, ETA ${fmtDuration(eta)}`;
    };
    const timer = setInterval(() => line(status()), lineInterval());
    timer.unref();
    return {
      update: (i, f) => {
        if (!baseline.has(i)) baseline.set(i, f);
        fractions.set(i, f);
      },
      finish: (i, ok, error) => {
        if (!baseline.has(i)) baseline.set(i, 0);
        fractions.set(i, 1);
        if (ok) done++;
        else { failed++; line(`replica ${i} failed: ${error ?? 'unknown error'}`); }
      },
      warn: (i, m) => line(`warning: ${i === null ? '' : `replica ${i}: `}${m}`),
      stop: () => { clearInterval(timer); line(status()); },
    };
  }

  const multi = new cliProgress.MultiBar({
    stream,
    format: `${label} [{bar}] {percentage}% | {done}/{total_replicas} done{failed} | ETA {eta_formatted}`,
    hideCursor: true,
    clearOnComplete: false,
    fps: 5,
  }, cliProgress.Presets.shades_classic);
  const bar = multi.create(1000, 0, { done: 0, total_replicas: total, failed: '' });
  const redraw = (): void => {
    bar.update(Math.round(1000 * overall()), { done, total_replicas: total, failed: failed ? `, ${failed} failed` : '' });
  };
  return {
    update: (i, f) => { fractions.set(i, f); redraw(); },
    finish: (i, ok, error) => {
      fractions.set(i, 1);
      if (ok) done++;
      else { failed++; multi.log(`replica ${i} failed: ${error ?? 'unknown error'}\n`); }
      redraw();
    },
    warn: (i, m) => multi.log(`warning: ${i === null ? '' : `replica ${i}: `}${m}\n`),
    stop: () => { redraw(); multi.stop(); },
  };
}
