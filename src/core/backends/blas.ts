/**
 * The BLAS backend: the N-API addon in native/glassy_blas.c (built at `npm install` by
 * scripts/build-native.js) calling cblas_sgemm / cblas_dgemm of the system BLAS — OpenBLAS on
 * Linux, Accelerate on macOS. Arguments are checked here before the call (validate.ts), and again,
 * cheaply, in C.
 *
 * Threads: OpenBLAS would start one thread per core inside every process; glassy parallelises
 * across replicas (worker pools) instead, so each process uses 1 BLAS thread unless
 * GLASSY_BLAS_THREADS says otherwise.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Backend, Float } from '../backend.js';
import { GlassyError } from '../errors.js';
import { checkGemm, heapAlloc, scaleC } from './validate.js';

/** What the addon reports about the BLAS it links (for manifests and BENCHMARKS.md). */
export interface BlasInfo {
  /** "OpenBLAS" or "Accelerate". */
  library: string;
  /** openblas_get_config(), e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64". */
  config: string;
  /** openblas_get_corename(): the kernel set chosen at run time (OPENBLAS_CORETYPE overrides it). */
  corename: string;
}

interface Addon {
  sgemm(ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, a: Float32Array, lda: number,
    b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number): void;
  dgemm(ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, a: Float64Array, lda: number,
    b: Float64Array, ldb: number, beta: number, c: Float64Array, ldc: number): void;
  saxpy(alpha: number, x: Float32Array, y: Float32Array): void;
  daxpy(alpha: number, x: Float64Array, y: Float64Array): void;
  sscal(alpha: number, x: Float32Array): void;
  dscal(alpha: number, x: Float64Array): void;
  /** Absent from addons built before they were added (the backend then leaves them out). */
  reluForward?(z: Float32Array, a: Float32Array, n: number): void;
  reluBackward?(z: Float32Array, da: Float32Array, dz: Float32Array, n: number): void;
  gatherRows?(x: Float32Array | Float64Array, d: number, rows: Int32Array, out: Float32Array | Float64Array): void;
  colSums?(m: Float, B: number, cols: number, g: Float, offset: number, beta: 0 | 1): void;
  gatherBytes?(src: Uint8Array, d: number, rows: Int32Array, batch: Int32Array, a: number, b: number, out: Float32Array): void;
  /** The convolution and pooling kernels (Backend.im2col …), absent from addons built before them. */
  im2col?(x: Float, col: Float, B: number, cin: number, h: number, w: number, k: number, s: number, p: number, ho: number, wo: number): void;
  col2im?(col: Float, dx: Float, B: number, cin: number, h: number, w: number, k: number, s: number, p: number, ho: number, wo: number): void;
  swapAxes?(src: Float, dst: Float, p: number, q: number, l: number, bias: Float | null): void;
  rowSums?(a: Float, rows: number, n: number, out: Float, beta: number): void;
  maxPool?(x: Float, y: Float, argmax: Int32Array, planes: number, h: number, w: number, k: number, s: number, ho: number, wo: number): void;
  scatterAdd?(dy: Float, argmax: Int32Array, n: number, dx: Float, m: number): void;
  /** Direct convolution (Backend.convForward …): only where the CPU has AVX2 and FMA. */
  convForward?(x: Float, w: Float, bias: Float | null, y: Float, beta: number, B: number, cin: number, h: number, wIn: number,
    k: number, p: number, cout: number, ho: number, wo: number): void;
  convWeightGrad?(x: Float, dy: Float, gw: Float, gb: Float | null, beta: number, B: number, cin: number, h: number, wIn: number,
    k: number, p: number, cout: number, ho: number, wo: number): void;
  softmaxCE?(f: Float, labels: Int32Array, B: number, C: number, g: Float | null, scale: number, rows: Float64Array): number;
  setThreads(n: number): void;
  getThreads(): number;
  info(): BlasInfo;
}

export interface BlasBackend extends Backend {
  gatherRows?(x: Float32Array | Float64Array, d: number, rows: Int32Array, out: Float32Array | Float64Array): void;
  readonly name: 'blas';
  readonly info: BlasInfo;
  setThreads(n: number): void;
  threads(): number;
}

/** Where the addon is: GLASSY_BLAS_ADDON, else build/Release/glassy_blas.node at the package root. */
export function addonPath(): string {
  const env = process.env.GLASSY_BLAS_ADDON;
  if (env) return env;
  // dist/src/core/backends/blas.js → <root>/build/Release/glassy_blas.node
  return fileURLToPath(new URL('../../../../build/Release/glassy_blas.node', import.meta.url));
}

/** Threads per process: GLASSY_BLAS_THREADS (a positive integer) or 1. */
export function blasThreadsFromEnv(): number {
  const v = process.env.GLASSY_BLAS_THREADS;
  if (v === undefined || v === '') return 1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw GlassyError.invalid('GLASSY_BLAS_THREADS', v, 'a positive integer');
  return n;
}

/**
 * Loads the addon. Returns the backend, or the reason it is unavailable (one short phrase, for the
 * one-line notice printed by the selection in index.ts). GLASSY_NO_BLAS=1 forces "unavailable".
 */
