/**
 * Synthetic run directories for the report tests, one per protocol recipe, written through the
 * store. Values are simple closed forms so tests can look for them in specs and pages.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Run } from '../src/store/run.js';

export interface FixtureSet {
  root: string;
  runs: Record<string, string>;
}

const logspace = (a: number, b: number, n: number): Float64Array =>
  Float64Array.from({ length: n }, (_, i) => 10 ** (a + ((b - a) * i) / (n - 1)));

/** Deterministic pseudo-noise in [−0.5, 0.5) (no RNG dependency for fixtures). */
function noise(i: number): number {
  const x = Math.sin(i * 12.9898 + 78.233) * 43758.5453;
  return x - Math.floor(x) - 0.5;
}

export function makeTrain(dir: string, opts: { K?: number; T?: number; partial?: boolean } = {}): string {
  const K = opts.K ?? 4;
  const T = opts.T ?? 60;
  const run = Run.create(dir, { protocol: 'train', config: { sizes: [784, 100, 10], lr: 0.1, batch: 100 }, seed: 11 }, { overwrite: true });
  const steps = Int32Array.from({ length: T }, (_, i) => i * 10); // includes step 0: dropped on log x
  run.writeArray('steps', steps);
  const arrays = opts.partial ? ['train_loss'] : ['train_loss', 'test_loss', 'train_error', 'test_error'];
  for (const a of arrays) {
    const d = new Float64Array(K * T);
    for (let k = 0; k < K; k++) for (let t = 0; t < T; t++) d[k * T + t] = 2 / (1 + (steps[t] as number) / 50) * (1 + 0.1 * noise(k * T + t)) + 0.01;
    run.writeArray(a, d, [K, T]);
  }
  if (!opts.partial) run.writeArray('final_test_error', Float64Array.from({ length: K }, (_, k) => 0.1 + 0.01 * k));
  run.finish({ final_test_error_mean: 0.115, replicas: K });
  return dir;
}

export function makeSpinglass(dir: string): string {
  const run = Run.create(dir, { protocol: 'spinglass', config: { model: 'sk', N: 64 }, seed: 3 }, { overwrite: true });
  const T = Float64Array.from([0.4, 0.6, 0.8, 1.0, 1.2, 1.5]);
  run.writeArray('temperatures', T);
  run.writeArray('energy_mean', T.map((t) => (t > 1 ? -1 / (2 * t) : -0.76 + 0.26 * t * t)));
  run.writeArray('energy_se', T.map(() => 0.01));
  run.writeArray('q2_mean', T.map((t) => Math.max(0.05, 1 - t)));
  run.writeArray('q2_se', T.map(() => 0.02));
  run.writeArray('binder_mean', T.map((t) => Math.max(0, 0.9 - 0.6 * t)));
  run.writeArray('binder_se', T.map(() => 0.03));
  const B = 20;
  const edges = Float64Array.from({ length: B + 1 }, (_, b) => -1 + (2 * b) / B);
  run.writeArray('pq_edges', edges);
  const hist = new Float64Array(T.length * B);
  for (let r = 0; r < T.length; r++) for (let b = 0; b < B; b++) {
    const q = (edges[b]! + edges[b + 1]!) / 2;
    const w = 0.15 + 0.3 * T[r]!;
    hist[r * B + b] = Math.exp(-(q * q) / (2 * w * w)) * 100;
  }
  run.writeArray('pq_hist', hist, [T.length, B]);
  const M = 12;
  const times = logspace(0, 4, M);
  run.writeArray('energy_times', times);
  const evt = new Float64Array(T.length * M);
  for (let r = 0; r < T.length; r++) for (let m = 0; m < M; m++) evt[r * M + m] = -0.7 + 0.5 / Math.sqrt(times[m]!) + 0.1 * T[r]!;
  run.writeArray('energy_vs_time', evt, [T.length, M]);
  run.finish({ N: 64, samples: 8 });
  return dir;
}

