/**
 * From a parsed spec and the data's input shape to the layers and the named layout of θ.
 *
 * θ is one flat array; its tensors are named as the state_dict of the nn.Sequential built from the
 * spec, one module per token in order: `0.weight` [C, C_in, K, K], `0.bias` [C], …, `7.weight`
 * [80, 320], … (parameter-free tokens — activations, pools, flatten — take an index but no tensors).
 * Within a layer the weight comes first, then its bias; layers follow in spec order. So a
 * `safetensors.torch.load_file` of a replica file loads into that nn.Sequential unchanged.
 */
import type { Backend } from '../../core/backend.js';
import { getBackend } from '../../core/backends/index.js';
import { GlassyError } from '../../core/errors.js';
import { ActivationLayer } from './activation.js';
import { AvgPool } from './avgpool.js';
import { Conv2d } from './conv2d.js';
import { Dense } from './dense.js';
import { Flatten } from './flatten.js';
import type { Layer, Shape, TensorSlice } from './layer.js';
import { sizeOf } from './layer.js';
import { MaxPool } from './maxpool.js';
import { formatSpec, formatToken, parseSpec, type LayerSpec } from './spec.js';

/** One token of the network, as the layout describes it (no arithmetic). */
export interface LayerInfo {
  /** Position in the spec = the module index in nn.Sequential. */
  index: number;
  token: string;
  kind: LayerSpec['kind'];
  inShape: number[];
  outShape: number[];
  /** Weight then bias; empty for parameter-free tokens. */
  params: TensorSlice[];
}

export interface NetworkLayout {
  /** Canonical spec string. */
  spec: string;
  /** Per-sample input shape, e.g. [1, 28, 28] or [784]. */
  inputShape: number[];
  layers: LayerInfo[];
  tensors: TensorSlice[];
  /** Total number of parameters. */
  size: number;
  /** Output width (classes or targets). */
  outputs: number;
}

/** Builds the layer objects, checking that every token fits the shape it receives. */
export function buildLayers(spec: readonly LayerSpec[], inputShape: Shape, backend: Backend, bias = true): Layer[] {
  if (inputShape.length === 0 || inputShape.some((s) => !Number.isInteger(s) || s < 1)) {
    throw GlassyError.invalid('input shape', inputShape, 'positive integers, e.g. [1, 28, 28] or [784]');
  }
  const layers: Layer[] = [];
  let shape: Shape = inputShape;
  let offset = 0;
  spec.forEach((l, i) => {
    const token = formatToken(l);
    const need = (ok: boolean, expected: string) => {
      if (!ok) throw new GlassyError(`model: token ${i + 1} "${token}": expected ${expected}, got input shape [${shape.join(', ')}]`, 'model', token, expected);
    };
    let layer: Layer;
    switch (l.kind) {
      case 'dense':
        need(shape.length === 1, "a flat input [N] (put 'flatten' before it)");
        layer = new Dense(token, i, shape[0]!, l.units, offset, bias, backend);
        break;
      case 'conv': {
        need(shape.length === 3, 'an image input [C, H, W]');
        const [, h, w] = shape as [number, number, number];
        need(h + 2 * l.padding >= l.kernel && w + 2 * l.padding >= l.kernel, `an image at least ${l.kernel}×${l.kernel} after padding`);
        layer = new Conv2d(token, i, shape, l, offset, bias, backend);
        break;
      }
      case 'maxpool':
      case 'avgpool': {
        need(shape.length === 3, 'an image input [C, H, W]');
        need(shape[1]! >= l.kernel && shape[2]! >= l.kernel, `an image at least ${l.kernel}×${l.kernel}`);
        layer = l.kind === 'maxpool' ? new MaxPool(token, shape, l.kernel, l.stride, backend) : new AvgPool(token, shape, l.kernel, l.stride);
        break;
      }
      case 'flatten':
        layer = new Flatten(token, shape);
        break;
      default:
        layer = new ActivationLayer(token, l.kind, shape, sizeOf(shape), backend);
    }
    for (const p of layer.params) offset += p.size;
    shape = layer.outShape;
    layers.push(layer);
  });
  if (shape.length !== 1) {
    throw GlassyError.invalid('model', formatSpec(spec), `a flat output [C] at the end (got [${shape.join(', ')}]; end with flatten-dense(C))`);
  }
  return layers;
}

/** The layout described by built layers. */
export function layoutOf(spec: readonly LayerSpec[], inputShape: Shape, layers: readonly Layer[]): NetworkLayout {
  const infos: LayerInfo[] = layers.map((l, index) => ({
    index, token: l.token, kind: spec[index]!.kind, inShape: [...l.inShape], outShape: [...l.outShape], params: l.params,
  }));
  const tensors = infos.flatMap((l) => l.params);
  const size = tensors.reduce((s, t) => s + t.size, 0);
  return { spec: formatSpec(spec), inputShape: [...inputShape], layers: infos, tensors, size, outputs: layers[layers.length - 1]!.outSize };
}

/** The named layout of θ for a spec (string, token list or preset) on inputs of the given shape. */
export function networkLayout(spec: string | readonly string[] | readonly LayerSpec[], inputShape: Shape): NetworkLayout {
  const parsed = toLayerSpecs(spec);
  return layoutOf(parsed, inputShape, buildLayers(parsed, inputShape, getBackend('reference')));
}

export function toLayerSpecs(spec: string | readonly string[] | readonly LayerSpec[]): LayerSpec[] {
  if (typeof spec === 'string') return parseSpec(spec);
  if (spec.length > 0 && typeof spec[0] === 'object') return [...(spec as readonly LayerSpec[])];
  return parseSpec(spec as readonly string[]);
}
