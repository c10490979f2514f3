/**
 * Interoperability with the real numpy: np.load reads glassy's .npy files, glassy reads np.save's,
 * and for the same array the bytes are identical. Skipped (with a message) when /usr/bin/python3
 * has no numpy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeNpy, encodeNpy } from '../src/store/npy.js';

const PY = '/usr/bin/python3';
const hasNumpy = spawnSync(PY, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
const skip = hasNumpy ? false : `${PY} has no numpy (apt-get install python3-numpy to run this test)`;

const SCRIPT = String.raw`
import sys, json, numpy as np
d = sys.argv[1]
# 1) read glassy's files
checks = {}
for name, dt, shape in [('f4', '<f4', (2, 3)), ('f8', '<f8', (3,)), ('i4', '<i4', (2, 2)), ('u4', '<u4', (2,)), ('i1', '|i1', (4,)), ('u1', '|u1', (1, 2, 2)), ('s', '<f8', ())]:
    a = np.load(f'{d}/js-{name}.npy')
    checks[name] = {'dtype': a.dtype.str, 'shape': list(a.shape), 'values': [float(v) for v in a.ravel()]}
# 2) write files for glassy, and the bytes numpy makes for arrays glassy also encodes
np.save(f'{d}/py-f4.npy', np.arange(6, dtype='<f4').reshape(2, 3) / 4)
np.save(f'{d}/py-i1.npy', np.array([[-1, 1], [1, -1]], dtype=np.int8))
np.save(f'{d}/py-u1.npy', np.array([0, 7, 255], dtype=np.uint8))
np.save(f'{d}/py-f8.npy', np.array(2.5))
np.save(f'{d}/py-u4-big.npy', np.zeros((1000, 3), dtype='<u4'))
np.save(f'{d}/py-fortran.npy', np.asfortranarray(np.arange(6, dtype='<f4').reshape(2, 3)))
print(json.dumps(checks))
`;

test('numpy reads glassy .npy files and glassy reads numpy\'s, byte-identically', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'glassy-numpy-'));
  try {
    const mine = {
      f4: [new Float32Array([0.5, -1, 2, 3, 4, 1e-3]), [2, 3]],
      f8: [new Float64Array([Math.PI, -2, 1e300]), [3]],
      i4: [new Int32Array([-2147483648, 2147483647, 0, 1]), [2, 2]],
      u4: [new Uint32Array([4294967295, 7]), [2]],
      i1: [new Int8Array([-128, 127, -1, 1]), [4]],
      u1: [new Uint8Array([0, 1, 254, 255]), [1, 2, 2]],
      s: [new Float64Array([2.5]), []],
    } as const;
    for (const [name, [data, shape]] of Object.entries(mine)) {
      writeFileSync(join(dir, `js-${name}.npy`), encodeNpy(data, [...shape]));
    }
    const out = JSON.parse(execFileSync(PY, ['-c', SCRIPT, dir], { encoding: 'utf8', timeout: 30_000 })) as
      Record<string, { dtype: string; shape: number[]; values: number[] }>;
    const descr = { f4: '<f4', f8: '<f8', i4: '<i4', u4: '<u4', i1: '|i1', u1: '|u1', s: '<f8' } as const;
    for (const [name, [data, shape]] of Object.entries(mine)) {
      const o = out[name]!;
      assert.equal(o.dtype, descr[name as keyof typeof descr], name);
      assert.deepEqual(o.shape, shape, name);
      assert.deepEqual(o.values, [...data], name);
    }

    const f4 = decodeNpy(readFileSync(join(dir, 'py-f4.npy')), 'py-f4.npy');
    assert.equal(f4.dtype, 'float32');
    assert.deepEqual(f4.shape, [2, 3]);
    assert.deepEqual([...f4.data], [0, 0.25, 0.5, 0.75, 1, 1.25]);
    // Byte identity with np.save for the same arrays (header layout, growth spaces, padding).
    const same = (file: string, bytes: Uint8Array): void =>
      assert.ok(Buffer.from(readFileSync(join(dir, file))).equals(Buffer.from(bytes)), `${file} differs from np.save`);
    same('py-f4.npy', encodeNpy(new Float32Array([0, 0.25, 0.5, 0.75, 1, 1.25]), [2, 3]));
    same('py-i1.npy', encodeNpy(new Int8Array([-1, 1, 1, -1]), [2, 2]));
    same('py-u1.npy', encodeNpy(new Uint8Array([0, 7, 255])));
    same('py-f8.npy', encodeNpy(new Float64Array([2.5]), []));
    same('py-u4-big.npy', encodeNpy(new Uint32Array(3000), [1000, 3]));
    // numpy writes a 2-D Fortran-ordered array with fortran_order True: refused with advice.
    assert.throws(() => decodeNpy(readFileSync(join(dir, 'py-fortran.npy')), 'py-fortran.npy'), /Fortran-order/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
