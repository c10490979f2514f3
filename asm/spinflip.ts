// Single-spin-flip Monte Carlo sweeps for Ising models (SK / Hopfield dense, EA lattices sparse):
// the WebAssembly twins of src/dynamics/montecarlo/kernels.ts. The JS file is the specification;
// every kernel here does the same floating-point operations in the same order and draws the same
// xoshiro128** numbers (src/core/rng.ts), so a sweep gives bit-identical spins, fields, energy and
// generator state (test/spinflip-wasm.test.ts checks that).
//
// Why WebAssembly: the O(N) field update after an accepted flip on dense couplings
// (h_j += c·J_ij) is the hot loop of SK; V8 cannot vectorise JavaScript, WebAssembly SIMD gives
// f64x2 (the same 128-bit width as SSE2, the x86-64 baseline gcc -O3 targets). The RNG state and
// the sweep loop live in locals, i.e. registers, which V8's JS JIT cannot do with object fields.
//
// Calling convention: every pointer is a byte address in linear memory (owned by the host; this
// module never allocates). `ctrl` is a 128-byte control block:
//   [0, 16)   xoshiro128** state s0..s3 (u32), read at entry and written back at exit
//   [16, 24)  out: Σ ΔE of the accepted flips (f64), added by the host to the chain's energy
//   [32, ...) the ±J acceptance table, 2z + 1 f64 (filled by the host with Math.exp, as kernels.ts)
// Spins are i8 ±1, fields f64, couplings f64 (dense: N×N row-major; sparse: J[i·z + k] with the
// neighbour table nb[i·z + k] as i32). Return value: accepted flips (Metropolis) or changed spins
// (heat bath).

// Math.exp of the host engine: calling it (rather than a libm port compiled into the module)
// keeps Metropolis decisions in the exp band and every heat-bath probability bit-identical to the
// JavaScript kernels. V8 recognises an imported Math.exp and calls its C implementation directly.
// @ts-ignore: decorator
@external("env", "exp")
declare function hostExp(x: f64): f64;

// @ts-ignore: decorator
@inline const TWO_POW_M32: f64 = 2.3283064365386963e-10;

// @ts-ignore: decorator
@inline const DENSE: i32 = 0;
// @ts-ignore: decorator
@inline const SPARSE: i32 = 1;
// @ts-ignore: decorator
@inline const METROPOLIS: i32 = 0;
// @ts-ignore: decorator
@inline const TABLE: i32 = 1;
// @ts-ignore: decorator
@inline const HEATBATH: i32 = 2;

export function heapBase(): usize {
  return __heap_base;
}

/**
 * h[j] += c·J[row + j] for j < n, two doubles per f64x2, unrolled by 8 vectors (16 doubles) so that
 * V8's loop overhead (three address adds, compare, branch and its loop stack check) is paid once per
 * 128 bytes: ×8 measured ≈ 10–15 % faster than ×4 on SK N = 1024 (docs/spinglass.md). c = ±2
 * makes c·J exact, so the single rounding of the add is the same as the scalar JS loop's. (Storing
 * 2J and choosing add or sub by the sign of s_i, which drops the multiply, is also bit-identical but
 * measured no faster: the loop is bound by its two loads and one store.)
 */
// @ts-ignore: decorator
@inline function addRow(h: usize, row: usize, c: f64, n: i32): void {
  const cv = f64x2.splat(c);
  const end16 = <usize>(n & ~15) << 3;
  let off: usize = 0;
  for (; off < end16; off += 128) {
    v128.store(h + off, f64x2.add(v128.load(h + off), f64x2.mul(cv, v128.load(row + off))));
    v128.store(h + off, f64x2.add(v128.load(h + off, 16), f64x2.mul(cv, v128.load(row + off, 16))), 16);
    v128.store(h + off, f64x2.add(v128.load(h + off, 32), f64x2.mul(cv, v128.load(row + off, 32))), 32);
    v128.store(h + off, f64x2.add(v128.load(h + off, 48), f64x2.mul(cv, v128.load(row + off, 48))), 48);
    v128.store(h + off, f64x2.add(v128.load(h + off, 64), f64x2.mul(cv, v128.load(row + off, 64))), 64);
    v128.store(h + off, f64x2.add(v128.load(h + off, 80), f64x2.mul(cv, v128.load(row + off, 80))), 80);
    v128.store(h + off, f64x2.add(v128.load(h + off, 96), f64x2.mul(cv, v128.load(row + off, 96))), 96);
    v128.store(h + off, f64x2.add(v128.load(h + off, 112), f64x2.mul(cv, v128.load(row + off, 112))), 112);
  }
  const end2 = <usize>(n & ~1) << 3;
  for (; off < end2; off += 16) v128.store(h + off, f64x2.add(v128.load(h + off), f64x2.mul(cv, v128.load(row + off))));
  const end = <usize>n << 3;
  for (; off < end; off += 8) store<f64>(h + off, load<f64>(h + off) + c * load<f64>(row + off));
}

