/**
 * Text → value for the compact forms users type (layer sizes, integer lists and ranges, β ladders).
 * Each throws an Error whose message says what was expected; the CLI turns it into its one-line
 * usage error. Protocols name these in their CLI description (executor/protocol.ts FlagSpec.parse).
 */

/** "784-100-10" → [784, 100, 10]. */
export function layerSizes(value: string): number[] {
  const parts = value.split(/[-x,]/);
  const sizes = parts.map((p) => Number(p));
  if (parts.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new Error(`expected layer sizes like 784-100-10 (at least input and output), got "${value}"`);
  }
  return sizes;
}

/** "0,1,2" or "0-4" → integer list. */
export function intList(value: string): number[] {
  const out: number[] = [];
  for (const part of value.split(',')) {
    const range = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(part);
    if (range) {
      const a = Number(range[1]), b = Number(range[2]);
      if (b < a) throw new Error(`expected an increasing range, got "${part}"`);
      for (let i = a; i <= b; i++) out.push(i);
      continue;
    }
    const v = Number(part);
    if (part.trim() === '' || !Number.isInteger(v)) throw new Error(`expected integers like 0,1,2 or 0-4, got "${value}"`);
    out.push(v);
  }
  return out;
}

/** "0.1,0.5,1" → number list. */
export function numberList(value: string): number[] {
  const parts = value.split(',');
  const out = parts.map((p) => Number(p));
  if (parts.some((p) => p.trim() === '') || out.some((v) => !Number.isFinite(v))) {
    throw new Error(`expected numbers separated by commas, got "${value}"`);
  }
  return out;
}

/** "0:0.1:2e-4" (start:stop:step, inclusive) or "0,1e-3,5e-3" → ascending β ladder. */
export function betaLadder(text: string): number[] {
  const range = /^\s*([^:]+):([^:]+):([^:]+)\s*$/.exec(text);
  if (range) {
    const [a, b, h] = [Number(range[1]), Number(range[2]), Number(range[3])];
    if (![a, b, h].every(Number.isFinite) || a < 0 || !(h > 0) || b < a) {
      throw new Error(`expected start:stop:step with 0 ≤ start ≤ stop and step > 0, got "${text}"`);
    }
    const n = Math.floor((b - a) / h + 1e-9);
    if (n > 100_000) throw new Error(`expected at most 100 000 points, got ${n + 1} from "${text}"`);
    // Computed from the index (not by accumulation) so 0:0.1:2e-4 hits its points exactly.
    return Array.from({ length: n + 1 }, (_, i) => Number((a + i * h).toPrecision(12)));
  }
  const list = text.split(',').map((p) => Number(p));
  if (list.length === 0 || list.some((v, i) => !Number.isFinite(v) || v < 0 || (i > 0 && v <= list[i - 1]!))) {
    throw new Error(`expected an increasing list of β ≥ 0 (e.g. 0,1e-3,2e-3) or start:stop:step, got "${text}"`);
  }
  return list;
}

