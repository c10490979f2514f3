/**
 * A spin-glass landscape from its description — the model name and its parameters as a `spinglass`
 * run's config holds them — with the run's seed and a disorder sample index. The couplings of sample
 * m come from Rng.stream(seed, Stream.disorder, m) inside each model, so whoever reads a spinglass
 * run (the protocol itself, a walk, an analysis) rebuilds exactly the same sample.
 */
import { GlassyError } from '../core/errors.js';
import { EdwardsAnderson } from './ising/ea.js';
import { Hopfield } from './ising/hopfield.js';
import type { IsingModel } from './ising/model.js';
import { SherringtonKirkpatrick, type CouplingDistribution } from './ising/sk.js';
import type { Landscape } from './landscape.js';
import { PSpin } from './pspin.js';

export const GLASS_MODELS = ['sk', 'ea2d', 'ea3d', 'hopfield', 'pspin'] as const;
export type GlassModel = (typeof GLASS_MODELS)[number];
/** The Ising models (Monte Carlo dynamics); 'pspin' is continuous (spins on the sphere). */
export type IsingModelName = Exclude<GlassModel, 'pspin'>;

export interface GlassSpec {
  model: GlassModel;
  /** Spins (sk, hopfield, pspin). */
  n?: number | undefined;
  /** Lattice side (ea2d, ea3d). */
  l?: number | undefined;
  /** Hopfield load P/N (default 0.05). */
  alpha?: number | undefined;
  /** p-spin order (default 3). */
  p?: number | undefined;
  couplings: CouplingDistribution;
  /** P(J = +1) of ±J lattice couplings. */
  pPlus: number;
  field: number;
}

/** Disorder sample `sample` of an Ising model. */
export function isingModel(spec: GlassSpec & { model: IsingModelName }, seed: number, sample: number): IsingModel {
  const { couplings, field } = spec;
  switch (spec.model) {
    case 'sk': return new SherringtonKirkpatrick({ n: spec.n!, couplings, field, seed, sample });
    case 'ea2d': return new EdwardsAnderson({ dimension: 2, l: spec.l!, couplings, pPlus: spec.pPlus, field, seed, sample });
    case 'ea3d': return new EdwardsAnderson({ dimension: 3, l: spec.l!, couplings, pPlus: spec.pPlus, field, seed, sample });
    case 'hopfield': return new Hopfield({ n: spec.n!, alpha: spec.alpha ?? 0.05, field, seed, sample });
  }
}

/** Disorder sample `sample` of any of the glasses, as a landscape over Float64Array configurations. */
export function glassLandscape(spec: GlassSpec, seed: number, sample: number): Landscape<Float64Array> {
  if (!(GLASS_MODELS as readonly string[]).includes(spec.model)) throw GlassyError.invalid('model', spec.model, GLASS_MODELS.join(' | '));
  if (spec.model === 'pspin') return new PSpin({ n: spec.n!, p: (spec.p ?? 3) as 2 | 3 | 4, seed, sample });
  return isingModel(spec as GlassSpec & { model: IsingModelName }, seed, sample);
}
