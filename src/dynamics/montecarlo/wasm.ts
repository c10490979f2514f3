/**
 * The WebAssembly spin-flip kernels (asm/spinflip.ts, built into asm/build/spinflip.wasm) and the
 * memory they work in.
 *
 * Selection. `spinFlipKernel()` says which implementation the sweeps in kernels.ts use: 'wasm' when
 * the module loads (the default), 'js' otherwise. `GLASSY_SPINFLIP=js|wasm` forces one (an
 * unavailable 'wasm' is a GlassyError naming the reason); `selectSpinFlipKernel()` does the same from
 * code (tests, benchmarks). Both give bit-identical results: same operations in the same order, same
 * xoshiro128** stream, Math.exp of the host engine (test/spinflip-wasm.test.ts).
 *
 * Memory. The module imports one shared WebAssembly.Memory per thread, separate from the GEMM
 * backend's (the two modules know nothing of each other's allocations). It is shared so that growing
 * it keeps every typed-array view handed out before valid (a non-shared memory detaches them).
 * - Chains: a SpinChain built while 'wasm' is selected asks `allocChainArrays` for its spins and
 *   fields here, so a sweep copies nothing. The blocks come back through a FinalizationRegistry when
 *   the chain is collected. Finalizers only run when the event loop turns, so a long synchronous run
 *   could pile up dead chains: past CHAIN_BUDGET bytes new chains get ordinary arrays instead, and
 *   their sweeps copy spins and fields in and out of a scratch block (same results, a little slower).
 * - Couplings are copied in once per model and kept in an LRU cache bounded by COUPLING_BUDGET
 *   bytes (a run works through its samples' models one after another, so the cache nearly always
 *   hits; an evicted model is simply copied again). The cache holds models weakly (a WeakMap): a
 *   collected model's copy is freed by a FinalizationRegistry, an evicted one at once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GlassyError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { IsingModel } from '../../landscapes/ising/model.js';
import { ALIGN, FIRST, Heap } from '../../core/wasm-heap.js';

export type SpinFlipKernel = 'wasm' | 'js';

// @types/node does not declare the WebAssembly global (lib ES2022, no DOM): the few members used.
interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  Memory: new (desc: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface SpinFlipExports {
  heapBase(): number;
  metropolisDense(ctrl: number, n: number, J: number, s: number, h: number, beta: number, random: number): number;
  heatBathDense(ctrl: number, n: number, J: number, s: number, h: number, beta: number, random: number): number;
  metropolisSparse(ctrl: number, n: number, z: number, nb: number, J: number, s: number, h: number, beta: number, random: number): number;
  metropolisSparseTable(ctrl: number, n: number, z: number, nb: number, J: number, s: number, h: number, random: number): number;
  heatBathSparse(ctrl: number, n: number, z: number, nb: number, J: number, s: number, h: number, beta: number, random: number): number;
}

const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB; must match --maximumMemory in scripts/build-wasm.js
const INITIAL_PAGES = 64; // matches --initialMemory
const CTRL_BYTES = 1024; // rng state, ΔE sum, acceptance table of up to 2z + 1 ≤ 121 entries
const MAX_TABLE_Z = 60;
/** Bytes of chain storage (spins + fields) handed out before new chains fall back to JS arrays. */
let CHAIN_BUDGET = 512 << 20;
/** Bytes of resident couplings kept across models (least recently used evicted first). */
let COUPLING_BUDGET = 512 << 20;


/** Where the spin-flip module's memory goes (diagnostics and tests). */
export interface SpinFlipMemoryInfo {
  /** Bytes of linear memory reserved (it only grows). */
  memoryBytes: number;
  /** Bytes held by live (not yet finalised) chains. */
  chainBytes: number;
  /** Bytes of resident couplings, and how many models they belong to. */
  couplingBytes: number;
  residentModels: number;
}

/** What a sweep needs of a SpinChain (structural, so this module does not import chain.ts). */
export interface ChainState {
  readonly model: IsingModel;
  readonly spins: Int8Array;
  readonly fields: Float64Array;
  energy: number;
}

/** Couplings of one model, resident in linear memory. */
interface Resident {
  readonly J: number;
  readonly nb: number;
  readonly bytes: number;
  /** False once the blocks are freed (evicted, or the model was collected). */
  live: boolean;
}

