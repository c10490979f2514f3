/**
 * One replica of the `spinglass` protocol on an Ising model (SK, EA 2D/3D, Hopfield): disorder
 * sample m = the replica index, with ALL its R replicas (independent chains, or R parallel-tempering
 * ladders) at all K temperatures. A sample is the unit of work because the observables of one sample
 * — q_ab between its replicas, P_J(q), ⟨q²⟩, ⟨q⁴⟩ — need its replicas together, while samples are
 * independent (their disorder comes from Rng.stream(seed, Stream.disorder, m)).
 *
 * Randomness (so results never depend on execution order, workers or resumes):
 *   chain of replica r, temperature k      Rng.stream(seed, Stream.monteCarlo, m, r, k)    (metropolis, heatbath, anneal, quench)
 *   parallel tempering of replica r        Rng.stream(seed, Stream.monteCarlo, m, r)       (sweeps and swaps)
 *   initial spins                          Rng.stream(seed, Stream.init, m, r[, k])
 *
 * Checkpoints hold everything the remaining sweeps depend on: spins, local fields and energies of
 * every chain (the fields and energy are updated incrementally, so recomputing them would change the
 * last bits), RNG states, the PT permutation and swap counters, and the measurement accumulators
 * (thermal sums, overlap histograms, energy-vs-time sums, acceptance counts). Exact enumeration has no
 * checkpoint: a sample is one enumeration (N ≤ 20, seconds).
 */
import { Rng, Stream, type RngState } from '../../core/rng.js';
import { annealingSchedule, quench } from '../../dynamics/montecarlo/anneal.js';
import { SpinChain } from '../../dynamics/montecarlo/chain.js';
import { exactThermodynamics } from '../../dynamics/montecarlo/exact.js';
import { sweep } from '../../dynamics/montecarlo/kernels.js';
import { ParallelTempering } from '../../dynamics/montecarlo/tempering.js';
import type { Checkpoint, ReplicaContext, ReplicaSummary } from '../../executor/replica.js';
import { isingModel, type IsingModelName } from '../../landscapes/glass.js';
import { EdwardsAnderson } from '../../landscapes/ising/ea.js';
import { Hopfield } from '../../landscapes/ising/hopfield.js';
import type { IsingModel } from '../../landscapes/ising/model.js';
import { OverlapHistogram, ThermalAverages, accumulateOverlaps, linkOverlap, magnetisation } from '../../observables/spins.js';
import { measuredTemperatures, type SpinglassConfig } from './config.js';
import { DEFAULT_CHECKPOINT_EVERY, energyTimes, overlapBins, writeSample, type SampleOutputs } from './sample.js';

/** Which pattern a Hopfield chain started from, and the sign it had there. */
interface MattisRef { mu: number; sign: number }

/**
 * Initial spins, and for Hopfield the pattern the chain starts from: pattern 0 with --start pattern;
 * from random spins the pattern closest to them (largest |m_μ|), with the sign of m_μ there, so that
 * `mattis` follows the basin the chain was put in rather than whichever pattern is largest later.
 */
function initialise(cfg: SpinglassConfig, model: IsingModel, chain: SpinChain, rng: Rng, refs: Map<SpinChain, MattisRef>): void {
  if (cfg.start === 'pattern' && model instanceof Hopfield) chain.setSpins(model.patterns.subarray(0, model.dim));
  else chain.randomise(rng);
  if (model instanceof Hopfield) {
    if (cfg.start === 'pattern') { refs.set(chain, { mu: 0, sign: 1 }); return; }
    const m = model.mattisOverlaps(chain.spins);
    let mu = 0;
    for (let k = 1; k < m.length; k++) if (Math.abs(m[k]!) > Math.abs(m[mu]!)) mu = k;
    refs.set(chain, { mu, sign: m[mu]! < 0 ? -1 : 1 });
  }
}

/** Thermal averages and overlap histograms of R replicas at each of K temperatures of one sample. */
class Measurer {
  avg: ThermalAverages[];
  readonly hist: OverlapHistogram[];
  private readonly spins: Int8Array[] = [];
  private readonly mattisBuf: Float64Array | null;

