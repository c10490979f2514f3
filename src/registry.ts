/**
 * Every protocol glassy knows, one line each, every part imported only when used (so `glassy
 * --help` loads no protocol's heavy code). The CLI, `glassy run`, resume, merge, the pool threads
 * and queue workers (which import this module by its URL) and the report all find protocols here;
 * nothing below this file names a protocol.
 *
 * Adding a protocol: its module exports `protocol` (executor/protocol.ts), its report recipe (if
 * any) exports a Recipe; add one line below. See docs/adding-a-protocol.md.
 */
import { type RegistryEntry, createRegistry } from './executor/protocol.js';
import type { Recipe } from './report/recipes/types.js';

/** A registry line: the protocol, and its report recipe when it has one (report/recipes/). */
export interface Entry extends RegistryEntry {
  recipe?(): Promise<Recipe>;
}

export const entries: Readonly<Record<string, Entry>> = {
  selftest: { protocol: async () => (await import('./protocols/selftest.js')).protocol },
  import: { protocol: async () => (await import('./protocols/import/protocol.js')).protocol },
  train: { protocol: async () => (await import('./protocols/train/protocol.js')).protocol, recipe: async () => (await import('./report/recipes/train.js')).trainRecipe },
  flatness: { protocol: async () => (await import('./protocols/flatness/protocol.js')).protocol, recipe: async () => (await import('./report/recipes/flatness.js')).flatnessRecipe },
  l2sweep: { protocol: async () => (await import('./protocols/l2sweep/protocol.js')).protocol, recipe: async () => (await import('./report/recipes/l2sweep.js')).l2sweepRecipe },
  aging: { protocol: async () => (await import('./protocols/aging/protocol.js')).protocol, recipe: async () => (await import('./report/recipes/aging.js')).agingRecipe },
  walk: { protocol: async () => (await import('./protocols/walk/protocol.js')).protocol, recipe: async () => (await import('./report/recipes/walk.js')).walkRecipe },
  spinglass: { protocol: async () => (await import('./protocols/spinglass/protocol.js')).protocol, recipe: async () => (await import('./report/recipes/spinglass.js')).spinglassRecipe },
  cluster: { protocol: async () => (await import('./protocols/cluster/protocol.js')).protocol, recipe: async () => (await import('./report/recipes/cluster.js')).clusterRecipe },
  hessian: { protocol: async () => (await import('./protocols/hessian/protocol.js')).protocol, recipe: async () => (await import('./report/recipes/hessian.js')).hessianRecipe },
  permute: { protocol: async () => (await import('./protocols/permute/protocol.js')).protocol, recipe: async () => (await import('./report/recipes/permute.js')).permuteRecipe },
  connect: { protocol: async () => (await import('./protocols/connect/protocol.js')).protocol, recipe: async () => ({ ...(await import('./report/recipes/paths.js')).pathsRecipe, protocol: 'connect' }) },
  surface: { protocol: async () => (await import('./protocols/surface/protocol.js')).protocol, recipe: async () => (await import('./report/recipes/surface.js')).surfaceRecipe },
};

export const registry = createRegistry(import.meta.url, entries);

/** The report recipe of a registered protocol (undefined: none registered; report/ then uses its generic one). */
export async function recipeOf(protocol: string): Promise<Recipe | undefined> {
  const entry = Object.hasOwn(entries, protocol) ? entries[protocol] : undefined;
  return entry?.recipe?.();
}

