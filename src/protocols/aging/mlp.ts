/**
 * The network side of the aging protocol: θ(t) of one SGD trajectory (Baity-Jesi et al. 2018:
 * time = SGD steps, Δ and C over ALL parameters, weights and biases), moved by the shared Trainer
 * (dynamics/trainer.ts) with the data, model and optimiser that `glassy train` builds
 * (landscapes/from-config.ts `modelSetup`: an MLP given by sizes, or any layer spec such as DEEP-GLASS's conv1020relu). Measured at the energy times: training loss (the energy),
 * training error, test loss and test error.
 *
 * Optionally, at the end, the number of near-zero eigenvalues of the Hessian of the training loss
 * (the flat directions that grow with over-parametrisation, Sagun et al. 2017): exactly from the
 * dense Hessian for P ≤ hessianDenseMax parameters, else estimated by stochastic Lanczos
 * quadrature (observables/hessian/), P·∫_{|λ| ≤ ε} ρ(λ)dλ.
 */
import type { Float } from '../../core/backend.js';
import { Rng, Stream } from '../../core/rng.js';
import { trainerFromConfig } from '../../dynamics/from-config.js';
import type { Trainer } from '../../dynamics/trainer.js';
import { modelSetup, type NetworkLandscape } from '../../landscapes/from-config.js';
import { denseSpectrum } from '../../observables/hessian/dense.js';
import { slq, slqTrace } from '../../observables/hessian/slq.js';
import type { ArrayData } from '../../store/dtype.js';
import { trainConfigOf, type AgingMlpConfig } from './config.js';
import type { AgingTrajectory } from './driver.js';

export class MlpAgingTrajectory implements AgingTrajectory {
  readonly dim: number;
  readonly seriesNames = ['energy', 'train_error', 'test_loss', 'test_error'] as const;
  readonly train: NetworkLandscape;
  readonly theta: Float;
  private readonly trainer: Trainer<Float>;
  private readonly evalTrain: NetworkLandscape | null;
  private readonly test: NetworkLandscape;
  private readonly initRng: Rng;

  constructor(private readonly m: AgingMlpConfig, width: number | null, seed: number, replica: number, checkpointEvery: number) {
    const tc = trainConfigOf(m, width, checkpointEvery);
    // Replica r of every width uses the same streams (init r, data order r): common random numbers
    // across the width ladder.
    const s = modelSetup(tc, seed, replica);
    this.train = s.train;
    this.evalTrain = s.evalTrain;
    this.test = s.test;
    this.dim = this.train.dim;
    this.theta = this.train.newConfig();
    this.trainer = trainerFromConfig(this.train, this.theta, tc,
      { order: Rng.stream(seed, Stream.dataOrder, s.orderStream), noise: Rng.stream(seed, Stream.noise, replica) }, replica);
    this.initRng = Rng.stream(seed, Stream.init, s.initStream);
  }

  initialise(): void {
    this.train.initialise(this.theta, this.initRng, this.m.init);
  }

  configuration(): Float {
    return this.theta;
  }

  savedConfiguration(): ArrayData {
    return this.theta.slice();
  }

  advance(): void {
    this.trainer.advance();
  }

  measure(): number[] {
    const tr = (this.evalTrain ?? this.train).evaluate(this.theta);
    const te = this.test.evaluate(this.theta);
    return [tr.loss, tr.error, te.loss, te.error];
  }

  state(): { meta: Record<string, unknown>; arrays: Record<string, ArrayData> } {
    const st = this.trainer.state();
    return { meta: st.meta, arrays: st.arrays };
  }

  restore(s: { meta: Record<string, unknown>; arrays: Record<string, ArrayData> }): void {
    this.trainer.restore(s);
  }

  /** Near-zero Hessian eigenvalues of the training loss at the current θ. */
  hessianNearZero(): { count: number; method: 'dense' | 'slq' } {
    const P = this.dim;
    const theta = this.theta;
    const f64 = theta instanceof Float64Array;
    const v32 = f64 ? null : new Float32Array(P);
    const o32 = f64 ? null : new Float32Array(P);
    const hvp = (v: Float64Array, out: Float64Array): void => {
      if (f64) {
        this.train.hvp(theta, v, out);
        return;
      }
      v32!.set(v);
      this.train.hvp(theta, v32!, o32!);
      out.set(o32!);
    };
    const tol = this.m.hessianTol;
    if (P <= this.m.hessianDenseMax) return { count: denseSpectrum(hvp, P, { tol, maxDim: this.m.hessianDenseMax }).nearZero, method: 'dense' };
    const res = slq(hvp, P, { runs: 10, steps: 80 });
    let big = 0;
    for (const x of res.nodes) if (Number.isFinite(x)) big = Math.max(big, Math.abs(x));
    const thr = tol * big;
    return { count: slqTrace(res, (l) => (Math.abs(l) <= thr ? 1 : 0)), method: 'slq' };
  }
}