  constructor(private readonly model: IsingModel, private readonly refs: Map<SpinChain, MattisRef>, K: number, bins: number) {
    this.avg = Array.from({ length: K }, () => new ThermalAverages());
    this.hist = Array.from({ length: K }, () => new OverlapHistogram(model.dim, bins));
    this.mattisBuf = model instanceof Hopfield ? new Float64Array(model.nPatterns) : null;
  }

  measure(k: number, chains: SpinChain[]): void {
    const a = this.avg[k]!;
    const n = this.model.dim;
    let e = 0;
    let absm = 0;
    this.spins.length = 0;
    for (const c of chains) {
      e += c.energy;
      absm += Math.abs(magnetisation(c.spins));
      this.spins.push(c.spins);
    }
    a.add('e', e / chains.length / n);
    a.add('absm', absm / chains.length);
    accumulateOverlaps(this.spins, a, this.hist[k]);
    const model = this.model;
    if (model instanceof EdwardsAnderson) {
      let ql = 0;
      let pairs = 0;
      for (let x = 0; x < chains.length; x++) for (let y = x + 1; y < chains.length; y++, pairs++) ql += linkOverlap(model.bondSites, chains[x]!.spins, chains[y]!.spins);
      a.add('qlink', ql / pairs);
    }
    if (model instanceof Hopfield) {
      let own = 0;
      let best = 0;
      for (const c of chains) {
        model.mattisOverlaps(c.spins, this.mattisBuf!);
        const ref = this.refs.get(c)!;
        own += ref.sign * this.mattisBuf![ref.mu]!;
        let mx = 0;
        for (let mu = 0; mu < model.nPatterns; mu++) mx = Math.max(mx, Math.abs(this.mattisBuf![mu]!));
        best += mx;
      }
      a.add('mattis', own / chains.length);
      a.add('mattis_max', best / chains.length);
    }
    a.tick();
  }

  /** The sample's thermal averages and P_J(q) into its outputs. */
  store(out: SampleOutputs): void {
    const K = this.avg.length;
    const bins = this.hist[0]!.counts.length;
    for (let k = 0; k < K; k++) {
      const a = this.avg[k]!;
      out.energy[k] = a.mean('e');
      out.q2[k] = a.mean('q2');
      out.q4[k] = a.mean('q4');
      out.abs_magnetisation![k] = a.mean('absm');
      if (out.q_link) out.q_link[k] = a.mean('qlink');
      if (out.mattis) out.mattis[k] = a.mean('mattis');
      if (out.mattis_max) out.mattis_max[k] = a.mean('mattis_max');
      out.pq.set(this.hist[k]!.probabilities(), k * bins);
    }
  }

  state(): { meta: Record<string, unknown>; counts: Float64Array } {
    const bins = this.hist[0]!.counts.length;
    const counts = new Float64Array(this.hist.length * bins);
    this.hist.forEach((h, k) => counts.set(h.counts, k * bins));
    return { meta: { averages: this.avg.map((a) => a.state()), histTotals: this.hist.map((h) => h.total) }, counts };
  }

  restore(meta: Record<string, unknown>, counts: Float64Array): void {
    const bins = this.hist[0]!.counts.length;
    this.avg = (meta['averages'] as Array<ReturnType<ThermalAverages['state']>>).map((s) => ThermalAverages.fromState(s));
    const totals = meta['histTotals'] as number[];
    this.hist.forEach((h, k) => h.restore(counts.subarray(k * bins, (k + 1) * bins), totals[k]!));
  }
}

/** Spins, fields and energies of chains, packed for a checkpoint. */
function packChains(chains: SpinChain[]): { spins: Int8Array; fields: Float64Array; energies: Float64Array } {
  const n = chains[0]!.n;
  const spins = new Int8Array(chains.length * n);
  const fields = new Float64Array(chains.length * n);
  const energies = new Float64Array(chains.length);
  chains.forEach((c, i) => { spins.set(c.spins, i * n); fields.set(c.fields, i * n); energies[i] = c.energy; });
  return { spins, fields, energies };
}

