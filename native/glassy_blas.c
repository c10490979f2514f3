/*
 * glassy_blas: a deliberately small N-API addon that hands typed arrays to CBLAS.
 *
 * Why C and plain N-API (node_api.h) rather than node-addon-api: the whole addon is a dozen
 * functions that read numbers and typed arrays; the C API needs no extra headers at build time and
 * keeps the addon ABI-stable across Node versions (N-API version 8).
 *
 * Bounds: src/core/backends/blas.ts validates every size before calling in. This file checks the
 * same extents again (cheap, O(1)) so that no call from JavaScript, however wrong, can make BLAS
 * read or write outside the arrays it was given; it throws a RangeError instead.
 *
 * Row-major BLAS semantics (CblasRowMajor): C <- alpha*op(A)*op(B) + beta*C, op(A) m x k,
 * op(B) k x n; with beta = 0, C is overwritten (BLAS reference semantics: NaNs in C are ignored).
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
/* Set at load: whether the CPU has AVX2 and FMA (the vectorised kernels below are compiled for it
   with target attributes, the rest of the addon for the baseline ISA). */
static int have_avx2 = 0;
#endif

#ifdef __APPLE__
#include <Accelerate/Accelerate.h>
#else
#include <cblas.h>
#endif

#define CHECK(call)                                                     \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      napi_throw_error(env, NULL, "glassy_blas: N-API call failed: " #call); \
      return NULL;                                                      \
    }                                                                   \
  } while (0)

static napi_value throw_range(napi_env env, const char *msg) {
  napi_throw_range_error(env, NULL, msg);
  return NULL;
}

/* Span in elements that a row-major rows x cols matrix with leading dimension ld occupies. */
static int64_t span(int64_t rows, int64_t cols, int64_t ld) {
  if (rows == 0 || cols == 0) return 0;
  return (rows - 1) * ld + cols;
}

typedef struct {
  void *data;
  size_t length;
} view_t;

static int get_view(napi_env env, napi_value v, napi_typedarray_type want, view_t *out) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  /* data already points at element 0 of the view (byteOffset included). */
  if (napi_get_typedarray_info(env, v, &type, &out->length, &out->data, &ab, &off) != napi_ok) return 0;
  return type == want;
}

/* gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) for f32 (dbl = 0) or f64. */
static napi_value gemm(napi_env env, napi_callback_info info, int dbl) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 13) return throw_range(env, "glassy_blas: gemm expects 13 arguments");
  bool ta, tb;
  int64_t m, n, k, lda, ldb, ldc;
  double alpha, beta;
  CHECK(napi_get_value_bool(env, argv[0], &ta));
  CHECK(napi_get_value_bool(env, argv[1], &tb));
  CHECK(napi_get_value_int64(env, argv[2], &m));
  CHECK(napi_get_value_int64(env, argv[3], &n));
  CHECK(napi_get_value_int64(env, argv[4], &k));
  CHECK(napi_get_value_double(env, argv[5], &alpha));
  CHECK(napi_get_value_int64(env, argv[7], &lda));
  CHECK(napi_get_value_int64(env, argv[9], &ldb));
  CHECK(napi_get_value_double(env, argv[10], &beta));
  CHECK(napi_get_value_int64(env, argv[12], &ldc));
  napi_typedarray_type want = dbl ? napi_float64_array : napi_float32_array;
  view_t a, b, c;
  if (!get_view(env, argv[6], want, &a) || !get_view(env, argv[8], want, &b) || !get_view(env, argv[11], want, &c))
    return throw_range(env, dbl ? "glassy_blas: dgemm needs Float64Array a, b, c" : "glassy_blas: sgemm needs Float32Array a, b, c");
  const int64_t lim = 2147483647;
  if (m < 0 || n < 0 || k < 0 || m > lim || n > lim || k > lim) return throw_range(env, "glassy_blas: m, n, k must be in [0, 2^31)");
  /* Stored shapes: A is (ta ? k x m : m x k), B is (tb ? n x k : k x n), C is m x n. */
  int64_t ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
  if (lda < (ac > 1 ? ac : 1) || ldb < (bc > 1 ? bc : 1) || ldc < (n > 1 ? n : 1) || lda > lim || ldb > lim || ldc > lim)
    return throw_range(env, "glassy_blas: leading dimension smaller than the row length");
  if (span(m, n, ldc) > (int64_t)c.length) return throw_range(env, "glassy_blas: C too short");
  if (m == 0 || n == 0) return NULL;
  if (k > 0 && (span(ar, ac, lda) > (int64_t)a.length || span(br, bc, ldb) > (int64_t)b.length))
    return throw_range(env, "glassy_blas: A or B too short");
  enum CBLAS_TRANSPOSE TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
  if (dbl)
    cblas_dgemm(CblasRowMajor, TA, TB, (int)m, (int)n, (int)k, alpha, (const double *)a.data, (int)lda,
                (const double *)b.data, (int)ldb, beta, (double *)c.data, (int)ldc);
  else
    cblas_sgemm(CblasRowMajor, TA, TB, (int)m, (int)n, (int)k, (float)alpha, (const float *)a.data, (int)lda,
                (const float *)b.data, (int)ldb, (float)beta, (float *)c.data, (int)ldc);
  return NULL;
}

static napi_value sgemm(napi_env env, napi_callback_info info) { return gemm(env, info, 0); }
static napi_value dgemm(napi_env env, napi_callback_info info) { return gemm(env, info, 1); }

/* axpy(alpha, x, y): y <- alpha*x + y over the whole (equal-length) views, f32 (dbl = 0) or f64.
   The optimisers' updates: one call instead of a JavaScript loop that V8 cannot vectorise. */
static napi_value axpy(napi_env env, napi_callback_info info, int dbl) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) return throw_range(env, "axpy: expected (alpha, x, y)");
  double alpha;
  if (napi_get_value_double(env, argv[0], &alpha) != napi_ok) return throw_range(env, "axpy: alpha must be a number");
  napi_typedarray_type want = dbl ? napi_float64_array : napi_float32_array;
  view_t x, y;
  if (!get_view(env, argv[1], want, &x) || !get_view(env, argv[2], want, &y)) return throw_range(env, "axpy: x and y must be typed arrays of the kernel's precision");
  if (x.length != y.length || x.length > 0x7fffffff) return throw_range(env, "axpy: x and y must have the same length (< 2^31)");
  if (dbl) cblas_daxpy((int)x.length, alpha, (const double *)x.data, 1, (double *)y.data, 1);
  else cblas_saxpy((int)x.length, (float)alpha, (const float *)x.data, 1, (float *)y.data, 1);
  return NULL;
}

/* scal(alpha, x): x <- alpha*x, f32 (dbl = 0) or f64. */
static napi_value scal(napi_env env, napi_callback_info info, int dbl) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) return throw_range(env, "scal: expected (alpha, x)");
  double alpha;
  if (napi_get_value_double(env, argv[0], &alpha) != napi_ok) return throw_range(env, "scal: alpha must be a number");
  view_t x;
  if (!get_view(env, argv[1], dbl ? napi_float64_array : napi_float32_array, &x)) return throw_range(env, "scal: x must be a typed array of the kernel's precision");
  if (x.length > 0x7fffffff) return throw_range(env, "scal: x longer than 2^31");
  if (dbl) cblas_dscal((int)x.length, alpha, (double *)x.data, 1);
  else cblas_sscal((int)x.length, (float)alpha, (float *)x.data, 1);
  return NULL;
}

static napi_value sscal(napi_env env, napi_callback_info info) { return scal(env, info, 0); }
static napi_value dscal(napi_env env, napi_callback_info info) { return scal(env, info, 1); }
static napi_value saxpy(napi_env env, napi_callback_info info) { return axpy(env, info, 0); }
static napi_value daxpy(napi_env env, napi_callback_info info) { return axpy(env, info, 1); }

/* gatherRows(x, d, rows, out): out[r*d .. r*d+d) <- x[rows[r]*d .. rows[r]*d+d) for every r, x and out
   of one float type. A mini-batch gather in one call: a memcpy per row, no JavaScript view per row.
   Every index is checked against x's row count before anything is written. */
/* Rows of a mini-batch lie anywhere in the set: asking for the next row's cache lines while this one
   is copied hides most of the memory latency (measured: 0.27 s → 0.14 s for an MNIST epoch's worth of
   600 000 rows of 784 bytes). */
static inline void prefetch_row(const void *p, size_t bytes) {
  for (size_t l = 0; l < bytes; l += 64) __builtin_prefetch((const char *)p + l);
}

