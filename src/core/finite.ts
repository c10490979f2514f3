/**
 * Non-finite values are refused, not analysed: a NaN weight goes through ReLU (`v > 0 ? v : 0`) as
 * 0 and every downstream number comes out finite and wrong. Loaders and writers call this once
 * per array, so the user reads one line naming the file, the key and how many values are bad.
 */
import { GlassyError } from './errors.js';

export interface NonFinite {
  nan: number;
  posInf: number;
  negInf: number;
}

/** Counts of NaN, +Inf and −Inf in an array (integer arrays are always finite). */
export function countNonFinite(a: ArrayLike<number>): NonFinite {
  const c = { nan: 0, posInf: 0, negInf: 0 };
  if (!(a instanceof Float32Array || a instanceof Float64Array || Array.isArray(a))) return c;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v - v !== 0) {
      if (v !== v) c.nan++;
      else if (v > 0) c.posInf++;
      else c.negInf++;
    }
  }
  return c;
}

/** Throws one line "<source>: <key> has k non-finite values (…) of n; <advice>" when any. */
export function refuseNonFinite(source: string, key: string, a: ArrayLike<number>, advice = 'non-finite values are refused, not analysed'): void {
  const c = countNonFinite(a);
  const k = c.nan + c.posInf + c.negInf;
  if (k === 0) return;
  const parts = [c.nan ? `${c.nan} NaN` : '', c.posInf ? `${c.posInf} +Inf` : '', c.negInf ? `${c.negInf} −Inf` : ''].filter(Boolean).join(', ');
  throw new GlassyError(`${source}: ${key} has ${k} non-finite value${k === 1 ? '' : 's'} (${parts}) of ${a.length}; ${advice}`, key, k, 'finite values');
}