function unpackChains(chains: SpinChain[], arrays: Checkpoint['arrays'], prefix = ''): void {
  const n = chains[0]!.n;
  const spins = arrays[`${prefix}spins`] as Int8Array;
  const fields = arrays[`${prefix}fields`] as Float64Array;
  const energies = arrays[`${prefix}energies`] as Float64Array;
  chains.forEach((c, i) => { c.spins.set(spins.subarray(i * n, (i + 1) * n)); c.fields.set(fields.subarray(i * n, (i + 1) * n)); c.energy = energies[i]!; });
}

const states = (rngs: Rng[]): Record<string, RngState> => Object.fromEntries(rngs.map((r, i) => [`r${i}`, r.state()]));
const fromStates = (st: Record<string, RngState>, R: number): Rng[] => Array.from({ length: R }, (_, i) => Rng.fromState(st[`r${i}`]!));

/** Run disorder sample ctx.index of an Ising model and write its outputs. */
export async function runIsingSample(cfg: SpinglassConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
  const m = ctx.index;
  const model = isingModel(cfg as SpinglassConfig & { model: IsingModelName }, ctx.seed, m);
  const out = newOutputs(cfg, model);
  switch (cfg.dynamics) {
    case 'exact': runExact(cfg, model, out); break;
    case 'pt': runTempering(cfg, model, m, ctx, out); break;
    case 'anneal': case 'quench': runDescent(cfg, model, m, ctx, out); break;
    default: runIndependent(cfg, model, m, ctx, out); break;
  }
  writeSample(ctx.run, m, out);
  return { energy: Array.from(out.energy), q2: Array.from(out.q2) };
}

function newOutputs(cfg: SpinglassConfig, model: IsingModel): SampleOutputs {
  const K = measuredTemperatures(cfg).length;
  const R = cfg.replicas;
  const N = model.dim;
  const bins = overlapBins(cfg, N);
  const nT = energyTimes(cfg).length;
  const mc = cfg.dynamics !== 'exact';
  return {
    energy: new Float64Array(K), q2: new Float64Array(K), q4: new Float64Array(K),
    abs_magnetisation: new Float64Array(K),
    pq: new Float64Array(K * bins),
    ...(model instanceof EdwardsAnderson ? { q_link: new Float64Array(K) } : {}),
    ...(model instanceof Hopfield && mc ? { mattis: new Float64Array(K), mattis_max: new Float64Array(K) } : {}),
    ...(mc ? { configurations: new Int8Array(K * R * N) } : {}),
    ...(nT > 0 ? { energy_vs_time: new Float64Array(K * nT) } : {}),
    ...(cfg.dynamics === 'pt' ? { swap_rates: new Float64Array(K - 1) } : {}),
    ...(mc && cfg.dynamics !== 'quench' ? { acceptance: new Float64Array(K) } : {}),
    ...(cfg.dynamics === 'anneal' || cfg.dynamics === 'quench' ? { ground_state: new Float64Array(1) } : {}),
  };
}

function storeConfigurations(out: SampleOutputs, k: number, chains: SpinChain[]): void {
  const n = chains[0]!.n;
  const R = chains.length;
  chains.forEach((c, r) => (out.configurations as Int8Array).set(c.spins, (k * R + r) * n));
}

