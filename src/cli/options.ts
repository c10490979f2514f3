/**
 * Flag parsers and config-file loading shared by every command. Parsers throw commander's
 * InvalidArgumentError, so a bad value gets commander's one-line message naming the option, the
 * value and what was expected, and a non-zero exit.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { createRequire } from 'node:module';
import { GlassyError } from '../core/errors.js';
import * as parse from '../core/parse.js';

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

/** A text parser (core/parse.ts) as a commander argument parser: its error becomes commander's one line. */
function forCommander<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

export const layerSizes = forCommander(parse.layerSizes);
export const intList = forCommander(parse.intList);
export const numberList = forCommander(parse.numberList);
export const betaLadder = forCommander(parse.betaLadder);

/** "a.b=3" → path ["a","b"], value 3 (JSON when it parses as JSON, else the string). */
export function parseSet(text: string): { path: string[]; value: unknown } {
  const eq = text.indexOf('=');
  const key = eq > 0 ? text.slice(0, eq).trim() : '';
  if (!key || key.split('.').some((s) => s === '')) throw GlassyError.invalid('set', text, 'key=value, e.g. --set steps=1000 or --set model.n=64');
  const raw = text.slice(eq + 1);
  let value: unknown = raw;
  try { value = JSON.parse(raw); } catch { /* a bare string */ }
  return { path: key.split('.'), value };
}

export function applySets(config: Record<string, unknown>, sets: string[]): Record<string, unknown> {
  const out = structuredClone(config);
  for (const s of sets) {
    const { path, value } = parseSet(s);
    let node = out;
    for (const k of path.slice(0, -1)) {
      const next = node[k];
      if (next === undefined) node[k] = {};
      else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        throw GlassyError.invalid('set', s, `a key whose parent "${k}" is an object`);
      }
      node = node[k] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
  return out;
}

/** The YAML parser, loaded on the first YAML file (sync require: loadConfigFile stays synchronous). */
function parseYaml(text: string): unknown {
  return (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);
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

/** The default run directory of an analysis of a source run: <source>-<protocol>, beside the source. */
export function derivedRunDir(source: string, protocol: string): string {
  return `${source.replace(/\/+$/, '')}-${protocol}`;
}

/** Prints one JSON object on stdout (the `--json` contract). */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
