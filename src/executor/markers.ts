/**
 * The executor's own bookkeeping in a run directory (beside the store's manifest):
 *
 *   ensemble.json               { protocol, replicas, checkpointEvery } — what resume/merge need
 *   replicas-done/<iiii>.json   one per finished replica: its summary (resume skips these)
 *   shards/<i>-of-<n>.json      written when a `--shard i/n` process has run all its replicas
 *
 * Each is one small JSON file written atomically by whoever finished the work, so processes on
 * different machines (queue workers, SLURM array tasks) never write the same file and never
 * touch the manifest, which belongs to the one process that finalises the run.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { GlassyError } from '../core/errors.js';
import { writeFileAtomic } from '../store/atomic.js';
import { replicaTag } from './checkpoint.js';
import type { ReplicaSummary } from './replica.js';

export interface EnsembleInfo {
  protocol: string;
  replicas: number;
  /** `--checkpoint-every` as given when the run was created (null: the task's default). */
  checkpointEvery: number | null;
  /** n of the `--shard i/n` split the run's shards use (null: not sharded, or no shard started yet). */
  shards: number | null;
}

export interface DoneMarker {
  index: number;
  summary: ReplicaSummary;
  /** Wall-clock seconds of the last (resumed) attempt. */
  seconds: number;
  /** Step of the checkpoint the last attempt resumed from (null: it started from scratch). */
  resumedFrom: number | null;
  host: string;
  pid: number;
  finished: string;
}

export interface ShardMarker {
  shard: number;
  of: number;
  indices: number[];
  host: string;
  finished: string;
}

const ENSEMBLE = 'ensemble.json';

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new GlassyError(`cannot read ${path}: ${(err as Error).message}`, 'file', path, 'a readable JSON file');
  }
}

export function readEnsemble(runDir: string): EnsembleInfo | null {
  const p = join(runDir, ENSEMBLE);
  if (!existsSync(p)) return null;
  const v = readJson(p) as Partial<EnsembleInfo>;
  if (typeof v.protocol !== 'string' || !Number.isSafeInteger(v.replicas) || (v.replicas as number) < 1) {
    throw GlassyError.invalid(p, v, 'an object { protocol: string, replicas: positive integer, checkpointEvery }');
  }
  return {
    protocol: v.protocol, replicas: v.replicas as number, checkpointEvery: v.checkpointEvery ?? null,
    shards: Number.isSafeInteger(v.shards) ? (v.shards as number) : null,
  };
}

export function writeEnsemble(runDir: string, info: EnsembleInfo): void {
  writeFileAtomic(join(runDir, ENSEMBLE), JSON.stringify(info, null, 2) + '\n');
}

function donePath(runDir: string, index: number): string {
  return join(runDir, 'replicas-done', `${replicaTag(index)}.json`);
}

/** `origin`: the process that ran the replica, when it is not this one (a queue worker elsewhere). */
export function markDone(runDir: string, index: number, summary: ReplicaSummary, seconds: number,
  resumedFrom: number | null, origin: { host: string; pid: number } = { host: hostname(), pid: process.pid }): void {
  const m: DoneMarker = {
    index, summary, seconds, resumedFrom, host: origin.host, pid: origin.pid, finished: new Date().toISOString(),
  };
  writeFileAtomic(donePath(runDir, index), JSON.stringify(m) + '\n');
}

export function readDone(runDir: string, index: number): DoneMarker | null {
  const p = donePath(runDir, index);
  if (!existsSync(p)) return null;
  return readJson(p) as DoneMarker;
}

/** Indices with a done marker (any index, even beyond K: merge reports those). */
export function listDone(runDir: string): number[] {
  const dir = join(runDir, 'replicas-done');
  if (!existsSync(dir)) return [];
  const out: number[] = [];
  for (const name of readdirSync(dir)) {
    const m = /^(\d+)\.json$/.exec(name);
    if (m) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

export function shardPath(runDir: string, shard: number, of: number): string {
  return join(runDir, 'shards', `${shard}-of-${of}.json`);
}

export function markShard(runDir: string, shard: number, of: number, indices: number[]): void {
  const m: ShardMarker = { shard, of, indices, host: hostname(), finished: new Date().toISOString() };
  writeFileAtomic(shardPath(runDir, shard, of), JSON.stringify(m) + '\n');
}

export function listShards(runDir: string): ShardMarker[] {
  const dir = join(runDir, 'shards');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => /^\d+-of-\d+\.json$/.test(n))
    .map((n) => readJson(join(dir, n)) as ShardMarker)
    .sort((a, b) => a.of - b.of || a.shard - b.shard);
}
