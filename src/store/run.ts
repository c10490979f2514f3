/**
 * A run directory (docs/RUN-FORMAT.md): the only way protocols touch the disk.
 * Every file is written atomically, so an interrupted run never leaves a
 * half-written array, and `glassy resume` can trust whatever is there.
 *
 *   <dir>/manifest.json                   see manifest.ts
 *   <dir>/arrays/<name>.npy               writeArray / readArray (names may contain '/')
 *   <dir>/replicas/<name>.safetensors     writeTensors / readTensors
 *   <dir>/.glassy-lock                    held by the process running the run (store/lock.ts)
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GlassyError, issueError } from '../core/errors.js';
import { TEMP_PREFIX, sweepStaleTemps, writeError, writeFileAtomic } from './atomic.js';
import { LOCK_FILE, RunLock } from './lock.js';
import type { ArrayData, DTypeName } from './dtype.js';
import {
  type Manifest, type RunStatus, gitInfo, manifestSchema, pidAlive, runtimeVersions, thisHost,
} from './manifest.js';
import { refuseNonFinite } from '../core/finite.js';
import { decodeNpy, npyChunks } from './npy.js';
import { type TensorIn, type TensorOut, decodeSafetensors, safetensorsChunks } from './safetensors.js';
import { VERSION } from '../version.js';

export type { ArrayData, DTypeName } from './dtype.js';
export type { Manifest, RunStatus, GitInfo } from './manifest.js';

export interface RunInit { protocol: string; config: unknown; seed: number }

const MANIFEST = 'manifest.json';
const ARRAYS = 'arrays';
const REPLICAS = 'replicas';

/** Array and tensor-file names: path segments of letters, digits, '.', '_', '-' (no '..', no absolute paths). */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

function checkName(field: string, name: string, ext: string): string {
  const bare = name.endsWith(ext) ? name.slice(0, -ext.length) : name;
  const segs = bare.split('/');
  if (typeof name !== 'string' || bare.length === 0 || !segs.every((s) => SEGMENT.test(s) && s !== '..' && s !== '.')) {
    throw GlassyError.invalid(field, name,
      "a relative name of segments made of letters, digits, '.', '_', '-' separated by '/' (e.g. \"overlaps/q_ab\")");
  }
  return bare;
}

function readFileOr(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GlassyError(`${what} not found: ${path}`, 'path', path, `an existing ${what}`);
    throw new GlassyError(`cannot read ${path}: ${(e as Error).message}`, 'path', path, `a readable ${what}`);
  }
}

/** Recursively list files under `root` with extension `ext`, as '/'-joined names without it. */
function listNames(root: string, ext: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, prefix: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // no such folder yet: nothing written
    }
    for (const e of entries) {
      if (e.name.startsWith(TEMP_PREFIX)) continue;
      if (e.isDirectory()) walk(join(dir, e.name), `${prefix}${e.name}/`);
      else if (e.isFile() && e.name.endsWith(ext)) out.push(prefix + e.name.slice(0, -ext.length));
    }
  };
  walk(root, '');
  return out.sort();
}

function serialise(m: Manifest, dir: string): string {
  try {
    return JSON.stringify(m, null, 2) + '\n';
  } catch (e) {
    throw GlassyError.invalid('config', `(${(e as Error).message})`, `a JSON-serialisable run config for ${dir}`);
  }
}

export class Run {
  private m: Manifest;
  private lock: RunLock | null = null;

  private constructor(readonly dir: string, manifest: Manifest) {
    this.m = manifest;
  }

  /** The current manifest (a live object: do not mutate it, use update()). */
  get manifest(): Manifest {
    return this.m;
  }

