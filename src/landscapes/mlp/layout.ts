/**
 * The named layout of a fully connected network's flat parameter vector θ.
 *
 * Order (PyTorch's nn.Linear convention, so .safetensors weights load in Python unchanged):
 * for each layer l = 0..L−1, the weight W_l of shape [out, in] in row-major order
 * (W_l[o, i] at offset + o·in + i), then, if biases are on, b_l of shape [out].
 * Names: "layers.<l>.weight", "layers.<l>.bias".
 *
 * Walks, interpolations, overlaps and alignments act on θ as one vector; the layout tells which
 * slice is which tensor (and which rows are a hidden unit's incoming weights, for permutations).
 */
import type { Float } from '../../core/backend.js';
import { GlassyError } from '../../core/errors.js';

export type Activation = 'relu' | 'tanh' | 'linear' | 'sigmoid';

export interface MlpArchitecture {
  /** Layer widths including input and output, e.g. [784, 100, 10]; [784, 10] is a perceptron. */
  sizes: number[];
  /** Hidden-layer activation. */
  activation: Activation;
  /**
   * Output non-linearity applied before the loss: 'linear' (logits; the default, used with softmax
   * cross-entropy) or 'sigmoid' (Baity-Jesi et al. 2018: sigmoid outputs with MSE to the one-hot label).
   */
  output?: 'linear' | 'sigmoid';
  /** Whether each layer has a bias. */
  bias: boolean;
}

export interface TensorSlice {
  name: string;
  /** [out, in] for weights, [out] for biases. */
  shape: number[];
  offset: number;
  size: number;
}

export interface LayerSlices {
  weight: TensorSlice;
  bias: TensorSlice | null;
  in: number;
  out: number;
}

export interface MlpLayout {
  arch: MlpArchitecture;
  layers: LayerSlices[];
  tensors: TensorSlice[];
  /** Total number of parameters. */
  size: number;
}

/**
 * Tensor names are those of the nn.Sequential(Linear, act, Linear, act, …, Linear[, Sigmoid]) the MLP
 * is: layer l is module 2l, so `0.weight`, `0.bias`, `2.weight`, … and a replica file loads into it
 * with `load_state_dict` unchanged. Files written before used `layers.<l>.weight` (legacyTensorName).
 */
export function mlpLayout(arch: MlpArchitecture): MlpLayout {
  const layers: LayerSlices[] = [];
  const tensors: TensorSlice[] = [];
  let offset = 0;
  for (let l = 0; l + 1 < arch.sizes.length; l++) {
    const inp = arch.sizes[l]!;
    const out = arch.sizes[l + 1]!;
    const weight: TensorSlice = { name: `${2 * l}.weight`, shape: [out, inp], offset, size: out * inp };
    offset += weight.size;
    tensors.push(weight);
    let bias: TensorSlice | null = null;
    if (arch.bias) {
      bias = { name: `${2 * l}.bias`, shape: [out], offset, size: out };
      offset += out;
      tensors.push(bias);
    }
    layers.push({ weight, bias, in: inp, out });
  }
  return { arch, layers, tensors, size: offset };
}

/** The name an MLP tensor had in older replica files: module 2l's tensors were `layers.<l>.*`. */
export function legacyTensorName(name: string): string | undefined {
  const m = /^(\d+)\.(weight|bias)$/.exec(name);
  return m && Number(m[1]) % 2 === 0 ? `layers.${Number(m[1]) / 2}.${m[2]}` : undefined;
}

/** The layer sizes of an MLP model; a GlassyError for a layer-spec model (protocols that need an MLP). */
export function modelSizes(model: { sizes?: number[] | undefined; layers?: string | string[] | undefined }): number[] {
  if (!model.sizes) throw GlassyError.invalid('model', model.layers, 'an MLP given by layer sizes such as 784-100-10 (this command does not run on layer specs yet)');
  return model.sizes;
}

/**
 * K replicas of one layout in one array of K·size values, tensor by tensor (a replica group): tensor
 * t of replica k lies at K·t.offset + k·t.size. The first layer's weights of all replicas are then
 * one [K·out × in] row-major matrix [W₁; …; W_K] — the single GEMM of an ensemble in lockstep — and
 * an elementwise update rule steps the whole group as one vector (dynamics/lockstep.ts).
 */
export function groupOffset(t: TensorSlice, K: number, k: number): number {
  return K * t.offset + k * t.size;
}

/** Copies replica k's flat θ into its place in a group of K. */
export function packReplica(layout: MlpLayout, K: number, k: number, theta: Float, group: Float): void {
  for (const t of layout.tensors) group.set(theta.subarray(t.offset, t.offset + t.size), groupOffset(t, K, k));
}

/** Copies replica k's parameters out of a group of K into a flat θ. */
export function unpackReplica(layout: MlpLayout, K: number, k: number, group: Float, theta: Float): void {
  for (const t of layout.tensors) {
    const at = groupOffset(t, K, k);
    theta.set(group.subarray(at, at + t.size), t.offset);
  }
}
