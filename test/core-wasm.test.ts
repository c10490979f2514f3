/**
 * The WebAssembly backend's memory scheme: views it hands out stay valid when its memory grows,
 * freed blocks are reused, and an operand living in its memory gives bit-identical results to the
 * same operand passed as an ordinary typed array (copied into scratch).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../src/core/backends/index.js';
import type { WasmBackend } from '../src/core/backends/wasm.js';
import { Rng } from '../src/core/rng.js';

const wasm = (): WasmBackend => getBackend('wasm') as WasmBackend;

test('views from allocF32/allocF64 survive memory growth (shared memory: grow does not detach)', () => {
  const be = wasm();
  const x = be.allocF32(1000);
  const y = be.allocF64(10);
  for (let i = 0; i < x.length; i++) x[i] = i * 0.5;
  y.fill(3.25);
  const before = be.memoryBytes();
  const big = be.allocF32(16 * 1024 * 1024); // 64 MiB: forces memory.grow
  assert.ok(be.memoryBytes() > before && be.memoryBytes() >= 64 * 1024 * 1024, `memory grew from ${before} to ${be.memoryBytes()}`);
  assert.equal(x.length, 1000);
  assert.equal(x[999], 499.5);
  assert.equal(y[9], 3.25);
  // the old views still drive the kernels without copies: C (1×1) = x[0..3]·x[0..3]
  const c = be.allocF32(1);
  be.sgemm(false, true, 1, 1, 4, 1, x, 4, x, 4, 0, c, 1);
  assert.equal(c[0], 0 * 0 + 0.5 * 0.5 + 1 * 1 + 1.5 * 1.5);
  big[big.length - 1] = 1;
  be.free!(big);
});

test('free gives blocks back: the next allocation of the same size reuses the address', () => {
  const be = wasm();
  const a = be.allocF64(4096);
  const at = a.byteOffset;
  be.free!(a);
  const b = be.allocF64(4096);
  assert.equal(b.byteOffset, at);
  assert.ok(b.every((v) => v === 0), 'allocations are zeroed');
  // a subarray is not a whole allocation: ignored, the block stays live
  be.free!(b.subarray(0, 10));
  const c = be.allocF64(4096);
  assert.notEqual(c.byteOffset, at);
  be.free!(b);
  be.free!(c);
});

test('operands in wasm memory and ordinary typed arrays give bit-identical results', () => {
  const be = wasm();
  const rng = Rng.stream(7, 1);
  const m = 37, n = 29, k = 300;
  const a = new Float32Array(m * k), b = new Float32Array(n * k);
  rng.fillNormal(a);
  rng.fillNormal(b);
  const a2 = be.allocF32(a.length), b2 = be.allocF32(b.length), c2 = be.allocF32(m * n);
  a2.set(a);
  b2.set(b);
  const c = new Float32Array(m * n);
  be.sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n);
  be.sgemm(false, true, m, n, k, 1, a2, k, b2, k, 0, c2, n);
  assert.deepEqual([...c], [...c2]);
  // mixed: A ours, B foreign, C foreign with β = 1
  const c3 = Float32Array.from(c);
  be.sgemm(false, true, m, n, k, 1, a2, k, b, k, 1, c3, n);
  for (let i = 0; i < c.length; i++) assert.ok(Math.abs(c3[i]! - 2 * c[i]!) <= 1e-5 * Math.abs(c[i]!) + 1e-6, `element ${i}`);
});
