/**
 * One replica of `spinglass --model pspin`: disorder sample m = the replica index of the spherical
 * p-spin glass (landscapes/pspin.ts), its R replicas advanced with Langevin dynamics at each
 * temperature, or by gradient descent (T = 0), measured with the SAME observables and array names as
 * the Ising models (sample.ts, summary.ts): energy per spin, q_ab = σ_a·σ_b/N between replicas of the
 * sample, ⟨q²⟩, ⟨q⁴⟩, P(q) on [−1, 1], energy against time.
 *
 * Time: one "sweep" is one Langevin step of length dt (continuous time t = steps·dt, Cugliandolo &
 * Kurchan 1993); replicas are advanced in lockstep so that their overlaps are measured at equal
 * times. Langevin measures time averages over the measurement window; gradient descent is measured at
 * its END POINT only (a descent has no stationary state to average over). Known values (docs/papers.md):
 * e(T) = −1/(2T) above T_d = √(3/8) for p = 3 (finite-N factor in docs/pspin.md); gradient descent
 * ends near E_th = −√(4/3) for large N.
 *
 * Randomness: replica r at temperature k uses Rng.stream(seed, Stream.monteCarlo, m, r, k) and
 * starts at a uniform point of the sphere from Rng.stream(seed, Stream.init, m, r, k). Checkpoints
 * hold σ of every replica, the RNG states and the running sums.
 */
import { Rng, Stream } from '../../core/rng.js';
import { langevinSphere, randomSpherePoint } from '../../dynamics/sphere.js';
import type { ReplicaContext, ReplicaSummary } from '../../executor/replica.js';
import { PSpin } from '../../landscapes/pspin.js';
import { equalEdges, findBin } from '../../observables/histogram.js';
import { isingOverlap } from '../../observables/overlap.js';
import { measuredTemperatures, type SpinglassConfig } from './config.js';
import { DEFAULT_CHECKPOINT_EVERY, energyTimes, overlapBins, writeSample, type SampleOutputs } from './sample.js';

export async function runPSpinSample(cfg: SpinglassConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
  const m = ctx.index;
  const N = cfg.n!;
  const p = cfg.p ?? 3;
  const dt = cfg.dt ?? 0.05;
  const temps = measuredTemperatures(cfg);
  const K = temps.length, R = cfg.replicas;
  const B = overlapBins(cfg, N);
  const edges = equalEdges(-1, 1, B);
  const total = cfg.equilibration + cfg.sweeps;
  const times = energyTimes(cfg);
  const nT = times.length;
  const gd = cfg.dynamics === 'gd';
  const every = ctx.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  const out: SampleOutputs = {
    energy: new Float64Array(K), q2: new Float64Array(K), q4: new Float64Array(K), pq: new Float64Array(K * B),
    configurations: new Float64Array(K * R * N), energy_vs_time: new Float64Array(K * nT),
  };
  const L = new PSpin({ n: N, p: p as 2 | 3 | 4, seed: ctx.seed, sample: m });
  const cp = ctx.loadCheckpoint();
  const k0 = cp ? (cp.meta['k'] as number) : 0;
  if (cp) for (const name of ['energy', 'q2', 'q4', 'pq', 'configurations', 'energy_vs_time'] as const) out[name]!.set(cp.arrays[name] as Float64Array);
  for (let k = k0; k < K; k++) {
    const T = temps[k]!;
    let rngs = Array.from({ length: R }, (_, r) => Rng.stream(ctx.seed, Stream.monteCarlo, m, r, k));
    const sigmas = Array.from({ length: R }, (_, r) => randomSpherePoint(N, Rng.stream(ctx.seed, Stream.init, m, r, k)));
    const energies = new Float64Array(R);
    let localPq = new Float64Array(B);
    let ti = 0, measures = 0, e = 0, s2 = 0, s4 = 0, now0 = 0;
    if (cp && k === k0) {
      const all = cp.arrays['sigmas'] as Float64Array;
      sigmas.forEach((s, r) => s.set(all.subarray(r * N, (r + 1) * N)));
      rngs = Array.from({ length: R }, (_, r) => Rng.fromState(cp.meta.rng![`r${r}`]!));
      localPq = (cp.arrays['localPq'] as Float64Array).slice();
      ({ ti, measures, e, s2, s4, now: now0 } = cp.meta as unknown as { ti: number; measures: number; e: number; s2: number; s4: number; now: number });
    }
    // Equilibration and measurement on one clock; replicas advance in lockstep, one step at a time.
    for (let now = now0 + 1; now <= total; now++) {
      for (let r = 0; r < R; r++) langevinSphere(L, sigmas[r]!, { temperature: T, dt, steps: 1, rng: rngs[r]! });
      const timed = ti < nT && now === times[ti];
      const measured = gd ? now === total : now > cfg.equilibration && (now - cfg.equilibration) % cfg.measureEvery === 0;
      if (timed || measured) {
        for (let r = 0; r < R; r++) energies[r] = L.energy(sigmas[r]!) / N;
        const eMean = energies.reduce((a, b) => a + b, 0) / R;
        if (timed) out.energy_vs_time![k * nT + ti++] = eMean;
        if (measured) {
          measures++;
          e += eMean;
          for (let a = 0; a < R; a++) for (let b = a + 1; b < R; b++) {
            const q = isingOverlap(sigmas[a]!, sigmas[b]!);
            s2 += q * q;
            s4 += q ** 4;
            const bin = findBin(edges, q);
            localPq[bin < 0 ? (q < 0 ? 0 : B - 1) : bin]!++;
          }
        }
      }
      if (now % every === 0 && now < total) {
        const sig = new Float64Array(R * N);
        sigmas.forEach((s, r) => sig.set(s, r * N));
        ctx.saveCheckpoint({
          meta: { step: k * total + now, k, now, ti, measures, e, s2, s4, rng: Object.fromEntries(rngs.map((g, r) => [`r${r}`, g.state()])) },
          arrays: { sigmas: sig, localPq: localPq.slice(), energy: out.energy.slice(), q2: out.q2.slice(), q4: out.q4.slice(), pq: out.pq.slice(), configurations: (out.configurations as Float64Array).slice(), energy_vs_time: out.energy_vs_time!.slice() },
        });
      }
      if ((now & 63) === 0) ctx.progress((k * total + now) / (K * total), `T = ${T}, step ${now}/${total}`);
    }
    const pairs = Math.max(1, (R * (R - 1)) / 2) * Math.max(1, measures);
    out.energy[k] = e / measures;
    out.q2[k] = s2 / pairs;
    out.q4[k] = s4 / pairs;
    const width = 2 / B;
    for (let b = 0; b < B; b++) out.pq[k * B + b] = localPq[b]! / pairs / width;
    sigmas.forEach((s, r) => (out.configurations as Float64Array).set(s, (k * R + r) * N));
  }
  writeSample(ctx.run, m, out);
  return { energy: Array.from(out.energy), q2: Array.from(out.q2) };
}
