import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GlassyError } from '../src/core/errors.js';
import { decodeNpy, encodeNpy, parsePyLiteral, PyTuple } from '../src/store/npy.js';
import type { ArrayData } from '../src/store/dtype.js';

const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

/** Builds a .npy file by hand from the spec: magic, version, LE header length, header, data. */
function handNpy(header: string, data: Uint8Array, major = 1): Uint8Array {
  const lenBytes = major === 1 ? 2 : 4;
  const pre = Buffer.alloc(8 + lenBytes);
  Buffer.from('\x93NUMPY', 'latin1').copy(pre, 0);
  pre[6] = major;
  pre[7] = 0;
  if (major === 1) pre.writeUInt16LE(header.length, 8);
  else pre.writeUInt32LE(header.length, 8);
  return new Uint8Array(Buffer.concat([pre, Buffer.from(header, 'latin1'), data]));
}

function throwsGlassy(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GlassyError, `expected a GlassyError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

test('npy: exact bytes of a float32 (3, 4) array, as numpy >= 1.24 writes them', () => {
  const data = new Float32Array(12).map((_, i) => i);
  const buf = encodeNpy(data, [3, 4]);
  // Spec: "\x93NUMPY", 1, 0, uint16 LE header length, header padded so that 10 + len is a multiple of 64.
  // dict (59 chars) + 20 growth spaces (21 − len("3")) + 38 pad spaces + '\n' = 118 bytes; 10 + 118 = 128.
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }" + ' '.repeat(58) + '\n';
  assert.equal(header.length, 118);
  assert.equal(latin1(buf.subarray(0, 8)), '\x93NUMPY\x01\x00');
  assert.equal(buf[8], 118);
  assert.equal(buf[9], 0);
  assert.equal(latin1(buf.subarray(10, 128)), header);
  assert.equal(buf.length, 128 + 48);
  // 1.0f32 little-endian is 00 00 80 3f.
  assert.deepEqual([...buf.subarray(128 + 4, 128 + 8)], [0x00, 0x00, 0x80, 0x3f]);
});

test('npy: exact headers for uint8 (5,) and float64 scalar ()', () => {
  const u = encodeNpy(new Uint8Array([1, 2, 3, 4, 5]));
  assert.equal(latin1(u.subarray(10, 128)),
    "{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }" + ' '.repeat(20 + 40) + '\n');
  assert.deepEqual([...u.subarray(128)], [1, 2, 3, 4, 5]);
  // A scalar has no axis 0, hence no growth spaces: 55 + 62 + 1 = 118.
  const s = encodeNpy(new Float64Array([2.5]), []);
  assert.equal(latin1(s.subarray(10, 128)), "{'descr': '<f8', 'fortran_order': False, 'shape': (), }" + ' '.repeat(62) + '\n');
  assert.equal(s.length, 136);
  assert.equal(Buffer.from(s).readDoubleLE(128), 2.5);
  // Every header keeps the data 64-aligned.
  const wide = encodeNpy(new Int32Array(0), [0, 123456789, 0]);
  assert.equal(wide.length % 64, 0);
  assert.match(latin1(wide), /'descr': '<i4'.*'shape': \(0, 123456789, 0\), \}/);
});

test('npy: round trip of every dtype keeps values, shape and dtype', () => {
  const cases: Array<[ArrayData, string]> = [
    [new Float32Array([0, -0, 1.5, -3.25e-20, Infinity, -Infinity, NaN, 3.4e38]), 'float32'],
    [new Float64Array([Math.PI, -1e-300, Number.MAX_VALUE, NaN, -0, 1, 2, 3]), 'float64'],
    [new Int32Array([-2147483648, 2147483647, 0, -1, 5, 6, 7, 8]), 'int32'],
    [new Uint32Array([4294967295, 0, 1, 2, 3, 4, 5, 6]), 'uint32'],
    [new Int8Array([-128, 127, 0, -1, 1, 2, 3, 4]), 'int8'],
    [new Uint8Array([255, 0, 1, 2, 3, 4, 5, 6]), 'uint8'],
  ];
  for (const [data, dtype] of cases) {
    const out = decodeNpy(encodeNpy(data, [2, 2, 2]), 'x.npy');
    assert.equal(out.dtype, dtype);
    assert.deepEqual(out.shape, [2, 2, 2]);
    assert.equal(out.data.constructor, data.constructor);
    assert.deepEqual([...out.data].map(String), [...data].map(String)); // String() distinguishes NaN; -0 checked below
  }
  const z = decodeNpy(encodeNpy(new Float64Array([-0]))).data;
  assert.ok(Object.is(z[0], -0));
});

test('npy: subarray views and a misaligned file buffer decode correctly', () => {
  const base = new Float64Array([9, 1, 2, 3]);
  const enc = encodeNpy(base.subarray(1), [3]);
  const shifted = new Uint8Array(enc.length + 3).subarray(3); // data at an odd byte offset
  shifted.set(enc);
  assert.deepEqual([...decodeNpy(shifted).data], [1, 2, 3]);
});

test('npy: decodes version 2.0, "=" byte order, fortran_order on 1-D, and old Python-2 longs', () => {
  const hdr = "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }" + ' '.repeat(4) + '\n';
  const v2 = decodeNpy(handNpy(hdr, new Uint8Array([1, 0, 0, 0, 255, 255, 255, 255]), 2));
  assert.deepEqual([...v2.data], [1, -1]);
  const eq = decodeNpy(handNpy("{'descr': '=f4', 'fortran_order': True, 'shape': (1L,), }\n", new Uint8Array([0, 0, 0x80, 0x3f])));
  assert.deepEqual([...eq.data], [1]);
  assert.deepEqual(eq.shape, [1]);
});

test('npy: corrupted inputs give GlassyErrors naming the source and the problem', () => {
  const good = encodeNpy(new Float32Array([1, 2, 3, 4]), [2, 2]);
  const bad = Uint8Array.from(good);
  bad[1] = 0x00;
  throwsGlassy(() => decodeNpy(bad, 'runs/a/arrays/q.npy'), /^runs\/a\/arrays\/q\.npy: .*bad magic/);
  throwsGlassy(() => decodeNpy(new Uint8Array([0x93]), 'f.npy'), /f\.npy: .*bad magic/);
  const v9 = Uint8Array.from(good);
  v9[6] = 9;
  throwsGlassy(() => decodeNpy(v9, 'f.npy'), /unsupported format version 9\.0/);
  throwsGlassy(() => decodeNpy(good.subarray(0, 60), 'f.npy'), /truncated header/);
  throwsGlassy(() => decodeNpy(good.subarray(0, good.length - 1), 'f.npy'), /truncated: shape \[2,2\] of float32 needs 16 data bytes, found 15/);
  throwsGlassy(() => decodeNpy(new Uint8Array([...good, 0]), 'f.npy'), /size mismatch.*found 17/);
  const f = (h: string, data = new Uint8Array(16)): Uint8Array => handNpy(h + '\n', data);
  throwsGlassy(() => decodeNpy(f("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }"), 'f.npy'), /unsupported dtype '<i8' \(supported: '<f4' \(float32\)/);
  throwsGlassy(() => decodeNpy(f("{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }"), 'f.npy'), /big-endian data \('>f4'\)/);
  throwsGlassy(() => decodeNpy(f("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }"), 'f.npy'), /Fortran-order/);
  throwsGlassy(() => decodeNpy(f("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }"), 'f.npy'), /structured arrays/);
  throwsGlassy(() => decodeNpy(f("{'descr': '<f4', 'shape': (4,), }"), 'f.npy'), /header keys are \{descr,shape\}/);
  throwsGlassy(() => decodeNpy(f("{'descr': '<f4', 'fortran_order': False, 'shape': (4, -1), }"), 'f.npy'), /'shape' is not a tuple/);
  throwsGlassy(() => decodeNpy(f("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), } junk"), 'f.npy'), /not a Python literal/);
  throwsGlassy(() => decodeNpy(f("[1, 2]"), 'f.npy'), /header is not a dict/);
});

test('npy: encode validates the shape and the array type', () => {
  throwsGlassy(() => encodeNpy(new Float32Array(6), [4, 2]), /shape: got \[4,2\], expected dimensions whose product is the array length 6/);
  throwsGlassy(() => encodeNpy(new Float32Array(2), [2.5]), /shape: .*non-negative integers/);
  throwsGlassy(() => encodeNpy(new Uint16Array(2) as unknown as Float32Array), /data: got "\[object Uint16Array\]"/);
});

test('parsePyLiteral: the subset numpy headers use', () => {
  const v = parsePyLiteral("{'a': (1, 2), 'b': (3,), 'c': (), 'd': [True, None], \"e\": (7)}") as Record<string, unknown>;
  assert.deepEqual((v['a'] as PyTuple).items, [1, 2]);
  assert.deepEqual((v['b'] as PyTuple).items, [3]);
  assert.deepEqual((v['c'] as PyTuple).items, []);
  assert.deepEqual(v['d'], [true, null]);
  assert.equal(v['e'], 7);
  assert.throws(() => parsePyLiteral("{'a': 1"), /expected ',' or '\}'|unexpected end/);
});