/** h[nb[b + k]] += c·J[b + k], k < z; the cubic (z = 6) and square (z = 4) lattices unrolled. */
// @ts-ignore: decorator
@inline function addNeighbours(h: usize, nb: usize, J: usize, b: usize, c: f64, z: i32): void {
  const pn = nb + (b << 2);
  const pj = J + (b << 3);
  if (z == 6) {
    let p = h + (<usize>load<i32>(pn) << 3); store<f64>(p, load<f64>(p) + c * load<f64>(pj));
    p = h + (<usize>load<i32>(pn, 4) << 3); store<f64>(p, load<f64>(p) + c * load<f64>(pj, 8));
    p = h + (<usize>load<i32>(pn, 8) << 3); store<f64>(p, load<f64>(p) + c * load<f64>(pj, 16));
    p = h + (<usize>load<i32>(pn, 12) << 3); store<f64>(p, load<f64>(p) + c * load<f64>(pj, 24));
    p = h + (<usize>load<i32>(pn, 16) << 3); store<f64>(p, load<f64>(p) + c * load<f64>(pj, 32));
    p = h + (<usize>load<i32>(pn, 20) << 3); store<f64>(p, load<f64>(p) + c * load<f64>(pj, 40));
  } else if (z == 4) {
    let p = h + (<usize>load<i32>(pn) << 3); store<f64>(p, load<f64>(p) + c * load<f64>(pj));
    p = h + (<usize>load<i32>(pn, 4) << 3); store<f64>(p, load<f64>(p) + c * load<f64>(pj, 8));
    p = h + (<usize>load<i32>(pn, 8) << 3); store<f64>(p, load<f64>(p) + c * load<f64>(pj, 16));
    p = h + (<usize>load<i32>(pn, 12) << 3); store<f64>(p, load<f64>(p) + c * load<f64>(pj, 24));
  } else {
    for (let k = 0; k < z; k++) {
      const p = h + (<usize>load<i32>(pn + (<usize>k << 2)) << 3);
      store<f64>(p, load<f64>(p) + c * load<f64>(pj + (<usize>k << 3)));
    }
  }
}

/**
 * One sweep. `kind`, `rule` and `random` are compile-time constants at every call site (the function
 * is inlined into each export and Binaryen folds the branches), so each export is a straight loop.
 */