  /**
   * Create a run directory (mkdir -p), claim it (store/lock.ts: of two processes creating one
   * directory exactly one gets it) and write its manifest with status 'running'. An existing
   * non-empty directory is refused; with `overwrite` an existing glassy run (one with a
   * manifest.json) that no live process holds is emptied first — any other non-empty directory is
   * still refused, so a typo'd path can never delete unrelated files, nor a live run.
   */
  static create(dir: string, init: RunInit, opts: { overwrite?: boolean } = {}): Run {
    if (typeof init?.protocol !== 'string' || init.protocol.length === 0) {
      throw GlassyError.invalid('protocol', init?.protocol, 'a non-empty protocol name');
    }
    if (!Number.isSafeInteger(init.seed) || init.seed < 0) {
      throw GlassyError.invalid('seed', init.seed, 'a non-negative integer');
    }
    const abs = resolve(dir);
    if (existsSync(abs) && !statSync(abs).isDirectory()) {
      throw new GlassyError(`run directory ${abs} exists and is not a directory`, 'dir', abs, 'a new or empty directory');
    }
    try {
      mkdirSync(abs, { recursive: true });
    } catch (e) {
      throw writeError(abs, e);
    }
    const lock = RunLock.claim(abs);
    try {
      const entries = readdirSync(abs).filter((e) => e !== LOCK_FILE);
      if (entries.length > 0) {
        if (!opts.overwrite) {
          throw new GlassyError(`run directory ${abs} already exists and is not empty (use --overwrite to replace it, or another name)`,
            'dir', abs, 'a new or empty directory');
        }
        if (!entries.includes(MANIFEST)) {
          throw new GlassyError(`refusing to overwrite ${abs}: it is not a glassy run (no ${MANIFEST})`,
            'dir', abs, 'a glassy run directory or an empty directory');
        }
        try {
          for (const e of entries) rmSync(join(abs, e), { recursive: true, force: true });
        } catch (e) {
          throw writeError(abs, e);
        }
      }
      const now = new Date().toISOString();
      const manifest: Manifest = {
        glassy: VERSION,
        protocol: init.protocol,
        config: init.config,
        seed: init.seed,
        status: 'running',
        created: now,
        started: now,
        pid: process.pid,
        host: thisHost(),
        git: gitInfo(),
        versions: runtimeVersions(),
        timings: {},
      };
      const run = new Run(abs, manifest);
      run.lock = lock;
      run.writeManifest();
      return run;
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  /**
   * Open an existing run. A run whose manifest says 'running' but whose process is dead on this
   * host was killed: it is reported (and recorded) as 'interrupted'. Runs of other hosts are left
   * as they are — their pids mean nothing here.
   */
  static open(dir: string, opts: { readOnly?: boolean } = {}): Run {
    const abs = resolve(dir);
    const path = join(abs, MANIFEST);
    if (!existsSync(path)) {
      throw new GlassyError(`no glassy run at ${abs} (${MANIFEST} not found)`, 'dir', abs, 'a run directory with a manifest.json');
    }
    const text = readFileOr(path, 'manifest').toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new GlassyError(`${path} is not valid JSON (${(e as Error).message})`, 'manifest', path, 'a glassy manifest.json');
    }
    const parsed = manifestSchema.safeParse(json);
    if (!parsed.success) {
      throw new GlassyError(`${path} is malformed: ${issueError(parsed.error.issues[0]!, json).message}`,
        'manifest', path, 'a glassy manifest.json');
    }
    const run = new Run(abs, parsed.data as Manifest);
    const m = run.m;
    if (m.status === 'running' && m.host === thisHost() && !pidAlive(m.pid)) {
      run.m = { ...m, status: 'interrupted' };
      // Recording it is a courtesy; a read-only copy of a run must still open, and a reader that
      // promised not to write (glassy serve) only reports it.
      if (!opts.readOnly) try { run.writeManifest(); } catch { /* keep the in-memory status */ }
    }
    return run;
  }

  private writeManifest(): void {
    writeFileAtomic(join(this.dir, MANIFEST), serialise(this.m, this.dir));
  }

  /** Path of an array file (whether or not it exists). */
  arrayPath(name: string): string {
    return join(this.dir, ARRAYS, `${checkName('array name', name, '.npy')}.npy`);
  }

  /** Path of a tensor file (whether or not it exists). */
  tensorsPath(name: string): string {
    return join(this.dir, REPLICAS, `${checkName('tensors name', name, '.safetensors')}.safetensors`);
  }

  /** Write arrays/<name>.npy atomically (shape defaults to 1-D); returns its path. */
  writeArray(name: string, data: ArrayData, shape?: number[]): string {
    const path = this.arrayPath(name);
    writeFileAtomic(path, npyChunks(data, shape));
    return path;
  }

  readArray(name: string): { data: ArrayData; shape: number[]; dtype: DTypeName } {
    const path = this.arrayPath(name);
    return decodeNpy(readFileOr(path, `array "${name}"`), path);
  }

  hasArray(name: string): boolean {
    return existsSync(this.arrayPath(name));
  }

  /** Names of all arrays (sorted, '/'-separated, without .npy). */
  listArrays(): string[] {
    return listNames(join(this.dir, ARRAYS), '.npy');
  }

  /** Write replicas/<name>.safetensors atomically; returns its path. */
  writeTensors(name: string, tensors: Record<string, TensorIn>, metadata?: Record<string, string>): string {
    const path = this.tensorsPath(name);
    writeFileAtomic(path, safetensorsChunks(tensors, metadata));
    return path;
  }

  /** Tensors (network weights) must be finite: a non-finite one is refused with its file and key. */
  readTensors(name: string): { tensors: Record<string, TensorOut>; metadata: Record<string, string> } {
    const path = this.tensorsPath(name);
    const out = decodeSafetensors(readFileOr(path, `tensors "${name}"`), path);
    for (const [key, t] of Object.entries(out.tensors)) refuseNonFinite(path, `tensor ${key}`, t.data);
    return out;
  }

  hasTensors(name: string): boolean {
    return existsSync(this.tensorsPath(name));
  }

  listTensors(): string[] {
    return listNames(join(this.dir, REPLICAS), '.safetensors');
  }

  /**
   * Merge `patch` into the manifest and rewrite it atomically. Timings are merged key by key
   * (other keys replace), so phases recorded elsewhere are not lost.
   */
  update(patch: Partial<Manifest>): void {
    const next: Manifest = { ...this.m, ...patch };
    if (patch.timings) next.timings = { ...this.m.timings, ...patch.timings };
    const prev = this.m;
    this.m = next;
    try {
      this.writeManifest();
    } catch (e) {
      this.m = prev; // memory and disk stay in agreement
      throw e;
    }
    if (next.status !== 'running') this.release();
  }

  /** Record the wall-clock seconds of a named phase. */
  setTiming(name: string, seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) throw GlassyError.invalid(`timings.${name}`, seconds, 'a finite number of seconds ≥ 0');
    this.update({ timings: { [name]: seconds } });
  }

