/**
 * Replica checkpoints on disk: `checkpoints/replica-<iiii>/step-<step>.ckpt`.
 *
 * One file per checkpoint, so a checkpoint is either wholly there or not at all: a safetensors
 * container (arrays as tensors; the JSON meta and a sha256 checksum in `__metadata__`) written
 * atomically (temp + fsync + rename, store/atomic). The checksum covers the meta and every
 * tensor's name, dtype, shape and bytes, so a file damaged after it was written (a bad disk, a
 * copy cut short, a stray editor) is detected on load rather than silently resumed from.
 *
 * Retention: after a new checkpoint is complete, all but the newest two are deleted. Two, not one:
 * if the newest turns out damaged, the previous one is still there to fall back to. A file found
 * damaged is renamed `*.corrupt`, so it never counts as one of the two.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { GlassyError } from '../core/errors.js';
import { TEMP_PREFIX, writeFileAtomic, writeError } from '../store/atomic.js';
import { refuseNonFinite } from '../core/finite.js';
import { decodeSafetensors, encodeSafetensors } from '../store/safetensors.js';
import type { ArrayData } from '../store/dtype.js';
import type { Checkpoint, CheckpointMeta } from './replica.js';

const META_KEY = 'glassy.checkpoint.meta';
const SUM_KEY = 'glassy.checkpoint.sha256';
const FORMAT_KEY = 'glassy.checkpoint.format';
const FORMAT = '1';
const FILE_RE = /^step-(\d+)\.ckpt$/;
/** Suffix of a checkpoint found corrupt and moved aside. */
export const CORRUPT_SUFFIX = '.corrupt';
/** How many complete checkpoints a replica keeps. */
export const KEEP = 2;
/** Temp files older than this are leftovers of a killed writer (a live writer is far quicker). */
const STALE_TEMP_MS = 10 * 60 * 1000;

/** Zero-padded replica index used in every per-replica file name. */
export function replicaTag(index: number): string {
  return String(index).padStart(4, '0');
}

export function checkpointDir(runDir: string, index: number): string {
  return join(runDir, 'checkpoints', `replica-${replicaTag(index)}`);
}

/**
 * Remove `<run>/checkpoints/` once no replica has a checkpoint left in it (at finalisation: a
 * complete run keeps no empty folder). Not while replicas run: one may be creating its folder.
 */
export function removeEmptyCheckpoints(runDir: string): void {
  try { rmdirSync(join(runDir, 'checkpoints')); } catch { /* absent, or a replica's checkpoints remain */ }
}

export interface CheckpointStoreOptions {
  /** Where warnings go (a corrupt checkpoint that was skipped); the caller adds which replica. Default: stderr. */
  warn?: (message: string) => void;
  /**
   * When every checkpoint of the replica is corrupt: false (default) → GlassyError naming the
   * files; true → warn, delete them and start the replica from scratch (`--restart-corrupt`).
   */
  restartCorrupt?: boolean;
  /** The atomic writer (tests substitute one that fails like a full disk). */
  write?: (path: string, data: Uint8Array) => void;
}

export class CheckpointStore {
  readonly dir: string;
  private readonly warn: (message: string) => void;
  private readonly restartCorrupt: boolean;
  private readonly write: (path: string, data: Uint8Array) => void;

  constructor(readonly runDir: string, readonly index: number, opts: CheckpointStoreOptions = {}) {
    this.dir = checkpointDir(runDir, index);
    this.warn = opts.warn ?? ((m) => process.stderr.write(`warning: replica ${index}: ${m}\n`));
    this.restartCorrupt = opts.restartCorrupt ?? false;
    this.write = opts.write ?? ((p, d) => writeFileAtomic(p, d));
  }

  /** Checkpoint files present, oldest first, as { step, path }. */
  list(): Array<{ step: number; path: string }> {
    if (!existsSync(this.dir)) return [];
    const out: Array<{ step: number; path: string }> = [];
    for (const name of readdirSync(this.dir)) {
      const m = FILE_RE.exec(name);
      if (m) out.push({ step: Number(m[1]), path: join(this.dir, name) });
    }
    return out.sort((a, b) => a.step - b.step);
  }

  /**
   * Write the checkpoint atomically, then prune to the newest KEEP. A failure (disk full, ...)
   * throws a GlassyError naming the path and leaves every earlier checkpoint as it was.
   */
  save(cp: Checkpoint): string {
    const step = cp.meta.step;
    if (!Number.isSafeInteger(step) || step < 0) {
      throw GlassyError.invalid('checkpoint.meta.step', step, 'a non-negative integer');
    }
    const path = join(this.dir, `step-${step}.ckpt`);
    let bytes: Uint8Array;
    try {
      bytes = encodeCheckpoint(cp);
    } catch (err) {
      if (err instanceof GlassyError) throw err;
      throw new GlassyError(`cannot encode checkpoint ${path}: ${(err as Error).message}`, 'checkpoint', path, 'JSON-able meta and typed arrays');
    }
    try {
      this.write(path, bytes);
    } catch (err) {
      throw writeError(path, err);
    }
    // Only now, with the new file complete, is it safe to let old ones go.
    const all = this.list();
    for (const old of all.slice(0, Math.max(0, all.length - KEEP))) {
      try { unlinkSync(old.path); } catch { /* already gone (a concurrent duplicate of this job) */ }
    }
    return path;
  }