// @ts-ignore: decorator
@inline function sweep(kind: i32, rule: i32, random: bool, ctrl: usize, n: i32, z: i32, nb: usize, J: usize,
  s: usize, h: usize, beta: f64): i32 {
  // xoshiro128** state in locals: registers for the whole sweep.
  let r0 = load<u32>(ctrl), r1 = load<u32>(ctrl, 4), r2 = load<u32>(ctrl, 8), r3 = load<u32>(ctrl, 12);
  const table = ctrl + 32;
  // Rng.int(n): reject x ≥ 2^32 − (2^32 mod n), then x mod n (unbiased).
  const limit: u64 = random ? 0x100000000 - (<u64>0x100000000 % <u64><u32>n) : 0;
  const rowBytes = <usize>n << 3;
  let accepted: i32 = 0;
  let dEsum: f64 = 0;
  for (let t: i32 = 0; t < n; t++) {
    let i = t;
    if (random) {
      let x: u32;
      do {
        x = rotl<u32>(r1 * 5, 7) * 9;
        const sh9 = r1 << 9;
        r2 ^= r0; r3 ^= r1; r1 ^= r2; r0 ^= r3; r2 ^= sh9; r3 = rotl<u32>(r3, 11);
      } while (<u64>x >= limit);
      i = <i32>(x % <u32>n);
    }
    const si = <i32>load<i8>(s + <usize>i);
    const hi = load<f64>(h + (<usize>i << 3));
    // Which attempts draw a uniform, exactly as in kernels.ts: heat bath always; Metropolis only uphill.
    let dE: f64;
    let sh: f64 = 0;
    let needU: bool;
    if (rule == HEATBATH) {
      dE = 0;
      needU = true;
    } else if (rule == TABLE) {
      sh = <f64>si * hi; // an integer in [−z, z]
      dE = 2 * sh;
      needU = sh > 0;
    } else {
      dE = <f64>(2 * si) * hi;
      needU = dE > 0;
    }
    if (needU) {
      const x = rotl<u32>(r1 * 5, 7) * 9;
      const sh9 = r1 << 9;
      r2 ^= r0; r3 ^= r1; r1 ^= r2; r0 ^= r3; r2 ^= sh9; r3 = rotl<u32>(r3, 11);
      const u = <f64>x * TWO_POW_M32;
      if (rule == HEATBATH) {
        // P(s_i = +1) = 1/(1 + e^{−2βh}); kernels.ts: u·(1 + exp(−2·β·h)) < 1.
        const sn = u * (1 + hostExp(-2 * beta * hi)) < 1 ? 1 : -1;
        if (sn == si) continue;
        dE = <f64>(2 * si) * hi;
      } else if (rule == TABLE) {
        // sh is an integer-valued double; adding 1.5·2^52 puts it in the low mantissa bits, an
        // exact conversion without V8's checked float-to-int sequence (round, convert, compare, trap).
        const k = <i32>reinterpret<i64>(sh + 6755399441055744.0) + z;
        if (u >= load<f64>(table + (<usize>k << 3))) continue;
      } else {
        // u < e^{−x}, decided by 1 − x < e^{−x} < 1/(1 + x + x²/2) before calling exp.
        const xx = beta * dE;
        if (!(u < 1 - xx)) {
          if (u * (1 + xx + 0.5 * xx * xx) >= 1) continue;
          if (!(u < hostExp(-xx))) continue;
        }
      }
    }
    store<i8>(s + <usize>i, <i8>(-si));
    dEsum += dE;
    accepted++;
    const c = <f64>(-2 * si);
    if (kind == DENSE) addRow(h, J + <usize>i * rowBytes, c, n);
    else addNeighbours(h, nb, J, <usize>i * <usize>z, c, z);
  }
  store<u32>(ctrl, r0);
  store<u32>(ctrl, r1, 4);
  store<u32>(ctrl, r2, 8);
  store<u32>(ctrl, r3, 12);
  store<f64>(ctrl, dEsum, 16);
  return accepted;
}

/** Metropolis on dense couplings (SK, Hopfield): kernels.ts metropolisDense. */
export function metropolisDense(ctrl: usize, n: i32, J: usize, s: usize, h: usize, beta: f64, random: i32): i32 {
  if (random) return sweep(DENSE, METROPOLIS, true, ctrl, n, 0, 0, J, s, h, beta);
  return sweep(DENSE, METROPOLIS, false, ctrl, n, 0, 0, J, s, h, beta);
}

/** Heat bath on dense couplings: kernels.ts heatBathDense. */
export function heatBathDense(ctrl: usize, n: i32, J: usize, s: usize, h: usize, beta: f64, random: i32): i32 {
  if (random) return sweep(DENSE, HEATBATH, true, ctrl, n, 0, 0, J, s, h, beta);
  return sweep(DENSE, HEATBATH, false, ctrl, n, 0, 0, J, s, h, beta);
}

/** Metropolis on a lattice with real couplings or a field: kernels.ts metropolisSparse. */
export function metropolisSparse(ctrl: usize, n: i32, z: i32, nb: usize, J: usize, s: usize, h: usize, beta: f64, random: i32): i32 {
  if (random) return sweep(SPARSE, METROPOLIS, true, ctrl, n, z, nb, J, s, h, beta);
  return sweep(SPARSE, METROPOLIS, false, ctrl, n, z, nb, J, s, h, beta);
}

/** Metropolis on a ±J lattice at h = 0 with the acceptance table in ctrl: kernels.ts metropolisSparseTable. */
export function metropolisSparseTable(ctrl: usize, n: i32, z: i32, nb: usize, J: usize, s: usize, h: usize, random: i32): i32 {
  if (random) return sweep(SPARSE, TABLE, true, ctrl, n, z, nb, J, s, h, 0);
  return sweep(SPARSE, TABLE, false, ctrl, n, z, nb, J, s, h, 0);
}

/** Heat bath on a lattice: kernels.ts heatBathSparse. */
export function heatBathSparse(ctrl: usize, n: i32, z: i32, nb: usize, J: usize, s: usize, h: usize, beta: f64, random: i32): i32 {
  if (random) return sweep(SPARSE, HEATBATH, true, ctrl, n, z, nb, J, s, h, beta);
  return sweep(SPARSE, HEATBATH, false, ctrl, n, z, nb, J, s, h, beta);
}
