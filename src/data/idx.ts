/**
 * The IDX file format of MNIST (LeCun, Cortes, Burges, "THE MNIST DATABASE of handwritten digits",
 * http://yann.lecun.com/exdb/mnist/, section "FILE FORMATS FOR THE MNIST DATABASE"), also used by
 * Fashion-MNIST (Xiao, Rasul, Vollgraf 2017), KMNIST and EMNIST:
 *
 *   magic: two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions
 *          (labels 0x00000801, images 0x00000803)
 *   dims:  one big-endian uint32 per dimension
 *   data:  prod(dims) values, row-major.
 *
 * Only unsigned-byte data (the type every MNIST-family file uses) is read; gzipped files (as
 * distributed, and as Debian installs Fashion-MNIST) are inflated with zlib.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { GlassyError } from '../core/errors.js';

export interface IdxArray {
  dims: number[];
  /** The values, row-major (a view into the file's bytes, not a copy). */
  data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'short', 0x0c: 'int', 0x0d: 'float', 0x0e: 'double',
};

/** Parse IDX bytes; `expectDims` (1 for labels, 3 for images) is checked when given. */
export function parseIdx(buf: Uint8Array, source = 'IDX data', expectDims?: number): IdxArray {
  const bad = (what: string): GlassyError => new GlassyError(`${source}: not a valid IDX file: ${what}`, 'file', source, 'an IDX (MNIST-format) file');
  if (buf.byteLength < 4) throw bad(`too short (${buf.byteLength} bytes)`);
  const hex = [...buf.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('');
  if (buf[0] !== 0 || buf[1] !== 0) throw bad(`bad magic 0x${hex} (expected 0x0000080N)`);
  const type = buf[2]!;
  const ndims = buf[3]!;
  if (type !== 0x08) {
    throw bad(`unsupported data type 0x${type.toString(16).padStart(2, '0')} (${TYPE_NAMES[type] ?? 'unknown'}); only unsigned-byte (0x08) data is supported`);
  }
  if (expectDims !== undefined && ndims !== expectDims) {
    throw bad(`magic 0x${hex} says ${ndims} dimensions, expected ${expectDims} (0x0000080${expectDims})`);
  }
  if (ndims === 0) throw bad('zero dimensions');
  const start = 4 + 4 * ndims;
  if (buf.byteLength < start) throw bad(`truncated: header needs ${start} bytes, found ${buf.byteLength}`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  let n = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false); // big-endian, as the format specifies
    dims.push(d);
    n *= d;
  }
  const have = buf.byteLength - start;
  if (have < n) throw bad(`truncated: dimensions ${dims.join('×')} need ${n} data bytes, found ${have}`);
  if (have > n) throw bad(`size mismatch: dimensions ${dims.join('×')} need ${n} data bytes, found ${have}`);
  return { dims, data: buf.subarray(start) };
}

/** Read an IDX file, inflating it first when it is gzipped (detected by the gzip magic 1f 8b). */
export function readIdxFile(path: string, expectDims?: number): IdxArray {
  let buf: Uint8Array;
  try {
    buf = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new GlassyError(code === 'ENOENT' ? `IDX file not found: ${path}` : `cannot read ${path}: ${(e as Error).message}`,
      'file', path, 'a readable IDX file');
  }
  if (buf.byteLength >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new GlassyError(`${path}: corrupt gzip data (${(e as Error).message})`, 'file', path, 'a gzipped IDX file');
    }
  }
  return parseIdx(buf, path, expectDims);
}
