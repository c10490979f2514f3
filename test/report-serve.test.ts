/** glassy serve without a browser: run listing, path confinement, refresh, binding, options. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Run } from '../src/store/run.js';
import { indexHtml, listRuns, resolveRequestPath, startServer, type GlassyServer } from '../src/report/serve.js';
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
  server = await startServer({ dir: root, port: 0 });
});
after(async () => {
  await server.close();
  rmSync(join(root, '..'), { recursive: true, force: true });
});

test('listRuns finds runs at any depth, with status, and reports unreadable manifests', () => {
  const runs = listRuns(root);
  assert.deepEqual(runs.map((r) => [r.path, r.protocol, r.status, r.hasReport]), [
    ['done', 'hessian', 'complete', true],
    ['group/live', 'train', 'running', false],
    ['junk', null, null, false],
  ]);
  assert.match(runs[2]?.error ?? '', /malformed/);
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
  assert.equal(resolveRequestPath(real, '/done/leak.txt').status, 403, 'symlink to a file outside');
  assert.equal(resolveRequestPath(real, '/up/secret.txt').status, 403, 'symlinked directory outside');
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
  assert.deepEqual(json.runs.map((r) => r.path), ['done', 'group/live', 'junk']);
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
