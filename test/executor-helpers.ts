/**
 * Shared helpers of the executor tests (not a test file itself): temporary runs of the selftest
 * protocol, byte-level array comparison, spawning the real CLI, a private redis-server, `glassy
 * worker`s, and kill -9 at a deterministic point (killWhen, killQueueHolder).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareEnsemble } from '../src/executor/ensemble.js';
import { Run } from '../src/store/run.js';
import { parseConfig } from '../src/executor/protocol.js';
import { protocol as selftest, type SelftestConfig } from '../src/protocols/selftest.js';

/** dist/test/ → repository root (bin/glassy.js lives there). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const GLASSY = join(ROOT, 'bin', 'glassy.js');

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `glassy-${tag}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Create a selftest run (manifest + ensemble.json) ready for runEnsemble. */
export function selftestRun(dir: string, config: Partial<SelftestConfig>, replicas: number, seed: number): Run {
  const run = Run.create(dir, { protocol: 'selftest', config: parseConfig(selftest, config), seed });
  prepareEnsemble(run, 'selftest', replicas);
  return run;
}

/** Every .npy under arrays/, by relative name → bytes. */
export function arrayBytes(runDir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const root = join(runDir, 'arrays');
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.npy')) out.set(relative(root, p), readFileSync(p));
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}

/** Names of the arrays that differ (or exist on one side only); [] when bit-identical. */
export function arrayDiff(a: string, b: string): string[] {
  const x = arrayBytes(a), y = arrayBytes(b);
  const names = new Set([...x.keys(), ...y.keys()]);
  return [...names].filter((n) => !x.has(n) || !y.has(n) || !x.get(n)!.equals(y.get(n)!)).sort();
}

export interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** Start `node bin/glassy.js ...args` without waiting (plain progress lines, fast heartbeat). */
export function spawnGlassy(args: string[], env: Record<string, string> = {}): Spawned {
  return spawnWatched(process.execPath, [GLASSY, ...args], ROOT, env);
}