class SpinFlipModule {
  private readonly ex: SpinFlipExports;
  private readonly memory: WasmMemory;
  private readonly heap: Heap;
  /** Every SharedArrayBuffer object this memory has produced (a new one after each grow). */
  private readonly buffers = new Set<ArrayBufferLike>();
  private readonly ctrl: number;
  private readonly ctrlU32: Uint32Array;
  private readonly ctrlI32: Int32Array;
  private readonly ctrlF64: Float64Array;
  private tableZ = -1;
  private tableBeta = NaN;
  private chainBytes = 0;
  private readonly chainRegistry = new FinalizationRegistry<{ ptr: number; bytes: number }>((b) => {
    this.heap.free(b.ptr);
    this.chainBytes -= b.bytes;
  });
  /**
   * Resident couplings by model. A WeakMap, and no WeakRef anywhere: a WeakRef created (or deref'd)
   * during a job keeps its target alive until the job ends, and a `glassy spinglass` run awaits only
   * resolved promises, so it may never leave its job: WeakRefs could pin every sample's model and its J.
   */
  private readonly residents = new WeakMap<IsingModel, { r: Resident }>();
  /** Live residents, least recently used first; bounded by COUPLING_BUDGET bytes. */
  private readonly lru: Resident[] = [];
  private residentBytes = 0;
  /** The model of the previous sweep (one strong reference: the one in use) and its resident. */
  private lastModel: IsingModel | null = null;
  private last: Resident | null = null;
  /** A collected model's couplings are freed (and leave the LRU list) when its finaliser runs;
   *  until then (finalisers wait for the event loop) the LRU budget bounds them. */
  private readonly modelRegistry = new FinalizationRegistry<{ r: Resident }>((holder) => {
    const at = this.lru.indexOf(holder.r);
    if (at >= 0) this.lru.splice(at, 1);
    this.release(holder.r);
  });
  private scratch = { ptr: 0, bytes: 0 };

