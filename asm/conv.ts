// The copies around a convolution's GEMMs (src/landscapes/network/conv2d.ts), for the WebAssembly
// backend: im2col, its adjoint col2im, the NCHW <-> channel-major transpose, and max-pool's forward
// pass and scatter (maxpool.ts). Same loops, same
// order and the same single additions as the JavaScript fallbacks, so the results are bit-identical
// to them; here they run without V8's bounds checks on typed arrays. Pointers are byte addresses in
// linear memory; the host (src/core/backends/wasm.ts) checks every extent before calling.

// @ts-ignore: decorator
@inline function at<T>(base: usize, i: i32): usize {
  return base + (<usize>i << alignof<T>());
}

// col[(c,kh,kw), b*HW + (oh,ow)] <- x[b, c, oh*S - P + kh, ow*S - P + kw], zero outside the image.
// @ts-ignore: decorator
@inline function im2col<T>(x: usize, col: usize, B: i32, cin: i32, h: i32, w: i32, k: i32, s: i32, p: i32, ho: i32, wo: i32): void {
  const hw = ho * wo, ld = B * hw, inSize = cin * h * w;
  const plain = s == 1 && p == 0;
  let r = 0;
  for (let c = 0; c < cin; c++) {
    for (let kh = 0; kh < k; kh++) {
      for (let kw = 0; kw < k; kw++, r++) {
        for (let b = 0; b < B; b++) {
          const xc = at<T>(x, b * inSize + c * h * w);
          let o = at<T>(col, r * ld + b * hw);
          for (let oh = 0; oh < ho; oh++, o = at<T>(o, wo)) {
            const ih = oh * s - p + kh;
            if (ih < 0 || ih >= h) {
              memory.fill(o, 0, <usize>wo << alignof<T>());
              continue;
            }
            const row = at<T>(xc, ih * w);
            if (plain) {
              // contiguous run: the common unpadded stride-1 case
              memory.copy(o, at<T>(row, kw), <usize>wo << alignof<T>());
              continue;
            }
            for (let ow = 0; ow < wo; ow++) {
              const iw = ow * s - p + kw;
              store<T>(at<T>(o, ow), iw >= 0 && iw < w ? load<T>(at<T>(row, iw)) : <T>0);
            }
          }
        }
      }
    }
  }
}

// dx <- 0, then every col entry added back to the input position it was copied from.
// @ts-ignore: decorator
@inline function col2im<T>(col: usize, dx: usize, B: i32, cin: i32, h: i32, w: i32, k: i32, s: i32, p: i32, ho: i32, wo: i32): void {
  const hw = ho * wo, ld = B * hw, inSize = cin * h * w;
  const plain = s == 1 && p == 0;
  memory.fill(dx, 0, <usize>(B * inSize) << alignof<T>());
  let r = 0;
  for (let c = 0; c < cin; c++) {
    for (let kh = 0; kh < k; kh++) {
      for (let kw = 0; kw < k; kw++, r++) {
        for (let b = 0; b < B; b++) {
          const xc = at<T>(dx, b * inSize + c * h * w);
          let o = at<T>(col, r * ld + b * hw);
          for (let oh = 0; oh < ho; oh++, o = at<T>(o, wo)) {
            const ih = oh * s - p + kh;
            if (ih < 0 || ih >= h) continue;
            const row = at<T>(xc, ih * w);
            if (plain) {
              const src = at<T>(row, kw);
              for (let ow = 0; ow < wo; ow++) {
                const a = at<T>(src, ow);
                store<T>(a, load<T>(a) + load<T>(at<T>(o, ow)));
              }
              continue;
            }
            for (let ow = 0; ow < wo; ow++) {
              const iw = ow * s - p + kw;
              if (iw >= 0 && iw < w) {
                const a = at<T>(row, iw);
                store<T>(a, load<T>(a) + load<T>(at<T>(o, ow)));
              }
            }
          }
        }
      }
    }
  }
}

// dst[q, p, l] <- src[p, q, l] + bias[p] (bias 0: + 0, which turns -0 into +0 as the JavaScript loop).
// @ts-ignore: decorator
@inline function swapAxes<T>(src: usize, dst: usize, P: i32, Q: i32, L: i32, bias: usize): void {
  for (let i = 0; i < P; i++) {
    const bo: T = bias ? load<T>(at<T>(bias, i)) : <T>0;
    for (let j = 0; j < Q; j++) {
      const a = at<T>(src, (i * Q + j) * L);
      const o = at<T>(dst, (j * P + i) * L);
      for (let l = 0; l < L; l++) store<T>(at<T>(o, l), load<T>(at<T>(a, l)) + bo);
    }
  }
}

