// Register-blocked WebAssembly SIMD GEMM, row-major, BLAS semantics:
//   C <- alpha * op(A) * op(B) + beta * C,   op(A) m x k, op(B) k x n, C m x n.
//
// Structure (Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication", ACM TOMS 34(3),
// 2008, section 4; the same loop nest as BLIS, Van Zee & van de Geijn, TOMS 41(3), 2015, figure 1):
//   for jc (NC columns of C) / for pc (KC of the shared dimension): pack op(B)[pc, jc] into panels
//   of NR columns, k-major; for ic (MC rows): pack op(A)[ic, pc] into panels of MR rows, k-major;
//   for each NR-panel of B (kept in L1) and each MR-panel of A (streamed from L2): the micro-kernel
//   accumulates an MR x NR tile of C in registers.
// Packing turns all four transpose combinations into the same contiguous streams, so one
// micro-kernel serves them all.
//
// Micro-kernel: MR = 4 rows x 32 bytes of C (NR = 8 floats = 2 f32x4, or 4 doubles = 2 f64x2):
// 8 accumulators + 2 B vectors + 4 broadcasts of A = 14 of the 15 xmm registers V8's TurboFan
// allocates on x64 (xmm15 is its scratch). Each k step is 2 B loads, 4 broadcast loads
// (v128.load32_splat -> vbroadcastss from memory, a pure load) and 8 multiply-adds; 8 independent
// accumulators cover the 4-cycle FMA latency at 2 FMAs per cycle. Measured on this machine (AMD EPYC,
// Node 20, docs/backends.md): 6 x 8 (XNNPACK's shape, 12 accumulators) is 35% slower because
// TurboFan hoists all six broadcasts and spills accumulators; 5 x 8 likewise; unrolling k by 2 is
// 30% slower for the same reason. KC, MC, NC barely matter at these sizes (all blocks fit in L2).
//
// Multiply-add: with the relaxed-simd feature (built as gemm-relaxed.wasm) it is f32x4.relaxed_madd,
// a single FMA on x64; otherwise mul then add. ASC_FEATURE_RELAXED_SIMD is a compile-time constant.
//
// All pointers are byte addresses in linear memory; `work` is scratch provided by the caller, of at
// least workBytes() bytes. No allocation happens here (runtime stub): the host owns memory.

// @ts-ignore: decorator
@inline const MR: i32 = 4; // packA's transposed copy supports MR * sizeof<T>() in {16, 24, 32, 48} bytes
// @ts-ignore: decorator
@inline const KC: i32 = 256;
// @ts-ignore: decorator
@inline const MC: i32 = 96;
// @ts-ignore: decorator
@inline const NC: i32 = 512;

/** Scratch bytes the caller must provide: packed B (KC x NC), packed A (MC x KC), one C tile. */
export function workBytes(): i32 {
  return KC * (NC + 8) * 8 + (MC + MR) * KC * 8 + MR * 32 + 64;
}

export function heapBase(): usize {
  return __heap_base;
}

