/**
 * Flag groups a protocol's CLI description names (`cli.groups`), for config sections that are not
 * one flag per field — the data set is a union of sources (MNIST, teacher–student, files …) whose
 * synthetic forms take their sizes from the model. A group adds its flags and folds the given ones
 * into the raw config; `groups: ['mlp.data']` applies the `data` group to the `mlp` section.
 */
import type { Command } from 'commander';
import { parseSpec } from '../landscapes/network/spec.js';
import { DATA_FLAGS, addDataOptions, dataSpecFrom } from './data-options.js';

export interface FlagGroup {
  add(cmd: Command): void;
  /** Flags (commander's values; undefined = not given) folded into the section's raw config. */
  apply(flags: Record<string, unknown>, section: Record<string, unknown>): Record<string, unknown>;
}

const data: FlagGroup = {
  add: (cmd) => { addDataOptions(cmd); },
  apply(flags, given) {
    const section = withSpecModel(given);
    // Nothing said about the data: the config file's section, or the schema's default, stands.
    if (section['data'] === undefined && DATA_FLAGS.every((k) => flags[k] === undefined)) return section;
    // No model yet (an ONNX import reads it from the graph): image and file sources need no widths.
    const model = modelWidths(section['model'] as { sizes?: unknown; layers?: unknown } | undefined) ?? { inputs: 0, classes: 0 };
    return { ...section, data: dataSpecFrom(flags, section['data'], model) };
  },
};

/** `--model` takes layer sizes or a layer spec (landscapes/model-schema.ts modelFlag): a spec goes to model.layers. */
function withSpecModel(section: Record<string, unknown>): Record<string, unknown> {
  const model = section['model'] as Record<string, unknown> | undefined;
  if (!model || typeof model['sizes'] !== 'string') return section;
  const { sizes, ...rest } = model;
  return { ...section, model: { ...rest, layers: sizes } };
}

/** Input and output widths for the synthetic sources: from the sizes, or (a spec has no input width; image sources give the shape) its last dense layer. */
function modelWidths(model: { sizes?: unknown; layers?: unknown } | undefined): { inputs: number; classes: number } | undefined {
  const sizes = model?.sizes;
  if (Array.isArray(sizes) && sizes.length >= 2) return { inputs: Number(sizes[0]), classes: Number(sizes[sizes.length - 1]) };
  const spec = model?.layers;
  if (typeof spec !== 'string' && !Array.isArray(spec)) return undefined;
  const last = [...parseSpec(spec as string | string[])].reverse().find((l) => l.kind === 'dense');
  return { inputs: 0, classes: last && last.kind === 'dense' ? last.units : 0 };
}

const groups: Readonly<Record<string, FlagGroup>> = { data };

/** The group a `cli.groups` entry names: `data` (at the root) or `section.data`. */
export function flagGroup(entry: string): { group: FlagGroup; at: string[] } {
  const path = entry.split('.');
  const group = groups[path[path.length - 1]!];
  if (!group) throw new Error(`unknown flag group "${entry}"`);
  return { group, at: path.slice(0, -1) };
}

/** Apply a group entry to the whole raw config (at its section). */
export function applyGroup(entry: string, flags: Record<string, unknown>, raw: Record<string, unknown>): Record<string, unknown> {
  const { group, at } = flagGroup(entry);
  if (at.length === 0) return group.apply(flags, raw);
  const out = { ...raw };
  let node = out;
  for (const k of at.slice(0, -1)) {
    node[k] = { ...((node[k] as Record<string, unknown> | undefined) ?? {}) };
    node = node[k] as Record<string, unknown>;
  }
  const last = at[at.length - 1]!;
  const before = node[last] as Record<string, unknown> | undefined;
  const after = group.apply(flags, before ?? {});
  // Nothing said and no section: leave it absent rather than create an empty one.
  if (before === undefined && Object.keys(after).length === 0) return raw;
  node[last] = after;
  return out;
}
