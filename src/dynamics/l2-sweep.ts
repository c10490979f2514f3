/**
 * The warm-started L2 ladder of Ersoy, Cardozo Licha & Wiesner (arXiv:2512.11866; precursor
 * arXiv:2505.06597), as in the authors' released code: at each β the network is trained on
 *
 *   L_β(θ) = CE(θ) + c(β)‖θ − θ_ref‖²   (all weights and biases; c(β) from landscapes/l2form.ts)
 *
 * starting from the previous β's solution, with a fresh optimiser state per β (`inheritOptimizer`
 * keeps it, as their CNN variant does), for up to `maxEpochs` epochs, stopping when the epoch-mean
 * training CE (or L_β, `stopOn`) has not improved for `patience` epochs; then the point is measured.
 *
 * The dynamics of two protocols: the `l2sweep` protocol walks a ladder up (and back down) with
 * θ_ref = 0 or a trained replica and adds Hessian eigenvalues, transition detection and refinement;
 * `connect --method l2` walks it from θ_a with θ_ref = θ_b. The engine takes typed settings, not a
 * config: each protocol's schema (with its own defaults, e.g. stopOn 'ce' for the sweep and
 * 'objective' for the path) stays with the protocol, and the engine needs only the fields below.
 */
import type { Float } from '../core/backend.js';
import { refuseNonFinite } from '../core/finite.js';
import { Rng, Stream } from '../core/rng.js';
import type { NetworkLandscape } from '../landscapes/from-config.js';
import { penaltyCoefficient, type L2Form } from '../landscapes/l2form.js';
import { trainerFromConfig } from './from-config.js';
import type { OptimizerConfig } from './optimizers.js';
import type { Trainer } from './trainer.js';

/** What the ladder needs of a config (the l2sweep schema and connect's `l2` section both supply it). */
export interface L2SweepSettings {
  optimizer: OptimizerConfig & { lr: number };
  batch: number;
  l2Form: L2Form;
  maxEpochs: number;
  patience: number;
  /** What early stopping watches: the training CE (Ersoy et al.'s code) or the objective L_β. */
  stopOn: 'ce' | 'objective';
  /** Keep the optimiser's moments across β (Ersoy et al.'s CNN variant). */
  inheritOptimizer: boolean;
}

/** One point of the ladder: θ relaxed at β and measured. */
export interface SweepPoint {
  beta: number;
  direction: 1 | -1;
  refined: 0 | 1;
  /** CE of the final θ over the whole training set. */
  trainLoss: number;
  /**
   * Mean mini-batch training CE over the last epoch at this β: what Ersoy et al.'s code writes as
   * Train_Loss (`epoch_loss / len(train_loader)`, the final epoch; their best-state restore is a
   * no-op because `state_dict()` returns live references). Averaged over a whole epoch of a moving
   * network it is far smoother than the CE at the end point (grid-to-grid noise ≈ 0.002 against
   * ≈ 0.015 for Adam at lr 1.5e-3, batch 64), so jumps stand out (docs/l2sweep.md).
   */
  epochLoss: number;
  objective: number;
  testLoss: number;
  testError: number;
  /** r = ‖θ − θ_ref‖ (‖θ‖ without a reference). */
  r: number;
  epochs: number;
  /** Extreme eigenvalues of the unregularised training-CE Hessian, NaN unless the caller measures them. */
  lambdaMin: number;
  lambdaMaxAbs: number;
  classAccuracy: Float64Array;
  /** θ at this point (kept by the caller for refinement and saved as states/). */
  state?: Float32Array;
}

/** The β ladder in visiting order: [β, direction] pairs, up as given, reversed, or up then back down (hysteresis). */
export function sweepSchedule(betas: readonly number[], direction: 'up' | 'down' | 'both'): Array<[number, 1 | -1]> {
  const up = betas.map((b) => [b, 1] as [number, 1 | -1]);
  const down = [...betas].reverse().map((b) => [b, -1] as [number, 1 | -1]);
  if (direction === 'up') return up;
  if (direction === 'down') return down;
  return [...up, ...down.slice(1)];
}

/** Output width (classes) of a network landscape, MLP or layer spec. */
export function outputCount(land: NetworkLandscape): number {
  return 'arch' in land.layout ? land.layout.arch.sizes[land.layout.arch.sizes.length - 1]! : land.layout.outputs;
}

