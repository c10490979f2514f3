/**
 * A recipe turns a run's named arrays into plots and tables. Each item names the arrays it needs;
 * a run lacking one (or holding one of the wrong shape) gets that item listed as "not available"
 * with the reason — a report never fails because a protocol stopped early or predates an array.
 */
import type { Plot } from '../spec.js';
import type { ArrayView, ManifestView, RunSource } from '../source.js';

/** A table for the page (key figures, per-replica results). */
export interface Table {
  name: string;
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
  caption?: string;
}

/** A recipe item: a plot or a table, built from arrays. */
export interface ItemDef {
  kind: 'plot' | 'table';
  name: string;
  title: string;
  /** Arrays the item cannot do without (listed in the docs and in "not available" notes). */
  requires: string[];
  build(ctx: RecipeContext): Plot | Table;
}

export interface Recipe {
  protocol: string;
  description: string;
  items: readonly ItemDef[];
}

/** Outcome of one item on one run. */
export type ItemResult =
  | { kind: 'plot'; name: string; title: string; status: 'ok'; plot: Plot }
  | { kind: 'table'; name: string; title: string; status: 'ok'; table: Table }
  | { kind: 'plot' | 'table'; name: string; title: string; status: 'unavailable'; reason: string };

/** Thrown inside a build for a shape/content problem: becomes the "not available" reason. */
export class RecipeDataError extends Error {}

/**
 * Array access for builders: cached reads, shape checks that explain themselves, and conversion
 * to Float64Array so builders do arithmetic in one type.
 */
export class RecipeContext {
  private cache = new Map<string, ArrayView>();

  constructor(readonly run: RunSource) {}

  get manifest(): ManifestView {
    return this.run.manifest;
  }

  has(name: string): boolean {
    return this.cache.has(name) || this.run.hasArray(name);
  }

  array(name: string): ArrayView {
    let a = this.cache.get(name);
    if (!a) {
      if (!this.run.hasArray(name)) throw new RecipeDataError(`missing array ${name}`);
      a = this.run.readArray(name);
      this.cache.set(name, a);
    }
    return a;
  }

  /** A 1-D array (optionally of a given length), as float64. */
  vec(name: string, length?: number): Float64Array {
    const a = this.array(name);
    if (a.shape.length !== 1) throw new RecipeDataError(`${name} has shape [${a.shape}], expected 1-D`);
    if (length !== undefined && a.shape[0] !== length) {
      throw new RecipeDataError(`${name} has ${a.shape[0]} values, expected ${length}`);
    }
    return Float64Array.from(a.data as ArrayLike<number>);
  }

  /** A 2-D array [rows, cols] (either may be checked), as row-major float64. */
  mat(name: string, rows?: number, cols?: number): { data: Float64Array; rows: number; cols: number } {
    const a = this.array(name);
    if (a.shape.length !== 2) throw new RecipeDataError(`${name} has shape [${a.shape}], expected 2-D`);
    const [r, c] = a.shape as [number, number];
    if ((rows !== undefined && r !== rows) || (cols !== undefined && c !== cols)) {
      throw new RecipeDataError(`${name} has shape [${r}, ${c}], expected [${rows ?? 'any'}, ${cols ?? 'any'}]`);
    }
    return { data: Float64Array.from(a.data as ArrayLike<number>), rows: r, cols: c };
  }

  /**
   * A 1-D array, or the rows of an N-D array (all leading axes flattened, row-major): rows × cols
   * with rows = 1 for 1-D and cols = the last axis.
   */
  rowsOf(name: string, cols?: number): { data: Float64Array; rows: number; cols: number } {
    const a = this.array(name);
    if (a.shape.length === 1) {
      const v = this.vec(name, cols);
      return { data: v, rows: 1, cols: v.length };
    }
    if (a.shape.length === 2) return this.mat(name, undefined, cols);
    const c = a.shape[a.shape.length - 1]!;
    if (cols !== undefined && c !== cols) throw new RecipeDataError(`${name} has shape [${a.shape}], expected a last axis of ${cols}`);
    return { data: Float64Array.from(a.data as ArrayLike<number>), rows: a.data.length / c, cols: c };
  }

  /** The summary entry `key` of the manifest, if any. */
  summary(key: string): unknown {
    return this.manifest.summary?.[key];
  }
}

/** Row r of a row-major matrix. */
export function row(m: { data: Float64Array; cols: number }, r: number): Float64Array {
  return m.data.subarray(r * m.cols, (r + 1) * m.cols);
}

/** Run every item of a recipe; each failure is contained to its item. */
export function evaluateRecipe(recipe: Recipe, run: RunSource): ItemResult[] {
  const ctx = new RecipeContext(run);
  return recipe.items.map((item): ItemResult => {
    const missing = item.requires.filter((n) => !ctx.has(n));
    if (missing.length > 0) {
      return { kind: item.kind, name: item.name, title: item.title, status: 'unavailable', reason: `missing array${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` };
    }
    try {
      const out = item.build(ctx);
      // The item's name names the files (plots/<name>.svg): keep plot and item names identical.
      if (item.kind === 'plot') return { kind: 'plot', name: item.name, title: item.title, status: 'ok', plot: { ...(out as Plot), name: item.name } };
      return { kind: 'table', name: item.name, title: item.title, status: 'ok', table: out as Table };
    } catch (e) {
      // Data problems (wrong shape, unreadable file) make this item unavailable, not the report.
      const msg = e instanceof Error ? e.message : String(e);
      return { kind: item.kind, name: item.name, title: item.title, status: 'unavailable', reason: msg };
    }
  });
}
