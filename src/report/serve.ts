/**
 * `glassy serve`: a read-only web view of the runs under a directory (node:http, no dependencies).
 *
 * Security model: bound to 127.0.0.1 unless told otherwise; GET/HEAD only; every file path is
 * decoded once, refused if any segment is "..", resolved under the root, then its REAL path (after
 * symlinks) must still lie inside the root's real path — so "..", "%2e%2e", "%2f", absolute paths and
 * symlinks out of the directory all fail (403, or 404 when nothing is there). While bound to
 * loopback, requests whose Host header is not exactly a loopback name and this port are refused (DNS
 * rebinding). Only what a report needs is served (report.html, compare.html, plots/*.svg|png, the
 * run listing); dotfiles never. Nothing is ever written: a request only reads.
 * Pages are served with a CSP that forbids every network origin but this server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream, existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { GlassyError } from '../core/errors.js';
import { Run } from '../store/run.js';
import { VERSION } from '../version.js';
import { esc, page, statusBadge } from './html.js';

export interface ServeOptions {
  dir: string;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
}

export interface RunEntry {
  /** Path relative to the served directory, '/'-separated ('' when the directory itself is a run). */
  path: string;
  protocol: string | null;
  status: string | null;
  created: string | null;
  hasReport: boolean;
  /** Why the manifest could not be read, if it could not. */
  error?: string;
}

export interface GlassyServer {
  url: string;
  host: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export const DEFAULT_PORT = 8765;
export const DEFAULT_HOST = '127.0.0.1';
const MAX_DEPTH = 4;
/** Run sub-directories that never hold runs: skipped when scanning. */
const SKIP = new Set(['arrays', 'replicas', 'checkpoints', 'plots', 'node_modules']);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Only this server may be contacted by a served page; vega needs eval for its expressions. */
const CSP =
  "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Every run (directory with a manifest.json) under root, depth-first, sorted by path. */
export function listRuns(root: string): RunEntry[] {
  const rootReal = realpathSync(root);
  const out: RunEntry[] = [];
  const visit = (dir: string, depth: number): void => {
    if (existsSync(join(dir, 'manifest.json'))) {
      out.push(describeRun(rootReal, dir));
      return; // runs do not nest
    }
    if (depth >= MAX_DEPTH) return;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names.sort()) {
      if (n.startsWith('.') || SKIP.has(n)) continue;
      const p = join(dir, n);
      try {
        // Follow a symlinked run only if it stays inside root (the same rule as file serving).
        const real = realpathSync(p);
        if (!inside(rootReal, real) || !statSync(real).isDirectory()) continue;
      } catch {
        continue;
      }
      visit(p, depth + 1);
    }
  };
  visit(rootReal, 0);
  return out;
}

function describeRun(rootReal: string, dir: string): RunEntry {
  const path = relative(rootReal, dir).split(sep).join('/');
  const hasReport = existsSync(join(dir, 'report.html'));
  try {
    // readOnly: a GET never writes (Run.open would record a dead 'running' run as interrupted).
    const m = Run.open(dir, { readOnly: true }).manifest;
    return { path, protocol: m.protocol, status: m.status, created: m.created, hasReport };
  } catch (e) {
    return { path, protocol: null, status: null, created: null, hasReport, error: (e as Error).message };
  }
}

function inside(rootReal: string, p: string): boolean {
  return p === rootReal || p.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep);
}

/** Outcome of mapping a request path to a file. */
export type Resolved = { status: 200; file: string } | { status: 400 | 403 | 404; reason: string };

