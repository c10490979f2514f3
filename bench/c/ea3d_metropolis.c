/*
 * Plain C reference for glassy's ±J lattice Metropolis kernel (src/dynamics/montecarlo/kernels.ts,
 * metropolisSparseTable): 3D Edwards–Anderson, periodic L³ cubic lattice, ±J couplings with
 * P(J = +1) = ½, the same algorithm line for line:
 *   - neighbour table int32 [N·6] and couplings double [N·6] (slot 2k: +e_k, 2k+1: −e_k);
 *   - local fields h_i kept up to date (O(z) per accepted flip), int8 spins;
 *   - sequential site order; acceptance min(1, e^{−2β s_i h_i}) from a table indexed by s_i h_i + z;
 *   - random numbers: xoshiro128**, u = next()·2^−32, as src/core/rng.ts.
 * Usage: ea3d_metropolis L T SWEEPS SEED   → prints one JSON line.
 * Build: gcc -O3 -o ea3d_metropolis ea3d_metropolis.c -lm
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
static double now(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec + 1e-9 * ts.tv_nsec; }
/* CPU time of this process: on a shared machine it excludes the time other jobs hold the core. */
static double cpu_now(void) { struct timespec ts; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); return ts.tv_sec + 1e-9 * ts.tv_nsec; }

#define Z 6

static long sweep(int n, const int32_t *nb, const double *J, int8_t *s, double *h, const double *table, double *energy) {
  long accepted = 0;
  double dEsum = 0;
  rng_t r = rng;
  for (int i = 0; i < n; i++) {
    int si = s[i];
    double sh = si * h[i];
    if (sh > 0 && uniform32_r(&r) >= table[(int)sh + Z]) continue;
    s[i] = (int8_t)-si;
    dEsum += 2 * sh;
    accepted++;
    double c = -2.0 * si;
    const int32_t *nbi = nb + (size_t)i * Z;
    const double *Ji = J + (size_t)i * Z;
    for (int k = 0; k < Z; k++) h[nbi[k]] += c * Ji[k];
  }
  rng = r;
  *energy += dEsum;
  return accepted;
}

int main(int argc, char **argv) {
  if (argc < 5) { fprintf(stderr, "usage: %s L T SWEEPS SEED\n", argv[0]); return 2; }
  int L = atoi(argv[1]); double T = atof(argv[2]); int sweeps = atoi(argv[3]); uint32_t seed = (uint32_t)atol(argv[4]);
  if (L < 2 || T <= 0 || sweeps < 1) { fprintf(stderr, "bad arguments\n"); return 2; }
  seed_rng(seed);
  int n = L * L * L;
  int32_t *nb = malloc(sizeof(int32_t) * (size_t)n * Z);
  double *J = malloc(sizeof(double) * (size_t)n * Z);
  double *h = calloc(n, sizeof(double));
  int8_t *s = malloc(n);
  int stride[3] = {1, L, L * L};
  for (int i = 0; i < n; i++)
    for (int k = 0; k < 3; k++) {
      int st = stride[k], coord = (i / st) % L;
      int j = coord == L - 1 ? i - (L - 1) * st : i + st;
      double v = uniform32() < 0.5 ? 1.0 : -1.0;
      nb[(size_t)i * Z + 2 * k] = j; J[(size_t)i * Z + 2 * k] = v;
      nb[(size_t)j * Z + 2 * k + 1] = i; J[(size_t)j * Z + 2 * k + 1] = v;
    }
  for (int i = 0; i < n; i++) s[i] = (next_u32() & 1) ? 1 : -1;
  double energy = 0;
  for (int i = 0; i < n; i++) { double a = 0; for (int k = 0; k < Z; k++) a += J[(size_t)i * Z + k] * s[nb[(size_t)i * Z + k]]; h[i] = a; energy -= 0.5 * s[i] * a; }
  double beta = 1.0 / T, table[2 * Z + 1];
  for (int k = 0; k <= 2 * Z; k++) { double t = exp(-2 * beta * (k - Z)); table[k] = t < 1 ? t : 1; }
  int warm = sweeps / 10 + 1;
  for (int k = 0; k < warm; k++) sweep(n, nb, J, s, h, table, &energy);
  long accepted = 0;
  double t0 = now(), c0 = cpu_now();
  for (int k = 0; k < sweeps; k++) accepted += sweep(n, nb, J, s, h, table, &energy);
  double dt = now() - t0, dc = cpu_now() - c0;
  double attempts = (double)sweeps * n;
  printf("{\"l\":%d,\"n\":%d,\"temperature\":%g,\"sweeps\":%d,\"seconds\":%.6f,\"attempts_per_second\":%.6e,\"cpu_seconds\":%.6f,\"attempts_per_cpu_second\":%.6e,\"acceptance\":%.6f,\"energy_per_spin\":%.6f}\n",
         L, n, T, sweeps, dt, attempts / dt, dc, attempts / dc, accepted / attempts, energy / n);
  free(nb); free(J); free(h); free(s);
  return 0;
}
