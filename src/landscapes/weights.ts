/**
 * Network replicas on disk: `replicas/replica-<iiii>.safetensors`, one tensor per layout slice with
 * PyTorch's names and shapes, the architecture in the header metadata (docs/RUN-FORMAT.md), so
 * `safetensors.torch.load_file` gives a state dict an nn.Sequential of nn.Linear loads directly.
 * The replica file I/O of every network protocol (train and import write it; the analyses read it).
 * It sits with the landscapes, not in store/, because it reads their layouts (store/ sits below).
 */
import type { Float } from '../core/backend.js';
import { GlassyError } from '../core/errors.js';
import { refuseNonFinite } from '../core/finite.js';
import { legacyTensorName, mlpLayout, type MlpArchitecture, type MlpLayout } from './mlp/layout.js';
import { networkLayout, type NetworkLayout } from './network/layout.js';
import type { Run } from '../store/run.js';

/** Protocols whose runs hold network replicas in this format: trained, or imported from PyTorch/ONNX. */
export const NETWORK_RUN_PROTOCOLS: readonly string[] = ['train', 'import'];

export function replicaName(index: number): string {
  return `replica-${String(index).padStart(4, '0')}`;
}

/**
 * Writes one replica. An MLP's header carries `glassy.arch` ({sizes, activation, bias, output}); a
 * network given as a layer spec carries `glassy.network` ({spec, inputShape}) and its tensors are
 * named as the nn.Sequential built from the spec (landscapes/network/layout.ts).
 */
export function writeReplicaWeights(run: Run, index: number, layout: MlpLayout | NetworkLayout, theta: Float, seed: number, extra: Record<string, string> = {}): string {
  // A NaN born during training (an overflow under too large a learning rate) can leave the loss
  // finite — ReLU maps NaN to 0 — so the weights themselves are checked before they are kept.
  refuseNonFinite(`replica ${index}`, 'θ', theta, 'the dynamics diverged: lower --lr');
  const tensors: Record<string, { data: Float; shape: number[] }> = {};
  for (const t of layout.tensors) tensors[t.name] = { data: theta.slice(t.offset, t.offset + t.size), shape: t.shape };
  let model: Record<string, string>;
  if ('arch' in layout) {
    const { sizes, activation, bias, output } = layout.arch;
    model = { 'glassy.arch': JSON.stringify({ sizes, activation, bias, output: output ?? 'linear' }) };
  } else {
    model = { 'glassy.network': JSON.stringify({ spec: layout.spec, inputShape: layout.inputShape }) };
  }
  return run.writeTensors(replicaName(index), tensors, {
    ...model,
    'glassy.replica': String(index),
    'glassy.seed': String(seed),
    ...extra,
  });
}

export interface LoadedReplica {
  index: number;
  /** An MLP's layout (`glassy.arch`) or a layer-spec network's (`glassy.network`). */
  layout: MlpLayout | NetworkLayout;
  theta: Float64Array;
}

/** Reads a network replica back as one flat float64 θ, checking every tensor against the layout. */
export function readReplicaWeights(run: Run, index: number): LoadedReplica {
  const name = replicaName(index);
  const { tensors, metadata } = run.readTensors(name);
  const file = `${run.dir}/replicas/${name}.safetensors`;
  if (metadata['glassy.arch'] === undefined && metadata['glassy.network'] !== undefined) {
    const layout = networkLayoutOf(file, metadata['glassy.network']);
    return { index, layout, theta: thetaFrom(file, tensors, layout) };
  }
  let arch: MlpArchitecture;
  try {
    arch = JSON.parse(metadata['glassy.arch'] ?? '') as MlpArchitecture;
  } catch {
    throw GlassyError.invalid(`${file}: metadata glassy.arch`, metadata['glassy.arch'], 'the JSON architecture {sizes, activation, bias} glassy writes');
  }
  const layout = mlpLayout(arch);
  return { index, layout, theta: thetaFrom(file, tensors, layout) };
}

/** The layout of a layer-spec replica from its `glassy.network` metadata ({spec, inputShape}). */
function networkLayoutOf(file: string, json: string): NetworkLayout {
  let meta: { spec?: unknown; inputShape?: unknown };
  try {
    meta = JSON.parse(json) as { spec?: unknown; inputShape?: unknown };
  } catch {
    meta = {};
  }
  if (typeof meta.spec !== 'string' || !Array.isArray(meta.inputShape)) {
    throw GlassyError.invalid(`${file}: metadata glassy.network`, json, 'the JSON {spec, inputShape} glassy writes');
  }
  return networkLayout(meta.spec, meta.inputShape as number[]);
}

/** A replica of a known layout (MLP or layer spec) as one flat float64 θ, every tensor checked. */
export function readReplicaTheta(run: Run, index: number, layout: MlpLayout | NetworkLayout): Float64Array {
  const name = replicaName(index);
  return thetaFrom(`${run.dir}/replicas/${name}.safetensors`, run.readTensors(name).tensors, layout);
}

function thetaFrom(file: string, tensors: Record<string, { data: unknown; shape: number[] }>, layout: MlpLayout | NetworkLayout): Float64Array {
  const theta = new Float64Array(layout.size);
  for (const t of layout.tensors) {
    // MLP files written before the nn.Sequential names: `layers.<l>.*` (landscapes/mlp/layout.ts).
    const legacy = 'arch' in layout ? legacyTensorName(t.name) : undefined;
    const src = tensors[t.name] ?? (legacy === undefined ? undefined : tensors[legacy]);
    if (!src) throw GlassyError.invalid(`${file}: tensor ${t.name}`, 'missing', `a tensor of shape [${t.shape.join(', ')}]`);
    if (src.shape.join(',') !== t.shape.join(',')) {
      throw GlassyError.invalid(`${file}: tensor ${t.name} shape`, `[${src.shape.join(', ')}]`, `[${t.shape.join(', ')}]`);
    }
    theta.set(src.data as Float, t.offset);
  }
  return theta;
}
