/**
 * Shared helpers of the executor tests (not a test file itself): temporary runs of the selftest
 * protocol, byte-level array comparison, spawning the real CLI, and a private redis-server.
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
  const child = spawn(process.execPath, [GLASSY, ...args], {
    cwd: ROOT,
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
