/**
 * The .npy format, version 1.0 for writing (2.0 when a header needs it; 2.0 and 3.0 are read), exactly as specified in
 * NumPy's `numpy.lib.format` documentation (NEP 1):
 *
 *   magic "\x93NUMPY" | major, minor (1 byte each) | HEADER_LEN (uint16 LE for 1.x, uint32 LE for
 *   2.x/3.x) | header: an ASCII (3.x: UTF-8) Python dict literal with keys 'descr', 'fortran_order'
 *   and 'shape', terminated by '\n' and padded with spaces so that 6 + 2 + len(HEADER_LEN) +
 *   HEADER_LEN is a multiple of 64 | the data, C order.
 *
 * The header is written byte for byte as numpy ≥ 1.24's `_write_array_header` writes it (keys
 * sorted, `repr` values, trailing ", }", growth spaces, padding to 64).
 */
import { GlassyError } from '../core/errors.js';
import {
  type ArrayData, type DTypeInfo, type DTypeName, DTYPES, bytesOf, dtypeOf, fromBytes, isValidShape, shapeSize,
} from './dtype.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
/** numpy.lib.format.ARRAY_ALIGN: the data starts at a multiple of 64 bytes. */
const ALIGN = 64;

/** Python's repr of a tuple of ints: (), (3,), (3, 4). */
function shapeRepr(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/** The header dict exactly as numpy writes it (without padding). */
export function npyHeaderDict(descr: string, shape: readonly number[]): string {
  return `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr(shape)}, }`;
}

/**
 * numpy.lib.format.GROWTH_AXIS_MAX_DIGITS: numpy ≥ 1.24 appends 21 − len(repr(shape[0])) spaces to
 * the dict so the header can be rewritten in place when axis 0 grows. Optional in the spec; done
 * here too so glassy's files are byte-identical to np.save's.
 */
const GROWTH_AXIS_MAX_DIGITS = 21;

/**
 * Preamble + padded header (everything before the data), as numpy's `_write_array_header` makes
 * it: version 1.0, or 2.0 when the header does not fit a uint16 length.
 */
export function npyPreamble(descr: string, shape: readonly number[]): Uint8Array {
  let dict = npyHeaderDict(descr, shape);
  if (shape.length > 0) dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  // numpy: padlen = ARRAY_ALIGN − ((len(header) + 1 + preamble) % ARRAY_ALIGN); +1 for the '\n'.
  let pre = 10;
  let total = Math.ceil((pre + dict.length + 1) / ALIGN) * ALIGN;
  if (total - pre > 0xffff) {
    pre = 12;
    total = Math.ceil((pre + dict.length + 1) / ALIGN) * ALIGN;
  }
  const headerLen = total - pre;
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = pre === 10 ? 1 : 2;
  out[7] = 0;
  if (pre === 10) new DataView(out.buffer).setUint16(8, headerLen, true);
  else new DataView(out.buffer).setUint32(8, headerLen, true);
  const padded = dict + ' '.repeat(headerLen - dict.length - 1) + '\n';
  for (let i = 0; i < padded.length; i++) out[pre + i] = padded.charCodeAt(i);
  return out;
}

function checkShape(data: ArrayData, shape: readonly number[] | undefined): { info: DTypeInfo; shape: number[] } {
  const info = dtypeOf(data);
  if (!info) {
    throw GlassyError.invalid('data', Object.prototype.toString.call(data),
      'a Float32Array, Float64Array, Int32Array, Uint32Array, Int8Array or Uint8Array');
  }
  const s = shape ? [...shape] : [data.length];
  if (!isValidShape(s)) throw GlassyError.invalid('shape', shape, 'an array of non-negative integers');
  if (shapeSize(s) !== data.length) {
    throw GlassyError.invalid('shape', s, `dimensions whose product is the array length ${data.length}`);
  }
  return { info, shape: s };
}

/** The file as chunks (preamble, data view): lets large arrays be written without a copy. */
export function npyChunks(data: ArrayData, shape?: readonly number[]): Uint8Array[] {
  const c = checkShape(data, shape);
  return [npyPreamble(c.info.npy, c.shape), bytesOf(data)];
}

/** Encode `data` with `shape` (default: 1-D) as .npy v1.0 bytes. */
export function encodeNpy(data: ArrayData, shape?: number[]): Uint8Array {
  const [pre, body] = npyChunks(data, shape) as [Uint8Array, Uint8Array];
  const out = new Uint8Array(pre.byteLength + body.byteLength);
  out.set(pre, 0);
  out.set(body, pre.byteLength);
  return out;
}

export interface NpyHeader {
  /** The 'descr' string as written, e.g. '<f4'. */
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the data. */
  dataOffset: number;
  version: [number, number];
}

/**
 * Parse and validate the preamble and header of a .npy file (no check of the dtype or data).
 * Exposed so that readers of foreign files (data/) can accept dtypes glassy never writes (int64).
 */
export function readNpyHeader(buf: Uint8Array, source = '.npy data'): NpyHeader {
  const bad = (what: string): GlassyError => new GlassyError(`${source}: not a valid .npy file: ${what}`, 'file', source, 'a .npy file');
  if (buf.byteLength < 10 || MAGIC.some((b, i) => buf[i] !== b)) throw bad('bad magic (expected "\\x93NUMPY")');
  const major = buf[6]!;
  const minor = buf[7]!;
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = buf[8]! | (buf[9]! << 8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.byteLength < 12) throw bad('truncated preamble');
    headerLen = (buf[8]! | (buf[9]! << 8) | (buf[10]! << 16)) + buf[11]! * 16777216;
    start = 12;
  } else {
    throw bad(`unsupported format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  if (start + headerLen > buf.byteLength) throw bad(`truncated header (needs ${headerLen} bytes)`);
  const headerBytes = buf.subarray(start, start + headerLen);
  const text = major === 3 ? Buffer.from(headerBytes).toString('utf8') : Buffer.from(headerBytes).toString('latin1');
  let dict: unknown;
  try {
    dict = parsePyLiteral(text);
  } catch (e) {
    throw bad(`header is not a Python literal (${(e as Error).message})`);
  }
  if (typeof dict !== 'object' || dict === null || Array.isArray(dict) || dict instanceof PyTuple) {
    throw bad('header is not a dict');
  }
  const d = dict as Record<string, unknown>;
  const keys = Object.keys(d).sort().join(',');
  if (keys !== 'descr,fortran_order,shape') throw bad(`header keys are {${keys}}, expected {descr, fortran_order, shape}`);
  if (typeof d['descr'] !== 'string') throw bad(`unsupported dtype ${JSON.stringify(d['descr'])} (structured arrays are not supported)`);
  if (typeof d['fortran_order'] !== 'boolean') throw bad("'fortran_order' is not a bool");
  const shape = d['shape'];
  if (!(shape instanceof PyTuple) || !isValidShape(shape.items)) throw bad("'shape' is not a tuple of non-negative ints");
  return { descr: d['descr'], fortranOrder: d['fortran_order'], shape: [...shape.items] as number[], dataOffset: start + headerLen, version: [major, minor] };
}

/** The dtype for a 'descr', accepting the spellings of one-byte types that numpy may write. */
function dtypeForDescr(descr: string): DTypeInfo | null {
  const m = /^([<>|=])([a-zA-Z])(\d+)$/.exec(descr);
  if (!m) return null;
  const [, order, kind, bytes] = m as unknown as [string, string, string, string];
  const info = DTYPES.find((t) => t.npy.slice(1) === kind + bytes);
  if (!info) return null;
  // Byte order matters only for multi-byte types ('|' = not applicable; '=' = native = little here).
  if (info.size > 1 && order === '|') return null;
  return info;
}

export interface DecodedArray {
  data: ArrayData;
  shape: number[];
  dtype: DTypeName;
}

/**
 * Decode .npy bytes, validating everything. `source` (a path, usually) names the file in errors:
 * bad magic, unsupported version or dtype, Fortran order, big-endian data, size mismatch.
 */
export function decodeNpy(buf: Uint8Array, source = '.npy data'): DecodedArray {
  const h = readNpyHeader(buf, source);
  const bad = (what: string): GlassyError => new GlassyError(`${source}: ${what}`, 'file', source, 'a .npy file');
  if (/^>/.test(h.descr) && !/^>[iu]1$/.test(h.descr)) {
    throw bad(`big-endian data ('${h.descr}') is not supported; save it little-endian (e.g. arr.astype('<${h.descr.slice(1)}'))`);
  }
  const info = dtypeForDescr(h.descr);
  if (!info) {
    throw bad(`unsupported dtype '${h.descr}' (supported: ${DTYPES.map((t) => `'${t.npy}' (${t.name})`).join(', ')})`);
  }
  if (h.fortranOrder && h.shape.length > 1) {
    throw bad('Fortran-order arrays are not supported; save it in C order (np.ascontiguousarray)');
  }
  const n = shapeSize(h.shape);
  const want = n * info.size;
  const have = buf.byteLength - h.dataOffset;
  if (have < want) throw bad(`truncated: shape ${JSON.stringify(h.shape)} of ${info.name} needs ${want} data bytes, found ${have}`);
  if (have > want) throw bad(`size mismatch: shape ${JSON.stringify(h.shape)} of ${info.name} needs ${want} data bytes, found ${have}`);
  return { data: fromBytes(info, buf.subarray(h.dataOffset, h.dataOffset + want)), shape: h.shape, dtype: info.name };
}

// --- a minimal parser for the Python literals numpy writes in headers ---------------------------

/** A Python tuple (distinguished from a list, which numpy uses for structured dtypes). */
export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

/** Parses dicts, tuples, lists, str, int, True/False/None: the subset numpy headers use. */
export function parsePyLiteral(text: string): unknown {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`${what} at character ${i}`);
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === undefined) return fail('unexpected end');
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      for (;;) {
        ws();
        if (text[i] === '}') { i++; return out; }
        const k = value();
        if (typeof k !== 'string') fail('dict key is not a string');
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        out[k as string] = value();
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return out; }
        fail("expected ',' or '}'");
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const items: unknown[] = [];
      let sawComma = false;
      for (;;) {
        ws();
        if (text[i] === close) { i++; break; }
        items.push(value());
        ws();
        if (text[i] === ',') { i++; sawComma = true; continue; }
        if (text[i] === close) { i++; break; }
        fail(`expected ',' or '${close}'`);
      }
      if (c === '[') return items;
      // (x) without a comma is a parenthesised value, not a tuple.
      return items.length === 1 && !sawComma ? items[0] : new PyTuple(items);
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('unterminated string');
      const s = text.slice(i + 1, end);
      if (s.includes('\\')) fail('escapes in strings are not supported');
      i = end + 1;
      return s;
    }
    const m = /^(True|False|None|-?\d+L?)/.exec(text.slice(i, i + 32));
    if (!m) return fail(`unexpected ${JSON.stringify(c)}`);
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    // Python 2 numpy wrote longs as e.g. 3L.
    return Number(m[0].replace('L', ''));
  };
  const v = value();
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}