static napi_value gather_rows(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4) return throw_range(env, "gatherRows: expected (x, d, rows, out)");
  int64_t d;
  if (napi_get_value_int64(env, argv[1], &d) != napi_ok || d < 1) return throw_range(env, "gatherRows: d must be a positive integer");
  bool is_ta = false;
  napi_typedarray_type tx, tr, to;
  size_t nx, nr, no, off;
  void *px, *pr, *po;
  napi_value ab;
  if (napi_is_typedarray(env, argv[0], &is_ta) != napi_ok || !is_ta || napi_get_typedarray_info(env, argv[0], &tx, &nx, &px, &ab, &off) != napi_ok ||
      napi_is_typedarray(env, argv[2], &is_ta) != napi_ok || !is_ta || napi_get_typedarray_info(env, argv[2], &tr, &nr, &pr, &ab, &off) != napi_ok ||
      napi_is_typedarray(env, argv[3], &is_ta) != napi_ok || !is_ta || napi_get_typedarray_info(env, argv[3], &to, &no, &po, &ab, &off) != napi_ok)
    return throw_range(env, "gatherRows: x, rows and out must be typed arrays");
  if (tr != napi_int32_array || tx != to || (tx != napi_float32_array && tx != napi_float64_array))
    return throw_range(env, "gatherRows: x and out must be Float32Array or Float64Array alike, rows an Int32Array");
  size_t es = tx == napi_float32_array ? 4 : 8;
  int64_t n = (int64_t)nx / d;
  if ((int64_t)nr * d > (int64_t)no) return throw_range(env, "gatherRows: out shorter than rows.length * d");
  const int32_t *rows = (const int32_t *)pr;
  for (size_t r = 0; r < nr; r++)
    if (rows[r] < 0 || rows[r] >= n) return throw_range(env, "gatherRows: a row index outside [0, x.length / d)");
  size_t bytes = (size_t)d * es;
  for (size_t r = 0; r < nr; r++) {
    if (r + 1 < nr) prefetch_row((const char *)px + (size_t)rows[r + 1] * bytes, bytes);
    memcpy((char *)po + r * bytes, (const char *)px + (size_t)rows[r] * bytes, bytes);
  }
  return NULL;
}

/* gatherBytes(src, d, rows, batch, a, b, out): out[r·d + j] = (float)(a·src[rows[batch[r]]·d + j] + b) — a
   mini-batch of a byte data set (MNIST's pixels) gathered and normalised in one pass: the split's
   sample i is pool row rows[i]. The product and the sum are rounded in double, one at a time (no
   contraction to a fused multiply-add), then to float: the bits JavaScript stores in a Float32Array
   for a·v + b. Reading bytes moves a quarter of the memory of a float32 gather, and no float32 copy
   of the whole set is needed. */
__attribute__((optimize("O3", "fp-contract=off"))) static void bytes_to_f32(const uint8_t *s, float *q, int64_t d, double a, double b) {
  for (int64_t j = 0; j < d; j++) q[j] = (float)((double)s[j] * a + b);
}

/* The same loop four doubles wide (the "avx2" target without "fma", so nothing can be fused). */
__attribute__((target("avx2"), optimize("O3", "fp-contract=off"))) static void bytes_to_f32_avx2(const uint8_t *s, float *q, int64_t d, double a, double b) {
  for (int64_t j = 0; j < d; j++) q[j] = (float)((double)s[j] * a + b);
}


static napi_value gather_bytes(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 7) return throw_range(env, "gatherBytes: expected (src, d, rows, batch, a, b, out)");
  int64_t d;
  double a, b;
  if (napi_get_value_int64(env, argv[1], &d) != napi_ok || d < 1) return throw_range(env, "gatherBytes: d must be a positive integer");
  if (napi_get_value_double(env, argv[4], &a) != napi_ok || napi_get_value_double(env, argv[5], &b) != napi_ok) return throw_range(env, "gatherBytes: a and b must be numbers");
  view_t src, rows, batch, out;
  if (!get_view(env, argv[0], napi_uint8_array, &src) || !get_view(env, argv[2], napi_int32_array, &rows) ||
      !get_view(env, argv[3], napi_int32_array, &batch) || !get_view(env, argv[6], napi_float32_array, &out))
    return throw_range(env, "gatherBytes: expected a Uint8Array, Int32Array rows and batch, and a Float32Array out");
  if ((int64_t)batch.length * d > (int64_t)out.length) return throw_range(env, "gatherBytes: out shorter than batch.length * d");
  const int64_t n = (int64_t)src.length / d;
  const int32_t *rw = (const int32_t *)rows.data, *bt = (const int32_t *)batch.data;
  for (size_t r = 0; r < batch.length; r++) {
    const int32_t i = bt[r];
    if (i < 0 || (size_t)i >= rows.length || rw[i] < 0 || rw[i] >= n) return throw_range(env, "gatherBytes: a row index outside the data");
  }
  const uint8_t *base = (const uint8_t *)src.data;
  for (size_t r = 0; r < batch.length; r++) {
    if (r + 1 < batch.length) prefetch_row(base + (size_t)rw[bt[r + 1]] * (size_t)d, (size_t)d);
    const uint8_t *row = base + (size_t)rw[bt[r]] * (size_t)d;
    float *q = (float *)out.data + r * (size_t)d;
    if (have_avx2) bytes_to_f32_avx2(row, q, d, a, b);
    else bytes_to_f32(row, q, d, a, b);
  }
  return NULL;
}

/* The ReLU steps of a float32 network pass, where V8's scalar loops cost as much as a small GEMM:
   reluForward(z, a, n):       a[i] = z[i] > 0 ? z[i] : 0
   reluBackward(z, da, dz, n): dz[i] = z[i] > 0 ? da[i] : 0
   (NaN in z gives 0, as the JavaScript loops they replace). Selections only: bit-identical to them. */
static int relu_args(napi_env env, napi_callback_info info, size_t want, view_t *v, int64_t *n) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != want + 1) return 0;
  if (napi_get_value_int64(env, argv[want], n) != napi_ok || *n < 0) return 0;
  for (size_t i = 0; i < want; i++)
    if (!get_view(env, argv[i], napi_float32_array, &v[i]) || (int64_t)v[i].length < *n) return 0;
  return 1;
}

__attribute__((optimize("O3"))) static napi_value relu_forward(napi_env env, napi_callback_info info) {
  view_t v[2];
  int64_t n;
  if (!relu_args(env, info, 2, v, &n)) return throw_range(env, "reluForward: expected (z, a, n), Float32Arrays of at least n elements");
  const float *z = (const float *)v[0].data;
  float *a = (float *)v[1].data;
  for (int64_t i = 0; i < n; i++) a[i] = z[i] > 0.f ? z[i] : 0.f;
  return NULL;
}

__attribute__((optimize("O3"))) static napi_value relu_backward(napi_env env, napi_callback_info info) {
  view_t v[3];
  int64_t n;
  if (!relu_args(env, info, 3, v, &n)) return throw_range(env, "reluBackward: expected (z, da, dz, n), Float32Arrays of at least n elements");
  const float *z = (const float *)v[0].data, *da = (const float *)v[1].data;
  float *dz = (float *)v[2].data;
  /* da[i] read unconditionally: a conditional load kept GCC to a scalar loop whose branch, on the
     random signs of z, mispredicted half the time (3 ns per element); this way it is a compare and a
     mask over whole vectors. Same selection, same bits. */
  for (int64_t i = 0; i < n; i++) {
    const float d = da[i];
    dz[i] = z[i] > 0.f ? d : 0.f;
  }
  return NULL;
}

/* ---- Convolution and pooling steps of a network pass (landscapes/network/conv2d.ts, maxpool.ts) ----
   Copies, selections and sums in the order of the JavaScript loops they replace, so every result is
   bit-identical to them (f32 sums are accumulated in double, as JavaScript numbers are). Each kernel
   is written once for f32 and f64 through the macros below; the element type comes from the arrays,
   which must agree. Every extent is checked against the arrays before anything is written. */

/* Reads argv[from .. from+count) as non-negative integers below 2^31. */
static int get_dims(napi_env env, napi_value *argv, size_t from, size_t count, int64_t *out) {
  for (size_t i = 0; i < count; i++) {
    if (napi_get_value_int64(env, argv[from + i], &out[i]) != napi_ok || out[i] < 0 || out[i] > 2147483647) return 0;
  }
  return 1;
}

/* Two float views of the same type; *dbl set from it. */
static int get_pair(napi_env env, napi_value a, napi_value b, view_t *va, view_t *vb, int *dbl) {
  bool is_ta = false;
  napi_typedarray_type ta, tb;
  napi_value ab;
  size_t off;
  if (napi_is_typedarray(env, a, &is_ta) != napi_ok || !is_ta || napi_get_typedarray_info(env, a, &ta, &va->length, &va->data, &ab, &off) != napi_ok) return 0;
  if (napi_is_typedarray(env, b, &is_ta) != napi_ok || !is_ta || napi_get_typedarray_info(env, b, &tb, &vb->length, &vb->data, &ab, &off) != napi_ok) return 0;
  if (ta != tb || (ta != napi_float32_array && ta != napi_float64_array)) return 0;
  *dbl = ta == napi_float64_array;
  return 1;
}

/* col[(c,kh,kw), b*HW + (oh,ow)] <- x[b, c, oh*S - P + kh, ow*S - P + kw], zero outside the image.
   The batch is the outer loop so that one image stays in L1 while its K*K*C_in shifted copies are
   written (pure copies: the order of the loops does not change a value). */
