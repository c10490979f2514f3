/**
 * A PyTorch state_dict (tensor name → array) onto glassy's flat θ of a known layout.
 *
 * Two key styles are accepted (docs/networks.md, "Import and export"):
 * - nn.Sequential: the keys are exactly the layout's names — one module per spec token, so `0.weight`,
 *   `3.weight`, `7.weight` … (an MLP `784-100-10` is Linear, act, Linear: `0.weight`, `2.weight`).
 * - named modules (`conv1.weight`, `fc1.weight`, `fc1.bias`, …): the modules that own parameters,
 *   in the order their first key appears in the file, are matched one to one, in order, to the
 *   layout's parameterised layers; each module's `weight` (and `bias` when the layout has biases)
 *   must have the layer's PyTorch shape (Linear [out, in], Conv2d [out, in, kH, kW]).
 * Any other key, a missing key or a wrong shape is refused in one line naming the key, its shape and
 * what was expected; non-finite values are refused with their count.
 */
import { GlassyError } from '../core/errors.js';

/** One tensor of a state_dict, as read from a file. */
export interface StateTensor {
  data: ArrayLike<number>;
  shape: number[];
}

/** The slice of θ a tensor fills (the layouts' TensorSlice). */
export interface NamedSlice {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/**
 * The state_dict of a model saved from inside nn.DataParallel or DistributedDataParallel, whose keys
 * all start with `module.` (the wrapper's attribute), with that prefix removed — as PyTorch's
 * consume_prefix_in_state_dict_if_present(sd, "module."). Unchanged unless every key has it.
 */
export function stripDataParallelPrefix(tensors: Readonly<Record<string, StateTensor>>): Record<string, StateTensor> {
  const keys = Object.keys(tensors);
  if (keys.length === 0 || !keys.every((k) => k.startsWith('module.'))) return { ...tensors };
  return Object.fromEntries(keys.map((k) => [k.slice('module.'.length), tensors[k]!]));
}

/**
 * θ (float64) from `tensors` (keys in file order) for a layout whose tensors are `slices` (weight
 * then bias per layer, layers in order). `source` names the file in errors.
 */
export function stateDictToTheta(source: string, tensors: Readonly<Record<string, StateTensor>>, slices: readonly NamedSlice[], size: number): Float64Array {
  const keys = Object.keys(tensors);
  const sequential = slices.every((s) => Object.hasOwn(tensors, s.name));
  const mapping = sequential ? new Map(slices.map((s) => [s.name, s])) : namedMapping(source, keys, tensors, slices);
  const theta = new Float64Array(size);
  for (const key of keys) {
    const t = tensors[key]!;
    const slice = mapping.get(key);
    if (!slice) {
      throw new GlassyError(`${source}: key "${key}" ${fmt(t.shape)}: not a parameter of the model (expected the keys ${slices.map((s) => s.name).join(', ')} or named modules in that order)`, 'key', key, 'a parameter of the model');
    }
    if (t.shape.join(',') !== slice.shape.join(',')) {
      throw new GlassyError(`${source}: key "${key}": got shape ${fmt(t.shape)}, expected ${fmt(slice.shape)} (model tensor ${slice.name})`, 'key', key, fmt(slice.shape));
    }
    let bad = 0;
    for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i]!)) bad++;
    if (bad > 0) throw new GlassyError(`${source}: key "${key}": ${bad} non-finite value${bad === 1 ? '' : 's'} (NaN or ±Inf), expected finite weights`, 'key', key, 'finite values');
    for (let i = 0; i < slice.size; i++) theta[slice.offset + i] = t.data[i]!;
  }
  return theta;
}

/** Named-module keys → slices: modules in order of first appearance matched to parameterised layers. */
function namedMapping(source: string, keys: readonly string[], tensors: Readonly<Record<string, StateTensor>>, slices: readonly NamedSlice[]): Map<string, NamedSlice> {
  // Layers of the layout: consecutive slices of one module prefix ("3.weight", "3.bias" → "3").
  const layers: NamedSlice[][] = [];
  for (const s of slices) {
    const prefix = modulePrefix(s.name);
    const last = layers[layers.length - 1];
    if (last && modulePrefix(last[0]!.name) === prefix) last.push(s);
    else layers.push([s]);
  }
  const modules: string[] = [];
  for (const k of keys) {
    const p = modulePrefix(k);
    if (!modules.includes(p)) modules.push(p);
  }
  const map = new Map<string, NamedSlice>();
  modules.forEach((m, i) => {
    const layer = layers[i];
    const first = keys.find((k) => modulePrefix(k) === m)!;
    if (!layer) {
      throw new GlassyError(`${source}: key "${first}" ${fmt(tensors[first]!.shape)}: module "${m}" is parameterised module ${i + 1}, but the model has ${layers.length}`, 'key', first, `${layers.length} parameterised modules`);
    }
    for (const s of layer) {
      const key = `${m === '' ? '' : `${m}.`}${s.name.slice(modulePrefix(s.name).length + 1)}`;
      if (!Object.hasOwn(tensors, key)) {
        throw new GlassyError(`${source}: key "${key}" missing: expected a tensor of shape ${fmt(s.shape)} (model tensor ${s.name}; named modules match the model's parameterised layers in order)`, 'key', key, fmt(s.shape));
      }
      map.set(key, s);
    }
  });
  if (modules.length < layers.length) {
    const s = layers[modules.length]![0]!;
    throw new GlassyError(`${source}: ${modules.length} parameterised modules, expected ${layers.length}: nothing for model tensor ${s.name} ${fmt(s.shape)}`, 'key', s.name, fmt(s.shape));
  }
  return map;
}

function modulePrefix(key: string): string {
  const i = key.lastIndexOf('.');
  return i < 0 ? '' : key.slice(0, i);
}
