/**
 * ONNX graphs of glassy's layer set → a layer spec and a state_dict named as its nn.Sequential.
 *
 * The graph is decoded with protobufjs against the message subset of onnx.proto in onnx-schema.ts
 * and read as one chain of nodes in graph order: Conv, MaxPool, AveragePool, Flatten (or Reshape to
 * [N, -1]), Gemm (or MatMul followed by Add), Relu, Tanh, Sigmoid; the weights are the graph's
 * initializers. Each node is one spec token (MatMul+Add together one `dense`), so token i's tensors
 * are `i.weight`, `i.bias` in PyTorch's layouts (Conv OIHW, Linear [out, in]: a Gemm with transB=0 or
 * a MatMul stores [in, out] and is transposed). At inference a BatchNormalization right after a Conv
 * or Gemm is folded into it (batchnorm.ts, with the node's epsilon); Dropout and Identity are the
 * identity. None of them is a token. Any other op is refused by name in one line.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { GlassyError } from '../core/errors.js';
import { foldBatchNorm } from './batchnorm.js';
import { ONNX_SCHEMA } from './onnx-schema.js';
import type { StateTensor } from './state-dict.js';

const SUPPORTED = 'Conv, MaxPool, AveragePool, Flatten, Reshape, Gemm, MatMul+Add, Relu, Tanh, Sigmoid; BatchNormalization after Conv/Gemm, Dropout, Identity';

interface Tensor { dims: number[]; dataType: number; floatData: number[]; doubleData: number[]; int64Data: number[]; name: string; rawData: Uint8Array }
interface Attribute { name: string; f: number; i: number; ints: number[]; type: number }
interface Node { input: string[]; output: string[]; name: string; opType: string; attribute: Attribute[] }
interface Graph { node: Node[]; initializer: Tensor[] }

let modelType: protobuf.Type | undefined;

function decodeGraph(file: string): Graph {
  let buf: Uint8Array;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw GlassyError.invalid('file', file, `a readable .onnx file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  modelType ??= protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto');
  let model: { graph?: Graph };
  try {
    model = modelType.toObject(modelType.decode(buf), { longs: Number, arrays: true, defaults: true }) as { graph?: Graph };
  } catch (e) {
    throw new GlassyError(`${file}: not a valid ONNX model (${(e as Error).message})`, 'file', file, 'an ONNX ModelProto');
  }
  if (!model.graph || model.graph.node.length === 0) throw new GlassyError(`${file}: the ONNX model has no graph nodes`, 'file', file, 'an ONNX graph');
  return model.graph;
}

/** A float initializer's values (FLOAT = 1, DOUBLE = 11 in TensorProto.DataType). */
function values(file: string, t: Tensor): Float64Array {
  const n = t.dims.reduce((a, b) => a * b, 1);
  let out: Float64Array;
  if (t.dataType === 1 || t.dataType === 11) {
    const size = t.dataType === 1 ? 4 : 8;
    if (t.rawData.byteLength > 0) {
      if (t.rawData.byteLength !== n * size) throw new GlassyError(`${file}: initializer "${t.name}" has ${t.rawData.byteLength} bytes for shape [${t.dims.join(', ')}]`, 'file', file, `${n * size} bytes`);
      const dv = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
      out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = size === 4 ? dv.getFloat32(i * size, true) : dv.getFloat64(i * size, true);
    } else {
      out = Float64Array.from(t.dataType === 1 ? t.floatData : t.doubleData);
    }
  } else if (t.dataType === 7) {
    out = Float64Array.from(t.int64Data.length > 0 ? t.int64Data : int64s(t.rawData));
  } else {
    throw new GlassyError(`${file}: initializer "${t.name}" has ONNX data type ${t.dataType}, expected float (1) or double (11)`, 'file', file, 'float or double weights');
  }
  if (out.length !== n) throw new GlassyError(`${file}: initializer "${t.name}" has ${out.length} values for shape [${t.dims.join(', ')}]`, 'file', file, `${n} values`);
  return out;
}

function int64s(raw: Uint8Array): number[] {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: raw.byteLength / 8 }, (_, i) => Number(dv.getBigInt64(i * 8, true)));
}