/** Metropolis / heat bath: independent chains for every (replica, temperature); temperatures in turn. */
function runIndependent(cfg: SpinglassConfig, model: IsingModel, m: number, ctx: ReplicaContext, out: SampleOutputs): void {
  const K = cfg.temperatures.length;
  const R = cfg.replicas;
  const N = model.dim;
  const rule = cfg.dynamics === 'heatbath' ? 'heatbath' : 'metropolis';
  const refs = new Map<SpinChain, MattisRef>();
  const meas = new Measurer(model, refs, K, overlapBins(cfg, N));
  const total = cfg.equilibration + cfg.sweeps;
  const times = energyTimes(cfg);
  const nT = times.length;
  const evt = out.energy_vs_time!;
  const acc = out.acceptance!;
  const every = ctx.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  const cp = ctx.loadCheckpoint();
  const k0 = cp ? (cp.meta['k'] as number) : 0;
  if (cp) {
    meas.restore(cp.meta, cp.arrays['hist'] as Float64Array);
    evt.set(cp.arrays['evt'] as Float64Array);
    acc.set(cp.arrays['acc'] as Float64Array);
    (out.configurations as Int8Array).set(cp.arrays['configurations'] as Int8Array);
  }
  for (let k = k0; k < K; k++) {
    const beta = 1 / cfg.temperatures[k]!;
    const chains: SpinChain[] = [];
    let rngs: Rng[] = [];
    for (let r = 0; r < R; r++) {
      const c = new SpinChain(model);
      initialise(cfg, model, c, Rng.stream(ctx.seed, Stream.init, m, r, k), refs);
      chains.push(c);
      rngs.push(Rng.stream(ctx.seed, Stream.monteCarlo, m, r, k));
    }
    let s0 = 0;
    let accepted = 0;
    if (cp && k === k0) {
      unpackChains(chains, cp.arrays);
      rngs = fromStates(cp.meta.rng!, R);
      s0 = cp.meta['s'] as number;
      accepted = cp.meta['accepted'] as number;
    }
    let next = 0;
    while (next < nT && times[next]! <= s0) next++;
    for (let s = s0 + 1; s <= total; s++) {
      for (let r = 0; r < R; r++) {
        accepted += sweep(rule, chains[r]!, beta, rngs[r]!, cfg.order);
        if ((s & 1023) === 0) chains[r]!.resync();
      }
      while (next < nT && times[next] === s) {
        let e = 0;
        for (const c of chains) e += c.energy;
        evt[k * nT + next] = e / R / N;
        next++;
      }
      if (s > cfg.equilibration && (s - cfg.equilibration) % cfg.measureEvery === 0) meas.measure(k, chains);
      if (s % every === 0 && s < total) {
        const ms = meas.state();
        ctx.saveCheckpoint({
          meta: { step: k * total + s, k, s, accepted, rng: states(rngs), ...ms.meta },
          arrays: { ...packChains(chains), hist: ms.counts, evt: evt.slice(), acc: acc.slice(), configurations: (out.configurations as Int8Array).slice() },
        });
      }
      if ((s & 63) === 0) ctx.progress((k * total + s) / (K * total), `T = ${cfg.temperatures[k]!.toPrecision(3)}, sweep ${s}/${total}`);
    }
    acc[k] = accepted / (total * R * N);
    for (const c of chains) c.resync();
    storeConfigurations(out, k, chains);
  }
  meas.store(out);
}