  /**
   * The newest checkpoint whose checksum verifies, or null when there is none. A corrupt newer
   * file is reported (warning naming it and the one used instead); if files exist but none is
   * good, a GlassyError names them all (or, with restartCorrupt, they are removed and null returned).
   */
  load(): Checkpoint | null {
    this.removeStaleTemps();
    const files = this.list().reverse();
    const bad: Array<{ path: string; why: string }> = [];
    for (const f of files) {
      let cp: Checkpoint;
      try {
        cp = decodeCheckpoint(readFileSync(f.path), f.path);
      } catch (err) {
        bad.push({ path: f.path, why: (err as Error).message });
        continue;
      }
      if (bad.length > 0) {
        // Move the bad files aside (kept for inspection): they must not count as one of the two
        // checkpoints retention keeps, or the next save could delete the only good one.
        for (const b of bad) {
          try { renameSync(b.path, b.path + CORRUPT_SUFFIX); } catch { /* gone already */ }
        }
        this.warn(
          `corrupt checkpoint ${bad.map((b) => `${b.path} (${b.why})`).join('; ')}; ` +
          `resuming from the previous good checkpoint ${f.path} (step ${cp.meta.step}); ` +
          `the corrupt file${bad.length > 1 ? 's were' : ' was'} renamed to *${CORRUPT_SUFFIX}`,
        );
      }
      return cp;
    }
    if (bad.length === 0) return null;
    const listing = bad.map((b) => `${b.path} (${b.why})`).join('; ');
    if (this.restartCorrupt) {
      this.warn(`no good checkpoint (${listing}); restarting the replica from scratch as asked`);
      this.clear();
      return null;
    }
    throw new GlassyError(
      `every checkpoint is corrupt: ${listing}. ` +
      'Rerun with --restart-corrupt to start this replica from scratch.',
      'checkpoints', bad.map((b) => b.path), 'at least one checkpoint with a valid checksum',
    );
  }

  /** Remove this replica's checkpoints (after it is done, or to restart it). */
  clear(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private removeStaleTemps(): void {
    if (!existsSync(this.dir)) return;
    const now = Date.now();
    for (const name of readdirSync(this.dir)) {
      if (!name.startsWith(TEMP_PREFIX)) continue;
      const p = join(this.dir, name);
      try {
        if (now - statSync(p).mtimeMs > STALE_TEMP_MS) unlinkSync(p);
      } catch { /* raced with its writer or another cleaner: either way not ours to report */ }
    }
  }
}

/** sha256 over the meta JSON and each tensor (sorted by name): name, dtype, shape, bytes. */
function checksum(metaJson: string, arrays: Record<string, ArrayData>): string {
  const h = createHash('sha256');
  h.update(`meta\0${metaJson}\0`);
  for (const name of Object.keys(arrays).sort()) {
    const a = arrays[name]!;
    h.update(`tensor\0${name}\0${a.constructor.name}\0${a.length}\0`);
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return h.digest('hex');
}

export function encodeCheckpoint(cp: Checkpoint): Uint8Array {
  const metaJson = JSON.stringify(cp.meta);
  const tensors: Record<string, { data: ArrayData; shape: number[] }> = {};
  for (const [name, data] of Object.entries(cp.arrays)) tensors[name] = { data, shape: [data.length] };
  return encodeSafetensors(tensors, {
    [FORMAT_KEY]: FORMAT,
    [META_KEY]: metaJson,
    [SUM_KEY]: checksum(metaJson, cp.arrays),
  });
}

/** Decode and verify; throws (a plain Error with the reason) when the file is not a good checkpoint. */
export function decodeCheckpoint(buf: Uint8Array, source: string): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(buf, source);
  const metaJson = metadata[META_KEY];
  const sum = metadata[SUM_KEY];
  if (metaJson === undefined || sum === undefined) throw new Error('not a glassy checkpoint (meta or checksum missing)');
  const arrays: Record<string, ArrayData> = {};
  for (const [name, t] of Object.entries(tensors)) arrays[name] = t.data;
  if (checksum(metaJson, arrays) !== sum) throw new Error('checksum mismatch');
  // The state itself (θ, optimiser moments) must be finite; recorded series may hold NaN for "not yet".
  for (const [name, a] of Object.entries(arrays)) if (name === 'theta' || name.startsWith('opt.')) refuseNonFinite(source, name, a);
  const meta = JSON.parse(metaJson) as CheckpointMeta;
  if (typeof meta !== 'object' || meta === null || !Number.isSafeInteger(meta.step)) throw new Error('meta has no integer step');
  return { meta, arrays };
}
