/**
 * The portable backend: register-blocked WebAssembly SIMD GEMM compiled from asm/gemm.ts
 * (AssemblyScript) by scripts/build-wasm.js. Runs wherever Node runs; no compiler or BLAS needed.
 *
 * Memory. The kernels read and write one WebAssembly linear memory. Hot buffers should live there
 * (allocF32/allocF64 return views into it) so a GEMM needs no copy; other typed arrays are copied
 * into scratch space and C is copied back. Growing an ordinary (non-shared) WebAssembly.Memory
 * detaches every view handed out before, so the memory is created `shared`: growing a shared
 * memory leaves existing views of its SharedArrayBuffer valid (WebAssembly JS API, Memory.grow;
 * threads proposal). Each thread has its own backend and memory (index.ts caches per thread).
 *
 * Relaxed SIMD: gemm-relaxed.wasm uses f32x4/f64x2.relaxed_madd, a single FMA instruction on x64,
 * measured ~1.2x faster than mul+add here (docs/backends.md). Node 20's V8 ships it behind
 * --experimental-wasm-relaxed-simd, which is switched on at run time before compiling; if the
 * engine still rejects the module, the plain SIMD build is used. GLASSY_WASM_RELAXED=0 forces the
 * plain build.
 */
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import type { Backend, ConvGeometry, Float, PoolGeometry } from '../backend.js';
import { GlassyError } from '../errors.js';
import { checkAlloc, checkGemm, span } from './validate.js';
import { FIRST, Heap } from '../wasm-heap.js';

