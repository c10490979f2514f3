/**
 * The .safetensors format (huggingface/safetensors, README "Format"):
 *
 *   N: uint64 little-endian | header: N bytes of UTF-8 JSON
 *   { "__metadata__": {str: str}?, "<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ... }
 *   | the byte buffer; offsets are relative to its start, tensors are contiguous, no holes.
 *
 * Written as the reference Rust implementation (`safetensors::tensor::serialize`) writes it, so the
 * bytes match `safetensors.numpy.save_file` for the same tensors: tensors sorted by dtype
 * (larger-aligned types first: F64, F32, U32, I32, I8, U8) then by name, compact JSON with
 * `__metadata__` first, the header padded with spaces to a multiple of 8 bytes so the buffer
 * starts 8-aligned.
 */
import { GlassyError } from '../core/errors.js';
import {
  type ArrayData, type DTypeInfo, type DTypeName, DTYPES, bytesOf, dtypeOf, fromBytes, isValidShape, shapeSize,
} from './dtype.js';

export interface TensorIn { data: ArrayData; shape: number[] }
export interface TensorOut { data: ArrayData; shape: number[]; dtype: DTypeName }

/** Rank of each dtype in the reference implementation's `Dtype` enum order (sorted descending). */
const DTYPE_RANK: Record<string, number> = { U8: 1, I8: 2, I32: 9, U32: 10, F32: 12, F64: 13 };

/** The reference implementation refuses headers above 100 MB (a guard against hostile files). */
const MAX_HEADER = 100_000_000;

function layoutOf(tensors: Record<string, TensorIn>): Array<{ name: string; info: DTypeInfo; t: TensorIn }> {
  const items = Object.entries(tensors).map(([name, t]) => {
    if (name === '__metadata__') throw GlassyError.invalid('tensor name', name, 'a name other than "__metadata__"');
    const info = dtypeOf(t?.data);
    if (!info) {
      throw GlassyError.invalid(`tensors.${name}.data`, Object.prototype.toString.call(t?.data),
        'a Float32Array, Float64Array, Int32Array, Uint32Array, Int8Array or Uint8Array');
    }
    if (!isValidShape(t.shape)) throw GlassyError.invalid(`tensors.${name}.shape`, t.shape, 'an array of non-negative integers');
    if (shapeSize(t.shape) !== t.data.length) {
      throw GlassyError.invalid(`tensors.${name}.shape`, t.shape, `dimensions whose product is the array length ${t.data.length}`);
    }
    return { name, info, t };
  });
  items.sort((a, b) => {
    const r = DTYPE_RANK[b.info.safetensors]! - DTYPE_RANK[a.info.safetensors]!;
    return r !== 0 ? r : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  return items;
}

/** The file as chunks (length + header, then each tensor's bytes), to write without copying. */
export function safetensorsChunks(tensors: Record<string, TensorIn>, metadata?: Record<string, string>): Uint8Array[] {
  const items = layoutOf(tensors);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw GlassyError.invalid(`metadata.${k}`, v, 'a string (safetensors metadata is string → string)');
    }
    header['__metadata__'] = metadata;
  }
  let off = 0;
  for (const { name, info, t } of items) {
    const end = off + t.data.length * info.size;
    header[name] = { dtype: info.safetensors, shape: t.shape, data_offsets: [off, end] };
    off = end;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.byteLength % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.from(' '.repeat(pad))]);
  const pre = new Uint8Array(8 + json.byteLength);
  new DataView(pre.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  pre.set(json, 8);
  return [pre, ...items.map(({ t }) => bytesOf(t.data))];
}