#define IM2COL(T)                                                                                   \
  {                                                                                                 \
    const T *x = (const T *)vx.data;                                                                \
    T *col = (T *)vc.data;                                                                          \
    int64_t hw = ho * wo, ld = B * hw, in = cin * h * w;                                            \
    for (int64_t b = 0; b < B; b++)                                                                 \
      for (int64_t c = 0, r = 0; c < cin; c++)                                                      \
        for (int64_t kh = 0; kh < k; kh++)                                                          \
          for (int64_t kw = 0; kw < k; kw++, r++) {                                                 \
            const T *xc = x + b * in + c * h * w;                                                   \
            T *o = col + r * ld + b * hw;                                                           \
            for (int64_t oh = 0; oh < ho; oh++, o += wo) {                                          \
              int64_t ih = oh * s - p + kh;                                                         \
              if (ih < 0 || ih >= h) {                                                              \
                for (int64_t ow = 0; ow < wo; ow++) o[ow] = 0;                                      \
                continue;                                                                           \
              }                                                                                     \
              const T *row = xc + ih * w;                                                           \
              if (s == 1 && p == 0) {                                                               \
                T *restrict dst = o;                                                                \
                const T *restrict src = row + kw;                                                   \
                for (int64_t ow = 0; ow < wo; ow++) dst[ow] = src[ow];                              \
              } else {                                                                              \
                for (int64_t ow = 0; ow < wo; ow++) {                                               \
                  int64_t iw = ow * s - p + kw;                                                     \
                  o[ow] = iw >= 0 && iw < w ? row[iw] : 0;                                          \
                }                                                                                   \
              }                                                                                     \
            }                                                                                       \
          }                                                                                         \
  }

/* dx <- 0, then every col entry added back to the input position it was copied from (the adjoint).
   Batch outermost (one image of dx stays in L1); each element of dx receives its terms in the same
   order as with any other placement of the batch loop (c, kh, kw ascending), so the same bits. */
#define COL2IM(T)                                                                                   \
  {                                                                                                 \
    const T *col = (const T *)vc.data;                                                              \
    T *dx = (T *)vx.data;                                                                           \
    int64_t hw = ho * wo, ld = B * hw, in = cin * h * w;                                            \
    memset(dx, 0, (size_t)(B * in) * sizeof(T));                                                   \
    for (int64_t b = 0; b < B; b++)                                                                 \
      for (int64_t c = 0, r = 0; c < cin; c++)                                                      \
        for (int64_t kh = 0; kh < k; kh++)                                                          \
          for (int64_t kw = 0; kw < k; kw++, r++) {                                                 \
            T *xc = dx + b * in + c * h * w;                                                        \
            const T *o = col + r * ld + b * hw;                                                     \
            for (int64_t oh = 0; oh < ho; oh++, o += wo) {                                          \
              int64_t ih = oh * s - p + kh;                                                         \
              if (ih < 0 || ih >= h) continue;                                                      \
              T *row = xc + ih * w;                                                                 \
              if (s == 1 && p == 0) {                                                               \
                T *restrict dst = row + kw;                                                         \
                const T *restrict src = o;                                                          \
                for (int64_t ow = 0; ow < wo; ow++) dst[ow] += src[ow];                             \
              } else {                                                                              \
                for (int64_t ow = 0; ow < wo; ow++) {                                               \
                  int64_t iw = ow * s - p + kw;                                                     \
                  if (iw >= 0 && iw < w) row[iw] += o[ow];                                          \
                }                                                                                   \
              }                                                                                     \
            }                                                                                       \
          }                                                                                         \
  }

/* im2col(x, col, B, C_in, H, W, K, S, P, H_out, W_out) and col2im(col, dx, …the same…). */
static napi_value conv_unfold(napi_env env, napi_callback_info info, int adjoint) {
  size_t argc = 11;
  napi_value argv[11];
  int64_t d[9];
  view_t vx, vc;
  int dbl;
  const char *what = adjoint ? "col2im: expected (col, dx, B, C_in, H, W, K, S, P, H_out, W_out)"
                             : "im2col: expected (x, col, B, C_in, H, W, K, S, P, H_out, W_out)";
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 11 || !get_dims(env, argv, 2, 9, d))
    return throw_range(env, what);
  if (adjoint ? !get_pair(env, argv[0], argv[1], &vc, &vx, &dbl) : !get_pair(env, argv[0], argv[1], &vx, &vc, &dbl))
    return throw_range(env, what);
  int64_t B = d[0], cin = d[1], h = d[2], w = d[3], k = d[4], s = d[5], p = d[6], ho = d[7], wo = d[8];
  if (k < 1 || s < 1 || h + 2 * p < k || ho != (h + 2 * p - k) / s + 1 || wo != (w + 2 * p - k) / s + 1)
    return throw_range(env, "im2col/col2im: output size is not floor((H + 2P - K)/S) + 1");
  if ((int64_t)vx.length < B * cin * h * w || (int64_t)vc.length < cin * k * k * B * ho * wo)
    return throw_range(env, "im2col/col2im: x or col shorter than the shape");
  if (adjoint) {
    if (dbl) COL2IM(double) else COL2IM(float)
  } else {
    if (dbl) IM2COL(double) else IM2COL(float)
  }
  return NULL;
}

__attribute__((optimize("O3"))) static napi_value im2col(napi_env env, napi_callback_info info) { return conv_unfold(env, info, 0); }
__attribute__((optimize("O3"))) static napi_value col2im(napi_env env, napi_callback_info info) { return conv_unfold(env, info, 1); }

/* swapAxes(src, dst, P, Q, L, bias): dst[q, p, l] <- src[p, q, l] + bias[p] (bias null: + 0, which
   also turns -0 into +0, as the JavaScript loop does). The NCHW <-> channel-major transposes. */
#define SWAP(T)                                                                                     \
  {                                                                                                 \
    const T *src = (const T *)vs.data;                                                              \
    T *dst = (T *)vd.data;                                                                          \
    const T *bias = (const T *)vb.data;                                                             \
    for (int64_t i = 0; i < P; i++) {                                                               \
      T bo = bias ? bias[i] : (T)0;                                                                 \
      for (int64_t j = 0; j < Q; j++) {                                                             \
        const T *a = src + (i * Q + j) * L;                                                         \
        T *o = dst + (j * P + i) * L;                                                               \
        for (int64_t l = 0; l < L; l++) o[l] = a[l] + bo;                                           \
      }                                                                                             \
    }                                                                                               \
  }

__attribute__((optimize("O3"))) static napi_value swap_axes(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  int64_t d[3];
  view_t vs, vd, vb = {NULL, 0};
  int dbl;
  const char *what = "swapAxes: expected (src, dst, P, Q, L, bias | null), src and dst of P*Q*L elements, bias of P, one float type";
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 6 || !get_dims(env, argv, 2, 3, d) ||
      !get_pair(env, argv[0], argv[1], &vs, &vd, &dbl))
    return throw_range(env, what);
  int64_t P = d[0], Q = d[1], L = d[2];
  napi_valuetype bt;
  if (napi_typeof(env, argv[5], &bt) != napi_ok) return throw_range(env, what);
  if (bt != napi_null && bt != napi_undefined) {
    if (!get_view(env, argv[5], dbl ? napi_float64_array : napi_float32_array, &vb) || (int64_t)vb.length < P) return throw_range(env, what);
  }
  if ((int64_t)vs.length < P * Q * L || (int64_t)vd.length < P * Q * L) return throw_range(env, what);
  if (dbl) SWAP(double) else SWAP(float)
  return NULL;
}

/* rowSums(a, rows, n, out, beta): out[r] <- beta*out[r] + sum of a[r*n .. r*n+n), summed in double
   from left to right (the bias gradient). beta is 0 (overwrite) or 1 (accumulate). */
/* colSums(m, B, cols, g, offset, beta): g[offset + j] = β·g[offset + j] + Σ_r m[r·cols + j], the rows
   added in order in the arrays' own precision: the bias gradient of an MLP layer (the column sums of
   δz), as landscapes/mlp/network.ts's loop computes it. Its Float32Array stores round each double sum
   of two floats, which is the float sum itself (a double holds more than twice a float's digits), so
   float additions here give the same bits — vectorised across j instead of one element at a time. */
__attribute__((optimize("O3"))) static napi_value col_sums(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  int64_t B, cols, offset;
  double beta;
  view_t vm, vg;
  int dbl;
  const char *what = "colSums: expected (m, B, cols, g, offset, beta), m of B*cols and g of offset+cols elements, one float type, beta 0 or 1";
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 6 || !get_pair(env, argv[0], argv[3], &vm, &vg, &dbl) ||
      napi_get_value_int64(env, argv[1], &B) != napi_ok || napi_get_value_int64(env, argv[2], &cols) != napi_ok ||
      napi_get_value_int64(env, argv[4], &offset) != napi_ok || napi_get_value_double(env, argv[5], &beta) != napi_ok ||
      B < 0 || cols < 0 || offset < 0 || (beta != 0 && beta != 1) || (int64_t)vm.length < B * cols || (int64_t)vg.length < offset + cols)
    return throw_range(env, what);
  if (dbl) {
    double *g = (double *)vg.data + offset;
    const double *m = (const double *)vm.data;
    if (beta == 0) for (int64_t j = 0; j < cols; j++) g[j] = 0;
    for (int64_t r = 0; r < B; r++)
      for (int64_t j = 0; j < cols; j++) g[j] = g[j] + m[r * cols + j];
  } else {
    float *g = (float *)vg.data + offset;
    const float *m = (const float *)vm.data;
    if (beta == 0) for (int64_t j = 0; j < cols; j++) g[j] = 0;
    for (int64_t r = 0; r < B; r++)
      for (int64_t j = 0; j < cols; j++) g[j] = g[j] + m[r * cols + j];
  }
  return NULL;
}

