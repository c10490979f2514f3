/**
 * Recipes by protocol. To add one: write recipes/<protocol>.ts exporting a Recipe, add a line
 * below. A protocol without a recipe gets the generic one (every 1-D array vs its index).
 */
import { linePlot } from '../plots/line.js';
import type { ItemDef, Recipe } from './types.js';
import { trainRecipe } from './train.js';
import { spinglassRecipe } from './spinglass.js';
import { clusterRecipe } from './cluster.js';
import { agingRecipe } from './aging.js';
import { hessianRecipe } from './hessian.js';
import { pathsRecipe } from './paths.js';
import { walkRecipe } from './walk.js';
import { l2sweepRecipe } from './l2sweep.js';
import { permuteRecipe } from './permute.js';
import { flatnessRecipe } from './flatness.js';
import { surfaceRecipe } from './surface.js';

const RECIPES = new Map<string, Recipe>();

/** Register a recipe (a later registration for the same protocol replaces the earlier one). */
export function registerRecipe(recipe: Recipe): void {
  RECIPES.set(recipe.protocol, recipe);
}

registerRecipe(trainRecipe);
registerRecipe(spinglassRecipe);
registerRecipe(clusterRecipe);
registerRecipe(agingRecipe);
registerRecipe(hessianRecipe);
registerRecipe(pathsRecipe);
// connect writes the paths arrays (docs/run-format/connect.md); permute adds its barriers vs k.
registerRecipe(permuteRecipe);
registerRecipe({ ...pathsRecipe, protocol: 'connect' });
registerRecipe(l2sweepRecipe);
registerRecipe(walkRecipe);
registerRecipe(flatnessRecipe);
registerRecipe(surfaceRecipe);

/** Protocols with a recipe. */
export function knownProtocols(): string[] {
  return [...RECIPES.keys()].sort();
}

/** The recipe for a protocol; unknown protocols get `genericRecipe` over the run's arrays. */
export function recipeFor(protocol: string, arrays: string[] = []): Recipe {
  return RECIPES.get(protocol) ?? genericRecipe(protocol, arrays);
}

/** Every 1-D array against its index: something to look at before a protocol has its recipe. */
export function genericRecipe(protocol: string, arrays: string[]): Recipe {
  const items: ItemDef[] = arrays.map((name) => ({
    kind: 'plot',
    name: name.replace(/[^A-Za-z0-9_.-]/g, '_'),
    title: name,
    requires: [name],
    build(ctx) {
      const a = ctx.array(name);
      if (a.shape.length !== 1) throw new Error(`${name} has shape [${a.shape}]; the generic recipe plots 1-D arrays only`);
      const y = ctx.vec(name);
      return linePlot({ name: name.replace(/[^A-Za-z0-9_.-]/g, '_'), title: name, x: { title: 'index' }, y: { title: name }, series: [{ name, x: y.map((_, i) => i), y }] });
    },
  }));
  return { protocol, description: `No recipe for protocol "${protocol}" yet: every 1-D array against its index.`, items };
}

export type { Recipe, ItemDef, ItemResult, Table } from './types.js';
export { evaluateRecipe, RecipeContext } from './types.js';