function transpose(v: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(v.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = v[r * cols + c]!;
  return out;
}

/** The spec tokens and tensors of a graph (both exported through onnxSpec / onnxStateDict). */
function readOnnx(file: string): { tokens: string[]; tensors: Record<string, StateTensor> } {
  const graph = decodeGraph(file);
  const init = new Map(graph.initializer.map((t) => [t.name, t]));
  const constants = new Map<string, Tensor>();
  const tokens: string[] = [];
  const tensors: Record<string, StateTensor> = {};
  const refuse = (node: Node, what: string): never => {
    throw new GlassyError(`${file}: ONNX node ${node.name ? `"${node.name}" ` : ''}(${node.opType}): ${what}`, 'file', file, `a graph of ${SUPPORTED}`);
  };
  const attr = (node: Node, name: string): Attribute | undefined => node.attribute.find((a) => a.name === name);
  const ints = (node: Node, name: string, dflt: number[]): number[] => attr(node, name)?.ints ?? dflt;
  const int = (node: Node, name: string, dflt: number): number => (attr(node, name) ? attr(node, name)!.i : dflt);
  const weight = (node: Node, at: number): Tensor => {
    const t = init.get(node.input[at] ?? '');
    if (!t) return refuse(node, `input ${at + 1} "${node.input[at] ?? ''}" is not an initializer (glassy reads weights stored in the graph)`);
    return t;
  };
  // A Conv or Gemm without a bias input (Conv2d(bias=False)) is the layer with bias 0: exact.
  const bias = (node: Node, at: number, out: number): StateTensor => {
    if (!node.input[at]) return { data: new Float64Array(out), shape: [out] };
    const b = weight(node, at);
    return { data: values(file, b), shape: b.dims.length === 1 ? b.dims : [out] };
  };
  const square = (node: Node, name: string, v: number[]): number => {
    if (v.length !== 2 || v[0] !== v[1]) refuse(node, `${name} [${v.join(', ')}]: expected two equal values`);
    return v[0]!;
  };
  const noPads = (node: Node): void => {
    if (ints(node, 'pads', [0, 0, 0, 0]).some((p) => p !== 0)) refuse(node, `pads [${ints(node, 'pads', []).join(', ')}]: expected none`);
    if (int(node, 'ceil_mode', 0) !== 0) refuse(node, 'ceil_mode 1: expected floor (0), as PyTorch\'s default');
  };
  const nodes = graph.node;
  for (let n = 0; n < nodes.length; n++) {
    const node = nodes[n]!;
    const i = tokens.length;
    switch (node.opType) {
      case 'Constant': {
        const t = attr(node, 'value');
        if (!t) refuse(node, 'a Constant without a tensor value');
        constants.set(node.output[0]!, (t as unknown as { t: Tensor }).t);
        continue;
      }
      case 'Conv': {
        const w = weight(node, 1);
        const k = square(node, 'kernel_shape', ints(node, 'kernel_shape', w.dims.slice(2)));
        const s = square(node, 'strides', ints(node, 'strides', [1, 1]));
        const pads = ints(node, 'pads', [0, 0, 0, 0]);
        if (pads.some((p) => p !== pads[0])) refuse(node, `pads [${pads.join(', ')}]: expected equal padding on every side`);
        if (ints(node, 'dilations', [1, 1]).some((d) => d !== 1)) refuse(node, 'dilations: expected 1');
        if (int(node, 'group', 1) !== 1) refuse(node, 'group: expected 1');
        tokens.push(`conv(${w.dims[0]},${k},${s},${pads[0] ?? 0})`);
        tensors[`${i}.weight`] = { data: values(file, w), shape: w.dims };
        tensors[`${i}.bias`] = bias(node, 2, w.dims[0]!);
        break;
      }
      case 'MaxPool':
      case 'AveragePool': {
        const k = square(node, 'kernel_shape', ints(node, 'kernel_shape', []));
        const s = square(node, 'strides', ints(node, 'strides', [1, 1]));
        noPads(node);
        tokens.push(`${node.opType === 'MaxPool' ? 'maxpool' : 'avgpool'}(${k},${s})`);
        break;
      }
      case 'Flatten':
        if (int(node, 'axis', 1) !== 1) refuse(node, `axis ${int(node, 'axis', 1)}: expected 1 (keep the batch axis)`);
        tokens.push('flatten');
        break;
      case 'Reshape': {
        const shapeT = init.get(node.input[1] ?? '') ?? constants.get(node.input[1] ?? '');
        const shape = shapeT ? Array.from(values(file, shapeT)) : [];
        if (shape.length !== 2 || shape[1] !== -1) refuse(node, `shape [${shape.join(', ')}]: expected a flatten to [N, -1]`);
        tokens.push('flatten');
        break;
      }
      case 'Gemm': {
        const w = weight(node, 1);
        if (int(node, 'transA', 0) !== 0) refuse(node, 'transA 1: expected 0');
        const alpha = attr(node, 'alpha')?.f ?? 1, beta = attr(node, 'beta')?.f ?? 1;
        if ((attr(node, 'alpha') && alpha !== 1) || (attr(node, 'beta') && beta !== 1)) refuse(node, `alpha ${alpha}, beta ${beta}: expected 1`);
        const transB = int(node, 'transB', 0) === 1;
        const [r, c] = w.dims as [number, number];
        const out = transB ? r : c, inp = transB ? c : r;
        tokens.push(`dense(${out})`);
        tensors[`${i}.weight`] = { data: transB ? values(file, w) : transpose(values(file, w), r, c), shape: [out, inp] };
        tensors[`${i}.bias`] = bias(node, 2, out);
        break;
      }
      case 'MatMul': {
        const w = weight(node, 1);
        const add = nodes[n + 1];
        if (!add || add.opType !== 'Add' || !add.input.includes(node.output[0]!)) refuse(node, 'a MatMul not followed by the Add of its bias');
        const b = init.get(add!.input.find((x) => x !== node.output[0]) ?? '');
        if (!b) refuse(add!, 'the bias of a MatMul is not an initializer');
        const [inp, out] = w.dims as [number, number];
        tokens.push(`dense(${out})`);
        tensors[`${i}.weight`] = { data: transpose(values(file, w), inp, out), shape: [out, inp] };
        tensors[`${i}.bias`] = { data: values(file, b!), shape: b!.dims };
        n++;
        break;
      }
      case 'BatchNormalization': {
        const prev = tokens[i - 1] ?? '';
        if (!prev.startsWith('conv(') && !prev.startsWith('dense(')) refuse(node, `after ${prev === '' ? 'the input' : `"${prev}"`}: glassy folds a BatchNormalization only into the Conv or Gemm right before it`);
        if (int(node, 'training_mode', 0) !== 0) refuse(node, 'training_mode 1: expected an inference graph (export in eval mode)');
        const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((k) => values(file, weight(node, k)));
        const w = `${i - 1}.weight`, b = `${i - 1}.bias`;
        const f = foldBatchNorm(`${file}: ONNX node ${node.name ? `"${node.name}" ` : ''}(BatchNormalization)`, tensors[w]!, tensors[b] ?? null, {
          gamma: gamma!, beta: beta!, mean: mean!, variance: variance!, eps: attr(node, 'epsilon')?.f ?? 1e-5,
        });
        tensors[w] = f.weight;
        tensors[b] = f.bias;
        continue;
      }
      case 'Identity': {
        // PyTorch's exporter aliases equal initializers (an untrained BN's weight and running_var) by Identity.
        const t = init.get(node.input[0] ?? '') ?? constants.get(node.input[0] ?? '');
        if (t) init.set(node.output[0]!, t);
        continue;
      }
      case 'Dropout':
        // Identity at inference (ONNX Dropout with training_mode false; PyTorch's eval mode).
        continue;
      case 'Relu':
      case 'Tanh':
      case 'Sigmoid':
        tokens.push(node.opType.toLowerCase());
        break;
      default:
        refuse(node, `op ${node.opType} is not supported (supported: ${SUPPORTED})`);
    }
  }
  return { tokens, tensors };
}

/** The layer spec of an ONNX graph, e.g. `conv(4,5,1,0)-maxpool(2,2)-relu-flatten-dense(10)`. */
export function onnxSpec(file: string): string {
  return readOnnx(file).tokens.join('-');
}

/** The graph's weights as the state_dict of the nn.Sequential of onnxSpec (keys `i.weight`, `i.bias`). */
export function onnxStateDict(file: string): Record<string, StateTensor> {
  return readOnnx(file).tensors;
}
