/** glassy serve without a browser: run listing, path confinement, refresh, binding, options. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Run } from '../src/store/run.js';
import { allowedHost, indexHtml, listRuns, resolveRequestPath, startServer, type GlassyServer } from '../src/report/serve.js';
import { makeHessian, rawGet } from './report-fixtures.js';

let root = '';
let outside = '';
let server: GlassyServer;

before(async () => {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'glassy-serve-')));
  root = join(base, 'runs');
  outside = join(base, 'secret.txt');
  mkdirSync(root);
  writeFileSync(outside, 'top secret');
  makeHessian(join(root, 'done'));
  writeFileSync(join(root, 'done', 'report.html'), '<p>report</p>');
  Run.create(join(root, 'group', 'live'), { protocol: 'train', config: {}, seed: 1 }); // still running (this pid)
  mkdirSync(join(root, 'junk'));
  writeFileSync(join(root, 'junk', 'manifest.json'), '{}');
  symlinkSync(outside, join(root, 'done', 'leak.txt'));
  symlinkSync(base, join(root, 'up'));
  // What `glassy serve .` in a repository would find beside the runs.
  mkdirSync(join(root, '.git'));
  writeFileSync(join(root, '.git', 'config'), '[remote] url = secret');
  writeFileSync(join(root, '.env'), 'TOKEN=secret');
  mkdirSync(join(root, 'done', 'plots'));
  writeFileSync(join(root, 'done', 'plots', 'pq.svg'), '<svg/>');
  symlinkSync(outside, join(root, 'done', 'plots', 'escape.svg'));
  mkdirSync(join(root, 'loose', 'plots'), { recursive: true });
  writeFileSync(join(root, 'loose', 'report.html'), 'not a run');
  writeFileSync(join(root, 'loose', 'plots', 'x.svg'), '<svg/>');
  // A run that says 'running' under a pid that is dead: opening it would record 'interrupted'.
  mkdirSync(join(root, 'dead'));
  const live = JSON.parse(readFileSync(join(root, 'group', 'live', 'manifest.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(root, 'dead', 'manifest.json'), JSON.stringify({ ...live, pid: 2 ** 22 + 12345 }));
  server = await startServer({ dir: root, port: 0 });
});
after(async () => {
  await server.close();
  rmSync(join(root, '..'), { recursive: true, force: true });
});

test('listRuns finds runs at any depth, with status, and reports unreadable manifests', () => {
  const runs = listRuns(root);
  assert.deepEqual(runs.map((r) => [r.path, r.protocol, r.status, r.hasReport]), [
    ['dead', 'train', 'interrupted', false],
    ['done', 'hessian', 'complete', true],
    ['group/live', 'train', 'running', false],
    ['junk', null, null, false],
  ]);
  assert.match(runs[3]?.error ?? '', /malformed/);
});

test('index page links reports, says how to make a missing one, refreshes only while running', () => {
  const html = indexHtml(listRuns(root), 'runs');
  assert.match(html, /<a href="done\/report.html">report<\/a>/);
  assert.match(html, /no report yet<\/span> — <code>glassy report runs\/group\/live<\/code>/);
  assert.match(html, /<meta http-equiv="refresh" content="5">/);
  const still = indexHtml(listRuns(root).filter((r) => r.status !== 'running'), 'runs');
  assert.doesNotMatch(still, /http-equiv="refresh"/);
});

test('resolveRequestPath confines every path to the root', () => {
  const real = realpathSync(root);
  assert.equal(resolveRequestPath(real, '/done/report.html').status, 200);
  assert.equal(resolveRequestPath(real, '/done/report.html?x=1').status, 200);
  assert.equal(resolveRequestPath(real, '/../secret.txt').status, 403);
  assert.equal(resolveRequestPath(real, '/%2e%2e/secret.txt').status, 403);
  assert.equal(resolveRequestPath(real, '/done/%2E%2E%2F..%2Fsecret.txt').status, 403);
  assert.notEqual(resolveRequestPath(real, '/done/leak.txt').status, 200, 'symlink to a file outside');
  assert.notEqual(resolveRequestPath(real, '/up/secret.txt').status, 200, 'symlinked directory outside');
  assert.equal(resolveRequestPath(real, '/done/plots/escape.svg').status, 403, 'symlinked plot pointing outside');
  assert.equal(resolveRequestPath(real, `/${outside}`).status, 404, 'an absolute path is looked up inside the root');
  assert.equal(resolveRequestPath(real, '/%252e%252e/secret.txt').status, 404, 'decoded once only');
  assert.equal(resolveRequestPath(real, '/done/%00').status, 400);
  assert.equal(resolveRequestPath(real, '/%E0%A4%A').status, 400);
  assert.equal(resolveRequestPath(real, 'done/report.html').status, 400);
  assert.equal(resolveRequestPath(real, '/done').status, 404, 'directories are not listed');
});

test('over HTTP: files served, traversal refused, JSON listing, foreign Host refused', async () => {
  const ok = await rawGet(server.port, '/done/report.html');
  assert.equal(ok.status, 200);
  assert.equal(ok.body, '<p>report</p>');
  for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/%2e%2e%2fsecret.txt', '/done/leak.txt', '/up/secret.txt']) {
    const r = await rawGet(server.port, p);
    assert.ok(r.status === 403 || r.status === 404, `${p} → ${r.status}`);
    assert.doesNotMatch(r.body, /top secret/);
  }
  const json = JSON.parse((await rawGet(server.port, '/_glassy/runs.json')).body) as { runs: { path: string; status: string }[] };
  assert.deepEqual(json.runs.map((r) => r.path), ['dead', 'done', 'group/live', 'junk']);
  assert.equal((await rawGet(server.port, '/', '127.0.0.1', 'evil.example:80')).status, 403, 'DNS-rebinding guard');
});

test('binds 127.0.0.1 by default and nothing else', async () => {
  assert.equal(server.host, '127.0.0.1');
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
  if (external) await assert.rejects(rawGet(server.port, '/', external.address), /ECONNREFUSED/);
});

test('bad options are GlassyErrors naming the field', async () => {
  await assert.rejects(startServer({ dir: root, port: 70000 }), /--port: got 70000, expected an integer from 0 to 65535/);
  await assert.rejects(startServer({ dir: join(root, 'nope') }), /dir: got ".*nope", expected an existing directory of runs/);
  await assert.rejects(startServer({ dir: root, port: server.port }), /--port: got \d+, expected a free port/);
});

test('only exact loopback Host headers with this port are accepted (DNS rebinding)', async () => {
  const p = server.port;
  for (const h of [`127.0.0.1:${p}`, `localhost:${p}`, `[::1]:${p}`, `LOCALHOST:${p}`]) assert.ok(allowedHost(h, p), h);
  for (const h of ['127.evil.com', `127.evil.com:${p}`, `127.0.0.1.nip.io:${p}`, '127.0.0.1.nip.io', `127.0.0.1:${p + 1}`, '127.0.0.1', `localhost.evil.com:${p}`, `evil.com:${p}`, '', `[::1]x:${p}`]) {
    assert.ok(!allowedHost(h, p), h);
  }
  assert.ok(allowedHost('localhost', 80), 'port 80 may be left out');
  for (const h of [`127.evil.com:${p}`, `127.0.0.1.nip.io:${p}`]) {
    assert.equal((await rawGet(p, '/', '127.0.0.1', h)).status, 403, h);
    assert.equal((await rawGet(p, '/done/report.html', '127.0.0.1', h)).status, 403, h);
  }
  assert.equal((await rawGet(p, '/', '127.0.0.1', `localhost:${p}`)).status, 200);
});

test('serves only what a report needs: never dotfiles, manifests, arrays or stray files', async () => {
  const p = server.port;
  assert.equal((await rawGet(p, '/done/report.html')).status, 200);
  assert.equal((await rawGet(p, '/done/plots/pq.svg')).status, 200);
  for (const path of ['/.git/config', '/.env', '/%2egit/config', '/done/.glassy-tmp-x', '/done/manifest.json', '/done/arrays/eigenvalues.npy', '/loose/report.html', '/loose/plots/x.svg', '/done/plots/escape.svg']) {
    const r = await rawGet(p, path);
    assert.ok(r.status === 403 || r.status === 404, `${path} → ${r.status}`);
    assert.doesNotMatch(r.body, /secret/);
  }
});

test('a GET never writes: a dead "running" run is shown as interrupted but its manifest is untouched', async () => {
  const path = join(root, 'dead', 'manifest.json');
  const before = readFileSync(path, 'utf8');
  const page = await rawGet(server.port, '/');
  const json = await rawGet(server.port, '/_glassy/runs.json');
  assert.equal(page.status, 200);
  const dead = (JSON.parse(json.body) as { runs: { path: string; status: string }[] }).runs.find((r) => r.path === 'dead');
  assert.equal(dead?.status, 'interrupted');
  assert.equal(readFileSync(path, 'utf8'), before);
});
