/**
 * Hutchinson's stochastic trace estimator (Hutchinson 1989, Commun. Stat. Simul. Comput. 18, 1059;
 * Avron & Toledo 2011, J. ACM 58(2):8): for v with independent Rademacher entries (±1 with
 * probability ½), E[vᵀHv] = tr H, and the variance 2(‖H‖_F² − Σ_i H_ii²) is the smallest among
 * i.i.d. probe distributions (Avron & Toledo, Lemma 1). The estimate is the sample mean of S
 * draws and its standard error the sample standard deviation / √S — the estimator PyHessian's
 * `trace()` uses (Yao et al. 2020), which iterates until the relative change is below a tolerance;
 * here S is fixed so the cost is known and the error bar is honest.
 */
import { GlassyError } from '../../core/errors.js';
import { Rng, Stream } from '../../core/rng.js';
import type { Hvp } from './lanczos.js';
import { meanSE } from '../statistics.js';

export interface TraceEstimate {
  /** Mean of the samples: the estimate of tr H. */
  trace: number;
  /** Standard error of the mean (sample std / √S; NaN for S = 1). */
  se: number;
  /** The S samples vᵀHv. */
  samples: Float64Array;
}

/** Fill v with Rademacher ±1 entries (one random bit each). */
export function rademacher(rng: Rng, v: Float64Array): void {
  let bits = 0;
  let left = 0;
  for (let i = 0; i < v.length; i++) {
    if (left === 0) {
      bits = rng.nextU32();
      left = 32;
    }
    v[i] = bits & 1 ? 1 : -1;
    bits >>>= 1;
    left--;
  }
}

export interface HutchinsonOptions {
  /** Number of probe vectors S (default 100). */
  samples?: number;
  rng?: Rng;
  /** Projection onto a constraint subspace applied to each probe (the trace is then that of PHP). */
  project?: (v: Float64Array) => void;
  onSample?: (i: number, value: number) => void;
}

export function hutchinsonTrace(hvp: Hvp, dim: number, opts: HutchinsonOptions = {}): TraceEstimate {
  const S = opts.samples ?? 100;
  if (!Number.isInteger(S) || S < 1) throw GlassyError.invalid('samples', S, 'a positive integer number of probe vectors');
  const rng = opts.rng ?? Rng.stream(0, Stream.probe, 1);
  const v = new Float64Array(dim);
  const hv = new Float64Array(dim);
  const samples = new Float64Array(S);
  for (let s = 0; s < S; s++) {
    rademacher(rng, v);
    opts.project?.(v);
    hvp(v, hv);
    let q = 0;
    for (let i = 0; i < dim; i++) q += v[i]! * hv[i]!;
    samples[s] = q;
    opts.onSample?.(s, q);
  }
  const { mean, se } = meanSE(samples);
  return { trace: mean, se, samples };
}