/** Parallel tempering: one PT ladder per replica; replicas at the same temperature are compared. */
function runTempering(cfg: SpinglassConfig, model: IsingModel, m: number, ctx: ReplicaContext, out: SampleOutputs): void {
  const K = cfg.temperatures.length;
  const R = cfg.replicas;
  const N = model.dim;
  const refs = new Map<SpinChain, MattisRef>();
  const meas = new Measurer(model, refs, K, overlapBins(cfg, N));
  const pts: ParallelTempering[] = [];
  let rngs: Rng[] = [];
  for (let r = 0; r < R; r++) {
    const pt = new ParallelTempering(model, cfg.temperatures, 'metropolis', cfg.order);
    const init = Rng.stream(ctx.seed, Stream.init, m, r);
    for (const c of pt.chains) initialise(cfg, model, c, init, refs);
    pts.push(pt);
    rngs.push(Rng.stream(ctx.seed, Stream.monteCarlo, m, r));
  }
  const total = cfg.equilibration + cfg.sweeps;
  const times = energyTimes(cfg);
  const nT = times.length;
  const evt = out.energy_vs_time!;
  const every = ctx.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  const all = pts.flatMap((pt) => pt.chains);
  let s0 = 0;
  const cp = ctx.loadCheckpoint();
  if (cp) {
    s0 = cp.meta.step;
    unpackChains(all, cp.arrays);
    rngs = fromStates(cp.meta.rng!, R);
    meas.restore(cp.meta, cp.arrays['hist'] as Float64Array);
    evt.set(cp.arrays['evt'] as Float64Array);
    pts.forEach((pt, r) => pt.restore({
      chainAt: (cp.arrays['chainAt'] as Int32Array).subarray(r * K, (r + 1) * K),
      swapAttempts: (cp.arrays['swapAttempts'] as Float64Array).subarray(r * (K - 1), (r + 1) * (K - 1)),
      swapAccepts: (cp.arrays['swapAccepts'] as Float64Array).subarray(r * (K - 1), (r + 1) * (K - 1)),
      flipAccepts: (cp.arrays['flipAccepts'] as Float64Array).subarray(r * K, (r + 1) * K),
      sweeps: s0,
    }));
  }
  let next = 0;
  while (next < nT && times[next]! <= s0) next++;
  const atK: SpinChain[] = new Array<SpinChain>(R);
  for (let s = s0 + 1; s <= total; s++) {
    for (let r = 0; r < R; r++) {
      pts[r]!.step(rngs[r]!);
      if ((s & 1023) === 0) for (const c of pts[r]!.chains) c.resync();
    }
    while (next < nT && times[next] === s) {
      for (let k = 0; k < K; k++) {
        let e = 0;
        for (let r = 0; r < R; r++) e += pts[r]!.at(k).energy;
        evt[k * nT + next] = e / R / N;
      }
      next++;
    }
    if (s > cfg.equilibration && (s - cfg.equilibration) % cfg.measureEvery === 0) {
      for (let k = 0; k < K; k++) {
        for (let r = 0; r < R; r++) atK[r] = pts[r]!.at(k);
        meas.measure(k, atK);
      }
    }
    if (s % every === 0 && s < total) {
      const ms = meas.state();
      const cat = <T extends Float64Array | Int32Array>(make: (n: number) => T, get: (pt: ParallelTempering) => T): T => {
        const len = get(pts[0]!).length;
        const a = make(len * R);
        pts.forEach((pt, r) => a.set(get(pt), r * len));
        return a;
      };
      ctx.saveCheckpoint({
        meta: { step: s, rng: states(rngs), ...ms.meta },
        arrays: {
          ...packChains(all), hist: ms.counts, evt: evt.slice(),
          chainAt: cat((n) => new Int32Array(n), (pt) => pt.chainAt),
          swapAttempts: cat((n) => new Float64Array(n), (pt) => pt.swapAttempts),
          swapAccepts: cat((n) => new Float64Array(n), (pt) => pt.swapAccepts),
          flipAccepts: cat((n) => new Float64Array(n), (pt) => pt.flipAccepts),
        },
      });
    }
    if ((s & 63) === 0) ctx.progress(s / total, `sweep ${s}/${total}`);
  }
  const swap = out.swap_rates!;
  const acc = out.acceptance!;
  for (let r = 0; r < R; r++) {
    const rates = pts[r]!.swapRates();
    for (let k = 0; k + 1 < K; k++) swap[k] += rates[k]! / R;
    for (let k = 0; k < K; k++) acc[k] += pts[r]!.flipAccepts[k]! / (total * N * R);
  }
  for (let k = 0; k < K; k++) {
    for (let r = 0; r < R; r++) {
      pts[r]!.at(k).resync();
      atK[r] = pts[r]!.at(k);
    }
    storeConfigurations(out, k, atK);
  }
  meas.store(out);
}

/**
 * Zero-temperature protocols. quench: each replica descends from random spins to a local minimum.
 * anneal: each replica anneals geometrically from max(T) to min(T) over `sweeps` sweeps, then quenches.
 * Observables are measured once on the final configurations; the ground-state estimate of the sample
 * is the lowest energy among its replicas (independent restarts).
 */
