// The copies around a convolution's GEMMs (src/landscapes/network/conv2d.ts), for the WebAssembly
// backend: im2col, its adjoint col2im, and the NCHW <-> channel-major transpose. Same loops, same
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
