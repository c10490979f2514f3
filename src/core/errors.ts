/**
 * The one error type users see. It names what was wrong (field), the value given and what was
 * expected; the CLI prints `error: <message>` and exits non-zero — never a stack trace.
 */
import type { ZodType, core, output } from 'zod';

type ZodIssue = core.$ZodIssue;
export class GlassyError extends Error {
  constructor(
    message: string,
    readonly field?: string,
    readonly value?: unknown,
    readonly expected?: string,
  ) {
    super(message);
    this.name = 'GlassyError';
  }

  /** `<field>: got <value>, expected <expected>` — the house style for bad input. */
  static invalid(field: string, value: unknown, expected: string): GlassyError {
    return new GlassyError(`${field}: got ${show(value)}, expected ${expected}`, field, value, expected);
  }
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  try {
    const s = JSON.stringify(v);
    return s.length > 80 ? s.slice(0, 77) + '...' : s;
  } catch {
    return String(v);
  }
}

/**
 * The one zod → GlassyError converter: parse `raw` with `schema`, or throw ONE sentence naming the
 * field (dotted path, under `prefix` when given), the value found there and what was expected —
 * `optimizer.lr: got -1, expected a number > 0`. Only the first issue is reported: it is the one to
 * fix first, and a list of consequences of one typo helps nobody.
 */
export function parseWith<S extends ZodType>(schema: S, raw: unknown, prefix?: string): output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  throw issueError(r.error.issues[0]!, raw, prefix);
}

/** One zod issue → the house-style GlassyError (exported for schemas parsed by other means). */
export function issueError(issue: ZodIssue, raw: unknown, prefix?: string): GlassyError {
  let path = issue.path.map(String);
  let value: unknown = raw;
  for (const k of path) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[k] : undefined;
  let expected = expectation(issue);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    path = [...path, key];
    expected = 'no such field (a typo?)';
  }
  const field = [prefix, ...path].filter((s) => s !== undefined && s !== '').join('.') || 'config';
  return GlassyError.invalid(field, value, expected);
}

/** What zod wanted, as the object of "expected …" (zod's own messages are two sentences glued). */
function expectation(issue: ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'undefined' ? 'no value' : article(issue.expected);
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      const op = small ? (issue.inclusive ? '≥' : '>') : (issue.inclusive ? '≤' : '<');
      const word = small ? (issue.inclusive ? 'at least' : 'more than') : (issue.inclusive ? 'at most' : 'fewer than');
      switch (issue.origin) {
        case 'array': case 'set': return `${word} ${bound} item${bound === 1 ? '' : 's'}`;
        case 'string': return `${word} ${bound} character${bound === 1 ? '' : 's'}`;
        case 'bigint': case 'number': return `a number ${op} ${bound}`;
        default: return `a value ${op} ${bound}`;
      }
    }
    case 'invalid_value':
      return issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'not_multiple_of':
      return `a multiple of ${String(issue.divisor)}`;
    case 'invalid_format':
      return `a string in ${issue.format} format`;
    case 'invalid_union': {
      // A discriminated union's tag: zod lists the allowed values in its message as 'a' | 'b'.
      const names = [...issue.message.matchAll(/'([^']*)'/g)].map((m) => JSON.stringify(m[1]));
      if (names.length > 0) return `one of ${names.join(', ')}`;
      return issue.message.replace(/^Invalid input:?\s*/i, '') || 'one of the allowed forms';
    }
    default:
      return issue.message.replace(/^(Invalid input|Too small|Too big|Invalid option)[:.]\s*(expected\s*)?/i, '');
  }
}

function article(type: string): string {
  const t = type === 'int' ? 'integer' : type;
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}
