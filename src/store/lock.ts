/**
 * The run directory's lock: `<dir>/.glassy-lock`, created with O_EXCL by the one process that
 * runs the run (create, resume, merge), naming its pid and host. It is what stops two runs
 * started together on one `--out` (exactly one creates the file), `--overwrite` deleting a run
 * that is still running, and two resumes of one run.
 *
 * A lock is live when its process is: on this host, the pid is alive; on another host (a shared
 * file system), its holder touches the file every HEARTBEAT_MS, so it is live while its mtime is
 * younger than FRESH_MS. A lock that is not live was left by a killed process and is taken over.
 */
import {
  closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { GlassyError } from '../core/errors.js';
import { pidAlive, thisHost } from './manifest.js';

export const LOCK_FILE = '.glassy-lock';
const HEARTBEAT_MS = 30_000;
/** A lock of another host untouched this long is stale (4 missed heartbeats). */
export const FRESH_MS = 120_000;

export interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

/** The lock's holder and its age, or null when there is none. An unreadable lock (being written) has pid -1. */
export function readLock(dir: string): (LockHolder & { ageMs: number }) | null {
  const path = join(dir, LOCK_FILE);
  let text: string;
  let ageMs: number;
  try {
    ageMs = Date.now() - statSync(path).mtimeMs;
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isSafeInteger(v.pid) && typeof v.host === 'string') return { pid: v.pid!, host: v.host, since: String(v.since ?? ''), ageMs };
  } catch { /* half-written: judged by its age below */ }
  return { pid: -1, host: '?', since: '', ageMs };
}

/** Whether a holder is still running (see the header). */
export function holderLive(h: LockHolder & { ageMs: number }): boolean {
  if (h.pid === -1) return h.ageMs < FRESH_MS;
  return h.host === thisHost() ? pidAlive(h.pid) : h.ageMs < FRESH_MS;
}

function mine(h: LockHolder): boolean {
  return h.pid === process.pid && h.host === thisHost();
}

export class RunLock {
  private timer: NodeJS.Timeout | null = null;

  private constructor(readonly dir: string) {}

  /**
   * Take the lock of `dir` (an existing directory). Refused with one line when a live process
   * holds it, unless `force` (the user says that process is gone). Re-claiming one's own lock is fine.
   */
  static claim(dir: string, opts: { force?: boolean } = {}): RunLock {
    const path = join(dir, LOCK_FILE);
    const body = JSON.stringify({ pid: process.pid, host: thisHost(), since: new Date().toISOString() } satisfies LockHolder) + '\n';
    for (let attempt = 0; attempt < 5; attempt++) {
      let fd: number | null = null;
      try {
        fd = openSync(path, 'wx', 0o644);
        writeSync(fd, body);
        closeSync(fd);
        const lock = new RunLock(dir);
        lock.heartbeat();
        return lock;
      } catch (err) {
        if (fd !== null) closeSync(fd);
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new GlassyError(`cannot lock ${dir}: ${(err as Error).message}`, 'dir', dir, 'a writable run directory');
        }
      }
      const h = readLock(dir);
      if (h === null) continue; // released meanwhile: try again
      if (mine(h)) {
        const lock = new RunLock(dir);
        lock.heartbeat();
        return lock;
      }
      if (holderLive(h) && !opts.force) {
        const remote = h.host !== thisHost();
        throw new GlassyError(
          `${dir} is in use by ${h.pid === -1 ? 'another process' : `pid ${h.pid} on ${h.host}`}` +
          `${h.since ? ` since ${h.since}` : ''}; wait for it or stop it first` +
          (remote ? ` (or pass --force to resume if that process is gone)` : ''),
          'dir', dir, 'a run directory no live process holds');
      }
      // Stale: move it aside (rename is atomic, so of two processes breaking it only one gets
      // this file) and try to create ours again.
      const aside = `${path}.stale-${randomBytes(4).toString('hex')}`;
      try {
        renameSync(path, aside);
        unlinkSync(aside);
      } catch { /* another process broke it first */ }
    }
    throw new GlassyError(`cannot lock ${dir}: other processes keep taking it`, 'dir', dir, 'a run directory no live process holds');
  }

  private heartbeat(): void {
    const path = join(this.dir, LOCK_FILE);
    this.timer = setInterval(() => {
      const now = new Date();
      try { utimesSync(path, now, now); } catch { /* released or the directory is gone */ }
    }, HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Remove the lock if this process still holds it. Idempotent. */
  release(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const h = readLock(this.dir);
    if (h && mine(h)) {
      try { unlinkSync(join(this.dir, LOCK_FILE)); } catch { /* gone already */ }
    }
  }
}
