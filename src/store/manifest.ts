/**
 * manifest.json: what a run is (protocol, full config, seed), where and with what it ran
 * (versions, git commit, host, pid) and how far it got (status, times, timings, summary).
 * The schema is the contract of docs/RUN-FORMAT.md; it is validated on open so that a damaged
 * manifest is reported by path rather than crashing a protocol later.
 */
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { VERSION } from '../version.js';

export type RunStatus = 'running' | 'complete' | 'interrupted' | 'failed';

export interface GitInfo { commit: string; dirty: boolean }

export interface Manifest {
  /** glassy's version that created the run. */
  glassy: string;
  protocol: string;
  config: unknown;
  seed: number;
  status: RunStatus;
  /** ISO 8601 times. `started` is reset when a run is resumed; `created` never changes. */
  created: string;
  started: string;
  ended?: string;
  /** Process and host that are (or were last) running it: used to detect interrupted runs. */
  pid: number;
  host: string;
  /** The glassy checkout's commit, or null when glassy is not run from a git checkout. */
  git: GitInfo | null;
  versions: { node: string; glassy: string; platform: string; arch: string };
  /** Wall-clock seconds of named phases. */
  timings: Record<string, number>;
  summary?: Record<string, unknown>;
  error?: string;
}

export const manifestSchema = z.looseObject({
  glassy: z.string(),
  protocol: z.string(),
  config: z.unknown(),
  seed: z.number(),
  status: z.enum(['running', 'complete', 'interrupted', 'failed']),
  created: z.string(),
  started: z.string(),
  ended: z.string().optional(),
  pid: z.number().int(),
  host: z.string(),
  git: z.object({ commit: z.string(), dirty: z.boolean() }).nullable(),
  versions: z.looseObject({ node: z.string(), glassy: z.string(), platform: z.string(), arch: z.string() }),
  timings: z.record(z.string(), z.number()),
  summary: z.record(z.string(), z.unknown()).optional(),
  error: z.string().optional(),
});

export function runtimeVersions(): Manifest['versions'] {
  return { node: process.versions.node, glassy: VERSION, platform: process.platform, arch: process.arch };
}

export function thisHost(): string {
  return hostname();
}

let gitCache: GitInfo | null | undefined;

/**
 * The commit of the checkout glassy itself runs from (not the user's working directory: the
 * point is which code produced the numbers). Computed once per process with one git call (2 s
 * timeout, so a slow or absent git costs at most that): `status --porcelain=v2 --branch` gives the
 * commit (`# branch.oid`) and the changed tracked files. `--no-optional-locks` keeps it from
 * refreshing the index, i.e. from writing into the repository.
 */
export function gitInfo(): GitInfo | null {
  if (gitCache !== undefined) return gitCache;
  gitCache = null;
  try {
    // dist/src/store/manifest.js → the package root three levels up (src/store/manifest.ts under tsx: two).
    const root = realpathSync(fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../' : '../../', import.meta.url)));
    // Only if glassy's root IS the top of a checkout (.git there: a folder, or a worktree's file):
    // a glassy installed inside someone else's repository (node_modules) must not report that
    // repository's commit.
    if (!existsSync(join(root, '.git'))) return gitCache;
    const lines = execFileSync('git', ['--no-optional-locks', '-C', root, 'status', '--porcelain=v2', '--branch', '--untracked-files=no'], {
      encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'],
    }).split('\n').filter((l) => l.length > 0);
    const commit = /^# branch\.oid ([0-9a-f]+)$/.exec(lines.find((l) => l.startsWith('# branch.oid ')) ?? '')?.[1];
    if (commit === undefined) return gitCache; // no commit yet
    const dirty = lines.some((l) => !l.startsWith('#'));
    gitCache = { commit, dirty };
  } catch {
    gitCache = null;
  }
  return gitCache;
}

/** Whether a process with this pid exists on this host (signal 0 probes without signalling). */
export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  // 0 and negative pids address process groups, not a process.
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