/** A K-replica cluster run with two blocks of replicas (q = 0.8 within, 0.1 across). */
export function makeCluster(dir: string, K = 6): string {
  const run = Run.create(dir, { protocol: 'cluster', config: { K }, seed: 5 }, { overwrite: true });
  const group = (i: number): number => (i % 2);
  const q = new Float64Array(K * K);
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) q[i * K + j] = i === j ? 1 : group(i) === group(j) ? 0.8 : 0.1;
  run.writeArray('overlap', q, [K, K]);
  // Before alignment the replicas look unrelated: q near 0 off the diagonal.
  run.writeArray('overlap_unaligned', q.map((v, i) => (i % (K + 1) === 0 ? v : 0.05 * Math.sin(i))), [K, K]);
  const order = Int32Array.from([...Array.from({ length: K }, (_, i) => i).filter((i) => group(i) === 0), ...Array.from({ length: K }, (_, i) => i).filter((i) => group(i) === 1)]);
  run.writeArray('leaf_order', order);
  const qr = new Float64Array(K * K);
  for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) qr[a * K + b] = q[order[a]! * K + order[b]!]!;
  run.writeArray('overlap_reordered', qr, [K, K]);
  // SciPy linkage for K = 6 with groups {0,2,4} and {1,3,5}: merges within groups at 0.2, then 0.9.
  if (K === 6) {
    const Z = Float64Array.from([
      0, 2, 0.2, 2, // node 6
      1, 3, 0.2, 2, // node 7
      4, 6, 0.2, 3, // node 8
      5, 7, 0.2, 3, // node 9
      8, 9, 0.9, 6, // node 10
    ]);
    run.writeArray('linkage', Z, [K - 1, 4]);
  }
  const B = 10;
  run.writeArray('pq_edges', Float64Array.from({ length: B + 1 }, (_, b) => b / B));
  run.writeArray('pq_hist', Float64Array.from([0, 6, 0, 0, 0, 0, 0, 0, 9, 0]));
  run.writeArray('pq_kde_x', Float64Array.from({ length: 21 }, (_, i) => i / 20));
  run.writeArray('pq_kde_y', Float64Array.from({ length: 21 }, (_, i) => Math.exp(-((i / 20 - 0.1) ** 2) / 0.005) + Math.exp(-((i / 20 - 0.8) ** 2) / 0.005)));
  run.writeArray('ultrametric', Float64Array.from({ length: 40 }, (_, i) => 0.05 * Math.abs(noise(i))));
  run.writeArray('ultrametric_null', Float64Array.from({ length: 40 }, (_, i) => 0.3 + 0.4 * noise(i + 100)));
  run.finish({ K, clusters: 2 });
  return dir;
}

export function makeAging(dir: string, opts: { scale?: number; protocol?: string } = {}): string {
  const s = opts.scale ?? 1;
  const run = Run.create(dir, { protocol: opts.protocol ?? 'aging', config: { T: 10000 }, seed: 9 }, { overwrite: true });
  const tw = Float64Array.from([0, 10, 100, 1000]);
  const t = Float64Array.from([0, 1, 3, 10, 30, 100, 300, 1000, 3000]);
  run.writeArray('tw', tw);
  run.writeArray('t', t);
  const n = tw.length * t.length;
  const dm = new Float64Array(n);
  const ds = new Float64Array(n);
  const cm = new Float64Array(n);
  const cs = new Float64Array(n);
  for (let k = 0; k < tw.length; k++) for (let j = 0; j < t.length; j++) {
    const i = k * t.length + j;
    const undefinedHere = tw[k]! + t[j]! > 3500;
    dm[i] = undefinedHere ? NaN : s * (t[j]! / (t[j]! + tw[k]! + 1));
    ds[i] = undefinedHere ? NaN : 0.01 * s;
    cm[i] = undefinedHere ? NaN : 1 - dm[i]! / (2 * s);
    cs[i] = undefinedHere ? NaN : 0.01;
  }
  run.writeArray('delta_mean', dm, [tw.length, t.length]);
  run.writeArray('delta_se', ds, [tw.length, t.length]);
  run.writeArray('corr_mean', cm, [tw.length, t.length]);
  run.writeArray('corr_se', cs, [tw.length, t.length]);
  run.writeArray('corr_norm_mean', cm, [tw.length, t.length]);
  run.writeArray('corr_norm_se', cs, [tw.length, t.length]);
  run.writeArray('mu_delta', Float64Array.of(0.9));
  run.writeArray('mu_corr', Float64Array.of(0.85));
  const et = logspace(0, 4, 10);
  run.writeArray('energy_times', et);
  run.writeArray('energy_mean', et.map((x) => -1.15 + 3 / (8 * x)));
  run.writeArray('energy_se', et.map(() => 0.002));
  run.finish({});
  return dir;
}

export function makeHessian(dir: string): string {
  const run = Run.create(dir, { protocol: 'hessian', config: { k: 8 }, seed: 2 }, { overwrite: true });
  run.writeArray('eigenvalues', Float64Array.from([42.5, 17.25, 9.5, 5, 3, 2, 1.5, 1]));
  const G = 50;
  const x = Float64Array.from({ length: G }, (_, i) => -2 + (4 * i) / (G - 1));
  run.writeArray('density_x', x);
  // Wigner semicircle with radius 2, zero outside (those points drop off the log axis).
  run.writeArray('density_y', x.map((v) => (Math.abs(v) < 2 ? Math.sqrt(4 - v * v) / (2 * Math.PI) : 0)));
  run.writeArray('trace_samples', Float64Array.from({ length: 30 }, (_, i) => 100 + 10 * noise(i)));
  run.finish({ trace: 100 });
  return dir;
}

