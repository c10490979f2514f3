/**
 * A network is a sequence of layers (spec.ts, layout.ts); its landscape is the mean training loss over
 * its flat parameter vector θ. One concept, two engines:
 *  - SequentialLandscape (sequential.ts) runs any sequence of layers — conv, pools, flatten, dense,
 *    activations — layer by layer;
 *  - a network made only of dense layers with one hidden activation (an MLP, e.g.
 *    flatten-dense(100)-relu-dense(10)) runs on landscapes/mlp, whose fused, tuned dense passes are
 *    faster. DenseNetwork is the thin adapter: same θ (weight then bias per dense layer, in order —
 *    the MLP's layout is exactly that), same initialisation stream, only the tensor names follow the
 *    spec's nn.Sequential.
 * createNetwork picks the engine; callers see one Network.
 */
import type { Float } from '../../core/backend.js';
import { getBackend } from '../../core/backends/index.js';
import { GlassyError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { SampledLandscape } from '../landscape.js';
import type { LossKind } from '../mlp/loss.js';
import type { Activation } from '../mlp/layout.js';
import { MlpLandscape, type Evaluation, type MlpData, type Precision } from '../mlp/network.js';
import type { Shape } from './layer.js';
import { networkLayout, toLayerSpecs, type NetworkLayout } from './layout.js';
import { SequentialLandscape, type SequentialOptions } from './sequential.js';
import type { LayerSpec } from './spec.js';

export interface Network<X extends Float = Float> extends SampledLandscape<X> {
  readonly layout: NetworkLayout;
  readonly precision: Precision;
  readonly loss: LossKind;
  l2: number;
  l2Ref: X | null;
  /** Generalised Gauss–Newton product out ← (J_fᵀ H_ℓ J_f + 2λ)·v (docs/curvature.md). */
  gnvp(theta: X, v: X, out: X): void;
  /** Mean loss (without L2) and error rate over all samples. */
  evaluate(theta: X): Evaluation;
  /** Output of spec token `layer` (default: the network output) for every sample, [n × size]. */
  outputs(theta: X, layer?: number): Float64Array;
  /** PyTorch's default initialisation per layer, or 'he'. */
  initialise(theta: X, rng: Rng, scheme?: 'pytorch' | 'he'): void;
  /** Σ loss (without L2), errors and rows of the last batchGradient: training's running epoch mean. */
  readonly lastBatch: { readonly lossSum: number; readonly errors: number; readonly size: number };
  /** The same network on its first n samples (a fixed measurement subset). */
  firstSamples(n: number): Network<X>;
}

export interface NetworkOptions extends Omit<SequentialOptions, 'layers'> {
  /** Spec string, token list, preset name or parsed layers. */
  model: string | readonly string[] | readonly LayerSpec[];
  /** Use the general layer-by-layer engine even for MLPs (tests compare the two). */
  general?: boolean;
}

/** The network landscape of a spec on the given samples (see the module comment for the engines). */
export function createNetwork<X extends Float = Float>(opts: NetworkOptions, data: MlpData): Network<X> {
  const layers = toLayerSpecs(opts.model);
  // The MLP engine's layout has biases on every layer, as the spec's nn.Sequential does by default.
  const mlp = opts.general || opts.bias === false ? null : asMlp(layers, opts.inputShape);
  if (mlp) return new DenseNetwork<X>(opts, layers, mlp, data);
  return new SequentialLandscape<X>({ ...opts, layers }, data);
}

interface MlpShape {
  sizes: number[];
  activation: Activation;
  output: 'linear' | 'sigmoid';
  /** Spec token index → MLP weight layer whose activated output it is (−1: not available). */
  tokenToLayer: number[];
}

/**
 * Whether the layers are an MLP: [flatten] dense (act dense)* [sigmoid|linear], one hidden activation
 * throughout. Returns its sizes, or null.
 */
export function asMlp(layers: readonly LayerSpec[], inputShape: Shape): MlpShape | null {
  let i = 0;
  const tokenToLayer: number[] = [];
  if (layers[0]?.kind === 'flatten') {
    tokenToLayer.push(-1);
    i = 1;
  } else if (inputShape.length !== 1) return null;
  const sizes = [inputShape.reduce((a, b) => a * b, 1)];
  let activation: Activation | null = null;
  let output: 'linear' | 'sigmoid' = 'linear';
  while (i < layers.length) {
    const d = layers[i]!;
    if (d.kind !== 'dense') return null;
    sizes.push(d.units);
    const l = sizes.length - 2;
    const next = layers[i + 1];
    if (!next) {
      tokenToLayer.push(l);
      i++;
      break;
    }
    if (next.kind !== 'relu' && next.kind !== 'tanh' && next.kind !== 'sigmoid' && next.kind !== 'linear') return null;
    const last = i + 2 === layers.length;
    if (last) {
      if (next.kind !== 'sigmoid' && next.kind !== 'linear') return null;
      output = next.kind;
    } else {
      if (activation !== null && activation !== next.kind) return null;
      activation = next.kind;
    }
    tokenToLayer.push(-1, l);
    i += 2;
  }
  if (sizes.length < 2) return null;
  return { sizes, activation: activation ?? 'relu', output, tokenToLayer };
}

/** The dense fast path: an MLP landscape seen as a Network with nn.Sequential names. */
class DenseNetwork<X extends Float> implements Network<X> {
  readonly name: string;
  readonly dim: number;
  readonly geometry = 'euclidean' as const;
  readonly layout: NetworkLayout;
  readonly nSamples: number;
  readonly precision: Precision;
  readonly loss: LossKind;
  readonly mlp: MlpLandscape<X>;
  private readonly tokenToLayer: number[];

  /** `data` are the samples, or an MLP landscape already built on them (firstSamples). */
  constructor(private readonly opts: NetworkOptions, private readonly layers: readonly LayerSpec[], private readonly shape: MlpShape, data: MlpData | MlpLandscape<X>) {
    this.layout = networkLayout(layers, opts.inputShape);
    this.mlp = data instanceof MlpLandscape ? data : new MlpLandscape<X>({
      arch: { sizes: shape.sizes, activation: shape.activation, output: shape.output, bias: true },
      loss: opts.loss, precision: opts.precision, l2: opts.l2 ?? 0, l2Ref: opts.l2Ref ?? null,
      ...(opts.chunk !== undefined ? { chunk: opts.chunk } : {}),
      backend: opts.backend ?? getBackend(),
    }, data);
    this.tokenToLayer = shape.tokenToLayer;
    this.dim = this.mlp.dim;
    this.nSamples = this.mlp.nSamples;
    this.precision = opts.precision;
    this.loss = opts.loss;
    this.name = `network ${this.layout.spec} ${opts.loss}`;
  }

  get l2(): number { return this.mlp.l2; }
  set l2(v: number) { this.mlp.l2 = v; }
  get l2Ref(): X | null { return this.mlp.l2Ref; }
  set l2Ref(v: X | null) { this.mlp.l2Ref = v; }

  newConfig(): X { return this.mlp.newConfig(); }
  energy(theta: X): number { return this.mlp.energy(theta); }
  gradient(theta: X, g: X): number { return this.mlp.gradient(theta, g); }
  batchGradient(theta: X, batch: Int32Array, g: X): number { return this.mlp.batchGradient(theta, batch, g); }
  hvp(theta: X, v: X, out: X): void { this.mlp.hvp(theta, v, out); }
  gnvp(theta: X, v: X, out: X): void { this.mlp.gnvp(theta, v, out); }
  evaluate(theta: X): Evaluation { return this.mlp.evaluate(theta); }
  initialise(theta: X, rng: Rng, scheme: 'pytorch' | 'he' = 'pytorch'): void { this.mlp.initialise(theta, rng, scheme); }
  get lastBatch(): { lossSum: number; errors: number; size: number } { return this.mlp.lastBatch; }
  firstSamples(n: number): DenseNetwork<X> { return new DenseNetwork<X>(this.opts, this.layers, this.shape, this.mlp.firstSamples(n)); }

  outputs(theta: X, layer = this.layout.layers.length - 1): Float64Array {
    const l = this.tokenToLayer[layer];
    // The last dense token and its output non-linearity are both the network output.
    const last = this.layout.layers.length - 1;
    const mapped = layer === last ? this.tokenToLayer.filter((t) => t >= 0).pop()! : l;
    if (mapped === undefined || mapped < 0) {
      throw GlassyError.invalid('layer', layer, 'an activation token or the last token (the dense fast path keeps activated outputs only)');
    }
    return this.mlp.outputs(theta, mapped);
  }
}
