/**
 * The one error type users see. It names what was wrong (field), the value given and what was
 * expected; the CLI prints `error: <message>` and exits non-zero — never a stack trace.
 */
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
