import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GlassyError } from '../src/core/errors.js';
import { decodeSafetensors, encodeSafetensors } from '../src/store/safetensors.js';

function throwsGlassy(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GlassyError, `expected a GlassyError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

/** A file built by hand from the spec: uint64 LE header length, JSON header, byte buffer. */
function hand(header: string, body: number[]): Uint8Array {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(header)));
  return new Uint8Array(Buffer.concat([len, Buffer.from(header), Buffer.from(body)]));
}

test('safetensors: exact bytes (header JSON, sort order, 8-byte padding, data)', () => {
  const buf = encodeSafetensors(
    { b: { data: new Uint8Array([1, 2, 3]), shape: [3] }, a: { data: new Float32Array([1.5, -2]), shape: [2] } },
    { format: 'pt' },
  );
  // Reference serializer: __metadata__ first, tensors by dtype descending (F32 before U8) then name,
  // compact JSON; 138 bytes padded with 6 spaces to 144.
  const header = '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
    + '"b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}}' + '      ';
  assert.equal(header.length, 144);
  const b = Buffer.from(buf);
  assert.equal(b.readBigUInt64LE(0), 144n);
  assert.equal(b.subarray(8, 152).toString('utf8'), header);
  assert.deepEqual([...b.subarray(152)], [0, 0, 0xc0, 0x3f, 0, 0, 0, 0xc0, 1, 2, 3]);
  assert.equal(buf.length, 152 + 11);
});

test('safetensors: larger dtypes first, then by name; no __metadata__ when none given', () => {
  const buf = encodeSafetensors({
    z8: { data: new Int8Array(1), shape: [1] },
    y64: { data: new Float64Array(1), shape: [1] },
    b32: { data: new Float32Array(1), shape: [] },
    a32: { data: new Float32Array(1), shape: [1] },
    i: { data: new Int32Array(1), shape: [1] },
    u: { data: new Uint32Array(1), shape: [1] },
    u8: { data: new Uint8Array(1), shape: [1] },
  });
  const n = Number(Buffer.from(buf).readBigUInt64LE(0));
  assert.equal(n % 8, 0);
  const json = JSON.parse(Buffer.from(buf.subarray(8, 8 + n)).toString('utf8')) as Record<string, { data_offsets: number[] }>;
  assert.deepEqual(Object.keys(json), ['y64', 'a32', 'b32', 'u', 'i', 'z8', 'u8']);
  assert.deepEqual(json['y64']!.data_offsets, [0, 8]);
  assert.deepEqual(json['u8']!.data_offsets, [25, 26]);
});

test('safetensors: round trip of every dtype with metadata', () => {
  const tensors = {
    'layers.0.weight': { data: new Float32Array([1, -2, 3.5, NaN, 5, 6]), shape: [2, 3] },
    'layers.0.bias': { data: new Float64Array([Math.E, -1e300]), shape: [2] },
    idx: { data: new Int32Array([-7, 2147483647]), shape: [2] },
    u: { data: new Uint32Array([4294967295]), shape: [1] },
    spins: { data: new Int8Array([-1, 1, 1, -1]), shape: [2, 2] },
    mask: { data: new Uint8Array([0, 255]), shape: [2] },
    empty: { data: new Float32Array(0), shape: [0, 3] },
  };
  const meta = { 'glassy.arch': '{"sizes":[3,2],"activation":"relu","bias":true}', 'glassy.seed': '42' };
  const out = decodeSafetensors(encodeSafetensors(tensors, meta), 'r.safetensors');
  assert.deepEqual(out.metadata, meta);
  assert.deepEqual(Object.keys(out.tensors).sort(), Object.keys(tensors).sort());
  for (const [name, t] of Object.entries(tensors)) {
    const o = out.tensors[name]!;
    assert.equal(o.data.constructor, t.data.constructor, name);
    assert.deepEqual(o.shape, t.shape, name);
    assert.deepEqual([...o.data].map(String), [...t.data].map(String), name);
  }
  assert.equal(out.tensors['spins']!.dtype, 'int8');
  assert.equal(out.tensors['layers.0.bias']!.dtype, 'float64');
});

test('safetensors: corrupted or inconsistent files give GlassyErrors naming the source', () => {
  const S = 'w.safetensors';
  throwsGlassy(() => decodeSafetensors(new Uint8Array(4), S), /^w\.safetensors: not a valid \.safetensors file: too short/);
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
  throwsGlassy(() => decodeSafetensors(huge, S), /header length 1099511627776 exceeds/);
  throwsGlassy(() => decodeSafetensors(hand('{"a":1}', []).subarray(0, 10), S), /truncated header/);
  throwsGlassy(() => decodeSafetensors(hand('[1]', []), S), /does not start with "\{"/);
  throwsGlassy(() => decodeSafetensors(hand('{"a":', []), S), /not valid JSON/);
  throwsGlassy(() => decodeSafetensors(hand('{"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}', [0, 0]), S),
    /tensor "a" has unsupported dtype "BF16"/);
  throwsGlassy(() => decodeSafetensors(hand('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0]), S),
    /tensor "a": shape \[2\] of F32 needs 8 bytes, data_offsets span 4/);
  throwsGlassy(() => decodeSafetensors(hand('{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}', [0, 0, 0]), S),
    /tensor "b" overlaps/);
  throwsGlassy(() => decodeSafetensors(hand('{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', [0, 0]), S), /hole in the byte buffer before tensor "a"/);
  throwsGlassy(() => decodeSafetensors(hand('{"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}}', [0, 0]), S), /truncated: tensors need 3 data bytes, found 2/);
  throwsGlassy(() => decodeSafetensors(hand('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [0, 0]), S), /size mismatch/);
  throwsGlassy(() => decodeSafetensors(hand('{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,0]}}', [0]), S), /invalid data_offsets/);
  throwsGlassy(() => decodeSafetensors(hand('{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}', []), S), /invalid shape/);
  throwsGlassy(() => decodeSafetensors(hand('{"__metadata__":{"k":3}}', []), S), /__metadata__\.k is not a string/);
});

test('safetensors: encode validates names, shapes and metadata', () => {
  throwsGlassy(() => encodeSafetensors({ w: { data: new Float32Array(3), shape: [2, 2] } }), /tensors\.w\.shape: got \[2,2\]/);
  throwsGlassy(() => encodeSafetensors({ __metadata__: { data: new Float32Array(1), shape: [1] } }), /tensor name/);
  throwsGlassy(() => encodeSafetensors({}, { k: 1 as unknown as string }), /metadata\.k: got 1, expected a string/);
});
