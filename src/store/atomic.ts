/**
 * Atomic file writes: a reader (another process, `glassy report`, Python) sees either the old file
 * or the complete new one, never a half-written one, and a crash or a full disk leaves the old
 * file intact (docs/RUN-FORMAT.md).
 *
 * Recipe (the standard POSIX one, as in e.g. npm's write-file-atomic and SQLite's journal):
 * write a temporary file in the SAME directory (rename(2) is atomic only within one file system),
 * fsync it so its data reaches the disk before the rename is visible, rename it over the target,
 * then fsync the directory so the rename itself survives a power loss.
 */
import {
  closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { GlassyError } from '../core/errors.js';

/**
 * The file-system calls the recipe uses. Tests substitute a failing one to simulate ENOSPC and
 * friends (the test machine runs as root, where a read-only directory does not stop writes).
 */
export interface AtomicIo {
  openSync(path: string, flags: string, mode?: number): number;
  writeSync(fd: number, buf: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
  mkdirSync(path: string, opts: { recursive: true }): unknown;
}

export const nodeIo: AtomicIo = {
  openSync: (p, f, m) => openSync(p, f, m),
  writeSync: (fd, b, o, l) => writeSync(fd, b, o, l),
  fsyncSync: (fd) => fsyncSync(fd),
  closeSync: (fd) => closeSync(fd),
  renameSync: (a, b) => renameSync(a, b),
  unlinkSync: (p) => unlinkSync(p),
  mkdirSync: (p, o) => mkdirSync(p, o),
};

/** Prefix of temporary files: listings of run directories skip names starting with it. */
export const TEMP_PREFIX = '.glassy-tmp-';

/**
 * Atomically replace `path` with `data` (a string is written as UTF-8; an array of chunks is
 * written back to back, so large arrays need not be copied into one buffer). Creates the parent
 * directory if needed. On any failure the temporary file is removed, the previous file at `path`
 * is left untouched, and a GlassyError names the path and the cause.
 */
export function writeFileAtomic(
  path: string,
  data: Uint8Array | string | readonly Uint8Array[],
  io: AtomicIo = nodeIo,
): void {
  const chunks: readonly Uint8Array[] =
    typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
  const dir = dirname(path);
  const tmp = join(dir, `${TEMP_PREFIX}${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}`);
  let fd: number | null = null;
  let renamed = false;
  try {
    io.mkdirSync(dir, { recursive: true });
    // 'wx': never follow or clobber an existing file of that (random) name.
    fd = io.openSync(tmp, 'wx', 0o644);
    for (const chunk of chunks) {
      let off = 0;
      // writeSync may write less than asked (signals, pipes, some network file systems).
      while (off < chunk.byteLength) off += io.writeSync(fd, chunk, off, chunk.byteLength - off);
    }
    io.fsyncSync(fd);
    io.closeSync(fd);
    fd = null;
    io.renameSync(tmp, path);
    renamed = true;
  } catch (err) {
    if (fd !== null) {
      try { io.closeSync(fd); } catch { /* already failing; the first error is the one to report */ }
    }
    if (!renamed) {
      try { io.unlinkSync(tmp); } catch { /* the temp file may never have been created */ }
    }
    throw writeError(path, err);
  }
  syncDir(dir, io);
}

/**
 * fsync the directory so the rename is durable. Some platforms (Windows, some network file systems)
 * refuse to open or fsync a directory; the data is already safe there, so such refusals are ignored.
 */
function syncDir(dir: string, io: AtomicIo): void {
  let fd: number | null = null;
  try {
    fd = io.openSync(dir, 'r');
    io.fsyncSync(fd);
  } catch {
    /* best effort, see above */
  } finally {
    if (fd !== null) {
      try { io.closeSync(fd); } catch { /* ignore */ }
    }
  }
}

/** A one-line GlassyError naming the path and the cause, for any file-system error. */
export function writeError(path: string, err: unknown): GlassyError {
  if (err instanceof GlassyError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const cause: Record<string, string> = {
    ENOSPC: `disk full while writing ${path}`,
    EDQUOT: `disk quota exceeded while writing ${path}`,
    EACCES: `permission denied while writing ${path}`,
    EPERM: `operation not permitted while writing ${path}`,
    EROFS: `read-only file system while writing ${path}`,
    EISDIR: `cannot write ${path}: it is a directory`,
    ENOTDIR: `cannot write ${path}: a parent path is not a directory`,
    ENOENT: `cannot write ${path}: its directory does not exist`,
    EMFILE: `too many open files while writing ${path}`,
    EIO: `I/O error while writing ${path}`,
  };
  const msg = (code && cause[code]) ?? `cannot write ${path}: ${err instanceof Error ? err.message : String(err)}`;
  return new GlassyError(msg, 'path', path, 'a writable file path');
}

/** Temp files of a writer that is no longer running are removed after this age whatever their pid says. */
const STALE_TEMP_MS = 10 * 60 * 1000;

/**
 * Remove the temp files a killed writer left under `root` (e.g. a kill during a run's
 * finalisation): those whose writer pid (in the name) is not alive on this host, and any older
 * than 10 minutes. Called by the one process that holds the run's lock, before it writes.
 * Returns the paths removed.
 */
export function sweepStaleTemps(root: string, alive: (pid: number) => boolean): string[] {
  const removed: string[] = [];
  const now = Date.now();
  const walk = (dir: string): void => {
    let entries;
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) { walk(p); continue; }
      if (!e.name.startsWith(TEMP_PREFIX)) continue;
      const pid = Number(/\.(\d+)\.[0-9a-f]{8}$/.exec(e.name)?.[1] ?? NaN);
      try {
        if (!(Number.isSafeInteger(pid) && alive(pid)) || now - statSync(p).mtimeMs > STALE_TEMP_MS) {
          unlinkSync(p);
          removed.push(p);
        }
      } catch { /* its writer renamed it meanwhile */ }
    }
  };
  walk(root);
  return removed;
}