export function loadBlasBackend(): { backend: BlasBackend } | { reason: string } {
  if (process.env.GLASSY_NO_BLAS === '1') return { reason: 'disabled by GLASSY_NO_BLAS=1' };
  const path = addonPath();
  if (!existsSync(path)) return { reason: `addon not built: ${path} is missing; run npm install or node scripts/build-native.js` };
  let addon: Addon;
  try {
    addon = createRequire(import.meta.url)(path) as Addon;
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
    return { reason: `addon failed to load: ${msg}` };
  }
  const threads = blasThreadsFromEnv();
  addon.setThreads(threads);
  const info = addon.info();
  const version = /OpenBLAS\s+([\d.]+)/.exec(info.config)?.[1];
  const lib = version ? `${info.library} ${version}` : info.library;
  const backend: BlasBackend = {
    name: 'blas',
    info,
    get description() {
      const core = info.corename ? `, core ${info.corename}` : '';
      const t = addon.getThreads();
      return `${lib} (cblas_sgemm/cblas_dgemm via N-API${core}, ${t} thread${t === 1 ? '' : 's'})`;
    },
    sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      checkGemm('sgemm', Float32Array, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      if (m === 0 || n === 0) return;
      if (k === 0 || alpha === 0) return scaleC(m, n, beta, c, ldc);
      addon.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    },
    dgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
      checkGemm('dgemm', Float64Array, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      if (m === 0 || n === 0) return;
      if (k === 0 || alpha === 0) return scaleC(m, n, beta, c, ldc);
      addon.dgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    },
    axpy(alpha, x, y) {
      if (x.length !== y.length) throw GlassyError.invalid('axpy.y.length', y.length, `${x.length} (the length of x)`);
      if (x instanceof Float32Array && y instanceof Float32Array) addon.saxpy(alpha, x, y);
      else if (x instanceof Float64Array && y instanceof Float64Array) addon.daxpy(alpha, x, y);
      else throw GlassyError.invalid('axpy', `${x.constructor.name}, ${y.constructor.name}`, 'two arrays of the same precision');
    },
    scal(alpha, x) {
      if (x instanceof Float32Array) addon.sscal(alpha, x);
      else addon.dscal(alpha, x);
    },
    ...heapAlloc,
    usesInPlace() {
      return true;
    },
    setThreads(n) {
      if (!Number.isInteger(n) || n < 1 || n > 1024) throw GlassyError.invalid('threads', n, 'a positive integer');
      addon.setThreads(n);
    },
    threads() {
      return addon.getThreads();
    },
  };
  if (typeof addon.reluForward === 'function' && typeof addon.reluBackward === 'function') {
    backend.reluForward = addon.reluForward.bind(addon);
    backend.reluBackward = addon.reluBackward.bind(addon);
  }
  if (typeof addon.gatherRows === 'function') {
    const gatherRows = addon.gatherRows.bind(addon);
    backend.gatherRows = (x, d, rows, out) => {
      if (x.constructor !== out.constructor) throw GlassyError.invalid('gatherRows.out', out.constructor.name, `a ${x.constructor.name} like x`);
      gatherRows(x, d, rows, out);
    };
  }
  if (typeof addon.colSums === 'function') backend.colSums = addon.colSums.bind(addon);
  if (typeof addon.gatherBytes === 'function') backend.gatherBytes = addon.gatherBytes.bind(addon);
  if (typeof addon.softmaxCE === 'function') backend.softmaxCE = addon.softmaxCE.bind(addon);
  const { im2col, col2im, swapAxes, rowSums, maxPool, scatterAdd } = addon;
  if (im2col && col2im && swapAxes && rowSums && maxPool && scatterAdd) {
    backend.im2col = (x, col, g) => im2col.call(addon, x, col, g.batch, g.channels, g.height, g.width, g.kernel, g.stride, g.padding, g.outHeight, g.outWidth);
    backend.col2im = (col, dx, g) => col2im.call(addon, col, dx, g.batch, g.channels, g.height, g.width, g.kernel, g.stride, g.padding, g.outHeight, g.outWidth);
    backend.swapAxes = swapAxes.bind(addon);
    backend.rowSums = rowSums.bind(addon);
    backend.maxPool = (x, y, argmax, g) => maxPool.call(addon, x, y, argmax, g.planes, g.height, g.width, g.kernel, g.stride, g.outHeight, g.outWidth);
    backend.scatterAdd = scatterAdd.bind(addon);
  }
  const { convForward, convWeightGrad } = addon;
  if (convForward && convWeightGrad) {
    backend.convForward = (x, w, bias, y, beta, g, cout) => {
      if (g.stride !== 1) throw GlassyError.invalid('convForward.stride', g.stride, '1');
      convForward.call(addon, x, w, bias, y, beta, g.batch, g.channels, g.height, g.width, g.kernel, g.padding, cout, g.outHeight, g.outWidth);
    };
    backend.convWeightGrad = (x, dy, gw, gb, beta, g, cout) => {
      if (g.stride !== 1) throw GlassyError.invalid('convWeightGrad.stride', g.stride, '1');
      convWeightGrad.call(addon, x, dy, gw, gb, beta, g.batch, g.channels, g.height, g.width, g.kernel, g.padding, cout, g.outHeight, g.outWidth);
    };
  }
  return { backend };
}
