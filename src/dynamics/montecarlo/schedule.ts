/**
 * Measurement times. Log-spaced integer grids as in Baity-Jesi et al. (ICML 2018, the DEEP-GLASS code;
 * SCIENCE.md [B]): LogList(x0, xn, n) = unique(round(exp(linspace(ln x0, ln xn, n)))) with 0 prepended.
 */
import { GlassyError } from '../../core/errors.js';

export function logTimes(x0: number, xn: number, n: number): Int32Array {
  if (!(x0 >= 1) || !(xn >= x0)) throw GlassyError.invalid('times', [x0, xn], '1 ≤ first ≤ last');
  if (!Number.isInteger(n) || n < 1) throw GlassyError.invalid('times', n, 'a count ≥ 1');
  const set = new Set<number>([0]);
  const a = Math.log(x0);
  const b = Math.log(xn);
  for (let k = 0; k < n; k++) set.add(Math.round(Math.exp(n === 1 ? b : a + ((b - a) * k) / (n - 1))));
  return Int32Array.from([...set].sort((p, q) => p - q));
}