__attribute__((optimize("O3"))) static napi_value row_sums(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  int64_t d[2];
  double beta;
  view_t va, vo;
  int dbl;
  const char *what = "rowSums: expected (a, rows, n, out, beta), a of rows*n and out of rows elements, one float type, beta 0 or 1";
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5 || !get_dims(env, argv, 1, 2, d) ||
      !get_pair(env, argv[0], argv[3], &va, &vo, &dbl) || napi_get_value_double(env, argv[4], &beta) != napi_ok || (beta != 0 && beta != 1))
    return throw_range(env, what);
  int64_t rows = d[0], n = d[1];
  if ((int64_t)va.length < rows * n || (int64_t)vo.length < rows) return throw_range(env, what);
  /* Four rows at a time: four independent left-to-right sums (the same order per row, so the same
     bits) hide the latency of the additions. */
  for (int64_t r0 = 0; r0 < rows; r0 += 4) {
    int64_t nr = rows - r0 < 4 ? rows - r0 : 4;
    double sum[4] = {0, 0, 0, 0};
    if (nr == 4) {
      if (dbl) {
        const double *a = (const double *)va.data + r0 * n;
        for (int64_t i = 0; i < n; i++) { sum[0] += a[i]; sum[1] += a[n + i]; sum[2] += a[2 * n + i]; sum[3] += a[3 * n + i]; }
      } else {
        const float *a = (const float *)va.data + r0 * n;
        for (int64_t i = 0; i < n; i++) {
          sum[0] += (double)a[i]; sum[1] += (double)a[n + i]; sum[2] += (double)a[2 * n + i]; sum[3] += (double)a[3 * n + i];
        }
      }
    } else {
      for (int64_t j = 0; j < nr; j++) {
        if (dbl) {
          const double *a = (const double *)va.data + (r0 + j) * n;
          for (int64_t i = 0; i < n; i++) sum[j] += a[i];
        } else {
          const float *a = (const float *)va.data + (r0 + j) * n;
          for (int64_t i = 0; i < n; i++) sum[j] += (double)a[i];
        }
      }
    }
    for (int64_t j = 0; j < nr; j++) {
      int64_t r = r0 + j;
      if (dbl) {
        double *o = (double *)vo.data;
        o[r] = (beta == 0 ? 0 : o[r]) + sum[j];
      } else {
        float *o = (float *)vo.data;
        o[r] = (float)((beta == 0 ? 0 : (double)o[r]) + sum[j]);
      }
    }
  }
  return NULL;
}

/* maxPool(x, y, argmax, planes, H, W, K, S, H_out, W_out): y[o] = the maximum of o's K x K window
   (stride S) and argmax[o] its index in x; the first maximum in row-major order wins ties, and the
   first NaN wins its window (PyTorch's CPU kernel). */
#define MAXPOOL(T)                                                                                  \
  {                                                                                                 \
    const T *x = (const T *)vx.data;                                                                \
    T *y = (T *)vy.data;                                                                            \
    int64_t o = 0;                                                                                  \
    for (int64_t pl = 0; pl < planes; pl++) {                                                       \
      int64_t base = pl * h * w;                                                                    \
      for (int64_t oh = 0; oh < ho; oh++)                                                           \
        for (int64_t ow = 0; ow < wo; ow++, o++) {                                                  \
          int64_t best = base + oh * s * w + ow * s;                                                \
          T m = x[best];                                                                            \
          for (int64_t kh = 0; kh < k; kh++) {                                                      \
            int64_t row = base + (oh * s + kh) * w + ow * s;                                        \
            for (int64_t kw = 0; kw < k; kw++) {                                                    \
              T v = x[row + kw];                                                                    \
              if (m == m && (v > m || v != v)) { m = v; best = row + kw; }                          \
            }                                                                                       \
          }                                                                                         \
          y[o] = m;                                                                                 \
          idx[o] = (int32_t)best;                                                                   \
        }                                                                                           \
    }                                                                                               \
  }


/* The common 2 x 2, stride-2 window without branches on the data (random inputs defeat the branch
   predictor): selections by comparison, then the window's first NaN if it has one. Same results as
   MAXPOOL. */
#define MAXPOOL2(T)                                                                                 \
  {                                                                                                 \
    const T *x = (const T *)vx.data;                                                                \
    T *y = (T *)vy.data;                                                                            \
    int64_t o = 0;                                                                                  \
    for (int64_t pl = 0; pl < planes; pl++) {                                                       \
      int64_t base = pl * h * w;                                                                    \
      for (int64_t oh = 0; oh < ho; oh++) {                                                         \
        int64_t i0 = base + 2 * oh * w, i1 = i0 + w;                                                \
        for (int64_t ow = 0; ow < wo; ow++, o++, i0 += 2, i1 += 2) {                                \
          T a = x[i0], b = x[i0 + 1], c = x[i1], e = x[i1 + 1];                                     \
          T m = a;                                                                                  \
          int32_t best = (int32_t)i0;                                                               \
          int gb = b > m; m = gb ? b : m; best = gb ? (int32_t)i0 + 1 : best;                       \
          int gc = c > m; m = gc ? c : m; best = gc ? (int32_t)i1 : best;                           \
          int ge = e > m; m = ge ? e : m; best = ge ? (int32_t)i1 + 1 : best;                       \
          if (__builtin_expect(a != a || b != b || c != c || e != e, 0)) {                          \
            best = a != a ? (int32_t)i0 : b != b ? (int32_t)i0 + 1 : c != c ? (int32_t)i1 : (int32_t)i1 + 1; \
            m = x[best];                                                                            \
          }                                                                                         \
          y[o] = m;                                                                                 \
          idx[o] = best;                                                                            \
        }                                                                                           \
      }                                                                                             \
    }                                                                                               \
  }

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* The 2 x 2, stride-2 window eight (f32) or four (f64) windows at a time on CPUs with AVX2: the
   even and odd columns of a row pair are separated by shuffles, then the same strict comparisons
   in the same order as MAXPOOL2 (first maximum wins ties), and a group with a NaN anywhere is redone
   by the scalar loop (first NaN wins). Same results as MAXPOOL2, bit for bit. */
#define POOL2_ONE(T)                                                                                \
  {                                                                                                 \
    int64_t j0 = i0 + 2 * ow, j1 = i1 + 2 * ow;                                                     \
    T a = x[j0], b = x[j0 + 1], c = x[j1], e = x[j1 + 1];                                           \
    T m = a;                                                                                        \
    int32_t best = (int32_t)j0;                                                                     \
    if (b > m) { m = b; best = (int32_t)j0 + 1; }                                                   \
    if (c > m) { m = c; best = (int32_t)j1; }                                                       \
    if (e > m) { m = e; best = (int32_t)j1 + 1; }                                                   \
    if (a != a || b != b || c != c || e != e) {                                                     \
      best = a != a ? (int32_t)j0 : b != b ? (int32_t)j0 + 1 : c != c ? (int32_t)j1 : (int32_t)j1 + 1; \
      m = x[best];                                                                                  \
    }                                                                                               \
    y[o + ow] = m;                                                                                  \
    idx[o + ow] = best;                                                                             \
  }

