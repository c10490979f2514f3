/**
 * Every protocol glassy knows, one line each, every part imported only when used (so `glassy
 * --help` loads no protocol's heavy code). The CLI, `glassy run`, resume, merge, the pool threads
 * and queue workers (which import this module by its URL) and the report all find protocols here;
 * nothing below this file names a protocol.
 *
 * Adding a protocol: its module exports `protocol` (executor/protocol.ts), its report recipe (if
 * any) exports a Recipe; add one line below. See docs/adding-a-protocol.md.
 */
import { type Protocol, type RegistryEntry, createRegistry } from './executor/protocol.js';
import type { WalkConfig } from './protocols/walk.js';
import type { Recipe } from './report/recipes/types.js';

/** A registry line: the protocol, and its report recipe when it has one (report/recipes/). */
export interface Entry extends RegistryEntry {
  recipe?(): Promise<Recipe>;
}

export const entries: Readonly<Record<string, Entry>> = {
  selftest: { protocol: async () => (await import('./protocols/selftest.js')).protocol },
  import: { protocol: async () => (await import('./protocols/import/protocol.js')).protocol },
  train: { protocol: async () => (await import('./protocols/train/protocol.js')).protocol, recipe: async () => (await import('./report/recipes/train.js')).trainRecipe },
  flatness: { protocol: async () => (await import('./protocols/flatness/protocol.js')).protocol },
  l2sweep: { protocol: async () => (await import('./protocols/l2sweep/protocol.js')).protocol, recipe: async () => (await import('./report/recipes/l2sweep.js')).l2sweepRecipe },
  aging: { protocol: async () => (await import('./protocols/aging/protocol.js')).protocol, recipe: async () => (await import('./report/recipes/aging.js')).agingRecipe },
  walk: { protocol: walkProtocol, recipe: async () => (await import('./report/recipes/walk.js')).walkRecipe },
};

export const registry = createRegistry(import.meta.url, entries);

/** The report recipe of a registered protocol (undefined: none registered; report/ then uses its generic one). */
export async function recipeOf(protocol: string): Promise<Recipe | undefined> {
  const entry = Object.hasOwn(entries, protocol) ? entries[protocol] : undefined;
  return entry?.recipe?.();
}

/** The network walk until its module exports its own Protocol object. */
async function walkProtocol(): Promise<Protocol<unknown>> {
  const m = await import('./protocols/walk.js');
  const p: Protocol<WalkConfig> = {
    name: 'walk', schema: m.walkConfigSchema,
    cli: { description: 'random walks from a trained minimum', topLevel: false },
    task: async () => m.task,
  };
  return p as Protocol<unknown>;
}
