/**
 * `glassy spinglass --model pspin`: the spherical p-spin glass (landscapes/pspin.ts) with Langevin
 * dynamics at each temperature, or gradient descent (T = 0), measured with the SAME observables and
 * array names as the Ising models (docs/run-format/spinglass.md), so the two kinds of glass and the
 * networks sit in one table: energy per spin, q_ab = σ_a·σ_b/N between replicas of one disorder
 * sample, ⟨q²⟩, ⟨q⁴⟩, the Binder ratio, P(q) on [−1, 1], energy against time.
 *
 * Time: one "sweep" is one Langevin step of length dt (continuous time t = steps·dt, Cugliandolo &
 * Kurchan 1993); replicas of a sample are advanced in lockstep so that their overlaps are measured at
 * equal times. Known values to compare with (SCIENCE.md): e(T) = −1/(2T) above T_d = √(3/8) for
 * p = 3 (finite-N factor in docs/pspin.md); gradient descent ends near E_th = −√(4/3) for large N.
 */
import { Rng, Stream } from '../core/rng.js';
import { langevinSphere, randomSpherePoint } from '../dynamics/sphere.js';
import { logTimes } from '../dynamics/montecarlo/schedule.js';
import { PSpin } from '../landscapes/pspin.js';
import { binderJackknife, disorderMean } from '../observables/spins.js';
import { Run } from '../store/run.js';
import type { SpinglassConfig, SpinglassOptions, SpinglassSummary } from './spinglass.js';

export async function runPSpinGlass(cfg: SpinglassConfig, outDir: string, opts: SpinglassOptions): Promise<SpinglassSummary> {
  const N = cfg.n!;
  const p = cfg.p ?? 3;
  const dt = cfg.dt ?? 0.05;
  const temps = cfg.dynamics === 'gd' ? [0] : [...cfg.temperatures];
  const K = temps.length, M = cfg.samples, R = cfg.replicas;
  const B = cfg.bins ?? 101;
  const edges = Float64Array.from({ length: B + 1 }, (_, b) => -1 + (2 * b) / B);
  const total = cfg.equilibration + cfg.sweeps;
  const times = logTimes(1, total, cfg.timePoints).subarray(1);
  const energy = new Float64Array(M * K), q2 = new Float64Array(M * K), q4 = new Float64Array(M * K);
  const pq = new Float64Array(K * B);
  const evt = new Float64Array(K * times.length);
  const configurations = new Float64Array(K * M * R * N);

  const run = Run.create(outDir, { protocol: 'spinglass', config: cfg, seed: cfg.seed }, { overwrite: opts.overwrite ?? false });
  try {
    const t0 = performance.now();
    for (let m = 0; m < M; m++) {
      const L = new PSpin({ n: N, p: p as 2 | 3 | 4, seed: cfg.seed, sample: m });
      for (let k = 0; k < K; k++) {
        const T = temps[k]!;
        const rngs = Array.from({ length: R }, (_, r) => Rng.stream(cfg.seed, Stream.monteCarlo, m, r, k));
        const sigmas = Array.from({ length: R }, (_, r) => randomSpherePoint(N, Rng.stream(cfg.seed, Stream.init, m, r, k)));
        const energies = new Float64Array(R);
        const localPq = new Float64Array(B);
        let ti = 0, measures = 0, e = 0, s2 = 0, s4 = 0;
        // Equilibration and measurement on one clock; replicas advance in lockstep, one step at a time.
        for (let now = 1; now <= total; now++) {
          for (let r = 0; r < R; r++) langevinSphere(L, sigmas[r]!, { temperature: T, dt, steps: 1, rng: rngs[r]! });
          const timed = ti < times.length && now === times[ti];
          const measured = now > cfg.equilibration && (now - cfg.equilibration) % cfg.measureEvery === 0;
          if (!timed && !measured) continue;
          for (let r = 0; r < R; r++) energies[r] = L.energy(sigmas[r]!) / N;
          const eMean = energies.reduce((a, b) => a + b, 0) / R;
          if (timed) evt[k * times.length + ti++] += eMean / M;
          if (!measured) continue;
          measures++;
          e += eMean;
          for (let a = 0; a < R; a++) for (let b = a + 1; b < R; b++) {
            let dot = 0;
            const x = sigmas[a]!, y = sigmas[b]!;
            for (let i = 0; i < N; i++) dot += x[i]! * y[i]!;
            const q = dot / N;
            s2 += q * q;
            s4 += q ** 4;
            localPq[Math.min(B - 1, Math.max(0, Math.floor(((q + 1) / 2) * B)))]!++;
          }
        }
        const pairs = Math.max(1, (R * (R - 1)) / 2) * Math.max(1, measures);
        energy[m * K + k] = e / measures;
        q2[m * K + k] = s2 / pairs;
        q4[m * K + k] = s4 / pairs;
        const width = 2 / B;
        for (let b = 0; b < B; b++) pq[k * B + b] = pq[k * B + b]! + localPq[b]! / pairs / width / M;
        sigmas.forEach((s, r) => configurations.set(s, ((k * M + m) * R + r) * N));
      }
      opts.progress?.(m + 1, M, `sample ${m + 1}/${M}`);
      await Promise.resolve();
    }
    const column = (a: Float64Array, k: number) => Float64Array.from({ length: M }, (_, m) => a[m * K + k]!);
    const stat = (a: Float64Array) => temps.map((_, k) => disorderMean(column(a, k)));
    const es = stat(energy), q2s = stat(q2), q4s = stat(q4);
    const binder = temps.map((_, k) => binderJackknife(column(q2, k), column(q4, k)));
    run.writeArray('temperatures', Float64Array.from(temps));
    run.writeArray('energy', energy, [M, K]);
    run.writeArray('q2', q2, [M, K]);
    run.writeArray('q4', q4, [M, K]);
    for (const [name, s] of [['energy', es], ['q2', q2s], ['q4', q4s], ['binder', binder]] as const) {
      run.writeArray(`${name}_mean`, Float64Array.from(s, (v) => v.mean));
      run.writeArray(`${name}_se`, Float64Array.from(s, (v) => v.se));
    }
    run.writeArray('pq_hist', pq, [K, B]);
    run.writeArray('pq_edges', edges);
    run.writeArray('configurations', configurations, [K, M, R, N]);
    run.writeArray('energy_times', Int32Array.from(times));
    run.writeArray('energy_vs_time', evt, [K, times.length]);
    run.setTiming('simulation', (performance.now() - t0) / 1000);
    const summary: SpinglassSummary = {
      run: run.dir,
      temperatures: temps,
      energy: es.map((v) => v.mean), energy_se: es.map((v) => v.se),
      q2: q2s.map((v) => v.mean), q2_se: q2s.map((v) => v.se),
      binder: binder.map((v) => v.mean), binder_se: binder.map((v) => v.se),
      q4: q4s.map((v) => v.mean), q4_se: q4s.map((v) => v.se),
      n: N, p, samples: M, dt,
    };
    const { run: _dir, ...rest } = summary;
    void _dir;
    run.finish(rest);
    return summary;
  } catch (err) {
    run.fail(err instanceof Error ? err.message : String(err));
    throw err;
  }
}