  constructor() {
    const path = fileURLToPath(new URL('../../../../asm/build/spinflip.wasm', import.meta.url));
    if (!existsSync(path)) throw new Error(`${path} is missing; run npm run build`);
    const bytes = readFileSync(path);
    if (!WebAssembly.validate(bytes)) throw new Error('this engine rejects the WebAssembly SIMD module');
    this.memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared: true });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
      env: {
        memory: this.memory,
        exp: Math.exp,
        abort: () => {
          throw new Error('glassy spin-flip kernel aborted');
        },
      },
    });
    this.ex = instance.exports as unknown as SpinFlipExports;
    if (this.ex.heapBase() > FIRST) throw new Error(`spin-flip module's static data (${this.ex.heapBase()} bytes) overlaps the heap`);
    this.buffers.add(this.memory.buffer);
    this.heap = new Heap((end) => {
      const have = this.memory.buffer.byteLength;
      if (end <= have) return;
      const pages = Math.ceil((end - have) / PAGE);
      if (have / PAGE + pages > MAX_PAGES) throw GlassyError.invalid('spin-flip wasm memory', `${end} bytes`, `at most ${MAX_PAGES * PAGE} bytes (4 GiB) per thread`);
      this.memory.grow(pages);
      this.buffers.add(this.memory.buffer);
    });
    this.ctrl = this.heap.alloc(CTRL_BYTES);
    this.ctrlU32 = new Uint32Array(this.memory.buffer, this.ctrl, 4);
    this.ctrlI32 = new Int32Array(this.memory.buffer, this.ctrl, 4);
    this.ctrlF64 = new Float64Array(this.memory.buffer, this.ctrl, CTRL_BYTES / 8);
  }

  info(): SpinFlipMemoryInfo {
    return { memoryBytes: this.memory.buffer.byteLength, chainBytes: this.chainBytes, couplingBytes: this.residentBytes, residentModels: this.lru.length };
  }

  owns(x: ArrayBufferView): boolean {
    return this.buffers.has(x.buffer);
  }

  /** Spins and fields for a chain of n sites in linear memory, or null past the chain budget. */
  allocChain(owner: object, n: number): { spins: Int8Array; fields: Float64Array } | null {
    const fieldBytes = 8 * n;
    const spinOffset = Math.ceil(fieldBytes / ALIGN) * ALIGN;
    const bytes = spinOffset + n;
    if (this.chainBytes + bytes > CHAIN_BUDGET) return null;
    const ptr = this.heap.alloc(bytes);
    this.chainBytes += bytes;
    this.chainRegistry.register(owner, { ptr, bytes });
    const buf = this.memory.buffer;
    const fields = new Float64Array(buf, ptr, n).fill(0);
    const spins = new Int8Array(buf, ptr + spinOffset, n).fill(0);
    return { spins, fields };
  }

  /** The model's couplings in linear memory (copied on first use; LRU-cached). */
  private resident(model: IsingModel): Resident {
    if (model === this.lastModel && this.last!.live) return this.last!;
    let holder = this.residents.get(model);
    if (holder && holder.r.live) {
      const r = holder.r;
      const at = this.lru.indexOf(r); // a handful of entries: a linear scan is fine
      this.lru.splice(at, 1);
      this.lru.push(r);
    } else {
      const c = model.couplings;
      const jBytes = c.J.length * 8;
      const nbBytes = c.kind === 'sparse' ? c.neighbours.length * 4 : 0;
      // evict least recently used models until this one fits (it is always admitted)
      while (this.lru.length > 0 && this.residentBytes + jBytes + nbBytes > COUPLING_BUDGET) this.release(this.lru.shift()!);
      const J = this.heap.alloc(jBytes);
      new Float64Array(this.memory.buffer, J, c.J.length).set(c.J);
      let nb = 0;
      if (c.kind === 'sparse') {
        nb = this.heap.alloc(nbBytes);
        new Int32Array(this.memory.buffer, nb, c.neighbours.length).set(c.neighbours);
      }
      const r: Resident = { J, nb, bytes: jBytes + nbBytes, live: true };
      if (holder) holder.r = r; // re-admitted after eviction
      else {
        holder = { r };
        this.residents.set(model, holder);
        this.modelRegistry.register(model, holder);
      }
      this.lru.push(r);
      this.residentBytes += r.bytes;
    }
    this.lastModel = model;
    this.last = holder.r;
    return holder.r;
  }

  private release(r: Resident): void {
    if (!r.live) return;
    r.live = false;
    this.heap.free(r.J);
    if (r.nb) this.heap.free(r.nb);
    this.residentBytes -= r.bytes;
  }

  /**
   * One sweep: rule 'metropolis' or 'heatbath' on the chain's arrays, continuing rng's stream in
   * place and adding ΔE to chain.energy. Returns accepted (changed) flips, or −1 for a case the
   * module does not cover (the caller then runs the JS kernel).
   */
  sweep(chain: ChainState, heatBath: boolean, beta: number, rng: Rng, random: boolean): number {
    const { model, spins, fields } = chain;
    const n = spins.length;
    const c = model.couplings;
    // A ±J table wider than the control block: the JS table kernel (an exp-based test could round
    // differently from the table, breaking bit-identity). No lattice glassy builds comes near it.
    if (c.kind === 'sparse' && !heatBath && c.integer && model.field === 0 && c.z > MAX_TABLE_Z) return -1;
    const r = this.resident(model);
    // Chains outside our memory (built under 'js' or past the budget): copy through scratch.
    const inPlace = this.owns(spins) && this.owns(fields);
    let sPtr: number, hPtr: number;
    if (inPlace) {
      sPtr = spins.byteOffset;
      hPtr = fields.byteOffset;
    } else {
      const need = 8 * n + n;
      if (this.scratch.bytes < need) {
        if (this.scratch.bytes > 0) this.heap.free(this.scratch.ptr);
        this.scratch = { ptr: this.heap.alloc(need), bytes: need };
      }
      hPtr = this.scratch.ptr;
      sPtr = hPtr + 8 * n;
      new Float64Array(this.memory.buffer, hPtr, n).set(fields);
      new Int8Array(this.memory.buffer, sPtr, n).set(spins);
    }
    rng.getWords(this.ctrlU32);
    const rnd = random ? 1 : 0;
    const ex = this.ex;
    let count: number;
    if (c.kind === 'dense') {
      count = heatBath ? ex.heatBathDense(this.ctrl, n, r.J, sPtr, hPtr, beta, rnd) : ex.metropolisDense(this.ctrl, n, r.J, sPtr, hPtr, beta, rnd);
    } else if (heatBath) {
      count = ex.heatBathSparse(this.ctrl, n, c.z, r.nb, r.J, sPtr, hPtr, beta, rnd);
    } else if (c.integer && model.field === 0) {
      if (c.z !== this.tableZ || beta !== this.tableBeta) {
        // the same table as kernels.ts acceptanceTable: entry k ↔ s_i h_i = k − z
        for (let k = 0; k <= 2 * c.z; k++) this.ctrlF64[4 + k] = Math.min(1, Math.exp(-2 * beta * (k - c.z)));
        this.tableZ = c.z;
        this.tableBeta = beta;
      }
      count = ex.metropolisSparseTable(this.ctrl, n, c.z, r.nb, r.J, sPtr, hPtr, rnd);
    } else {
      count = ex.metropolisSparse(this.ctrl, n, c.z, r.nb, r.J, sPtr, hPtr, beta, rnd);
    }
    rng.setWords(this.ctrlI32);
    if (!inPlace && count > 0) {
      fields.set(new Float64Array(this.memory.buffer, hPtr, n));
      spins.set(new Int8Array(this.memory.buffer, sPtr, n));
    }
    chain.energy += this.ctrlF64[2]!;
    return count;
  }
}