function runDescent(cfg: SpinglassConfig, model: IsingModel, m: number, ctx: ReplicaContext, out: SampleOutputs): void {
  const R = cfg.replicas;
  const N = model.dim;
  const refs = new Map<SpinChain, MattisRef>();
  const meas = new Measurer(model, refs, 1, overlapBins(cfg, N));
  const schedule = cfg.dynamics === 'anneal'
    ? annealingSchedule(Math.max(...cfg.temperatures), Math.min(...cfg.temperatures), cfg.sweeps, 'geometric')
    : null;
  const S = schedule ? schedule.length : 0;
  const times = energyTimes(cfg);
  const nT = times.length;
  const evt = out.energy_vs_time;
  const acc = out.acceptance;
  const every = ctx.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  const chains: SpinChain[] = [];
  for (let r = 0; r < R; r++) {
    const c = new SpinChain(model);
    initialise(cfg, model, c, Rng.stream(ctx.seed, Stream.init, m, r, 0), refs);
    chains.push(c);
  }
  // Progress is (replica r, sweeps s done of it); a replica that is quenched counts as s = S + 1.
  const cp = ctx.loadCheckpoint();
  let r0 = 0;
  let s0 = 0;
  let accepted = 0;
  let rng: Rng | null = null;
  if (cp) {
    r0 = cp.meta['r'] as number;
    s0 = cp.meta['s'] as number;
    accepted = cp.meta['accepted'] as number;
    if (evt) evt.set(cp.arrays['evt'] as Float64Array);
    unpackChains(chains.slice(0, r0 + 1), cp.arrays);
    if (cp.meta.rng?.['anneal']) rng = Rng.fromState(cp.meta.rng['anneal']);
  }
  const save = (r: number, s: number): void => {
    ctx.saveCheckpoint({
      meta: { step: r * (S + 2) + s, r, s, accepted, ...(rng ? { rng: { anneal: rng.state() } } : {}) },
      arrays: { ...packChains(chains.slice(0, r + 1)), ...(evt ? { evt: evt.slice() } : {}) },
    });
  };
  for (let r = r0; r < R; r++) {
    const c = chains[r]!;
    const start = r === r0 ? s0 : 0;
    if (start <= S) {
      if (schedule) {
        if (!(r === r0 && rng)) rng = Rng.stream(ctx.seed, Stream.monteCarlo, m, r, 0);
        let next = 0;
        while (next < nT && times[next]! <= start) next++;
        for (let s = start; s < S; s++) {
          accepted += sweep('metropolis', c, 1 / schedule[s]!, rng, cfg.order);
          while (next < nT && times[next] === s + 1) {
            evt![next] = evt![next]! + c.energy / N / R;
            next++;
          }
          if ((s + 1) % every === 0 && s + 1 < S) save(r, s + 1);
        }
      }
      quench(c);
      rng = null;
      if (r + 1 < R) save(r, S + 1);
    }
    ctx.progress((r + 1) / R, `replica ${r + 1}/${R}`);
  }
  let best = Infinity;
  for (const c of chains) best = Math.min(best, c.energy);
  meas.measure(0, chains);
  out.ground_state![0] = best / N;
  if (acc) acc[0] = accepted / (S * R * N);
  storeConfigurations(out, 0, chains);
  meas.store(out);
}

/** Exact enumeration: Boltzmann averages of the sample; two independent replicas for q. */
function runExact(cfg: SpinglassConfig, model: IsingModel, out: SampleOutputs): void {
  const bonds = model instanceof EdwardsAnderson ? model.bondSites : undefined;
  const res = exactThermodynamics(model, cfg.temperatures, bonds);
  const n = model.dim;
  const K = cfg.temperatures.length;
  const bins = overlapBins(cfg, n);
  for (let k = 0; k < K; k++) {
    const r = res[k]!;
    out.energy[k] = r.energy;
    out.q2[k] = r.q2;
    out.q4[k] = r.q4;
    out.abs_magnetisation![k] = r.absMagnetisation;
    if (out.q_link) out.q_link[k] = r.qLink;
    // P(q) from the exact distribution at q = (N − 2c)/N into the histogram bins.
    const hist = new OverlapHistogram(n, bins);
    for (let c = 0; c <= n; c++) hist.add((n - 2 * c) / n, r.pq[c]!);
    out.pq.set(hist.probabilities(), k * bins);
  }
}