  /**
   * Claim the run for this process (store/lock.ts): refused with one line while another live
   * process holds it, unless `force`. Then the temp files of killed writers are swept away.
   */
  claim(opts: { force?: boolean } = {}): void {
    if (!this.lock) this.lock = RunLock.claim(this.dir, opts);
    sweepStaleTemps(this.dir, pidAlive);
  }

  /** Release the claim (idempotent); done by finish, fail and any update to a status other than 'running'. */
  release(): void {
    this.lock?.release();
    this.lock = null;
  }

  /** Mark the run resumed by this process: claimed, status 'running', new pid, host and start time. */
  resume(): void {
    this.claim();
    const { ended: _e, error: _r, ...rest } = this.m;
    this.m = rest;
    this.update({ status: 'running', pid: process.pid, host: thisHost(), started: new Date().toISOString() });
  }

  /** status 'complete', the end time, and an optional summary of key figures. */
  finish(summary?: Record<string, unknown>): void {
    this.update({ status: 'complete', ended: new Date().toISOString(), ...(summary ? { summary } : {}) });
  }

  /** status 'failed' with the error message, and the end time. */
  fail(error: string): void {
    this.update({ status: 'failed', ended: new Date().toISOString(), error });
  }

  /** Convenience for protocols: the status. */
  get status(): RunStatus {
    return this.m.status;
  }
}
