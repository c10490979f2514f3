/**
 * Network replicas on disk: `replicas/replica-<iiii>.safetensors`, one tensor per layout slice with
 * PyTorch's names and shapes, the architecture in the header metadata (docs/RUN-FORMAT.md), so
 * `safetensors.torch.load_file` gives a state dict an nn.Sequential of nn.Linear loads directly.
 */
import type { Float } from '../core/backend.js';
import { GlassyError } from '../core/errors.js';
import { refuseNonFinite } from '../core/finite.js';
import { mlpLayout, type MlpArchitecture, type MlpLayout } from '../landscapes/mlp/layout.js';
import type { Run } from '../store/run.js';

export function replicaName(index: number): string {
  return `replica-${String(index).padStart(4, '0')}`;
}

export function writeReplicaWeights(run: Run, index: number, layout: MlpLayout, theta: Float, seed: number, extra: Record<string, string> = {}): string {
  // A NaN born during training (an overflow under too large a learning rate) can leave the loss
  // finite — ReLU maps NaN to 0 — so the weights themselves are checked before they are kept.
  refuseNonFinite(`replica ${index}`, 'θ', theta, 'the dynamics diverged: lower --lr');
  const tensors: Record<string, { data: Float; shape: number[] }> = {};
  for (const t of layout.tensors) tensors[t.name] = { data: theta.slice(t.offset, t.offset + t.size), shape: t.shape };
  const { sizes, activation, bias, output } = layout.arch;
  return run.writeTensors(replicaName(index), tensors, {
    'glassy.arch': JSON.stringify({ sizes, activation, bias, output: output ?? 'linear' }),
    'glassy.replica': String(index),
    'glassy.seed': String(seed),
    ...extra,
  });
}

export interface LoadedReplica {
  index: number;
  layout: MlpLayout;
  theta: Float64Array;
}

/** Reads a network replica back as one flat float64 θ, checking every tensor against the layout. */
export function readReplicaWeights(run: Run, index: number): LoadedReplica {
  const name = replicaName(index);
  const { tensors, metadata } = run.readTensors(name);
  const file = `${run.dir}/replicas/${name}.safetensors`;
  let arch: MlpArchitecture;
  try {
    arch = JSON.parse(metadata['glassy.arch'] ?? '') as MlpArchitecture;
  } catch {
    throw GlassyError.invalid(`${file}: metadata glassy.arch`, metadata['glassy.arch'], 'the JSON architecture {sizes, activation, bias} glassy writes');
  }
  const layout = mlpLayout(arch);
  const theta = new Float64Array(layout.size);
  for (const t of layout.tensors) {
    const src = tensors[t.name];
    if (!src) throw GlassyError.invalid(`${file}: tensor ${t.name}`, 'missing', `a tensor of shape [${t.shape.join(', ')}]`);
    if (src.shape.join(',') !== t.shape.join(',')) {
      throw GlassyError.invalid(`${file}: tensor ${t.name} shape`, `[${src.shape.join(', ')}]`, `[${t.shape.join(', ')}]`);
    }
    theta.set(src.data as Float, t.offset);
  }
  return { index, layout, theta };
}