/** Per-class test accuracy from the outputs f [n × C] and the labels. */
function classAccuracy(f: Float64Array, labels: Int32Array, C: number): Float64Array {
  const correct = new Float64Array(C), count = new Float64Array(C);
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let k = 1; k < C; k++) if (f[i * C + k]! > f[i * C + best]!) best = k;
    const y = labels[i]!;
    count[y]!++;
    if (best === y) correct[y]!++;
  }
  return correct.map((c, k) => (count[k]! > 0 ? c / count[k]! : NaN));
}

function distance(theta: Float, ref: Float | null): number {
  let s = 0;
  for (let i = 0; i < theta.length; i++) {
    const d = theta[i]! - (ref ? ref[i]! : 0);
    s += d * d;
  }
  return Math.sqrt(s);
}

/**
 * θ moved along a β ladder on given landscapes: `step(β)` relaxes θ at β (warm-started from where
 * it stands) and measures it. θ is the caller's array, moved in place, so a caller may save it,
 * or reset it to an earlier state to re-run an interval. Data order and optimiser noise come from
 * the replica's streams, so the same seed gives the same ladder.
 */
export class L2Sweep<X extends Float> {
  private readonly trainer: Trainer<X>;
  private readonly C: number;
  private readonly index: number;

  constructor(
    private readonly settings: L2SweepSettings,
    private readonly land: { train: NetworkLandscape<X>; test: NetworkLandscape<X>; testLabels: Int32Array },
    readonly theta: X,
    private readonly ref: X | null,
    replica: { seed: number; index: number },
  ) {
    this.C = outputCount(land.test);
    this.trainer = trainerFromConfig(land.train, theta, { optimizer: settings.optimizer, batch: settings.batch, sampling: 'shuffle' },
      { order: Rng.stream(replica.seed, Stream.dataOrder, replica.index), noise: Rng.stream(replica.seed, Stream.noise, replica.index) }, replica.index);
    land.train.l2Ref = ref;
    this.index = replica.index;
  }

  /** Relaxes θ at β, then measures it; NaN eigenvalues (the caller measures curvature when it wants it). */
  step(beta: number, direction: 1 | -1, refined: 0 | 1): SweepPoint {
    return this.measure(beta, direction, refined, this.relax(beta));
  }

  /**
   * Trains at β until the epoch-mean CE stops improving (Ersoy et al.'s early stopping); returns the
   * epochs taken and the last epoch's mean CE.
   */
  private relax(beta: number): { epochs: number; epochLoss: number } {
    const { settings: s, trainer, theta, ref } = this;
    const c = penaltyCoefficient(beta, s.l2Form);
    this.land.train.l2 = c;
    if (!s.inheritOptimizer) trainer.optimizer.reset();
    let best = Infinity;
    let since = 0;
    let epochs = 0;
    let last = NaN;
    const steps = trainer.schedule.stepsPerEpoch;
    while (epochs < s.maxEpochs && since < s.patience) {
      let sum = 0;
      for (let k = 0; k < steps; k++) {
        const penalty = c === 0 || s.stopOn === 'objective' ? 0 : c * distance(theta, ref) ** 2;
        sum += trainer.advance() - penalty;
      }
      epochs++;
      const mean = sum / steps;
      last = mean;
      if (mean < best - 1e-12) {
        best = mean;
        since = 0;
      } else since++;
    }
    return { epochs, epochLoss: last };
  }

  private measure(beta: number, direction: 1 | -1, refined: 0 | 1, { epochs, epochLoss }: { epochs: number; epochLoss: number }): SweepPoint {
    const { theta, ref, land } = this;
    refuseNonFinite(`replica ${this.index} at β = ${beta}`, 'θ', theta, 'the dynamics diverged: lower --lr');
    const tr = land.train.evaluate(theta);
    const te = land.test.evaluate(theta);
    const r = distance(theta, ref);
    return {
      beta, direction, refined, epochs, r,
      trainLoss: tr.loss, epochLoss, objective: tr.loss + penaltyCoefficient(beta, this.settings.l2Form) * r * r, testLoss: te.loss, testError: te.error,
      lambdaMin: NaN, lambdaMaxAbs: NaN, classAccuracy: classAccuracy(land.test.outputs(theta), land.testLabels, this.C),
    };
  }
}