__attribute__((target("avx2"), optimize("O3"))) static void maxpool2_avx2_f32(
    const float *x, float *y, int32_t *idx, int64_t planes, int64_t h, int64_t w, int64_t ho, int64_t wo) {
  const __m256i lane = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14), one = _mm256_set1_epi32(1), wv = _mm256_set1_epi32((int32_t)w);
  int64_t o = 0;
  for (int64_t pl = 0; pl < planes; pl++)
    for (int64_t oh = 0; oh < ho; oh++, o += wo) {
      int64_t i0 = pl * h * w + 2 * oh * w, i1 = i0 + w, ow = 0;
      /* the last group overlaps the one before it when 8 does not divide W_out (the same windows
         computed twice, the same values stored) */
      for (; ow < wo && wo >= 8; ow += 8) {
        if (ow + 8 > wo) ow = wo - 8;
        __m256 p0 = _mm256_loadu_ps(x + i0 + 2 * ow), q0 = _mm256_loadu_ps(x + i0 + 2 * ow + 8);
        __m256 p1 = _mm256_loadu_ps(x + i1 + 2 * ow), q1 = _mm256_loadu_ps(x + i1 + 2 * ow + 8);
#define EVEN(p, q) _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(p, q, _MM_SHUFFLE(2, 0, 2, 0))), _MM_SHUFFLE(3, 1, 2, 0)))
#define ODD(p, q) _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(p, q, _MM_SHUFFLE(3, 1, 3, 1))), _MM_SHUFFLE(3, 1, 2, 0)))
        __m256 a = EVEN(p0, q0), b = ODD(p0, q0), c = EVEN(p1, q1), e = ODD(p1, q1);
#undef EVEN
#undef ODD
        if (_mm256_movemask_ps(_mm256_or_ps(_mm256_cmp_ps(a, b, _CMP_UNORD_Q), _mm256_cmp_ps(c, e, _CMP_UNORD_Q)))) {
          for (int64_t end = ow + 8; ow < end; ow++) POOL2_ONE(float)
          ow -= 8;
          continue;
        }
        __m256i ia = _mm256_add_epi32(_mm256_set1_epi32((int32_t)(i0 + 2 * ow)), lane);
        __m256i ic = _mm256_add_epi32(ia, wv);
        __m256 m = a, best = _mm256_castsi256_ps(ia), gt;
        gt = _mm256_cmp_ps(b, m, _CMP_GT_OQ);
        m = _mm256_blendv_ps(m, b, gt);
        best = _mm256_blendv_ps(best, _mm256_castsi256_ps(_mm256_add_epi32(ia, one)), gt);
        gt = _mm256_cmp_ps(c, m, _CMP_GT_OQ);
        m = _mm256_blendv_ps(m, c, gt);
        best = _mm256_blendv_ps(best, _mm256_castsi256_ps(ic), gt);
        gt = _mm256_cmp_ps(e, m, _CMP_GT_OQ);
        m = _mm256_blendv_ps(m, e, gt);
        best = _mm256_blendv_ps(best, _mm256_castsi256_ps(_mm256_add_epi32(ic, one)), gt);
        _mm256_storeu_ps(y + o + ow, m);
        _mm256_storeu_si256((__m256i *)(idx + o + ow), _mm256_castps_si256(best));
      }
      /* rows of 4 to 7 windows (a second layer's 8 x 8 planes): four at a time in 128-bit vectors */
      for (; ow < wo && wo >= 4; ow += 4) {
        if (ow + 4 > wo) ow = wo - 4;
        __m128 p0 = _mm_loadu_ps(x + i0 + 2 * ow), q0 = _mm_loadu_ps(x + i0 + 2 * ow + 4);
        __m128 p1 = _mm_loadu_ps(x + i1 + 2 * ow), q1 = _mm_loadu_ps(x + i1 + 2 * ow + 4);
        __m128 a = _mm_shuffle_ps(p0, q0, _MM_SHUFFLE(2, 0, 2, 0)), b = _mm_shuffle_ps(p0, q0, _MM_SHUFFLE(3, 1, 3, 1));
        __m128 c = _mm_shuffle_ps(p1, q1, _MM_SHUFFLE(2, 0, 2, 0)), e = _mm_shuffle_ps(p1, q1, _MM_SHUFFLE(3, 1, 3, 1));
        if (_mm_movemask_ps(_mm_or_ps(_mm_cmpunord_ps(a, b), _mm_cmpunord_ps(c, e)))) {
          for (int64_t end = ow + 4; ow < end; ow++) POOL2_ONE(float)
          ow -= 4;
          continue;
        }
        __m128i ia = _mm_add_epi32(_mm_set1_epi32((int32_t)(i0 + 2 * ow)), _mm256_castsi256_si128(lane));
        __m128i ic = _mm_add_epi32(ia, _mm256_castsi256_si128(wv)), one4 = _mm256_castsi256_si128(one);
        __m128 m = a, best = _mm_castsi128_ps(ia), gt;
        gt = _mm_cmpgt_ps(b, m);
        m = _mm_blendv_ps(m, b, gt);
        best = _mm_blendv_ps(best, _mm_castsi128_ps(_mm_add_epi32(ia, one4)), gt);
        gt = _mm_cmpgt_ps(c, m);
        m = _mm_blendv_ps(m, c, gt);
        best = _mm_blendv_ps(best, _mm_castsi128_ps(ic), gt);
        gt = _mm_cmpgt_ps(e, m);
        m = _mm_blendv_ps(m, e, gt);
        best = _mm_blendv_ps(best, _mm_castsi128_ps(_mm_add_epi32(ic, one4)), gt);
        _mm_storeu_ps(y + o + ow, m);
        _mm_storeu_si128((__m128i *)(idx + o + ow), _mm_castps_si128(best));
      }
      for (; ow < wo; ow++) POOL2_ONE(float)
    }
}

__attribute__((target("avx2"), optimize("O3"))) static void maxpool2_avx2_f64(
    const double *x, double *y, int32_t *idx, int64_t planes, int64_t h, int64_t w, int64_t ho, int64_t wo) {
  const __m256d lane = _mm256_setr_pd(0, 2, 4, 6), one = _mm256_set1_pd(1), wv = _mm256_set1_pd((double)w);
  int64_t o = 0;
  for (int64_t pl = 0; pl < planes; pl++)
    for (int64_t oh = 0; oh < ho; oh++, o += wo) {
      int64_t i0 = pl * h * w + 2 * oh * w, i1 = i0 + w, ow = 0;
      /* the last group overlaps the one before it when 4 does not divide W_out (the same windows
         computed twice, the same values stored) */
      for (; ow < wo && wo >= 4; ow += 4) {
        if (ow + 4 > wo) ow = wo - 4;
        __m256d p0 = _mm256_loadu_pd(x + i0 + 2 * ow), q0 = _mm256_loadu_pd(x + i0 + 2 * ow + 4);
        __m256d p1 = _mm256_loadu_pd(x + i1 + 2 * ow), q1 = _mm256_loadu_pd(x + i1 + 2 * ow + 4);
        __m256d a = _mm256_permute4x64_pd(_mm256_unpacklo_pd(p0, q0), _MM_SHUFFLE(3, 1, 2, 0));
        __m256d b = _mm256_permute4x64_pd(_mm256_unpackhi_pd(p0, q0), _MM_SHUFFLE(3, 1, 2, 0));
        __m256d c = _mm256_permute4x64_pd(_mm256_unpacklo_pd(p1, q1), _MM_SHUFFLE(3, 1, 2, 0));
        __m256d e = _mm256_permute4x64_pd(_mm256_unpackhi_pd(p1, q1), _MM_SHUFFLE(3, 1, 2, 0));
        if (_mm256_movemask_pd(_mm256_or_pd(_mm256_cmp_pd(a, b, _CMP_UNORD_Q), _mm256_cmp_pd(c, e, _CMP_UNORD_Q)))) {
          for (int64_t end = ow + 4; ow < end; ow++) POOL2_ONE(double)
          ow -= 4;
          continue;
        }
        /* indices as doubles (exact below 2^31), converted once at the end */
        __m256d ia = _mm256_add_pd(_mm256_set1_pd((double)(i0 + 2 * ow)), lane), ic = _mm256_add_pd(ia, wv);
        __m256d m = a, best = ia, gt;
        gt = _mm256_cmp_pd(b, m, _CMP_GT_OQ);
        m = _mm256_blendv_pd(m, b, gt);
        best = _mm256_blendv_pd(best, _mm256_add_pd(ia, one), gt);
        gt = _mm256_cmp_pd(c, m, _CMP_GT_OQ);
        m = _mm256_blendv_pd(m, c, gt);
        best = _mm256_blendv_pd(best, ic, gt);
        gt = _mm256_cmp_pd(e, m, _CMP_GT_OQ);
        m = _mm256_blendv_pd(m, e, gt);
        best = _mm256_blendv_pd(best, _mm256_add_pd(ic, one), gt);
        _mm256_storeu_pd(y + o + ow, m);
        _mm_storeu_si128((__m128i *)(idx + o + ow), _mm256_cvtpd_epi32(best));
      }
      for (; ow < wo; ow++) POOL2_ONE(double)
    }
}
#undef POOL2_ONE
#endif

__attribute__((optimize("O3"))) static napi_value max_pool(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  int64_t d[7];
  view_t vx, vy, vi;
  int dbl;
  const char *what = "maxPool: expected (x, y, argmax, planes, H, W, K, S, H_out, W_out), x and y of one float type, argmax an Int32Array";
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 10 || !get_dims(env, argv, 3, 7, d) ||
      !get_pair(env, argv[0], argv[1], &vx, &vy, &dbl) || !get_view(env, argv[2], napi_int32_array, &vi))
    return throw_range(env, what);
  int64_t planes = d[0], h = d[1], w = d[2], k = d[3], s = d[4], ho = d[5], wo = d[6];
  if (k < 1 || s < 1 || h < k || w < k || ho != (h - k) / s + 1 || wo != (w - k) / s + 1)
    return throw_range(env, "maxPool: output size is not floor((H - K)/S) + 1");
  if ((int64_t)vx.length < planes * h * w || planes * h * w > 2147483647 || (int64_t)vy.length < planes * ho * wo ||
      (int64_t)vi.length < planes * ho * wo)
    return throw_range(env, "maxPool: x, y or argmax shorter than the shape");
  int32_t *idx = (int32_t *)vi.data;
  if (k == 2 && s == 2) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (have_avx2) {
      if (dbl) maxpool2_avx2_f64((const double *)vx.data, (double *)vy.data, idx, planes, h, w, ho, wo);
      else maxpool2_avx2_f32((const float *)vx.data, (float *)vy.data, idx, planes, h, w, ho, wo);
      return NULL;
    }
#endif
    if (dbl) MAXPOOL2(double) else MAXPOOL2(float)
  } else {
    if (dbl) MAXPOOL(double) else MAXPOOL(float)
  }
  return NULL;
}

/* scatterAdd(dy, argmax, n, dx, m): dx[0 .. m) <- 0, then dx[argmax[o]] += dy[o] for o < n, in order
   (the max-pool backward pass). Every index is checked against m before anything is written. */