function spawnWatched(cmd: string, args: string[], cwd: string, env: Record<string, string>): Spawned {
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, GLASSY_PROGRESS_INTERVAL: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Whether this process may make mount namespaces (root and util-linux unshare). */
export function canUnshare(): boolean {
  return process.getuid?.() === 0 && spawnSync('unshare', ['-m', 'true'], { stdio: 'ignore' }).status === 0;
}

/**
 * Start `glassy ...args` with `cwd` as its working directory and, where canUnshare(), in its own
 * mount namespace with an empty tmpfs mounted over `hide`: nothing under `hide` (the run
 * directories) exists for it. `unshare` and `sh` exec, so the child's pid is node's.
 */
export function spawnIsolated(args: string[], hide: string, cwd: string): Spawned {
  if (!canUnshare()) return spawnWatched(process.execPath, [GLASSY, ...args], cwd, {});
  const script = 'mount -t tmpfs glassy-hidden "$0" && cd "$1" && shift && exec "$@"';
  return spawnWatched('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, hide, cwd, process.execPath, GLASSY, ...args], cwd, {});
}

/** Whether `path` exists as seen from a process isolated like spawnIsolated's. */
export function visibleWhenIsolated(path: string, hide: string): boolean {
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs glassy-hidden "$0" && test -e "$1"', hide, path]);
  return r.status === 0;
}

/** Run the CLI to completion. */
export async function glassy(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const s = spawnGlassy(args, env);
  const code = await s.exit;
  return { code, stdout: s.stdout(), stderr: s.stderr() };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `cond` every 20 ms until true; throw after `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export function redisAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let buf = '';
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => { buf += d.toString(); if (buf.includes('PONG')) { s.destroy(); resolve(true); } });
    s.on('error', () => resolve(false));
    setTimeout(() => { s.destroy(); resolve(false); }, 500);
  });
}

/** A private redis-server on 127.0.0.1:port, no persistence, noeviction (as BullMQ needs). */
export async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--maxmemory-policy', 'noeviction', '--daemonize', 'no', '--loglevel', 'warning',
  ], { stdio: 'ignore' });
  const t0 = Date.now();
  while (!(await ping(port))) {
    if (Date.now() - t0 > 5000) { child.kill('SIGKILL'); throw new Error(`redis-server did not start on port ${port}`); }
    await sleep(50);
  }
  return child;
}

export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  await Promise.race([gone, sleep(3000).then(() => { child.kill('SIGKILL'); })]);
}

/**
 * `glassy worker` arguments for `queue` at `url`: one job at a time, a short lock and stalled-job
 * check, so that the job of a killed worker is taken over within seconds.
 */
export function workerArgs(url: string, queue: string): string[] {
  return ['worker', '--redis', url, '--queue', queue, '--concurrency', '1', '--lock-duration', '2000', '--stalled-interval', '1000'];
}

/** Start n `glassy worker`s (workerArgs) sharing this checkout's directory; resolves once all are ready. */
export async function startWorkers(url: string, queue: string, n: number): Promise<Spawned[]> {
  const workers = Array.from({ length: n }, () => spawnGlassy(workerArgs(url, queue)));
  await waitFor(() => workers.every((w) => /ready/.test(w.stderr())), 20_000, `${n} workers ready`);
  return workers;
}

function exited(p: Spawned): boolean {
  return p.child.exitCode !== null || p.child.signalCode !== null;
}

/** Wait until every thread of `pid` is stopped (SIGSTOP takes effect asynchronously on another CPU). */
async function stopped(pid: number): Promise<void> {
  const tasks = `/proc/${pid}/task`;
  if (!existsSync(tasks)) return; // not Linux: nothing to watch, the second check races the stop by a moment
  // The state follows the thread's name in parentheses (which may contain ') '); a thread gone counts as stopped.
  const state = (t: string): string => {
    try { const st = readFileSync(join(tasks, t, 'stat'), 'utf8'); return st[st.lastIndexOf(')') + 2] ?? 'X'; } catch { return 'X'; }
  };
  await waitFor(() => { try { return readdirSync(tasks).every((t) => /[TtZX]/.test(state(t))); } catch { return true; } }, 5000, `process ${pid} stopped`);
}

/**
 * SIGKILL one of `candidates` at a deterministic point rather than a random moment: poll `ready(p)`;
 * when it holds, freeze p (SIGSTOP, all threads), ask `ready(p)` again and, if it still holds, SIGKILL
 * p while frozen, so the kill lands in exactly the state `ready` saw; else SIGCONT and poll on.
 * Returns the killed process once it has exited; throws when all candidates ended first.
 */
export async function killWhen(candidates: Spawned[], ready: (p: Spawned) => boolean | Promise<boolean>, ms: number, what: string): Promise<Spawned> {
  const t0 = Date.now();
  for (;;) {
    for (const p of candidates) {
      if (exited(p) || !(await ready(p))) continue;
      p.child.kill('SIGSTOP');
      let still = false;
      try {
        await stopped(p.child.pid!);
        still = !exited(p) && (await ready(p));
      } finally {
        p.child.kill(still ? 'SIGKILL' : 'SIGCONT');
      }
      if (still) {
        await p.exit;
        return p;
      }
    }
    if (candidates.every(exited)) throw new Error(`ended before ${what}: ${candidates.map((p) => p.stderr().slice(-500)).join('\n')}`);
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** The replica of `runDir` that worker w started last, unless its stderr says it finished it. */
export function heldReplica(w: Spawned, runDir: string): number | null {
  let held: number | null = null;
  for (const m of w.stderr().matchAll(/replica (\d+) of (\S+) (started|done)/g)) {
    if (m[2] !== runDir) continue;
    held = m[3] === 'started' ? Number(m[1]) : held === Number(m[1]) ? null : held;
  }
  return held;
}

/**
 * SIGKILL the queue worker (one of `workers`) that holds a replica of `runDir` — with a checkpoint
 * in Redis when `checkpointed` — at a point where the job is still active: the worker is frozen when
 * the check is made, so it cannot complete the job in between. Returns the victim and the replica.
 */
export async function killQueueHolder(workers: Spawned[], url: string, queue: string, runDir: string, checkpointed: boolean): Promise<{ victim: Spawned; index: number }> {
  // Loaded here, not by every test that imports these helpers (bullmq takes a while to load).
  const [{ Queue }, { Redis }, { jobIdFor, keys }] = await Promise.all([import('bullmq'), import('ioredis'), import('../src/executor/queue.js')]);
  const client = new Redis(url);
  const q = new Queue(queue, { connection: { url } });
  let index = -1;
  try {
    const victim = await killWhen(workers, async (w) => {
      const i = heldReplica(w, runDir);
      if (i === null) return false;
      const jobId = jobIdFor(runDir, i);
      if (checkpointed && !(await client.exists(keys.checkpoint(queue, jobId)))) return false;
      // One round trip first: a completion the worker sent before it froze is processed before the state is read.
      await client.ping();
      if ((await q.getJobState(jobId)) !== 'active') return false;
      index = i;
      return true;
    }, 60_000, `a worker holding ${checkpointed ? 'a checkpointed' : 'a'} replica of ${runDir}`);
    return { victim, index };
  } finally {
    await q.close();
    client.disconnect();
  }
}
