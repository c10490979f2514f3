/**
 * The element types glassy stores, and their names in the two file formats it writes:
 * NumPy's array-interface type strings (.npy, NEP 1 / numpy.lib.format) and the safetensors dtype
 * tags (huggingface/safetensors, "Format" in its README).
 *
 * Bytes are written in the host's order; every platform Node 20 supports is little-endian, which
 * is also what both formats' readers expect ('<' in .npy; safetensors is little-endian by spec).
 */
export type ArrayData = Float32Array | Float64Array | Int32Array | Uint32Array | Int8Array | Uint8Array;

/** NumPy's dtype names, as `readArray`/`readTensors` report them. */
export type DTypeName = 'float32' | 'float64' | 'int32' | 'uint32' | 'int8' | 'uint8';

export interface DTypeInfo {
  name: DTypeName;
  /** The .npy 'descr' numpy writes for it. */
  npy: string;
  /** The safetensors dtype tag. */
  safetensors: 'F32' | 'F64' | 'I32' | 'U32' | 'I8' | 'U8';
  /** Bytes per element. */
  size: number;
  /** Makes an array of n elements. */
  make(n: number): ArrayData;
}

export const DTYPES: readonly DTypeInfo[] = [
  { name: 'float32', npy: '<f4', safetensors: 'F32', size: 4, make: (n) => new Float32Array(n) },
  { name: 'float64', npy: '<f8', safetensors: 'F64', size: 8, make: (n) => new Float64Array(n) },
  { name: 'int32', npy: '<i4', safetensors: 'I32', size: 4, make: (n) => new Int32Array(n) },
  { name: 'uint32', npy: '<u4', safetensors: 'U32', size: 4, make: (n) => new Uint32Array(n) },
  { name: 'int8', npy: '|i1', safetensors: 'I8', size: 1, make: (n) => new Int8Array(n) },
  { name: 'uint8', npy: '|u1', safetensors: 'U8', size: 1, make: (n) => new Uint8Array(n) },
];

/** The dtype of a typed array, or null for a type glassy does not store. */
export function dtypeOf(data: unknown): DTypeInfo | null {
  // Order matters only for subclasses: Buffer is a Uint8Array and is stored as uint8.
  if (data instanceof Float32Array) return DTYPES[0]!;
  if (data instanceof Float64Array) return DTYPES[1]!;
  if (data instanceof Int32Array) return DTYPES[2]!;
  if (data instanceof Uint32Array) return DTYPES[3]!;
  if (data instanceof Int8Array) return DTYPES[4]!;
  if (data instanceof Uint8Array) return DTYPES[5]!;
  return null;
}

/** The raw bytes of a typed array (a view, no copy). */
export function bytesOf(data: ArrayData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * A typed array of `info`'s type holding a COPY of `bytes` (copying also fixes alignment: a
 * Float64Array view needs an 8-aligned offset, which a file's data section need not have).
 */
export function fromBytes(info: DTypeInfo, bytes: Uint8Array): ArrayData {
  const out = info.make(bytes.byteLength / info.size);
  bytesOf(out).set(bytes);
  return out;
}

/** Number of elements of a shape (1 for the scalar shape []). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function isValidShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
}
