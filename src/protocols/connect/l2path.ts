/**
 * The L2-anchored path between two minima (Ersoy, Cardozo Licha & Wiesner, arXiv:2512.11866, mode
 * connectivity): from θ_a, minimise L(θ) + β‖θ − θ_b‖² while β is raised step by step (warm-started,
 * the ladder of the L2 sweep, dynamics/l2-sweep.ts, with θ_ref = θ_b), tracking the
 * trajectory θ(β). The traced path is the polyline θ_a → θ(β_1) → … → θ(β_L) → θ_b, and its profile
 * (loss and error at evenly spaced arc length) says whether the two minima are connected: they are
 * when the error stays at the minima's level; where it does not, the path crosses a barrier.
 * Ersoy et al. use β from 0 to 5e-6 in steps of 1e-8 on MNIST with Adam; a pull that weak lets the
 * optimiser drift along flat directions first, so glassy's default ladder is geometric, 1e-4 … 10
 * (26 points), strong enough at its end to bring θ onto θ_b for any network scale. Their grid is one
 * `--l2-betas 0:5e-6:1e-8` away.
 */
import { GlassyError } from '../../core/errors.js';
import { L2Sweep, type SweepPoint } from '../../dynamics/l2-sweep.js';
import { parseTrainConfig, type TrainConfig } from '../../dynamics/train-config.js';
import { modelSetup } from '../../landscapes/from-config.js';
import type { L2PathConfig } from './protocol.js';

/** The two minima, the source run they come from, and the streams' seed. */
export interface L2PathInput {
  a: Float64Array;
  b: Float64Array;
  /** Config and seed of the train run of θ_a and θ_b. */
  source: TrainConfig;
  sourceSeed: number;
  /** Replica index of θ_a in the source (its data order and subset). */
  replica: number;
  seed: number;
  progress(fraction: number): void;
}

export interface L2PathResult {
  /** θ_a, θ(β_1) … θ(β_L), θ_b: the corners of the traced polyline. */
  states: Float64Array[];
  arrays: Record<string, Float64Array>;
  summary: Record<string, number>;
}

export async function l2Path(ctx: L2PathInput, l2: L2PathConfig): Promise<L2PathResult> {
  for (let i = 1; i < l2.betas.length; i++) {
    if (!(l2.betas[i]! > l2.betas[i - 1]!)) throw GlassyError.invalid('l2.betas', l2.betas, 'an increasing list of β');
  }
  const src = ctx.source;
  const tc = parseTrainConfig({ ...src, precision: 'f64' });
  const { ds, train, test } = modelSetup(tc, ctx.sourceSeed, ctx.replica);
  const theta = train.newConfig();
  theta.set(ctx.a);
  const ref = train.newConfig();
  ref.set(ctx.b);
  // The source run's optimiser and batch, a fresh optimiser state per β (as the sweep's default).
  const sweep = new L2Sweep({ ...l2, optimizer: src.optimizer, batch: src.batch, inheritOptimizer: false },
    { train, test, testLabels: ds.test.y }, theta, ref, { seed: ctx.seed, index: 0 });
  const states: Float64Array[] = [Float64Array.from(ctx.a)];
  const points: SweepPoint[] = [];
  for (const [k, beta] of l2.betas.entries()) {
    points.push(sweep.step(beta, 1, 0));
    states.push(Float64Array.from(theta));
    ctx.progress((k + 1) / l2.betas.length);
  }
  states.push(Float64Array.from(ctx.b));
  let r0 = 0;
  for (let i = 0; i < ctx.a.length; i++) r0 += (ctx.a[i]! - ctx.b[i]!) ** 2;
  r0 = Math.sqrt(r0);
  const last = points[points.length - 1];
  return {
    states,
    arrays: {
      l2_betas: Float64Array.from(points, (p) => p.beta),
      l2_distance_to_b: Float64Array.from(points, (p) => p.r),
      l2_train_loss: Float64Array.from(points, (p) => p.trainLoss),
      l2_test_error: Float64Array.from(points, (p) => p.testError),
    },
    summary: {
      l2_points: points.length,
      l2_initial_distance: r0,
      l2_final_distance: last ? last.r : NaN,
      l2_max_test_error: Math.max(...points.map((p) => p.testError)),
    },
  };
}
