#!/usr/bin/env node
// Builds the optional BLAS addon (native/glassy_blas.c -> build/Release/glassy_blas.node) with
// node-gyp. Runs as the package's `install` script, so it must never fail the install: if the build
// is impossible (no compiler, no BLAS headers, no node headers), it prints ONE line saying why and
// exits 0; glassy then uses its portable WebAssembly backend (docs/backends.md).
//
// Env: GLASSY_SKIP_NATIVE=1 skips the build; GLASSY_NATIVE_VERBOSE=1 shows node-gyp's output.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => console.log(`glassy: ${msg}`);

if (process.env.GLASSY_SKIP_NATIVE === '1') {
  say('BLAS addon build skipped (GLASSY_SKIP_NATIVE=1); the portable WebAssembly backend will be used');
  process.exit(0);
}

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp, // set by npm when it runs install scripts
    join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return null;
}

const gyp = findNodeGyp();
if (!gyp) {
  say('BLAS addon not built (node-gyp not found); the portable WebAssembly backend will be used');
  process.exit(0);
}

const args = [gyp, 'rebuild', '--release'];
// Use the headers that ship with this Node when they are there (Debian's nodejs-dev, official
// tarballs), so the build works offline instead of downloading a header tarball.
const prefix = resolve(dirname(process.execPath), '..');
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);

const verbose = process.env.GLASSY_NATIVE_VERBOSE === '1';
const t0 = Date.now();
const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', stdio: verbose ? 'inherit' : 'pipe' });
const addon = join(root, 'build', 'Release', 'glassy_blas.node');
if (r.status === 0 && existsSync(addon)) {
  say(`BLAS addon built in ${((Date.now() - t0) / 1000).toFixed(1)} s (build/Release/glassy_blas.node)`);
  process.exit(0);
}

// One line: the most telling error message node-gyp or the compiler printed.
const out = `${r.stderr ?? ''}\n${r.stdout ?? ''}`;
const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
const stackError = lines.find((l) => /^gyp ERR! stack Error: /.test(l))?.replace(/^gyp ERR! stack Error: /, '');
const telling =
  lines.find((l) => /fatal error|cannot find -l|No such file|not found|undefined reference/i.test(l)) ??
  stackError ??
  lines.find((l) => /error/i.test(l) && !/gyp ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok)/.test(l)) ??
  (r.error ? String(r.error.message) : `node-gyp exited with ${r.status}`);
say(`BLAS addon not built (${telling.replace(/\s+/g, ' ').slice(0, 200)}); the portable WebAssembly backend will be used`);
process.exit(0);
