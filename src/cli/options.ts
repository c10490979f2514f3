/**
 * Flag parsers and config-file loading shared by every command. Parsers throw commander's
 * InvalidArgumentError, so a bad value gets commander's one-line message naming the option, the
 * value and what was expected, and a non-zero exit.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { GlassyError } from '../core/errors.js';

export function number(value: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v)) throw new InvalidArgumentError(`expected a number, got "${value}"`);
  return v;
}

export function positive(value: string): number {
  const v = number(value);
  if (!(v > 0)) throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return v;
}

export function nonNegative(value: string): number {
  const v = number(value);
  if (!(v >= 0)) throw new InvalidArgumentError(`expected a number ≥ 0, got "${value}"`);
  return v;
}

export function integer(value: string): number {
  const v = number(value);
  if (!Number.isInteger(v)) throw new InvalidArgumentError(`expected an integer, got "${value}"`);
  return v;
}

export function positiveInt(value: string): number {
  const v = integer(value);
  if (v < 1) throw new InvalidArgumentError(`expected an integer ≥ 1, got "${value}"`);
  return v;
}

export function nonNegativeInt(value: string): number {
  const v = integer(value);
  if (v < 0) throw new InvalidArgumentError(`expected an integer ≥ 0, got "${value}"`);
  return v;
}

/** "784-100-10" → [784, 100, 10]. */
export function layerSizes(value: string): number[] {
  const parts = value.split(/[-x,]/);
  const sizes = parts.map((p) => Number(p));
  if (parts.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new InvalidArgumentError(`expected layer sizes like 784-100-10 (at least input and output), got "${value}"`);
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
      if (b < a) throw new InvalidArgumentError(`expected an increasing range, got "${part}"`);
      for (let i = a; i <= b; i++) out.push(i);
      continue;
    }
    const v = Number(part);
    if (part.trim() === '' || !Number.isInteger(v)) throw new InvalidArgumentError(`expected integers like 0,1,2 or 0-4, got "${value}"`);
    out.push(v);
  }
  return out;
}

/** "0.1,0.5,1" → number list. */
export function numberList(value: string): number[] {
  const parts = value.split(',');
  const out = parts.map((p) => Number(p));
  if (parts.some((p) => p.trim() === '') || out.some((v) => !Number.isFinite(v))) {
    throw new InvalidArgumentError(`expected numbers separated by commas, got "${value}"`);
  }
  return out;
}

/** "0:0.1:2e-4" (start:stop:step, inclusive) or "0,1e-3,5e-3" → ascending β ladder. */
export function betaLadder(text: string): number[] {
  const range = /^\s*([^:]+):([^:]+):([^:]+)\s*$/.exec(text);
  if (range) {
    const [a, b, h] = [Number(range[1]), Number(range[2]), Number(range[3])];
    if (![a, b, h].every(Number.isFinite) || a < 0 || !(h > 0) || b < a) {
      throw new InvalidArgumentError(`expected start:stop:step with 0 ≤ start ≤ stop and step > 0, got "${text}"`);
    }
    const n = Math.floor((b - a) / h + 1e-9);
    if (n > 100_000) throw new InvalidArgumentError(`expected at most 100 000 points, got ${n + 1} from "${text}"`);
    // Computed from the index (not by accumulation) so 0:0.1:2e-4 hits its points exactly.
    return Array.from({ length: n + 1 }, (_, i) => Number((a + i * h).toPrecision(12)));
  }
  const list = text.split(',').map((p) => Number(p));
  if (list.length === 0 || list.some((v, i) => !Number.isFinite(v) || v < 0 || (i > 0 && v <= list[i - 1]!))) {
    throw new InvalidArgumentError(`expected an increasing list of β ≥ 0 (e.g. 0,1e-3,2e-3) or start:stop:step, got "${text}"`);
  }
  return list;
}

/** Loads a JSON or YAML config file into a plain object. */
export function loadConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw GlassyError.invalid('--config', path, `a readable JSON or YAML file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let value: unknown;
  try {
    value = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw GlassyError.invalid('--config', path, `valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'} (${(e as Error).message.split('\n')[0]})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw GlassyError.invalid('--config', path, 'a mapping of config fields');
  return value as Record<string, unknown>;
}

/** Deep merge: values of `over` replace those of `base`; nested plain objects merge. */
export function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = isPlain(b) && isPlain(v) ? merge(b, v) : v;
  }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** The default run directory of a protocol: runs/<protocol>-<UTC time, e.g. 20261123-131500>. */
export function defaultRunDir(protocol: string): string {
  return `runs/${protocol}-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}`;
}

/** Prints one JSON object on stdout (the `--json` contract). */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