// The compiler's lib is ES2022 without DOM, and @types/node 20 does not declare the WebAssembly
// global, so the few members used here are typed locally.
interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}
type WasmModule = object;
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  Memory: new (desc: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface GemmExports {
  workBytes(): number;
  heapBase(): number;
  relaxed(): number;
  sgemm(ta: number, tb: number, m: number, n: number, k: number, alpha: number, a: number, lda: number,
    b: number, ldb: number, beta: number, c: number, ldc: number, work: number): void;
  dgemm(ta: number, tb: number, m: number, n: number, k: number, alpha: number, a: number, lda: number,
    b: number, ldb: number, beta: number, c: number, ldc: number, work: number): void;
}

/** asm/conv.ts: the convolution's copies (s… f32, d… f64), byte addresses in linear memory. */
type Unfold = (x: number, col: number, B: number, cin: number, h: number, w: number, k: number, s: number, p: number, ho: number, wo: number) => void;
interface ConvExports {
  sIm2col: Unfold; dIm2col: Unfold; sCol2im: Unfold; dCol2im: Unfold;
  sSwapAxes(src: number, dst: number, p: number, q: number, l: number, bias: number): void;
  dSwapAxes(src: number, dst: number, p: number, q: number, l: number, bias: number): void;
  sMaxPool: Pool; dMaxPool: Pool;
  /** -1, or the first o whose argmax[o] is outside [0, m) (then nothing is written). */
  sScatterAdd(dy: number, idx: number, n: number, dx: number, m: number): number;
  dScatterAdd(dy: number, idx: number, n: number, dx: number, m: number): number;
}
type Pool = (x: number, y: number, idx: number, planes: number, h: number, w: number, k: number, s: number, ho: number, wo: number) => void;

export interface WasmBackend extends Backend {
  readonly name: 'wasm';
  /** True when the relaxed-SIMD (FMA) build is running. */
  readonly relaxed: boolean;
  /** Bytes of linear memory currently reserved (grows on demand). */
  memoryBytes(): number;
}

const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB, the most a 32-bit memory can address; must match scripts/build-wasm.js
const INITIAL_PAGES = 64; // matches --initialMemory in scripts/build-wasm.js

function wasmDir(): string {
  // dist/src/core/backends/wasm.js → <root>/asm/build/
  return fileURLToPath(new URL('../../../../asm/build/', import.meta.url));
}

/** Compiles the kernels, preferring the relaxed-SIMD build. Throws with a reason if neither loads. */
function compileKernels(allowRelaxed: boolean): { module: WasmModule; relaxed: boolean } {
  const dir = wasmDir();
  const plainPath = `${dir}gemm.wasm`;
  const relaxedPath = `${dir}gemm-relaxed.wasm`;
  if (!existsSync(plainPath)) throw new Error(`${plainPath} is missing; run npm run build`);
  if (allowRelaxed && process.env.GLASSY_WASM_RELAXED !== '0' && existsSync(relaxedPath)) {
    const bytes = readFileSync(relaxedPath);
    if (!WebAssembly.validate(bytes)) {
      try {
        v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
      } catch {
        // an engine without the flag: validate() below fails and the plain build is used
      }
    }
    if (WebAssembly.validate(bytes)) return { module: new WebAssembly.Module(bytes), relaxed: true };
  }
  const bytes = readFileSync(plainPath);
  if (!WebAssembly.validate(bytes)) throw new Error('this engine rejects the WebAssembly SIMD module');
  return { module: new WebAssembly.Module(bytes), relaxed: false };
}

/**
 * A first-fit allocator over the linear memory, in ALIGN-byte blocks, with coalescing free list.
 * Kept in JavaScript: the kernels never allocate.
 */

/**
 * Creates a WebAssembly backend with its own memory. Throws (plain Error) with the reason if it
 * cannot. `relaxed: false` forces the plain SIMD build (benchmarks compare the two).
 */
export function createWasmBackend(opts: { relaxed?: boolean } = {}): WasmBackend {
  const { module, relaxed } = compileKernels(opts.relaxed ?? true);
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared: true });
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort: () => {
        throw new Error('glassy wasm kernel aborted');
      },
    },
  });
  const ex = instance.exports as unknown as GemmExports;
  if (ex.heapBase() > FIRST) throw new Error(`kernel module's static data (${ex.heapBase()} bytes) overlaps the heap; raise FIRST`);

  // Every SharedArrayBuffer object this memory has handed out; a view is "ours" when its buffer is
  // one of them (after grow, memory.buffer is a new, longer object over the same memory).
  const buffers = new Set<ArrayBufferLike>([memory.buffer]);
  const heap = new Heap((end) => {
    const have = memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) {
      throw GlassyError.invalid('wasm memory', `${end} bytes`, `at most ${MAX_PAGES * PAGE} bytes (4 GiB) per thread`);
    }
    memory.grow(pages);
    buffers.add(memory.buffer);
  });
  const work = heap.alloc(ex.workBytes());

  // Scratch for operands that do not live in our memory, reused and grown as needed.
  const scratch = [{ ptr: 0, bytes: 0 }, { ptr: 0, bytes: 0 }, { ptr: 0, bytes: 0 }];
  function scratchPtr(slot: number, bytes: number): number {
    const s = scratch[slot]!;
    if (s.bytes < bytes) {
      if (s.bytes > 0) heap.free(s.ptr);
      s.bytes = Math.max(bytes, Math.ceil(s.bytes * 1.5));
      s.ptr = heap.alloc(s.bytes);
    }
    return s.ptr;
  }

  const ours = (x: Float): boolean => buffers.has(x.buffer);

  /** Byte address of x's element 0 in linear memory, copying x[0, elems) into scratch if needed. */
  function place(x: Float, elems: number, slot: number, copyIn: boolean): number {
    if (ours(x)) return x.byteOffset;
    const bytes = elems * x.BYTES_PER_ELEMENT;
    const ptr = scratchPtr(slot, bytes);
    if (copyIn && elems > 0) {
      if (x instanceof Float32Array) new Float32Array(memory.buffer, ptr, elems).set(x.subarray(0, elems));
      else new Float64Array(memory.buffer, ptr, elems).set(x.subarray(0, elems));
    }
    return ptr;
  }

  function run(dbl: boolean, transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Float, lda: number, b: Float, ldb: number, beta: number, c: Float, ldc: number): void {
    if (m === 0 || n === 0) return;
    const readsAB = k > 0 && alpha !== 0;
    const pa = readsAB ? place(a, span(transA ? k : m, transA ? m : k, lda), 0, true) : 0;
    const pb = readsAB ? place(b, span(transB ? n : k, transB ? k : n, ldb), 1, true) : 0;
    const cElems = span(m, n, ldc);
    // With β = 0 the kernel never reads C, so a foreign C need not be copied in.
    const pc = place(c, cElems, 2, beta !== 0);
    if (dbl) ex.dgemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, work);
    else ex.sgemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, work);
    if (!ours(c)) {
      const all: Float = dbl ? new Float64Array(memory.buffer, pc, cElems) : new Float32Array(memory.buffer, pc, cElems);
      if (ldc === n) c.set(all);
      else {
        // Copy back only the m×n block: the gaps between rows belong to the caller.
        for (let i = 0; i < m; i++) c.set(all.subarray(i * ldc, i * ldc + n), i * ldc);
      }
    }
  }

  /** x, col and dx of one im2col/col2im call, checked as the BLAS addon checks them. */
  function unfoldArgs(what: string, x: Float, col: Float, g: ConvGeometry): [number, number] {
    const { batch: B, channels: cin, height: h, width: w, kernel: k, stride: s, padding: p, outHeight: ho, outWidth: wo } = g;
    if (x.constructor !== col.constructor) throw new RangeError(`${what}: x and col must be of one float type`);
    if (!(k >= 1 && s >= 1 && h + 2 * p >= k && ho === Math.floor((h + 2 * p - k) / s) + 1 && wo === Math.floor((w + 2 * p - k) / s) + 1)) {
      throw new RangeError(`${what}: output size is not floor((H + 2P - K)/S) + 1`);
    }
    const nx = B * cin * h * w, nc = cin * k * k * B * ho * wo;
    if (x.length < nx || col.length < nc) throw new RangeError(`${what}: x or col shorter than the shape`);
    return [nx, nc];
  }

  /** Copies an output that lives outside linear memory back from its scratch copy. */
  function copyBack(out: Float, ptr: number, elems: number): void {
    if (ours(out)) return;
    out.set(out instanceof Float64Array ? new Float64Array(memory.buffer, ptr, elems) : new Float32Array(memory.buffer, ptr, elems));
  }

  const cx = instance.exports as unknown as Partial<ConvExports>;

  /** An Int32Array's address in linear memory, through scratch slot 2 (copied in when asked) if it is not there. */
  function placeInts(a: Int32Array, n: number, copyIn: boolean): number {
    if (buffers.has(a.buffer)) return a.byteOffset;
    const ptr = scratchPtr(2, n * 4);
    if (copyIn && n > 0) new Int32Array(memory.buffer, ptr, n).set(a.subarray(0, n));
    return ptr;
  }

  const backend: WasmBackend = {
    name: 'wasm',
    relaxed,
    description: `WebAssembly SIMD (AssemblyScript 4×8 register-blocked ${relaxed ? 'relaxed-SIMD FMA' : 'mul+add'} kernel, packed panels)`,
    sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      checkGemm('sgemm', Float32Array, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      run(false, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    },
    dgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      checkGemm('dgemm', Float64Array, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      run(true, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    },
    allocF32(n) {
      checkAlloc('allocF32.n', n);
      const ptr = heap.alloc(n * 4);
      return new Float32Array(memory.buffer, ptr, n).fill(0);
    },
    allocF64(n) {
      checkAlloc('allocF64.n', n);
      const ptr = heap.alloc(n * 8);
      return new Float64Array(memory.buffer, ptr, n).fill(0);
    },
    usesInPlace(x) {
      return ours(x);
    },
    free(x) {
      // Only whole arrays from allocF32/allocF64 (their start is a live block); anything else is ignored.
      if (ours(x)) heap.free(x.byteOffset, x.byteLength);
    },
    memoryBytes() {
      return memory.buffer.byteLength;
    },
  };
  const { sIm2col, dIm2col, sCol2im, dCol2im, sSwapAxes, dSwapAxes } = cx;
  if (sIm2col && dIm2col && sCol2im && dCol2im && sSwapAxes && dSwapAxes) {
    const dims = (g: ConvGeometry) => [g.batch, g.channels, g.height, g.width, g.kernel, g.stride, g.padding, g.outHeight, g.outWidth] as const;
    backend.im2col = (x, col, g) => {
      const [nx, nc] = unfoldArgs('im2col', x, col, g);
      const px = place(x, nx, 0, true), pc = place(col, nc, 1, false);
      (x instanceof Float64Array ? dIm2col : sIm2col)(px, pc, ...dims(g));
      copyBack(col, pc, nc);
    };
    backend.col2im = (col, dx, g) => {
      const [nx, nc] = unfoldArgs('col2im', dx, col, g);
      const pc = place(col, nc, 1, true), px = place(dx, nx, 0, false);
      (dx instanceof Float64Array ? dCol2im : sCol2im)(pc, px, ...dims(g));
      copyBack(dx, px, nx);
    };
    backend.swapAxes = (src, dst, P, Q, L, bias) => {
      const n = P * Q * L;
      if (src.constructor !== dst.constructor || (bias && bias.constructor !== src.constructor)) throw new RangeError('swapAxes: src, dst and bias must be of one float type');
      if (src.length < n || dst.length < n || (bias && bias.length < P)) throw new RangeError('swapAxes: src, dst shorter than P*Q*L or bias shorter than P');
      const ps = place(src, n, 0, true), pd = place(dst, n, 1, false), pb = bias ? place(bias, P, 2, true) : 0;
      (src instanceof Float64Array ? dSwapAxes : sSwapAxes)(ps, pd, P, Q, L, pb);
      copyBack(dst, pd, n);
    };
  }
  const { sMaxPool, dMaxPool, sScatterAdd, dScatterAdd } = cx;
  if (sMaxPool && dMaxPool && sScatterAdd && dScatterAdd) {
    backend.maxPool = (x, y, argmax, g: PoolGeometry) => {
      const { planes, height: h, width: w, kernel: k, stride: s, outHeight: ho, outWidth: wo } = g;
      if (x.constructor !== y.constructor) throw new RangeError('maxPool: x and y must be of one float type');
      if (!(k >= 1 && s >= 1 && h >= k && w >= k && ho === Math.floor((h - k) / s) + 1 && wo === Math.floor((w - k) / s) + 1)) {
        throw new RangeError('maxPool: output size is not floor((H - K)/S) + 1');
      }
      const nx = planes * h * w, ny = planes * ho * wo;
      if (x.length < nx || y.length < ny || argmax.length < ny) throw new RangeError('maxPool: x, y or argmax shorter than the shape');
      const px = place(x, nx, 0, true), py = place(y, ny, 1, false), pi = placeInts(argmax, ny, false);
      (x instanceof Float64Array ? dMaxPool : sMaxPool)(px, py, pi, planes, h, w, k, s, ho, wo);
      copyBack(y, py, ny);
      if (!buffers.has(argmax.buffer)) argmax.set(new Int32Array(memory.buffer, pi, ny));
    };
    backend.scatterAdd = (dy, argmax, n, dx, m) => {
      if (dy.constructor !== dx.constructor) throw new RangeError('scatterAdd: dy and dx must be of one float type');
      if (dy.length < n || argmax.length < n || dx.length < m) throw new RangeError('scatterAdd: dy, argmax shorter than n or dx shorter than m');
      const pd = place(dy, n, 0, true), pi = placeInts(argmax, n, true), px = place(dx, m, 1, false);
      const bad = (dy instanceof Float64Array ? dScatterAdd : sScatterAdd)(pd, pi, n, px, m);
      if (bad >= 0) throw new RangeError(`scatterAdd: argmax[${bad}] = ${argmax[bad]} outside [0, ${m})`);
      copyBack(dx, px, m);
    };
  }
  return backend;
}