/** Encode named tensors (and optional string metadata) as .safetensors bytes. */
export function encodeSafetensors(tensors: Record<string, TensorIn>, metadata?: Record<string, string>): Uint8Array {
  const chunks = safetensorsChunks(tensors, metadata);
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.byteLength, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

/**
 * Decode .safetensors bytes, validating the header (JSON object, known dtypes, shapes, string
 * metadata) and the offsets (each tensor's size matches dtype × shape; tensors cover the buffer
 * exactly, without overlaps or holes — the reference implementation's `validate`).
 */
export function decodeSafetensors(
  buf: Uint8Array,
  source = '.safetensors data',
  /** Tensors left out of the result, whatever their dtype (their offsets are still validated). */
  skip: (name: string) => boolean = () => false,
): { tensors: Record<string, TensorOut>; metadata: Record<string, string> } {
  const bad = (what: string): GlassyError =>
    new GlassyError(`${source}: not a valid .safetensors file: ${what}`, 'file', source, 'a .safetensors file');
  if (buf.byteLength < 8) throw bad(`too short (${buf.byteLength} bytes) for the 8-byte header length`);
  const n64 = new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) throw bad(`header length ${n64} exceeds ${MAX_HEADER} bytes`);
  const n = Number(n64);
  if (8 + n > buf.byteLength) throw bad(`truncated header (header length ${n}, file ${buf.byteLength} bytes)`);
  const text = Buffer.from(buf.buffer, buf.byteOffset + 8, n).toString('utf8');
  if (!text.startsWith('{')) throw bad('header does not start with "{"');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw bad(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('header is not a JSON object');
  const metadata: Record<string, string> = {};
  const entries: Array<{ name: string; info: DTypeInfo; shape: number[]; begin: number; end: number }> = [];
  const skipped: Array<{ name: string; begin: number; end: number }> = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('__metadata__ is not an object');
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== 'string') throw bad(`__metadata__.${k} is not a string`);
        metadata[k] = s;
      }
      continue;
    }
    if (typeof v !== 'object' || v === null) throw bad(`tensor "${name}" is not an object`);
    const { dtype, shape, data_offsets: offs } = v as Record<string, unknown>;
    if (skip(name)) {
      if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0) || offs[0] > offs[1]) {
        throw bad(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offs)}`);
      }
      skipped.push({ name, begin: offs[0] as number, end: offs[1] as number });
      continue;
    }
    const info = DTYPES.find((t) => t.safetensors === dtype);
    if (!info) {
      throw bad(`tensor "${name}" has unsupported dtype ${JSON.stringify(dtype)} (supported: ${DTYPES.map((t) => t.safetensors).join(', ')})`);
    }
    if (!isValidShape(shape)) throw bad(`tensor "${name}" has invalid shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0) || offs[0] > offs[1]) {
      throw bad(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    const want = shapeSize(shape) * info.size;
    if (end - begin !== want) {
      throw bad(`tensor "${name}": shape ${JSON.stringify(shape)} of ${dtype} needs ${want} bytes, data_offsets span ${end - begin}`);
    }
    entries.push({ name, info, shape, begin, end });
  }
  const bufferStart = 8 + n;
  const bufferLen = buf.byteLength - bufferStart;
  const sorted = [...entries, ...skipped].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expect = 0;
  for (const e of sorted) {
    if (e.begin < expect) throw bad(`tensor "${e.name}" overlaps the previous tensor (data_offsets [${e.begin}, ${e.end}])`);
    if (e.begin > expect) throw bad(`hole in the byte buffer before tensor "${e.name}" (bytes ${expect}..${e.begin})`);
    expect = e.end;
  }
  if (expect > bufferLen) throw bad(`truncated: tensors need ${expect} data bytes, found ${bufferLen}`);
  if (expect < bufferLen) throw bad(`size mismatch: tensors cover ${expect} data bytes, file has ${bufferLen}`);
  const tensors: Record<string, TensorOut> = {};
  for (const e of entries) {
    tensors[e.name] = {
      data: fromBytes(e.info, buf.subarray(bufferStart + e.begin, bufferStart + e.end)),
      shape: e.shape,
      dtype: e.info.name,
    };
  }
  return { tensors, metadata };
}
