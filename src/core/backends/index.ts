/**
 * Choosing the GEMM backend (docs/backends.md).
 *
 *   getBackend()          'auto': GLASSY_BACKEND if set, else the BLAS addon if it loads, else the
 *                         portable WebAssembly backend (with a one-line notice on stderr), else the
 *                         reference loops (also with a notice).
 *   getBackend('wasm')    exactly that backend, or a GlassyError saying why it is unavailable.
 *
 * Backends are cached per thread: module state is per thread in Node (each worker loads its own
 * copy of this module), which is what the WebAssembly backend needs (one memory per thread).
 */
import type { Backend, BackendName, Float } from '../backend.js';
import { GlassyError } from '../errors.js';
import { loadBlasBackend } from './blas.js';
import { createReferenceBackend } from './reference.js';
import { createWasmBackend } from './wasm.js';

export type { Backend, BackendName, Float } from '../backend.js';

const NAMES: readonly BackendName[] = ['blas', 'wasm', 'reference'];
const cache = new Map<BackendName, Backend>();
/** Why a backend could not be created (so we try, and explain, once per thread). */
const failures = new Map<BackendName, string>();
let autoChoice: Backend | undefined;

/** Env marker so the fallback notice is printed once per process, also across worker threads started later. */
const NOTICE_ENV = 'GLASSY_BACKEND_NOTICE_SHOWN';

function notice(line: string): void {
  if (process.env[NOTICE_ENV] === '1') return;
  process.env[NOTICE_ENV] = '1';
  process.stderr.write(`glassy: ${line}\n`);
}

function tryCreate(name: BackendName): Backend | string {
  const hit = cache.get(name);
  if (hit) return hit;
  const failed = failures.get(name);
  if (failed !== undefined) return failed;
  let made: Backend | string;
  if (name === 'reference') made = createReferenceBackend();
  else if (name === 'blas') {
    const r = loadBlasBackend();
    made = 'backend' in r ? r.backend : r.reason;
  } else {
    try {
      made = createWasmBackend();
    } catch (e) {
      made = e instanceof Error ? e.message : String(e);
    }
  }
  if (typeof made === 'string') failures.set(name, made);
  else cache.set(name, made);
  return made;
}

function parseName(field: string, v: string): 'auto' | BackendName {
  if (v === 'auto' || (NAMES as readonly string[]).includes(v)) return v as 'auto' | BackendName;
  throw GlassyError.invalid(field, v, '"auto", "blas", "wasm" or "reference"');
}

/**
 * The GEMM backend for this thread. `name` defaults to 'auto' (see the module comment); the env
 * variable GLASSY_BACKEND=blas|wasm|reference overrides the automatic choice.
 */
export function getBackend(name: 'auto' | BackendName = 'auto'): Backend {
  const want = parseName('backend', name);
  if (want !== 'auto') {
    const b = tryCreate(want);
    if (typeof b === 'string') throw GlassyError.invalid('backend', want, `an available backend (${want}: ${b})`);
    return b;
  }
  if (autoChoice) return autoChoice;
  const env = process.env.GLASSY_BACKEND;
  if (env !== undefined && env !== '' && env !== 'auto') {
    const forced = parseName('GLASSY_BACKEND', env) as BackendName;
    const b = tryCreate(forced);
    if (typeof b === 'string') throw GlassyError.invalid('GLASSY_BACKEND', env, `an available backend (${forced}: ${b})`);
    return (autoChoice = b);
  }
  const blas = tryCreate('blas');
  if (typeof blas !== 'string') return (autoChoice = blas);
  const wasm = tryCreate('wasm');
  if (typeof wasm !== 'string') {
    notice(`BLAS addon not available (${blas}); using the portable WebAssembly backend`);
    return (autoChoice = wasm);
  }
  notice(`BLAS addon not available (${blas}) and WebAssembly kernels not available (${wasm}); using the slow reference backend`);
  return (autoChoice = tryCreate('reference') as Backend);
}

/** Which backends load on this thread, and why the others do not (for `glassy info`-style output). */
export function availableBackends(): Array<{ name: BackendName; available: boolean; detail: string }> {
  return NAMES.map((n) => {
    const b = tryCreate(n);
    return typeof b === 'string' ? { name: n, available: false, detail: b } : { name: n, available: true, detail: b.description };
  });
}

/**
 * C ← α·op(A)·op(B) + β·C for callers generic over precision: dispatches to sgemm or dgemm on the
 * array type. a, b and c must all be Float32Array or all Float64Array.
 */
export function gemm<F extends Float>(
  backend: Backend, transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, a: F, lda: number, b: F, ldb: number, beta: number, c: F, ldc: number,
): void {
  if (c instanceof Float32Array) {
    if (!(a instanceof Float32Array)) throw GlassyError.invalid('gemm.a', a.constructor.name, 'a Float32Array like c');
    if (!(b instanceof Float32Array)) throw GlassyError.invalid('gemm.b', b.constructor.name, 'a Float32Array like c');
    backend.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  } else if (c instanceof Float64Array) {
    if (!(a instanceof Float64Array)) throw GlassyError.invalid('gemm.a', a.constructor.name, 'a Float64Array like c');
    if (!(b instanceof Float64Array)) throw GlassyError.invalid('gemm.b', b.constructor.name, 'a Float64Array like c');
    backend.dgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  } else {
    throw GlassyError.invalid('gemm.c', (c as unknown as object)?.constructor?.name ?? c, 'a Float32Array or Float64Array');
  }
}

/** An array of the same precision as `like`, from the backend (so GEMMs on it need no copy). */
export function allocLike<F extends Float>(backend: Backend, like: F, n: number): F {
  return (like instanceof Float32Array ? backend.allocF32(n) : backend.allocF64(n)) as F;
}