__attribute__((optimize("O3"))) static napi_value scatter_add(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  int64_t n, m;
  view_t vy, vx, vi;
  int dbl;
  const char *what = "scatterAdd: expected (dy, argmax, n, dx, m), dy and dx of one float type, argmax an Int32Array, indices in [0, m)";
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5 || !get_dims(env, argv, 2, 1, &n) ||
      !get_dims(env, argv, 4, 1, &m) || !get_pair(env, argv[0], argv[3], &vy, &vx, &dbl) || !get_view(env, argv[1], napi_int32_array, &vi) ||
      (int64_t)vy.length < n || (int64_t)vi.length < n || (int64_t)vx.length < m)
    return throw_range(env, what);
  const int32_t *idx = (const int32_t *)vi.data;
  for (int64_t o = 0; o < n; o++)
    if (idx[o] < 0 || idx[o] >= m) return throw_range(env, what);
  if (dbl) {
    const double *dy = (const double *)vy.data;
    double *dx = (double *)vx.data;
    memset(dx, 0, (size_t)m * sizeof(double));
    for (int64_t o = 0; o < n; o++) dx[idx[o]] += dy[o];
  } else {
    const float *dy = (const float *)vy.data;
    float *dx = (float *)vx.data;
    memset(dx, 0, (size_t)m * sizeof(float));
    for (int64_t o = 0; o < n; o++) dx[idx[o]] += dy[o];
  }
  return NULL;
}

/* ---- Direct convolution for layers with few input channels (landscapes/network/conv2d.ts) ----
   With C_in·K·K small (the first layer of an image network: C_in = 1 or 3), im2col + GEMM is a poor
   fit: the col copy is K² times the input, the GEMMs are skinny ([C × 25]·[25 × B·HW] forward,
   [C × B·HW]·[B·HW × 25] for the weight gradient) and OpenBLAS runs them far below its peak, and the
   NCHW <-> channel-major transposes and the bias sums cost as much again. These kernels read x and
   δy in NCHW directly, one image at a time (an image's planes stay in L1), stride 1, padding P:
     convForward:    y[b,o,i,j] <- β·y[b,o,i,j] + (Σ_{c,kh,kw} W[o,c,kh,kw]·x̃[b,c,i+kh,j+kw] + bias[o])
     convWeightGrad: gW[o,c,kh,kw] <- β·gW + Σ_{b,i,j} δy[b,o,i,j]·x̃[b,c,i+kh,j+kw];  gb[o] <- β·gb + Σ δy[b,o,·]
   (x̃: x zero-padded by P). The trick that keeps the loops simple and vectorised: the image is copied
   into a zero-padded plane of row length W̃ = W + 2P, and outputs are computed on the flat index
   p = i·W̃ + j over full rows (the columns j ≥ W_out are computed and dropped), so that every tap
   (c,kh,kw) is a fixed offset c·H̃W̃ + kh·W̃ + kw from p: a one-dimensional correlation per tap.
   Summation order is fixed by the code (fma in tap order for y; per-lane fma over the batch and the
   positions, then the lanes summed in double, for gW), so results are the same bits run to run and
   on every CPU with AVX2 and FMA; the addon only offers these kernels there (the caller keeps its
   im2col + GEMM path elsewhere). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GLASSY_DIRECT 1

typedef struct {
  int64_t B, cin, h, w, k, p, cout, ho, wo;
  int64_t hp, wp, plane, np, npr, ckk;
} dgeom_t;

/* Output channels per forward block, taps and output channels per weight-gradient block: the
   accumulators (2 vectors x DIRECT_OB, DIRECT_WO x DIRECT_WT) fit the 16 vector registers. */
#define DIRECT_OB 5
#define DIRECT_WO 2
#define DIRECT_WT 5
#define ROUND_UP(a, m) (((a) + (m) - 1) / (m) * (m))

#define DIRECT_KERNELS(SUF, T, V, L, LOADU, STOREU, ZERO, BCAST, FMA, ADD)                             \
  __attribute__((target("avx2,fma"), optimize("O3"))) static void pad_image_##SUF(                      \
      T *xs, const T *x, const dgeom_t *g) {                                                           \
    for (int64_t c = 0; c < g->cin; c++)                                                               \
      for (int64_t r = 0; r < g->h; r++)                                                               \
      {                                                                                                \
        T *restrict dst = xs + c * g->plane + (r + g->p) * g->wp + g->p;                               \
        const T *restrict src = x + (c * g->h + r) * g->w;                                             \
        for (int64_t j = 0; j < g->w; j++) dst[j] = src[j];                                            \
      }                                                                                                \
  }                                                                                                    \
  __attribute__((target("avx2,fma"), optimize("O3"))) static int conv_forward_##SUF(                    \
      const T *x, const T *W, const T *bias, T *y, int beta, const dgeom_t *g) {                       \
    int64_t coutp = ROUND_UP(g->cout, DIRECT_OB), ckk = g->ckk, npr = g->npr;                          \
    T *xs = calloc((size_t)(g->cin * g->plane + npr), sizeof(T));                                      \
    T *wpad = calloc((size_t)(coutp * ckk), sizeof(T));                                                \
    T *yt = malloc((size_t)(DIRECT_OB * npr) * sizeof(T));                                             \
    int64_t *off = malloc((size_t)ckk * sizeof(int64_t));                                              \
    if (!xs || !wpad || !yt || !off) { free(xs); free(wpad); free(yt); free(off); return 0; }          \
    memcpy(wpad, W, (size_t)(g->cout * ckk) * sizeof(T));                                             \
    for (int64_t c = 0, t = 0; c < g->cin; c++)                                                        \
      for (int64_t kh = 0; kh < g->k; kh++)                                                            \
        for (int64_t kw = 0; kw < g->k; kw++, t++) off[t] = c * g->plane + kh * g->wp + kw;            \
    for (int64_t b = 0; b < g->B; b++) {                                                               \
      pad_image_##SUF(xs, x + b * g->cin * g->h * g->w, g);                                            \
      for (int64_t o0 = 0; o0 < coutp; o0 += DIRECT_OB) {                                              \
        const T *w0 = wpad + o0 * ckk;                                                                 \
        for (int64_t p0 = 0; p0 < npr; p0 += 2 * L) {                                                  \
          V a[DIRECT_OB][2];                                                                           \
          for (int q = 0; q < DIRECT_OB; q++) a[q][0] = a[q][1] = ZERO();                              \
          for (int64_t t = 0; t < ckk; t++) {                                                          \
            const T *xp = xs + off[t] + p0;                                                            \
            V x0 = LOADU(xp), x1 = LOADU(xp + L);                                                      \
            for (int q = 0; q < DIRECT_OB; q++) {                                                      \
              V wv = BCAST(w0 + q * ckk + t);                                                          \
              a[q][0] = FMA(wv, x0, a[q][0]);                                                          \
              a[q][1] = FMA(wv, x1, a[q][1]);                                                          \
            }                                                                                          \
          }                                                                                            \
          for (int q = 0; q < DIRECT_OB; q++) {                                                        \
            STOREU(yt + q * npr + p0, a[q][0]);                                                        \
            STOREU(yt + q * npr + p0 + L, a[q][1]);                                                    \
          }                                                                                            \
        }                                                                                              \
        for (int64_t q = 0; q < DIRECT_OB && o0 + q < g->cout; q++) {                                  \
          int64_t o = o0 + q;                                                                          \
          T bo = bias ? bias[o] : (T)0;                                                                \
          T *yo = y + (b * g->cout + o) * g->ho * g->wo;                                               \
          for (int64_t i = 0; i < g->ho; i++) {                                                        \
            const T *src = yt + q * npr + i * g->wp;                                                   \
            T *dst = yo + i * g->wo;                                                                   \
            if (beta) for (int64_t j = 0; j < g->wo; j++) dst[j] = dst[j] + (src[j] + bo);             \
            else for (int64_t j = 0; j < g->wo; j++) dst[j] = src[j] + bo;                             \
          }                                                                                            \
        }                                                                                              \
      }                                                                                                \
    }                                                                                                  \
    free(xs); free(wpad); free(yt); free(off);                                                         \
    return 1;                                                                                          \
  }                                                                                                    \
  __attribute__((target("avx2,fma"), optimize("O3"))) static int conv_wgrad_##SUF(                      \
      const T *x, const T *dy, T *gw, T *gb, int beta, const dgeom_t *g) {                             \
    int64_t coutp = ROUND_UP(g->cout, DIRECT_WO), ckk = g->ckk, ckkp = ROUND_UP(ckk, DIRECT_WT), npr = g->npr; \
    T *xs = calloc((size_t)(g->cin * g->plane + npr), sizeof(T));                                      \
    T *dyx = calloc((size_t)(coutp * npr), sizeof(T));                                                 \
    T *acc = calloc((size_t)(coutp * ckkp * L), sizeof(T));                                            \
    T *bacc = calloc((size_t)(g->cout * L), sizeof(T));                                                \
    int64_t *off = calloc((size_t)ckkp, sizeof(int64_t));                                              \
    if (!xs || !dyx || !acc || !bacc || !off) { free(xs); free(dyx); free(acc); free(bacc); free(off); return 0; } \
    for (int64_t c = 0, t = 0; c < g->cin; c++)                                                        \
      for (int64_t kh = 0; kh < g->k; kh++)                                                            \
        for (int64_t kw = 0; kw < g->k; kw++, t++) off[t] = c * g->plane + kh * g->wp + kw;            \
    int64_t hwo = g->ho * g->wo;                                                                       \
    for (int64_t b = 0; b < g->B; b++) {                                                               \
      pad_image_##SUF(xs, x + b * g->cin * g->h * g->w, g);                                            \
      /* δy of this image on the padded row length; the columns j >= W_out stay 0 */                    \
      for (int64_t o = 0; o < g->cout; o++)                                                            \
        for (int64_t i = 0; i < g->ho; i++)                                                            \
        {                                                                                              \
          T *restrict dst = dyx + o * npr + i * g->wp;                                                 \
          const T *restrict src = dy + (b * g->cout + o) * hwo + i * g->wo;                            \
          for (int64_t j = 0; j < g->wo; j++) dst[j] = src[j];                                         \
        }                                                                                              \
      for (int64_t o0 = 0; o0 < coutp; o0 += DIRECT_WO) {                                              \
        const T *d0p = dyx + o0 * npr, *d1p = d0p + npr;                                               \
        for (int64_t t0 = 0; t0 < ckkp; t0 += DIRECT_WT) {                                             \
          V a[DIRECT_WO][DIRECT_WT];                                                                   \
          const T *xr[DIRECT_WT];                                                                      \
          for (int r = 0; r < DIRECT_WT; r++) {                                                        \
            xr[r] = xs + off[t0 + r];                                                                  \
            a[0][r] = LOADU(acc + ((o0 + 0) * ckkp + t0 + r) * L);                                     \
            a[1][r] = LOADU(acc + ((o0 + 1) * ckkp + t0 + r) * L);                                     \
          }                                                                                            \
          for (int64_t p0 = 0; p0 < npr; p0 += L) {                                                    \
            V d0 = LOADU(d0p + p0), d1 = LOADU(d1p + p0);                                              \
            for (int r = 0; r < DIRECT_WT; r++) {                                                      \
              V xv = LOADU(xr[r] + p0);                                                                \
              /* one load for both products (the compiler would otherwise fold it into each FMA) */     \
              __asm__("" : "+x"(xv));                                                                  \
              a[0][r] = FMA(d0, xv, a[0][r]);                                                          \
              a[1][r] = FMA(d1, xv, a[1][r]);                                                          \
            }                                                                                          \
          }                                                                                            \
          for (int r = 0; r < DIRECT_WT; r++) {                                                        \
            STOREU(acc + ((o0 + 0) * ckkp + t0 + r) * L, a[0][r]);                                     \
            STOREU(acc + ((o0 + 1) * ckkp + t0 + r) * L, a[1][r]);                                     \
          }                                                                                            \
        }                                                                                              \
      }                                                                                                \
      if (gb)                                                                                          \
        for (int64_t o = 0; o < g->cout; o++) {                                                        \
          V s = LOADU(bacc + o * L);                                                                   \
          for (int64_t p0 = 0; p0 < npr; p0 += L) s = ADD(s, LOADU(dyx + o * npr + p0));               \
          STOREU(bacc + o * L, s);                                                                     \
        }                                                                                              \
    }                                                                                                  \
    for (int64_t o = 0; o < g->cout; o++) {                                                            \
      for (int64_t t = 0; t < ckk; t++) {                                                              \
        double s = 0;                                                                                  \
        for (int l = 0; l < L; l++) s += (double)acc[(o * ckkp + t) * L + l];                          \
        T *d = gw + o * ckk + t;                                                                       \
        *d = (T)((beta ? (double)*d : 0) + s);                                                         \
      }                                                                                                \
      if (gb) {                                                                                        \
        double s = 0;                                                                                  \
        for (int l = 0; l < L; l++) s += (double)bacc[o * L + l];                                      \
        gb[o] = (T)((beta ? (double)gb[o] : 0) + s);                                                   \
      }                                                                                                \
    }                                                                                                  \
    free(xs); free(dyx); free(acc); free(bacc); free(off);                                             \
    return 1;                                                                                          \
  }

