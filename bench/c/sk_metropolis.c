/*
 * Plain C reference for glassy's SK Metropolis kernel (src/dynamics/montecarlo/kernels.ts,
 * metropolisDense): the same algorithm line for line, so bench/spinglass.ts can compare spin-flip
 * attempts per second.
 *   - couplings J_ij ~ N(0, 1/N), dense symmetric N×N row-major double matrix, zero diagonal;
 *   - local fields h_i = Σ_j J_ij s_j kept up to date (O(N) per accepted flip), int8 spins;
 *   - sequential site order; ΔE = 2 s_i h_i; uphill moves decided with the exact bounds
 *     1 − x < e^{−x} < 1/(1 + x + x²/2) before calling exp (x = βΔE);
 *   - random numbers: xoshiro128** (Blackman & Vigna), u = next()·2^−32, as src/core/rng.ts.
 * Usage: sk_metropolis N T SWEEPS SEED   → prints one JSON line.
 * Build: gcc -O3 -o sk_metropolis sk_metropolis.c -lm
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* xoshiro128** (Blackman & Vigna). The sweep copies the state into locals (registers) and writes it
 * back at the end, as the WebAssembly kernel does: with global state gcc reloads and stores the four
 * words around every draw, because the exp() call in the loop might change globals. */
typedef struct { uint32_t s0, s1, s2, s3; } rng_t;
static rng_t rng;
static inline uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
static inline uint32_t next_u32_r(rng_t *r) {
  uint32_t result = rotl(r->s1 * 5, 7) * 9;
  uint32_t t = r->s1 << 9;
  r->s2 ^= r->s0; r->s3 ^= r->s1; r->s1 ^= r->s2; r->s0 ^= r->s3; r->s2 ^= t; r->s3 = rotl(r->s3, 11);
  return result;
}
static inline uint32_t next_u32(void) { return next_u32_r(&rng); }
static inline double uniform32_r(rng_t *r) { return next_u32_r(r) * 2.3283064365386963e-10; }
static inline double uniform32(void) { return next_u32() * 2.3283064365386963e-10; }
static uint32_t mix32(uint32_t h) { h ^= h >> 16; h *= 0x85ebca6bu; h ^= h >> 13; h *= 0xc2b2ae35u; h ^= h >> 16; return h; }
static void seed_rng(uint32_t seed) {
  uint32_t w = mix32(seed ^ 0x9e3779b9u);
  w += 0x9e3779b9u; rng.s0 = mix32(w); w += 0x9e3779b9u; rng.s1 = mix32(w);
  w += 0x9e3779b9u; rng.s2 = mix32(w); w += 0x9e3779b9u; rng.s3 = mix32(w);
  if ((rng.s0 | rng.s1 | rng.s2 | rng.s3) == 0) rng.s0 = 1;
}
static double normal(void) { /* Marsaglia polar, as Rng.normal (the spare is dropped: setup only) */
  double u, v, s;
  do { u = 2 * uniform32() - 1; v = 2 * uniform32() - 1; s = u * u + v * v; } while (s >= 1 || s == 0);
  return u * sqrt(-2 * log(s) / s);
}
static double now(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec + 1e-9 * ts.tv_nsec; }
/* CPU time of this process: on a shared machine it excludes the time other jobs hold the core. */
static double cpu_now(void) { struct timespec ts; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); return ts.tv_sec + 1e-9 * ts.tv_nsec; }

static inline int accept_uphill(double x, double u) {
  if (u < 1 - x) return 1;
  if (u * (1 + x + 0.5 * x * x) >= 1) return 0;
  return u < exp(-x);
}

static long sweep(int n, const double *J, int8_t *s, double *h, double beta, double *energy) {
  long accepted = 0;
  double dEsum = 0;
  rng_t r = rng;
  for (int i = 0; i < n; i++) {
    int si = s[i];
    double dE = 2 * si * h[i];
    if (dE > 0 && !accept_uphill(beta * dE, uniform32_r(&r))) continue;
    s[i] = (int8_t)-si;
    dEsum += dE;
    accepted++;
    double c = -2.0 * si;
    const double *row = J + (size_t)i * n;
    for (int j = 0; j < n; j++) h[j] += c * row[j];
  }
  rng = r;
  *energy += dEsum;
  return accepted;
}

int main(int argc, char **argv) {
  if (argc < 5) { fprintf(stderr, "usage: %s N T SWEEPS SEED\n", argv[0]); return 2; }
  int n = atoi(argv[1]); double T = atof(argv[2]); int sweeps = atoi(argv[3]); uint32_t seed = (uint32_t)atol(argv[4]);
  if (n < 2 || T <= 0 || sweeps < 1) { fprintf(stderr, "bad arguments\n"); return 2; }
  seed_rng(seed);
  double *J = calloc((size_t)n * n, sizeof(double));
  double *h = calloc(n, sizeof(double));
  int8_t *s = malloc(n);
  double sd = 1.0 / sqrt((double)n);
  for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) { double v = sd * normal(); J[(size_t)i * n + j] = v; J[(size_t)j * n + i] = v; }
  for (int i = 0; i < n; i++) s[i] = (next_u32() & 1) ? 1 : -1;
  double energy = 0;
  for (int i = 0; i < n; i++) { double a = 0; for (int j = 0; j < n; j++) a += J[(size_t)i * n + j] * s[j]; h[i] = a; energy -= 0.5 * s[i] * a; }
  double beta = 1.0 / T;
  int warm = sweeps / 10 + 1;
  for (int k = 0; k < warm; k++) sweep(n, J, s, h, beta, &energy);
  long accepted = 0;
  double t0 = now(), c0 = cpu_now();
  for (int k = 0; k < sweeps; k++) accepted += sweep(n, J, s, h, beta, &energy);
  double dt = now() - t0, dc = cpu_now() - c0;
  double attempts = (double)sweeps * n;
  printf("{\"n\":%d,\"temperature\":%g,\"sweeps\":%d,\"seconds\":%.6f,\"attempts_per_second\":%.6e,\"cpu_seconds\":%.6f,\"attempts_per_cpu_second\":%.6e,\"acceptance\":%.6f,\"energy_per_spin\":%.6f}\n",
         n, T, sweeps, dt, attempts / dt, dc, attempts / dc, accepted / attempts, energy / n);
  free(J); free(h); free(s);
  return 0;
}
