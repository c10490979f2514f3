/**
 * Backend selection, in child processes so each starts with a fresh per-process state:
 * 'auto' picks BLAS when the addon loads, else the WebAssembly backend with exactly one notice on
 * stderr; GLASSY_BACKEND forces a backend; bad names are GlassyErrors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const index = new URL('../src/core/backends/index.js', import.meta.url).href;
const addonBuilt = existsSync(fileURLToPath(new URL('../../build/Release/glassy_blas.node', import.meta.url)));

function run(code: string, env: Record<string, string>): { stdout: string; stderr: string; status: number | null } {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('GLASSY_')) clean[k] = v;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import * as B from ${JSON.stringify(index)};\n${code}`], {
    env: { ...clean, ...env }, encoding: 'utf8',
  });
  return { stdout: r.stdout.trim(), stderr: r.stderr.trim(), status: r.status };
}

test('auto picks BLAS when the addon is built, silently', { skip: !addonBuilt && 'addon not built here' }, () => {
  const r = run('console.log(B.getBackend().name, B.getBackend("auto").name)', {});
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'blas blas');
  assert.equal(r.stderr, '');
});

test('addon unavailable (GLASSY_NO_BLAS=1): wasm is chosen and the notice is printed exactly once', () => {
  const r = run('for (let i = 0; i < 3; i++) console.log(B.getBackend().name);', { GLASSY_NO_BLAS: '1' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'wasm\nwasm\nwasm');
  assert.equal(r.stderr, 'glassy: BLAS addon not available (disabled by GLASSY_NO_BLAS=1); using the portable WebAssembly backend');
});

test('a missing addon file is reported with its path', () => {
  const r = run('console.log(B.getBackend().name);', { GLASSY_BLAS_ADDON: '/nonexistent/glassy_blas.node' });
  assert.equal(r.stdout, 'wasm');
  assert.match(r.stderr, /^glassy: BLAS addon not available \(addon not built: \/nonexistent\/glassy_blas\.node is missing; .*\); using the portable WebAssembly backend$/);
});

test('GLASSY_BACKEND forces a backend; asking for an unavailable or unknown one is a GlassyError', () => {
  assert.equal(run('console.log(B.getBackend().name);', { GLASSY_BACKEND: 'reference' }).stdout, 'reference');
  assert.equal(run('console.log(B.getBackend().name);', { GLASSY_BACKEND: 'wasm' }).stdout, 'wasm');
  const bad = run('try { B.getBackend(); } catch (e) { console.log(e.name + ": " + e.message); }', { GLASSY_BACKEND: 'cuda' });
  assert.equal(bad.stdout, 'GlassyError: GLASSY_BACKEND: got "cuda", expected "auto", "blas", "wasm" or "reference"');
  const off = run('try { B.getBackend("blas"); } catch (e) { console.log(e.name + ": " + e.message); }', { GLASSY_NO_BLAS: '1' });
  assert.equal(off.stdout, 'GlassyError: backend: got "blas", expected an available backend (blas: disabled by GLASSY_NO_BLAS=1)');
  const threads = run('try { B.getBackend("blas"); } catch (e) { console.log(e.name + ": " + e.message); }', { GLASSY_BLAS_THREADS: 'two' });
  if (addonBuilt) assert.equal(threads.stdout, 'GlassyError: GLASSY_BLAS_THREADS: got "two", expected a positive integer');
});

test('the plain (non-relaxed) WebAssembly build is correct too (GLASSY_WASM_RELAXED=0)', () => {
  const code = `
    const be = B.getBackend('wasm');
    const m = 13, n = 11, k = 300;
    const a = new Float64Array(m * k).map((_, i) => Math.sin(i)), b = new Float64Array(k * n).map((_, i) => Math.cos(i));
    const c = new Float64Array(m * n);
    be.dgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n);
    let err = 0;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0; for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      err = Math.max(err, Math.abs(s - c[i * n + j]));
    }
    console.log(be.relaxed, err < 1e-12);`;
  assert.equal(run(code, { GLASSY_WASM_RELAXED: '0' }).stdout, 'false true');
  assert.equal(run(code, {}).stdout, 'true true');
});

test('BLAS threads default to 1 and follow GLASSY_BLAS_THREADS', { skip: !addonBuilt && 'addon not built here' }, () => {
  assert.equal(run('console.log(B.getBackend("blas").threads());', {}).stdout, '1');
  assert.equal(run('console.log(B.getBackend("blas").threads());', { GLASSY_BLAS_THREADS: '2' }).stdout, '2');
  assert.match(run('console.log(B.getBackend("blas").description);', {}).stdout, /^OpenBLAS \d+\.\d+\.\d+ \(cblas_sgemm\/cblas_dgemm via N-API, core \w+, 1 thread\)$/);
});