export function makePaths(dir: string): string {
  const run = Run.create(dir, { protocol: 'paths', config: {}, seed: 4 }, { overwrite: true });
  const G = 21;
  const t = Float64Array.from({ length: G }, (_, i) => i / (G - 1));
  run.writeArray('path_t', t);
  const P = 2;
  for (const a of ['path_train_loss', 'path_test_loss', 'path_test_error']) {
    const d = new Float64Array(P * G);
    for (let p = 0; p < P; p++) for (let g = 0; g < G; g++) d[p * G + g] = 0.1 + (p + 1) * 0.5 * Math.sin(Math.PI * t[g]!);
    run.writeArray(a, d, [P, G]);
  }
  run.finish({ paths: ['linear', 'permuted-linear'] });
  return dir;
}

export function makeL2sweep(dir: string): string {
  const run = Run.create(dir, { protocol: 'l2sweep', config: { beta_step: 0.01 }, seed: 8 }, { overwrite: true });
  const up = Array.from({ length: 11 }, (_, i) => i * 0.01);
  const lam = Float64Array.from([...up, ...up.slice().reverse()]);
  const L = lam.length;
  const dir8 = Int8Array.from({ length: L }, (_, i) => (i < up.length ? 1 : -1));
  run.writeArray('lambdas', lam);
  run.writeArray('direction', dir8);
  // A jump at λ = 0.05 going up, at λ = 0.03 coming down: hysteresis.
  const jumped = (i: number): boolean => (i < up.length ? lam[i]! >= 0.05 : lam[i]! >= 0.03);
  run.writeArray('train_loss', Float64Array.from({ length: L }, (_, i) => (jumped(i) ? 1.2 : 0.1) + lam[i]!));
  run.writeArray('theta_norm', Float64Array.from({ length: L }, (_, i) => (jumped(i) ? 3 : 10) - 10 * lam[i]!));
  run.writeArray('test_error', Float64Array.from({ length: L }, (_, i) => (jumped(i) ? 0.5 : 0.05) + lam[i]!));
  run.writeArray('lambda_min', Float64Array.from({ length: L }, (_, i) => -1.5 * lam[i]!));
  const C = 10;
  const acc = new Float64Array(L * C);
  for (let i = 0; i < L; i++) for (let c = 0; c < C; c++) acc[i * C + c] = jumped(i) && c < 5 ? 0 : 0.97;
  run.writeArray('class_accuracy', acc, [L, C]);
  const transition = (direction: string, before: number, after: number) => ({
    direction, beta_before: before, beta_after: after, beta_c: (before + after) / 2, observables: ['train_loss', 'theta_norm'],
    size: 1.1, ci: [1.05, 1.15], noise_sigma: 0.01, z: 110, accuracy_before: 0.97, accuracy_after: 0.5,
    classes_lost: [0, 1, 2, 3, 4], classes_gained: [],
  });
  run.finish({
    l2_form: 'penalty', l2_convention: 'penalty: β‖θ − θ_ref‖² added to the loss (no ½)', detection: 'training-CE step ≥ 10 σ',
    transitions: [transition('up', 0.04, 0.05), transition('down', 0.03, 0.02)],
  });
  return dir;
}

export function makeUnknown(dir: string): string {
  const run = Run.create(dir, { protocol: 'mystery', config: {}, seed: 1 }, { overwrite: true });
  run.writeArray('series_a', Float64Array.from([3, 1, 4, 1, 5]));
  run.writeArray('matrix_b', Float64Array.from([1, 2, 3, 4]), [2, 2]);
  run.finish({});
  return dir;
}

