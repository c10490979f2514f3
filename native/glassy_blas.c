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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  for (size_t r = 0; r < nr; r++) memcpy((char *)po + r * bytes, (const char *)px + (size_t)rows[r] * bytes, bytes);
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
  for (int64_t i = 0; i < n; i++) dz[i] = z[i] > 0.f ? da[i] : 0.f;
  return NULL;
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
    {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
    {"getThreads", NULL, get_threads, NULL, NULL, NULL, napi_default, NULL},
    {"info", NULL, get_info, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
  return exports;
}
