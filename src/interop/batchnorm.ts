/**
 * Batch normalisation folded into the conv or Linear layer before it, at import.
 *
 * glassy's networks have no batch-norm layer: they are trained and analysed without one, so an
 * imported model's BatchNorm1d/2d is turned into the plain network it computes at inference. In eval
 * mode BN is the fixed per-channel affine map y = γ (z − μ)/√(σ² + ε) + β with the running mean μ and
 * variance σ² (torch.nn.functional.batch_norm, training=False); after z = W x + b it is the affine layer
 *   W' = s·W (row / output channel o scaled by s_o),   b' = s·(b − μ) + β,   s = γ/√(σ² + ε),
 * exactly (Ioffe & Szegedy 2015, §3.2; the "conv-BN folding" of inference engines). In training mode BN
 * normalises by the batch's own statistics, which no fixed layer reproduces: the fold is the eval-mode
 * network only.
 */
import { GlassyError } from '../core/errors.js';
import type { StateTensor } from './state-dict.js';

/** PyTorch's default ε of nn.BatchNorm1d/2d (a state_dict does not store it). */
export const BATCHNORM_EPS = 1e-5;

/** One batch-norm's per-channel tensors (γ = 1, β = 0 when BN has affine=False). */
export interface BatchNormTensors {
  gamma: ArrayLike<number> | null;
  beta: ArrayLike<number> | null;
  mean: ArrayLike<number>;
  variance: ArrayLike<number>;
  eps: number;
}

const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/**
 * The affine layer (weight [C, …], bias [C] or none) followed by `bn`, as one affine layer (float64).
 * `where` names the batch norm in errors.
 */
export function foldBatchNorm(where: string, weight: StateTensor, bias: StateTensor | null, bn: BatchNormTensors): { weight: StateTensor; bias: StateTensor } {
  const C = weight.shape[0] ?? 0;
  const per = C > 0 ? weight.data.length / C : 0;
  const lengths = { running_mean: bn.mean.length, running_var: bn.variance.length, weight: bn.gamma?.length ?? C, bias: bn.beta?.length ?? C };
  for (const [k, n] of Object.entries(lengths)) {
    if (n !== C) throw new GlassyError(`${where}: ${k} has ${n} values, expected ${C} (the output channels of the layer before it, weight ${fmt(weight.shape)})`, 'key', where, `${C} channels`);
  }
  const w = new Float64Array(weight.data.length);
  const b = new Float64Array(C);
  for (let o = 0; o < C; o++) {
    const v = bn.variance[o]! + bn.eps;
    if (!(v > 0)) throw new GlassyError(`${where}: running_var[${o}] + eps = ${v}, expected > 0`, 'key', where, 'a positive variance');
    const s = (bn.gamma ? bn.gamma[o]! : 1) / Math.sqrt(v);
    for (let j = o * per; j < (o + 1) * per; j++) w[j] = s * weight.data[j]!;
    b[o] = s * ((bias ? bias.data[o]! : 0) - bn.mean[o]!) + (bn.beta ? bn.beta[o]! : 0);
  }
  return { weight: { data: w, shape: weight.shape }, bias: { data: b, shape: [C] } };
}

/** A key's module: everything before its last dot. */
function moduleOf(key: string): string {
  const i = key.lastIndexOf('.');
  return i < 0 ? '' : key.slice(0, i);
}

const BN_KEYS = new Set(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);

/**
 * A state_dict with every BatchNorm module (a module with `running_mean` and `running_var`) folded into
 * the module whose keys come just before it in the file, and its keys removed; `num_batches_tracked`
 * keys are dropped. Where both modules are indices of one nn.Sequential (`0`, `1`; `features.3`,
 * `features.4`) they must be adjacent — a BN after a ReLU or a pool does not fold into the layer before.
 * Unchanged when there is no batch norm.
 */
export function foldStateDictBatchNorms(source: string, tensors: Readonly<Record<string, StateTensor>>, eps = BATCHNORM_EPS): Record<string, StateTensor> {
  const keys = Object.keys(tensors).filter((k) => !k.endsWith('num_batches_tracked'));
  const modules: string[] = [];
  for (const k of keys) if (!modules.includes(moduleOf(k))) modules.push(moduleOf(k));
  const key = (m: string, leaf: string): string => (m === '' ? leaf : `${m}.${leaf}`);
  const has = (m: string, leaf: string): boolean => Object.hasOwn(tensors, key(m, leaf));
  const isBn = (m: string): boolean => has(m, 'running_mean') && has(m, 'running_var');
  if (!modules.some(isBn)) return Object.fromEntries(keys.map((k) => [k, tensors[k]!]));
  const folded = new Map<string, { weight: StateTensor; bias: StateTensor }>();
  modules.forEach((m, i) => {
    if (!isBn(m)) return;
    const where = `${source}: BatchNorm module "${m}"`;
    const extra = keys.find((k) => moduleOf(k) === m && !BN_KEYS.has(k.slice(k.lastIndexOf('.') + 1)));
    if (extra !== undefined) throw new GlassyError(`${where}: unexpected key "${extra}" (a BatchNorm has weight, bias, running_mean, running_var, num_batches_tracked)`, 'key', extra, 'a BatchNorm tensor');
    const prev = i > 0 ? modules[i - 1]! : undefined;
    if (prev === undefined || isBn(prev) || !has(prev, 'weight')) {
      throw new GlassyError(`${where}: no conv or Linear module just before it to fold it into (glassy folds a BatchNorm into the layer it follows)`, 'key', key(m, 'running_mean'), 'a BatchNorm after a conv or Linear module');
    }
    const gap = sequentialGap(prev, m);
    if (gap !== null && gap !== 1) {
      throw new GlassyError(`${where} follows module "${prev}" at a distance of ${gap} nn.Sequential positions: glassy folds a BatchNorm only into the conv or Linear directly before it`, 'key', key(m, 'running_mean'), `module ${m} right after ${prev}`);
    }
    const get = (leaf: string): StateTensor | null => (has(m, leaf) ? tensors[key(m, leaf)]! : null);
    folded.set(prev, foldBatchNorm(where, tensors[key(prev, 'weight')]!, has(prev, 'bias') ? tensors[key(prev, 'bias')]! : null, {
      gamma: get('weight')?.data ?? null, beta: get('bias')?.data ?? null, mean: get('running_mean')!.data, variance: get('running_var')!.data, eps,
    }));
  });
  const out: Record<string, StateTensor> = {};
  for (const k of keys) {
    const m = moduleOf(k);
    if (isBn(m)) continue;
    const f = folded.get(m);
    if (!f) out[k] = tensors[k]!;
    else if (k === key(m, 'weight')) {
      out[k] = f.weight;
      out[key(m, 'bias')] = f.bias; // the folded layer always has a bias (a conv with bias=False gains one)
    } else if (k !== key(m, 'bias')) out[k] = tensors[k]!;
  }
  return out;
}

/** Positions apart of two modules of one nn.Sequential (`a.3`, `a.5` → 2), or null when they are not. */
function sequentialGap(a: string, b: string): number | null {
  const split = (m: string): [string, number] | null => {
    const match = /^(?:(.*)\.)?(\d+)$/.exec(m);
    return match ? [match[1] ?? '', Number(match[2])] : null;
  };
  const x = split(a), y = split(b);
  return x && y && x[0] === y[0] ? y[1] - x[1] : null;
}
