/**
 * The inputs a network landscape reads: its samples' [n × d] values in the landscape's precision and
 * in backend memory, read when a pass first needs them, and mini-batches gathered from them — or,
 * where the samples are bytes (MNIST's pixels, data/dataset.ts ByteInputs) and the backend converts
 * bytes (Backend.gatherBytes), gathered from the bytes, which moves a quarter of the memory, so that
 * training on shuffled mini-batches never converts the whole set. Both ways give the same bits.
 */
import type { Backend, Float } from '../core/backend.js';
import type { ByteInputs } from '../data/dataset.js';

/** Where the values come from: float inputs (possibly a getter, read on first use) and optional bytes. */
export interface InputSource {
  readonly x: Float32Array | Float64Array;
  readonly bytes?: ByteInputs | undefined;
}

export class SampleInputs {
  /** The bytes mini-batches are gathered from, or null (float inputs). */
  readonly bytes: ByteInputs | null;
  private values: Float | null = null;

  constructor(private readonly backend: Backend, private readonly precision: 'f32' | 'f64', private readonly source: InputSource) {
    this.bytes = precision === 'f32' && backend.gatherBytes ? source.bytes ?? null : null;
  }

  /** Input values in all (for checking the data's shape without converting it). */
  get length(): number {
    return this.bytes ? this.bytes.rows.length * this.bytes.d : this.source.x.length;
  }

  /** Values per sample when the inputs are bytes (null for float inputs, whose width the caller knows). */
  get width(): number | null {
    return this.bytes ? this.bytes.d : null;
  }

  /** Every sample's inputs, [n × d]: converted (or copied into backend memory) on first use. */
  all(): Float {
    return (this.values ??= this.bytes ? fromBytes(this.backend, this.bytes) : inBackend(this.backend, this.precision, this.source.x));
  }

  /** The first k samples (a measurement subset), still unconverted. */
  first(k: number, d: number): InputSource {
    const { bytes } = this;
    const all = () => this.all();
    return {
      get x() {
        return all().subarray(0, k * d);
      },
      bytes: bytes ? { ...bytes, rows: bytes.rows.subarray(0, k) } : undefined,
    };
  }

  /**
   * out[r·d …) ← the inputs of sample batch[r], for every r; the caller has checked the indices (the
   * kernels check them again and throw a RangeError).
   */
  gather(batch: Int32Array, d: number, out: Float): void {
    const { bytes, backend } = this;
    if (bytes) {
      backend.gatherBytes!(bytes.x, d, bytes.rows, batch, bytes.a, bytes.b, out as Float32Array);
      return;
    }
    const x = this.all();
    if (backend.gatherRows) backend.gatherRows(x, d, batch, out);
    else for (let r = 0; r < batch.length; r++) out.set(x.subarray(batch[r]! * d, batch[r]! * d + d), r * d);
  }
}

/**
 * Input arrays in backend memory and the landscape's precision: the source itself when the kernels
 * can read it in place, else one copy per source, keyed by its buffer and extent, that landscapes
 * over the same data (replicas of one worker, measurement subsets) share. Landscapes never write
 * their inputs.
 */
const inputCopies = new WeakMap<ArrayBufferLike, Map<string, Float>>();

export function inBackend(backend: Backend, precision: 'f32' | 'f64', src: Float32Array | Float64Array): Float {
  if ((precision === 'f32' ? src instanceof Float32Array : src instanceof Float64Array) && backend.usesInPlace?.(src)) return src;
  let byExtent = inputCopies.get(src.buffer);
  if (!byExtent) inputCopies.set(src.buffer, (byExtent = new Map()));
  const key = `${backend.name}:${precision}:${src.byteOffset}:${src.length}:${src.BYTES_PER_ELEMENT}`;
  let copy = byExtent.get(key);
  if (!copy) {
    copy = precision === 'f32' ? backend.allocF32(src.length) : backend.allocF64(src.length);
    copy.set(src);
    byExtent.set(key, copy);
  }
  return copy;
}

/** Float32 conversions of byte inputs, one per set of rows (a split, its prefix), shared likewise. */
const byteCopies = new WeakMap<ArrayBufferLike, Map<string, Float32Array>>();

function fromBytes(backend: Backend, bytes: ByteInputs): Float32Array {
  const { rows } = bytes;
  let byExtent = byteCopies.get(rows.buffer);
  if (!byExtent) byteCopies.set(rows.buffer, (byExtent = new Map()));
  const key = `${backend.name}:${rows.byteOffset}:${rows.length}:${bytes.a}:${bytes.b}`;
  let copy = byExtent.get(key);
  if (!copy) {
    copy = backend.allocF32(rows.length * bytes.d);
    const every = new Int32Array(rows.length);
    for (let i = 0; i < every.length; i++) every[i] = i;
    backend.gatherBytes!(bytes.x, bytes.d, rows, every, bytes.a, bytes.b, copy);
    byExtent.set(key, copy);
  }
  return copy;
}