// y[o] <- the maximum of window o (K x K, stride S) of the planes of x, argmax[o] <- its index in x:
// the first maximum in row-major order wins ties and the first NaN wins its window (PyTorch's CPU
// kernel; the same rule as src/landscapes/network/maxpool.ts). The 2 x 2, stride-2 window selects
// without branches on the data.
// @ts-ignore: decorator
@inline function maxPool<T>(x: usize, y: usize, idx: usize, planes: i32, h: i32, w: i32, k: i32, s: i32, ho: i32, wo: i32): void {
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * h * w;
    for (let oh = 0; oh < ho; oh++) {
      if (k == 2 && s == 2) {
        let i0 = base + 2 * oh * w, i1 = i0 + w;
        for (let ow = 0; ow < wo; ow++, o++, i0 += 2, i1 += 2) {
          const a = load<T>(at<T>(x, i0)), b = load<T>(at<T>(x, i0 + 1)), c = load<T>(at<T>(x, i1)), e = load<T>(at<T>(x, i1 + 1));
          let m = a, best = i0;
          let g = b > m; m = select<T>(b, m, g); best = select<i32>(i0 + 1, best, g);
          g = c > m; m = select<T>(c, m, g); best = select<i32>(i1, best, g);
          g = e > m; m = select<T>(e, m, g); best = select<i32>(i1 + 1, best, g);
          if (a != a || b != b || c != c || e != e) {
            best = a != a ? i0 : b != b ? i0 + 1 : c != c ? i1 : i1 + 1;
            m = load<T>(at<T>(x, best));
          }
          store<T>(at<T>(y, o), m);
          store<i32>(at<i32>(idx, o), best);
        }
        continue;
      }
      for (let ow = 0; ow < wo; ow++, o++) {
        let best = base + oh * s * w + ow * s;
        let m = load<T>(at<T>(x, best));
        for (let kh = 0; kh < k; kh++) {
          const row = base + (oh * s + kh) * w + ow * s;
          for (let kw = 0; kw < k; kw++) {
            const v = load<T>(at<T>(x, row + kw));
            if (m == m && (v > m || v != v)) { m = v; best = row + kw; }
          }
        }
        store<T>(at<T>(y, o), m);
        store<i32>(at<i32>(idx, o), best);
      }
    }
  }
}

// dx[0 .. m) <- 0, then dx[argmax[o]] += dy[o] for o < n, in order. Returns -1, or (writing nothing)
// the first o whose index is outside [0, m).
// @ts-ignore: decorator
@inline function scatterAdd<T>(dy: usize, idx: usize, n: i32, dx: usize, m: i32): i32 {
  for (let o = 0; o < n; o++) if (<u32>load<i32>(at<i32>(idx, o)) >= <u32>m) return o;
  memory.fill(dx, 0, <usize>m << alignof<T>());
  for (let o = 0; o < n; o++) {
    const a = at<T>(dx, load<i32>(at<i32>(idx, o)));
    store<T>(a, load<T>(a) + load<T>(at<T>(dy, o)));
  }
  return -1;
}

export function sMaxPool(x: usize, y: usize, idx: usize, planes: i32, h: i32, w: i32, k: i32, s: i32, ho: i32, wo: i32): void {
  maxPool<f32>(x, y, idx, planes, h, w, k, s, ho, wo);
}
export function dMaxPool(x: usize, y: usize, idx: usize, planes: i32, h: i32, w: i32, k: i32, s: i32, ho: i32, wo: i32): void {
  maxPool<f64>(x, y, idx, planes, h, w, k, s, ho, wo);
}
export function sScatterAdd(dy: usize, idx: usize, n: i32, dx: usize, m: i32): i32 {
  return scatterAdd<f32>(dy, idx, n, dx, m);
}
export function dScatterAdd(dy: usize, idx: usize, n: i32, dx: usize, m: i32): i32 {
  return scatterAdd<f64>(dy, idx, n, dx, m);
}

export function sIm2col(x: usize, col: usize, B: i32, cin: i32, h: i32, w: i32, k: i32, s: i32, p: i32, ho: i32, wo: i32): void {
  im2col<f32>(x, col, B, cin, h, w, k, s, p, ho, wo);
}
export function dIm2col(x: usize, col: usize, B: i32, cin: i32, h: i32, w: i32, k: i32, s: i32, p: i32, ho: i32, wo: i32): void {
  im2col<f64>(x, col, B, cin, h, w, k, s, p, ho, wo);
}
export function sCol2im(col: usize, dx: usize, B: i32, cin: i32, h: i32, w: i32, k: i32, s: i32, p: i32, ho: i32, wo: i32): void {
  col2im<f32>(col, dx, B, cin, h, w, k, s, p, ho, wo);
}
export function dCol2im(col: usize, dx: usize, B: i32, cin: i32, h: i32, w: i32, k: i32, s: i32, p: i32, ho: i32, wo: i32): void {
  col2im<f64>(col, dx, B, cin, h, w, k, s, p, ho, wo);
}
export function sSwapAxes(src: usize, dst: usize, P: i32, Q: i32, L: i32, bias: usize): void {
  swapAxes<f32>(src, dst, P, Q, L, bias);
}
export function dSwapAxes(src: usize, dst: usize, P: i32, Q: i32, L: i32, bias: usize): void {
  swapAxes<f64>(src, dst, P, Q, L, bias);
}
