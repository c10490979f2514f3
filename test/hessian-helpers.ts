/** Shared fixtures of the curvature tests (not a test file itself). */
import { Rng } from '../src/core/rng.js';
import { MlpLandscape } from '../src/landscapes/mlp/network.js';

/** A small float64 network at a random (non-minimum) point: an indefinite Hessian. */
export function smallNet(seed: number, opts: { sizes?: number[]; activation?: 'tanh' | 'relu' | 'sigmoid'; loss?: 'ce' | 'mse'; n?: number; scale?: number } = {}) {
  const sizes = opts.sizes ?? [6, 10, 4];
  const n = opts.n ?? 80;
  const d = sizes[0]!, C = sizes[sizes.length - 1]!;
  const rng = Rng.stream(seed, 99);
  const x = new Float64Array(n * d);
  rng.fillNormal(x);
  const y = Int32Array.from({ length: n }, () => rng.int(C));
  const land = new MlpLandscape<Float64Array>(
    { arch: { sizes, activation: opts.activation ?? 'tanh', bias: true }, loss: opts.loss ?? 'ce', precision: 'f64' },
    { x, y, n },
  );
  const theta = land.newConfig();
  land.initialise(theta, Rng.stream(seed, 98));
  for (let i = 0; i < theta.length; i++) theta[i] = theta[i]! * (opts.scale ?? 2);
  return { land, theta };
}