/** Send a raw HTTP/1.1 GET (the path exactly as given: no client-side normalisation) and return the status. */
export async function rawGet(port: number, path: string, host = '127.0.0.1', hostHeader = `127.0.0.1:${port}`): Promise<{ status: number; body: string }> {
  const { connect } = await import('node:net');
  return new Promise((ok, fail) => {
    const sock = connect(port, host);
    let data = '';
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close\r\n\r\n`));
    sock.on('data', (d: string) => (data += d));
    sock.on('end', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      ok({ status: m ? Number(m[1]) : 0, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    sock.on('error', fail);
  });
}

/** A permute run: K = 3 values of k, R = 2 repeats, with the paths arrays. */
export function makePermute(dir: string): string {
  makePaths(dir);
  const run = Run.open(dir);
  const K = 3;
  const R = 2;
  run.writeArray('permute_k', Int32Array.from([2, 4, -1]));
  const grid = (f: (k: number, r: number) => number) => Float64Array.from({ length: K * R }, (_, i) => f(Math.floor(i / R), i % R));
  run.writeArray('permute_displaced', grid((k) => [2, 4, 16][k]!), [K, R]);
  run.writeArray('permute_distance', grid((k, r) => 1 + k + 0.1 * r), [K, R]);
  run.writeArray('permute_barrier', grid((k, r) => 0.1 * (k + 1) + 0.01 * r), [K, R]);
  run.writeArray('permute_barrier_test', grid((k, r) => 0.12 * (k + 1) + 0.01 * r), [K, R]);
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({
    ...m,
    protocol: 'permute',
    summary: { ...(m['summary'] as object), per_k: [{ k: 2, barrier: 0.105, test_barrier: 0.125, distance: 1.05, displaced: 2 }, { k: 4, barrier: 0.205, test_barrier: 0.245, distance: 2.05, displaced: 4 }, { k: 'random', barrier: 0.305, test_barrier: 0.365, distance: 3.05, displaced: 16 }] },
  }));
  return dir;
}

/** A flatness run: 8 replicas, two measures with power, one without (the run says so), one unmeasured. */
export function makeFlatness(dir: string): string {
  const run = Run.create(dir, { protocol: 'flatness', config: {}, seed: 5 }, { overwrite: true });
  const K = 8;
  const err = Float64Array.from({ length: K }, (_, i) => 0.1 + 0.01 * i);
  run.writeArray('test_error', err);
  run.writeArray('lambda_max', err.map((e) => 10 * e + 1));
  run.writeArray('trace', err.map((e, i) => 50 * e + (i % 3)));
  run.writeArray('log_volume', err.map((_, i) => (i * 7) % 5));
  run.writeArray('walk_ruggedness', err.map(() => NaN));
  run.finish({
    replicas: K,
    measures: ['lambda_max', 'trace', 'log_volume', 'walk_ruggedness'],
    correlations: [
      { measure: 'lambda_max', n: K, spearman: 1, spearman_lo: 0.9, spearman_hi: 1, kendall: 1, kendall_lo: 0.9, kendall_hi: 1, power: true },
      { measure: 'trace', n: K, spearman: 0.8, spearman_lo: 0.5, spearman_hi: 0.95, kendall: 0.6, kendall_lo: 0.3, kendall_hi: 0.9 },
      { measure: 'log_volume', n: K, spearman: 0.1, spearman_lo: -0.7, spearman_hi: 0.8, kendall: 0.05, kendall_lo: -0.6, kendall_hi: 0.7, power: false },
      { measure: 'walk_ruggedness', n: 0, spearman: null, spearman_lo: null, spearman_hi: null, kendall: null, kendall_lo: null, kendall_hi: null },
    ],
  });
  return dir;
}

/** A surface run: a 9 × 9 bowl with two marked minima and a path between them. */
export function makeSurface(dir: string): string {
  const run = Run.create(dir, { protocol: 'surface', config: {}, seed: 6 }, { overwrite: true });
  const G = 9;
  const a = Float64Array.from({ length: G }, (_, i) => -1 + (2 * i) / (G - 1));
  run.writeArray('surface_alpha', a);
  run.writeArray('surface_beta', a);
  const v = new Float64Array(G * G);
  for (let i = 0; i < G; i++) for (let j = 0; j < G; j++) v[i * G + j] = 0.1 + (a[j]! ** 2 - 0.5) ** 2 + a[i]! ** 2;
  run.writeArray('surface_train_loss', v, [G, G]);
  run.writeArray('surface_test_loss', v.map((x) => x + 0.05), [G, G]);
  run.writeArray('surface_test_error', v.map((x) => Math.min(1, x / 2)), [G, G]);
  run.writeArray('surface_marks_alpha', Float64Array.of(-0.7, 0.7));
  run.writeArray('surface_marks_beta', Float64Array.of(0, 0));
  const t = Float64Array.from({ length: 11 }, (_, k) => k / 10);
  run.writeArray('surface_path_alpha', t.map((x) => -0.7 + 1.4 * x));
  run.writeArray('surface_path_beta', t.map((x) => 0.3 * Math.sin(Math.PI * x)));
  run.finish({ kind: 'network', plane: 'through replicas 0, 1, 2 (Garipov et al. 2018)', coordinates: 'parameter-space distance from the first point', marks: [{ name: 'replica 0' }, { name: 'replica 1' }], path: 'Bézier curve', path_max_off_plane: 0 });
  return dir;
}