DIRECT_KERNELS(f32, float, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_setzero_ps, _mm256_broadcast_ss, _mm256_fmadd_ps, _mm256_add_ps)
DIRECT_KERNELS(f64, double, __m256d, 4, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_setzero_pd, _mm256_broadcast_sd, _mm256_fmadd_pd, _mm256_add_pd)

/* convForward(x, W, bias | null, y, beta, B, C_in, H, W, K, P, C_out, H_out, W_out) and
   convWeightGrad(x, dy, gW, gb | null, beta, …the same…): see above. */
static napi_value conv_direct(napi_env env, napi_callback_info info, int wgrad) {
  size_t argc = 14;
  napi_value argv[14];
  int64_t d[9];
  double beta;
  view_t va, vb, vc, vd = {NULL, 0};
  int dbl, dbl2;
  const char *what = wgrad ? "convWeightGrad: expected (x, dy, gW, gb | null, beta, B, C_in, H, W, K, P, C_out, H_out, W_out), one float type, beta 0 or 1"
                           : "convForward: expected (x, W, bias | null, y, beta, B, C_in, H, W, K, P, C_out, H_out, W_out), one float type, beta 0 or 1";
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 14 || !get_dims(env, argv, 5, 9, d) ||
      napi_get_value_double(env, argv[4], &beta) != napi_ok || (beta != 0 && beta != 1) ||
      !get_pair(env, argv[0], argv[1], &va, &vb, &dbl) || !get_pair(env, argv[0], argv[wgrad ? 2 : 3], &va, &vc, &dbl2))
    return throw_range(env, what);
  napi_valuetype bt;
  napi_value opt = argv[wgrad ? 3 : 2];
  if (napi_typeof(env, opt, &bt) != napi_ok) return throw_range(env, what);
  if (bt != napi_null && bt != napi_undefined && !get_view(env, opt, dbl ? napi_float64_array : napi_float32_array, &vd))
    return throw_range(env, what);
  dgeom_t g = {d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], 0, 0, 0, 0, 0, 0};
  if (g.k < 1 || g.h + 2 * g.p < g.k || g.w + 2 * g.p < g.k || g.ho != g.h + 2 * g.p - g.k + 1 || g.wo != g.w + 2 * g.p - g.k + 1)
    return throw_range(env, "convForward/convWeightGrad: output size is not H + 2P - K + 1 (stride 1)");
  g.hp = g.h + 2 * g.p;
  g.wp = g.w + 2 * g.p;
  g.plane = g.hp * g.wp;
  g.np = g.ho * g.wp;
  g.npr = ROUND_UP(g.np, 16);
  g.ckk = g.cin * g.k * g.k;
  /* x, then the weight-shaped and the output-shaped arrays (which of b, c is which depends on the kernel) */
  int64_t nx = g.B * g.cin * g.h * g.w, nw = g.cout * g.ckk, ny = g.B * g.cout * g.ho * g.wo;
  const view_t *vw = wgrad ? &vc : &vb, *vy = wgrad ? &vb : &vc;
  if ((int64_t)va.length < nx || (int64_t)vw->length < nw || (int64_t)vy->length < ny || (vd.data && (int64_t)vd.length < g.cout) ||
      g.cin * g.plane + g.npr > 2147483647 || nx > 2147483647 || ny > 2147483647)
    return throw_range(env, "convForward/convWeightGrad: an array shorter than the shape");
  if (g.B == 0 || g.cout == 0) {
    if (!beta && wgrad) {
      memset(vc.data, 0, (size_t)nw * (dbl ? 8 : 4));
      if (vd.data) memset(vd.data, 0, (size_t)g.cout * (dbl ? 8 : 4));
    }
    return NULL;
  }
  int ok;
  if (wgrad)
    ok = dbl ? conv_wgrad_f64(va.data, vb.data, vc.data, vd.data, beta != 0, &g) : conv_wgrad_f32(va.data, vb.data, vc.data, vd.data, beta != 0, &g);
  else
    ok = dbl ? conv_forward_f64(va.data, vb.data, vd.data, vc.data, beta != 0, &g) : conv_forward_f32(va.data, vb.data, vd.data, vc.data, beta != 0, &g);
  if (!ok) napi_throw_error(env, NULL, "convForward/convWeightGrad: out of memory");
  return NULL;
}

static napi_value conv_forward(napi_env env, napi_callback_info info) { return conv_direct(env, info, 0); }
static napi_value conv_weight_grad(napi_env env, napi_callback_info info) { return conv_direct(env, info, 1); }
#endif
/* ---- Softmax cross-entropy of a network's outputs (landscapes/mlp/loss.ts, lossForward 'ce') ----
   Its cost is the exponentials: ten per sample, as many as the multiply-adds of a 784→10→10
   ensemble's second layer, and V8 calls out for each Math.exp. exp here is fdlibm's e_exp.c
   algorithm, the one V8's Math.exp runs (src/base/ieee754.cc), with the same double operations in
   the same order (this file is built without -mfma, so nothing is contracted): the kernel gives
   the bits of the JavaScript loop it replaces (test/loss-kernel.test.ts). */