let loaded: SpinFlipModule | null | undefined;
let loadError = '';
let forced: SpinFlipKernel | null = null;

function module(): SpinFlipModule | null {
  if (loaded === undefined) {
    try {
      loaded = new SpinFlipModule();
    } catch (e) {
      loaded = null;
      loadError = e instanceof Error ? e.message : String(e);
    }
  }
  return loaded;
}

function requested(): SpinFlipKernel | 'auto' {
  if (forced) return forced;
  const v = process.env.GLASSY_SPINFLIP;
  if (v === undefined || v === '' || v === 'auto') return 'auto';
  if (v === 'wasm' || v === 'js') return v;
  throw GlassyError.invalid('GLASSY_SPINFLIP', v, '"wasm", "js" or "auto"');
}

let cached: SpinFlipKernel | null = null;

/** The spin-flip implementation in use on this thread ('wasm' unless unavailable or forced). */
export function spinFlipKernel(): SpinFlipKernel {
  if (cached) return cached;
  const want = requested();
  if (want === 'js') cached = 'js';
  else if (module()) cached = 'wasm';
  else if (want === 'wasm') throw GlassyError.invalid('GLASSY_SPINFLIP', 'wasm', `an available kernel (${loadError})`);
  else cached = 'js';
  return cached;
}

/** Forces 'wasm' or 'js' from code ('auto' returns to the environment's choice). Chains built
 *  under one kernel stay valid under the other. */
export function selectSpinFlipKernel(kind: SpinFlipKernel | 'auto'): SpinFlipKernel {
  forced = kind === 'auto' ? null : kind;
  cached = null;
  return spinFlipKernel();
}

/** Why the WebAssembly kernel is not available ('' when it is or has not been tried). */
export function spinFlipUnavailableReason(): string {
  return module() ? '' : loadError;
}

/** Spin and field arrays for a new chain: in the kernel's memory when 'wasm' is selected, else null. */
export function allocChainArrays(owner: object, n: number): { spins: Int8Array; fields: Float64Array } | null {
  if (spinFlipKernel() !== 'wasm') return null;
  return module()!.allocChain(owner, n);
}

/**
 * One sweep with the WebAssembly kernel (callers check spinFlipKernel() === 'wasm' first): updates
 * the chain's spins, fields and energy, advances rng. Returns accepted (changed) flips, or −1 when
 * the case is not covered and the JS kernel must run.
 */
export function wasmSweep(chain: ChainState, heatBath: boolean, beta: number, rng: Rng, random: boolean): number {
  return module()!.sweep(chain, heatBath, beta, rng, random);
}

/** Memory use of this thread's spin-flip module (null when it is not loaded). */
export function spinFlipMemoryInfo(): SpinFlipMemoryInfo | null {
  return module()?.info() ?? null;
}

/** Changes the memory budgets (bytes) for chains and resident couplings; for tests of the fallbacks. */
export function setSpinFlipBudgets(budgets: { chains?: number; couplings?: number }): void {
  if (budgets.chains !== undefined) CHAIN_BUDGET = budgets.chains;
  if (budgets.couplings !== undefined) COUPLING_BUDGET = budgets.couplings;
}