/** 1 when this module was built with relaxed SIMD (single-instruction multiply-add). */
export function relaxed(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

// @ts-ignore: decorator
@inline function madd<T>(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return v128.relaxed_madd<T>(a, b, c);
  return v128.add<T>(v128.mul<T>(a, b), c);
}

/**
 * Pack op(B)[pc:pc+kc, jc:jc+nc] into panels of NR columns: panel q holds, for each p, the NR values
 * op(B)[pc+p, jc+q*NR .. +NR) contiguously (32 bytes). Missing columns of the last panel are zeros.
 */
// @ts-ignore: decorator
@inline function packB<T>(tb: bool, kc: i32, nc: i32, b: usize, ldb: i32, pc: i32, jc: i32, dst: usize): void {
  const SZ = <usize>sizeof<T>();
  const NR = <i32>(<usize>32 / SZ);
  for (let jp = 0; jp < nc; jp += NR) {
    const nr = min(NR, nc - jp);
    const panel = dst + <usize>jp * <usize>kc * SZ; // (jp / NR) * kc * 32
    if (!tb) {
      // op(B) = B, k x n: row pc+p, columns jc+jp.. are contiguous.
      let src = b + (<usize>pc * <usize>ldb + <usize>(jc + jp)) * SZ;
      const step = <usize>ldb * SZ;
      if (nr == NR) {
        for (let p = 0; p < kc; p++) {
          v128.store(panel + <usize>p * 32, v128.load(src));
          v128.store(panel + <usize>p * 32, v128.load(src, 16), 16);
          src += step;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const d = panel + <usize>p * 32;
          v128.store(d, i32x4.splat(0));
          v128.store(d, i32x4.splat(0), 16);
          for (let j = 0; j < nr; j++) store<T>(d + <usize>j * SZ, load<T>(src + <usize>j * SZ));
          src += step;
        }
      }
    } else {
      // op(B) = B^T, B stored n x k: column j of op(B) is row jc+jp+j of B, contiguous in p.
      const row = b + (<usize>(jc + jp) * <usize>ldb + <usize>pc) * SZ;
      const rs = <usize>ldb * SZ;
      let p = 0;
      if (nr == NR) {
        if (SZ == 4) {
          // 4x4 in-register transposes: rows j..j+3 at p..p+3 -> four k-rows of 4 columns.
          for (; p + 4 <= kc; p += 4) {
            const s = row + <usize>p * 4;
            const d = panel + <usize>p * 32;
            for (let h: usize = 0; h < 2; h++) {
              const r = s + h * 4 * rs;
              const r0 = v128.load(r), r1 = v128.load(r + rs), r2 = v128.load(r + 2 * rs), r3 = v128.load(r + 3 * rs);
              const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
              const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
              const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
              const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
              v128.store(d + h * 16, v128.shuffle<f64>(t0, t2, 0, 2));
              v128.store(d + h * 16, v128.shuffle<f64>(t0, t2, 1, 3), 32);
              v128.store(d + h * 16, v128.shuffle<f64>(t1, t3, 0, 2), 64);
              v128.store(d + h * 16, v128.shuffle<f64>(t1, t3, 1, 3), 96);
            }
          }
        } else {
          // 2x2 transposes of doubles: rows j, j+1 at p, p+1.
          for (; p + 2 <= kc; p += 2) {
            const s = row + <usize>p * 8;
            const d = panel + <usize>p * 32;
            for (let h: usize = 0; h < 2; h++) {
              const r = s + h * 2 * rs;
              const r0 = v128.load(r), r1 = v128.load(r + rs);
              v128.store(d + h * 16, v128.shuffle<f64>(r0, r1, 0, 2));
              v128.store(d + h * 16, v128.shuffle<f64>(r0, r1, 1, 3), 32);
            }
          }
        }
      }
      for (; p < kc; p++) {
        const d = panel + <usize>p * 32;
        const s = row + <usize>p * SZ;
        for (let j = 0; j < NR; j++) store<T>(d + <usize>j * SZ, j < nr ? load<T>(s + <usize>j * rs) : <T>0);
      }
    }
  }
}

/**
 * Pack op(A)[ic:ic+mc, pc:pc+kc] into panels of MR rows: panel r holds, for each p, the MR values
 * op(A)[ic+r*MR .. +MR, pc+p] contiguously. Missing rows of the last panel are zeros.
 */
// @ts-ignore: decorator
@inline function packA<T>(ta: bool, mc: i32, kc: i32, a: usize, lda: i32, ic: i32, pc: i32, dst: usize): void {
  const SZ = <usize>sizeof<T>();
  for (let ip = 0; ip < mc; ip += MR) {
    const mr = min(MR, mc - ip);
    const panel = dst + <usize>ip * <usize>kc * SZ; // (ip / MR) * kc * MR
    if (!ta) {
      // op(A) = A, m x k: row ic+ip+i is contiguous in p; scatter it with stride MR.
      for (let i = 0; i < MR; i++) {
        const d = panel + <usize>i * SZ;
        if (i < mr) {
          const s = a + (<usize>(ic + ip + i) * <usize>lda + <usize>pc) * SZ;
          let p = 0;
          if (SZ == 4) {
            for (; p + 4 <= kc; p += 4) {
              const v = v128.load(s + <usize>p * 4);
              const dd = d + <usize>p * MR * 4;
              store<f32>(dd, f32x4.extract_lane(v, 0));
              store<f32>(dd, f32x4.extract_lane(v, 1), MR * 4);
              store<f32>(dd, f32x4.extract_lane(v, 2), 2 * MR * 4);
              store<f32>(dd, f32x4.extract_lane(v, 3), 3 * MR * 4);
            }
          }
          for (; p < kc; p++) store<T>(d + <usize>p * MR * SZ, load<T>(s + <usize>p * SZ));
        } else {
          for (let p = 0; p < kc; p++) store<T>(d + <usize>p * MR * SZ, <T>0);
        }
      }
    } else {
      // op(A) = A^T, A stored k x m: the MR values at fixed p are contiguous.
      const s0 = a + (<usize>pc * <usize>lda + <usize>(ic + ip)) * SZ;
      const rs = <usize>lda * SZ;
      if (mr == MR) {
        for (let p = 0; p < kc; p++) {
          const s = s0 + <usize>p * rs;
          const d = panel + <usize>p * MR * SZ;
          // MR * SZ is 16, 24, 32 or 48 bytes; every branch below is decided at compile time.
          v128.store(d, v128.load(s));
          if (<usize>MR * SZ >= 32) v128.store(d, v128.load(s, 16), 16);
          if (<usize>MR * SZ >= 48) v128.store(d, v128.load(s, 32), 32);
          if ((<usize>MR * SZ) % 16 == 8) store<u64>(d, load<u64>(s, <usize>MR * SZ - 8), <usize>MR * SZ - 8);
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const s = s0 + <usize>p * rs;
          const d = panel + <usize>p * MR * SZ;
          for (let i = 0; i < MR; i++) store<T>(d + <usize>i * SZ, i < mr ? load<T>(s + <usize>i * SZ) : <T>0);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function storeRow<T>(c: usize, acc0: v128, acc1: v128, va: v128, vb: v128, bmode: i32): void {
  // bmode 0: C = alpha*acc (beta = 0: C is not read, so NaN/Inf in C never propagate, as in BLAS);
  // 1: C = alpha*acc + C (beta = 1, the K-blocks after the first); 2: general beta.
  let x0 = v128.mul<T>(acc0, va);
  let x1 = v128.mul<T>(acc1, va);
  if (bmode == 1) {
    x0 = v128.add<T>(x0, v128.load(c));
    x1 = v128.add<T>(x1, v128.load(c, 16));
  } else if (bmode == 2) {
    x0 = madd<T>(v128.load(c), vb, x0);
    x1 = madd<T>(v128.load(c, 16), vb, x1);
  }
  v128.store(c, x0);
  v128.store(c, x1, 16);
}

/** The MR x NR micro-kernel on packed panels; writes the mr x nr top-left part of the tile into C. */
// @ts-ignore: decorator
@inline function kernel<T>(kc: i32, ap: usize, bp: usize, c: usize, ldcb: usize, alpha: T, beta: T, mr: i32, nr: i32, tile: usize): void {
  const SZ = <usize>sizeof<T>();
  let c00 = i32x4.splat(0), c01 = i32x4.splat(0);
  let c10 = i32x4.splat(0), c11 = i32x4.splat(0);
  let c20 = i32x4.splat(0), c21 = i32x4.splat(0);
  let c30 = i32x4.splat(0), c31 = i32x4.splat(0);
  let c40 = i32x4.splat(0), c41 = i32x4.splat(0);
  let c50 = i32x4.splat(0), c51 = i32x4.splat(0);
  let b0: v128, b1: v128, x: v128;
  // Not unrolled: unrolling by 2 measured 30% slower, because V8 then hoists the second step's
  // loads and spills accumulators to the stack.
  for (let p = 0; p < kc; p++) {
    b0 = v128.load(bp);
    b1 = v128.load(bp, 16);
    x = v128.load_splat<T>(ap);
    c00 = madd<T>(x, b0, c00); c01 = madd<T>(x, b1, c01);
    x = v128.load_splat<T>(ap, SZ);
    c10 = madd<T>(x, b0, c10); c11 = madd<T>(x, b1, c11);
    x = v128.load_splat<T>(ap, 2 * SZ);
    c20 = madd<T>(x, b0, c20); c21 = madd<T>(x, b1, c21);
    x = v128.load_splat<T>(ap, 3 * SZ);
    c30 = madd<T>(x, b0, c30); c31 = madd<T>(x, b1, c31);
    if (MR > 4) {
      x = v128.load_splat<T>(ap, 4 * SZ);
      c40 = madd<T>(x, b0, c40); c41 = madd<T>(x, b1, c41);
    }
    if (MR > 5) {
      x = v128.load_splat<T>(ap, 5 * SZ);
      c50 = madd<T>(x, b0, c50); c51 = madd<T>(x, b1, c51);
    }
    ap += <usize>MR * SZ;
    bp += 32;
  }
  const va = v128.splat<T>(alpha);
  const vb = v128.splat<T>(beta);
  const bmode: i32 = beta == <T>0 ? 0 : beta == <T>1 ? 1 : 2;
  const NR = <i32>(<usize>32 / SZ);
  if (mr == MR && nr == NR) {
    storeRow<T>(c, c00, c01, va, vb, bmode);
    storeRow<T>(c + ldcb, c10, c11, va, vb, bmode);
    storeRow<T>(c + 2 * ldcb, c20, c21, va, vb, bmode);
    storeRow<T>(c + 3 * ldcb, c30, c31, va, vb, bmode);
    if (MR > 4) storeRow<T>(c + 4 * ldcb, c40, c41, va, vb, bmode);
    if (MR > 5) storeRow<T>(c + 5 * ldcb, c50, c51, va, vb, bmode);
    return;
  }
  // Edge tile: spill the accumulators, then write only the rows and columns that exist.
  v128.store(tile, c00); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  if (MR > 4) { v128.store(tile, c40, 128); v128.store(tile, c41, 144); }
  if (MR > 5) { v128.store(tile, c50, 160); v128.store(tile, c51, 176); }
  for (let i = 0; i < mr; i++) {
    const crow = c + <usize>i * ldcb;
    const trow = tile + <usize>i * 32;
    for (let j = 0; j < nr; j++) {
      const q = crow + <usize>j * SZ;
      const v = alpha * load<T>(trow + <usize>j * SZ);
      store<T>(q, bmode == 0 ? v : v + beta * load<T>(q));
    }
  }
}

/** C <- beta * C on an m x n block (used when k = 0 or alpha = 0: A and B are not read). */
// @ts-ignore: decorator
@inline function scaleC<T>(m: i32, n: i32, beta: T, c: usize, ldc: i32): void {
  const SZ = <usize>sizeof<T>();
  for (let i = 0; i < m; i++) {
    const row = c + <usize>i * <usize>ldc * SZ;
    for (let j = 0; j < n; j++) {
      const q = row + <usize>j * SZ;
      store<T>(q, beta == <T>0 ? <T>0 : beta * load<T>(q));
    }
  }
}

// @ts-ignore: decorator
@inline function gemm<T>(ta: bool, tb: bool, m: i32, n: i32, k: i32, alpha: T, a: usize, lda: i32,
  b: usize, ldb: i32, beta: T, c: usize, ldc: i32, work: usize): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == <T>0) {
    scaleC<T>(m, n, beta, c, ldc);
    return;
  }
  const SZ = <usize>sizeof<T>();
  const NR = <i32>(<usize>32 / SZ);
  const bpack = (work + 63) & ~(<usize>63);
  const apack = bpack + <usize>KC * <usize>(NC + 8) * 8;
  const tile = apack + <usize>(MC + MR) * <usize>KC * 8;
  const ldcb = <usize>ldc * SZ;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const betaEff: T = pc == 0 ? beta : <T>1;
      packB<T>(tb, kc, nc, b, ldb, pc, jc, bpack);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA<T>(ta, mc, kc, a, lda, ic, pc, apack);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bp = bpack + <usize>jr * <usize>kc * SZ;
          const cc = c + (<usize>ic * <usize>ldc + <usize>(jc + jr)) * SZ;
          for (let ir = 0; ir < mc; ir += MR) {
            kernel<T>(kc, apack + <usize>ir * <usize>kc * SZ, bp, cc + <usize>ir * ldcb, ldcb, alpha, betaEff,
              min(MR, mc - ir), nr, tile);
          }
        }
      }
    }
  }
}

export function sgemm(ta: i32, tb: i32, m: i32, n: i32, k: i32, alpha: f32, a: usize, lda: i32,
  b: usize, ldb: i32, beta: f32, c: usize, ldc: i32, work: usize): void {
  gemm<f32>(ta != 0, tb != 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, work);
}

export function dgemm(ta: i32, tb: i32, m: i32, n: i32, k: i32, alpha: f64, a: usize, lda: i32,
  b: usize, ldb: i32, beta: f64, c: usize, ldc: i32, work: usize): void {
  gemm<f64>(ta != 0, tb != 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, work);
}

// The convolution's copies (asm/conv.ts) live in the same module, so they share its memory.
export { sIm2col, dIm2col, sCol2im, dCol2im, sSwapAxes, dSwapAxes, sMaxPool, dMaxPool, sScatterAdd, dScatterAdd } from './conv';