/** Map a raw request target (as sent, percent-encoded) to a file inside rootReal, or refuse. */
export function resolveRequestPath(rootReal: string, rawTarget: string): Resolved {
  const rawPath = rawTarget.split(/[?#]/, 1)[0] ?? '';
  if (!rawPath.startsWith('/')) return { status: 400, reason: 'request target must start with /' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { status: 400, reason: 'malformed percent-encoding' };
  }
  if (decoded.includes('\0')) return { status: 400, reason: 'NUL in path' };
  const segments = decoded.split(/[/\\]/);
  // Refuse ".." outright (also when it arrived encoded): no legitimate link contains it.
  if (segments.some((s) => s === '..')) return { status: 403, reason: 'path traversal' };
  // Dotfiles and dot-directories (.git/config, .env, .glassy-tmp-*) are never a report's.
  if (segments.some((s) => s.startsWith('.'))) return { status: 403, reason: 'hidden file' };
  if (!isReportFile(segments.filter((s) => s !== ''))) return { status: 404, reason: 'not part of a report' };
  const candidate = resolve(rootReal, `.${decoded}`);
  if (!inside(rootReal, candidate)) return { status: 403, reason: 'outside the served directory' };
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    return { status: 404, reason: 'not found' };
  }
  // A symlink may point anywhere: what counts is where it lands.
  if (!inside(rootReal, real)) return { status: 403, reason: 'symlink out of the served directory' };
  let isFile = false;
  try {
    isFile = statSync(real).isFile();
  } catch {
    /* vanished between realpath and stat */
  }
  if (!isFile) return { status: 404, reason: 'not a file' };
  // A report page is served only where it belongs: beside a run's manifest (or as a comparison page).
  const dir = resolve(candidate, segments[segments.length - 2] === PLOTS ? '../..' : '..');
  const last = segments[segments.length - 1];
  if (last === REPORT_PAGE || segments[segments.length - 2] === PLOTS) {
    if (!existsSync(join(dir, 'manifest.json')) && !existsSync(join(dir, COMPARE_PAGE))) return { status: 404, reason: 'not in a run directory' };
  }
  return { status: 200, file: real };
}

const REPORT_PAGE = 'report.html';
const COMPARE_PAGE = 'compare.html';
const PLOTS = 'plots';
const PLOT_FILE = /^[A-Za-z0-9_.-]+\.(svg|png)$/;

/**
 * What a report needs, and nothing else: a run's report.html, a comparison's compare.html, and the
 * SVG/PNG files in their plots/ folder. Manifests, arrays, weights, checkpoints and whatever else
 * lies in the served directory (a repository's sources, .env) are not served.
 */
function isReportFile(segments: string[]): boolean {
  const last = segments[segments.length - 1] ?? '';
  if (last === REPORT_PAGE || last === COMPARE_PAGE) return true;
  return segments.length >= 2 && segments[segments.length - 2] === PLOTS && PLOT_FILE.test(last);
}

/** The index page: every run, its status, and a link to its report (or how to make one). */
export function indexHtml(runs: RunEntry[], rootLabel: string): string {
  const running = runs.some((r) => r.status === 'running');
  const rows = runs
    .map((r) => {
      const href = r.path === '' ? 'report.html' : `${r.path.split('/').map(encodeURIComponent).join('/')}/report.html`;
      const label = r.path === '' ? '.' : r.path;
      const report = r.hasReport
        ? `<a href="${esc(href)}">report</a>`
        : `<span class="na">no report yet</span> — <code>glassy report ${esc(join(rootLabel, r.path))}</code>`;
      const status = r.error ? `<span class="na">unreadable: ${esc(r.error)}</span>` : statusBadge(r.status ?? undefined);
      return `<tr data-run="${esc(r.path)}" data-status="${esc(r.status ?? '')}"><td>${esc(label)}</td><td>${esc(r.protocol ?? '')}</td><td>${status}</td><td>${esc(r.created ?? '')}</td><td>${report}</td></tr>`;
    })
    .join('\n');
  const table = runs.length
    ? `<table id="runs"><tr><th>run</th><th>protocol</th><th>status</th><th>created</th><th></th></tr>${rows}</table>`
    : '<p class="na">No runs here yet (a run is a directory with a manifest.json).</p>';
  const refresh = running ? '<p class="hint">A run is in progress: this page refreshes every 5 s.</p>' : '';
  return page({
    title: `glassy runs — ${rootLabel}`,
    // Refresh only while something is running: a finished directory should sit still.
    headExtra: running ? '<meta http-equiv="refresh" content="5">' : '',
    body: `<h1>glassy runs</h1><p class="sub">${esc(rootLabel)} · ${runs.length} run(s) · glassy ${esc(VERSION)} · <a href="_glassy/runs.json">runs.json</a></p>${refresh}${table}`,
    withPlots: false,
  });
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** A bind address on the loopback interface (then only loopback Host headers are accepted). */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * DNS-rebinding guard: the Host header must be exactly a loopback name with this server's port
 * ("127.0.0.1:8765", "localhost:8765", "[::1]:8765"; the port may be left out only for port 80).
 * A name merely starting with "127." (127.evil.com, 127.0.0.1.nip.io) is someone else's domain.
 */
export function allowedHost(hostHeader: string | undefined, port: number): boolean {
  if (!hostHeader) return false;
  const h = hostHeader.toLowerCase();
  return LOOPBACK_NAMES.some((n) => h === `${n}:${port}` || (port === 80 && h === n));
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8', head = false): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...securityHeaders(type) });
  res.end(head ? undefined : body);
}

function securityHeaders(type: string): Record<string, string> {
  const h: Record<string, string> = { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' };
  if (type.startsWith('text/html') || type.startsWith('image/svg')) h['Content-Security-Policy'] = CSP;
  return h;
}

/** The request handler (exported for tests that want to drive it without a socket). */
export function handler(rootReal: string, rootLabel: string, loopbackOnly: boolean, port: () => number) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'method not allowed\n');
    }
    if (loopbackOnly && !allowedHost(req.headers.host, port())) return send(res, 403, 'forbidden host\n', undefined, head);
    const target = req.url ?? '/';
    const path = target.split(/[?#]/, 1)[0];
    if (path === '/' || path === '/index.html') return send(res, 200, indexHtml(listRuns(rootReal), rootLabel), TYPES['.html'], head);
    if (path === '/_glassy/runs.json') return send(res, 200, `${JSON.stringify({ runs: listRuns(rootReal) }, null, 2)}\n`, TYPES['.json'], head);
    const r = resolveRequestPath(rootReal, target);
    if (r.status !== 200) return send(res, r.status, `${r.status === 404 ? 'not found' : r.status === 403 ? 'forbidden' : 'bad request'}\n`, undefined, head);
    const type = TYPES[extname(r.file).toLowerCase()] ?? 'application/octet-stream';
    const size = statSync(r.file).size;
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': size, ...securityHeaders(type) });
    if (head) return void res.end();
    const stream = createReadStream(r.file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };
}

/** Validate options, listen, and resolve once the socket is bound. */
export async function startServer(opts: ServeOptions): Promise<GlassyServer> {
  const port = opts.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw GlassyError.invalid('--port', opts.port, 'an integer from 0 to 65535 (0 picks a free port)');
  const host = opts.host ?? DEFAULT_HOST;
  if (typeof host !== 'string' || host.length === 0) throw GlassyError.invalid('--host', opts.host, 'a host name or IP address');
  const abs = resolve(opts.dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw GlassyError.invalid('dir', opts.dir, 'an existing directory of runs');
  const rootReal = realpathSync(abs);
  let bound = port;
  const server = createServer(handler(rootReal, opts.dir, isLoopback(host), () => bound));
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(e.code === 'EADDRINUSE' ? GlassyError.invalid('--port', port, 'a free port (this one is in use; try --port 0)') : e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' ? GlassyError.invalid('--host', host, 'an address of this machine') : e),
    );
    server.listen(port, host, () => ok());
  });
  const addr = server.address() as AddressInfo;
  bound = addr.port;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}/`,
    host: addr.address,
    port: addr.port,
    server,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