static double fdlibm_exp(double x) {
  static const double ln2hi = 6.93147180369123816490e-01, ln2lo = 1.90821492927058770002e-10,
                      invln2 = 1.44269504088896338700e+00, twom1000 = 9.33263618503218878990e-302,
                      o_threshold = 7.09782712893383973096e+02, u_threshold = -7.45133219101941108420e+02,
                      P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03,
                      P3 = 6.61375632143793436117e-05, P4 = -1.65339022054652515390e-06,
                      P5 = 4.13813679705723846039e-08;
  union { double d; uint64_t u; } v = {x};
  uint32_t hx = (uint32_t)(v.u >> 32);
  int xsb = (int)(hx >> 31);
  double hi = 0, lo = 0, t, c, y;
  int k = 0;
  hx &= 0x7fffffff;
  if (hx >= 0x40862E42) {                              /* |x| ≥ 709.78…, NaN, ±inf */
    if (hx >= 0x7ff00000) return (hx & 0xfffff) | (uint32_t)v.u ? x + x : (xsb == 0 ? x : 0.0);
    if (x > o_threshold) return HUGE_VAL;
    if (x < u_threshold) return twom1000 * twom1000;
  }
  if (hx > 0x3fd62e42) {                               /* |x| > ln2 / 2: x = k·ln2 + r */
    if (hx < 0x3FF0A2B2) {                             /* |x| < 1.5 ln2: k = ±1 */
      hi = xsb ? x + ln2hi : x - ln2hi;
      lo = xsb ? -ln2lo : ln2lo;
      k = 1 - xsb - xsb;
    } else {
      k = (int)(invln2 * x + (xsb ? -0.5 : 0.5));
      t = k;
      hi = x - t * ln2hi;
      lo = t * ln2lo;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {                        /* |x| < 2^-28 */
    return 1.0 + x;
  }
  t = x * x;
  c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
  v.d = y;
  if (k >= -1021) {
    v.u += (uint64_t)(int64_t)k << 52;                 /* y·2^k, exactly */
    return v.d;
  }
  v.u += (uint64_t)(int64_t)(k + 1000) << 52;
  return v.d * twom1000;
}

#define SOFTMAX_CE(T)                                                                               \
  {                                                                                                 \
    const T *f = (const T *)vf.data;                                                                \
    T *g = has_g ? (T *)vg.data : NULL;                                                             \
    for (int64_t r = 0; r < B; r++) {                                                               \
      const T *fr = f + r * C;                                                                      \
      int64_t best = 0;                                                                             \
      double m = fr[0], z = 0;                                                                      \
      for (int64_t k = 1; k < C; k++)                                                               \
        if (fr[k] > m) { m = fr[k]; best = k; }                                                     \
      if (best != labels[r]) errors++;                                                              \
      if (g) {                                                                                      \
        T *gr = g + r * C;                                                                          \
        for (int64_t k = 0; k < C; k++) { double e = fdlibm_exp((double)fr[k] - m); gr[k] = (T)e; z += e; } \
        double c = scale / z;                                                                       \
        for (int64_t k = 0; k < C; k++) gr[k] = (T)((double)gr[k] * c);                             \
        gr[labels[r]] = (T)((double)gr[labels[r]] - scale);                                         \
      } else {                                                                                      \
        for (int64_t k = 0; k < C; k++) z += fdlibm_exp((double)fr[k] - m);                        \
      }                                                                                             \
      rows[2 * r] = m;                                                                              \
      rows[2 * r + 1] = z;                                                                          \
    }                                                                                               \
  }

/* softmaxCE(f, labels, B, C, g, scale, rows) -> errors. Per row r of f [B × C]: m = its first
   maximum, z = Σ_k exp(f[r,k] − m) (k ascending, in double); g (f's type, or null): g[r,k] = e_k,
   then g[r,k] *= scale / z, g[r,y] −= scale; rows[2r] = m, rows[2r+1] = z (the caller adds
   m + log z − f[r,y] with Math.log). Returns the rows whose first maximum is not their label. */
__attribute__((optimize("O3"))) static napi_value softmax_ce(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  int64_t d[2];
  double scale;
  view_t vf, vg, vl, vr;
  int dbl = 0, has_g = 0;
  napi_valuetype tg;
  const char *what = "softmaxCE: expected (f, labels, B, C, g or null, scale, rows), f and g of B*C elements of one float type, labels an Int32Array of B labels in [0, C), rows a Float64Array of 2*B";
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 7 || !get_dims(env, argv, 2, 2, d) ||
      napi_typeof(env, argv[4], &tg) != napi_ok || napi_get_value_double(env, argv[5], &scale) != napi_ok ||
      !get_view(env, argv[1], napi_int32_array, &vl) || !get_view(env, argv[6], napi_float64_array, &vr))
    return throw_range(env, what);
  has_g = tg != napi_null;
  if (has_g ? !get_pair(env, argv[0], argv[4], &vf, &vg, &dbl) : !get_pair(env, argv[0], argv[0], &vf, &vf, &dbl)) return throw_range(env, what);
  int64_t B = d[0], C = d[1];
  if (C < 1 || (int64_t)vf.length < B * C || (has_g && (int64_t)vg.length < B * C) || (int64_t)vl.length < B || (int64_t)vr.length < 2 * B)
    return throw_range(env, what);
  const int32_t *labels = (const int32_t *)vl.data;
  for (int64_t r = 0; r < B; r++)
    if (labels[r] < 0 || labels[r] >= C) return throw_range(env, what);
  double *rows = (double *)vr.data;
  int64_t errors = 0;
  if (dbl) SOFTMAX_CE(double) else SOFTMAX_CE(float)
  napi_value out;
  CHECK(napi_create_int64(env, errors, &out));
  return out;
}

static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t n;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 1) return throw_range(env, "glassy_blas: setThreads expects 1 argument");
  CHECK(napi_get_value_int32(env, argv[0], &n));
  if (n < 1) return throw_range(env, "glassy_blas: threads must be >= 1");
#ifndef __APPLE__
  openblas_set_num_threads(n);
#endif
  return NULL;
}

static napi_value get_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
#ifdef __APPLE__
  CHECK(napi_create_int32(env, 1, &out));
#else
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &out));
#endif
  return out;
}

/* { library, config, corename }: what the manifest and BENCHMARKS.md record about the BLAS. */
static napi_value get_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, v;
  CHECK(napi_create_object(env, &out));
#ifdef __APPLE__
  const char *lib = "Accelerate", *cfg = "Apple Accelerate (vecLib)", *core = "apple";
#else
  const char *lib = "OpenBLAS", *cfg = openblas_get_config(), *core = openblas_get_corename();
#endif
  CHECK(napi_create_string_utf8(env, lib, NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, out, "library", v));
  CHECK(napi_create_string_utf8(env, cfg ? cfg : "", NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, out, "config", v));
  CHECK(napi_create_string_utf8(env, core ? core : "", NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, out, "corename", v));
  return out;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
    {"sgemm", NULL, sgemm, NULL, NULL, NULL, napi_default, NULL},
    {"dgemm", NULL, dgemm, NULL, NULL, NULL, napi_default, NULL},
    {"saxpy", NULL, saxpy, NULL, NULL, NULL, napi_default, NULL},
    {"daxpy", NULL, daxpy, NULL, NULL, NULL, napi_default, NULL},
    {"sscal", NULL, sscal, NULL, NULL, NULL, napi_default, NULL},
    {"dscal", NULL, dscal, NULL, NULL, NULL, napi_default, NULL},
    {"reluForward", NULL, relu_forward, NULL, NULL, NULL, napi_default, NULL},
    {"reluBackward", NULL, relu_backward, NULL, NULL, NULL, napi_default, NULL},
    {"gatherRows", NULL, gather_rows, NULL, NULL, NULL, napi_default, NULL},
    {"gatherBytes", NULL, gather_bytes, NULL, NULL, NULL, napi_default, NULL},
    {"im2col", NULL, im2col, NULL, NULL, NULL, napi_default, NULL},
    {"col2im", NULL, col2im, NULL, NULL, NULL, napi_default, NULL},
    {"swapAxes", NULL, swap_axes, NULL, NULL, NULL, napi_default, NULL},
    {"rowSums", NULL, row_sums, NULL, NULL, NULL, napi_default, NULL},
    {"colSums", NULL, col_sums, NULL, NULL, NULL, napi_default, NULL},
    {"maxPool", NULL, max_pool, NULL, NULL, NULL, napi_default, NULL},
    {"scatterAdd", NULL, scatter_add, NULL, NULL, NULL, napi_default, NULL},
    {"softmaxCE", NULL, softmax_ce, NULL, NULL, NULL, napi_default, NULL},
    {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
    {"getThreads", NULL, get_threads, NULL, NULL, NULL, napi_default, NULL},
    {"info", NULL, get_info, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
#ifdef GLASSY_DIRECT
  __builtin_cpu_init();
  have_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (have_avx2) {
    napi_property_descriptor direct[] = {
      {"convForward", NULL, conv_forward, NULL, NULL, NULL, napi_default, NULL},
      {"convWeightGrad", NULL, conv_weight_grad, NULL, NULL, NULL, napi_default, NULL},
    };
    if (napi_define_properties(env, exports, 2, direct) != napi_ok) return NULL;
  }
#endif
  return exports;
}
