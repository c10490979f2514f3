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
 * Build: gcc -O3 -march=native -o sk_metropolis sk_metropolis.c -lm
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint32_t s0, s1, s2, s3;
static inline uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
static inline uint32_t next_u32(void) {
  uint32_t result = rotl(s1 * 5, 7) * 9;
  uint32_t t = s1 << 9;
  s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
  return result;
}
static inline double uniform32(void) { return next_u32() * 2.3283064365386963e-10; }
static uint32_t mix32(uint32_t h) { h ^= h >> 16; h *= 0x85ebca6bu; h ^= h >> 13; h *= 0xc2b2ae35u; h ^= h >> 16; return h; }
static void seed_rng(uint32_t seed) {
  uint32_t w = mix32(seed ^ 0x9e3779b9u);
  w += 0x9e3779b9u; s0 = mix32(w); w += 0x9e3779b9u; s1 = mix32(w);
  w += 0x9e3779b9u; s2 = mix32(w); w += 0x9e3779b9u; s3 = mix32(w);
  if ((s0 | s1 | s2 | s3) == 0) s0 = 1;
}
static double normal(void) { /* Marsaglia polar, as Rng.normal (the spare is dropped: setup only) */
  double u, v, s;
  do { u = 2 * uniform32() - 1; v = 2 * uniform32() - 1; s = u * u + v * v; } while (s >= 1 || s == 0);
  return u * sqrt(-2 * log(s) / s);
}
static double now(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec + 1e-9 * ts.tv_nsec; }

static inline int accept_uphill(double x, double u) {
  if (u < 1 - x) return 1;
  if (u * (1 + x + 0.5 * x * x) >= 1) return 0;
  return u < exp(-x);
}

static long sweep(int n, const double *J, int8_t *s, double *h, double beta, double *energy) {
  long accepted = 0;
  double dEsum = 0;
  for (int i = 0; i < n; i++) {
    int si = s[i];
    double dE = 2 * si * h[i];
    if (dE > 0 && !accept_uphill(beta * dE, uniform32())) continue;
    s[i] = (int8_t)-si;
    dEsum += dE;
    accepted++;
    double c = -2.0 * si;
    const double *row = J + (size_t)i * n;
    for (int j = 0; j < n; j++) h[j] += c * row[j];
  }
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
  double t0 = now();
  for (int k = 0; k < sweeps; k++) accepted += sweep(n, J, s, h, beta, &energy);
  double dt = now() - t0;
  double attempts = (double)sweeps * n;
  printf("{\"n\":%d,\"temperature\":%g,\"sweeps\":%d,\"seconds\":%.6f,\"attempts_per_second\":%.6e,\"acceptance\":%.6f,\"energy_per_spin\":%.6f}\n",
         n, T, sweeps, dt, attempts / dt, accepted / attempts, energy / n);
  free(J); free(h); free(s);
  return 0;
}
