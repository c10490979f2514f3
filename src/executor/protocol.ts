/**
 * The protocol contract: what one paper protocol tells the rest of glassy about itself.
 *
 * A protocol module exports ONE `Protocol` object. It is light — its config schema (zod), its CLI
 * description and how many replicas a config asks for — and loads its heavy half, the replica task
 * (replica.ts), only when a replica runs or the run is finalised: `glassy train --help` needs the
 * schema (for the flags and their defaults), never the network code.
 *
 * The executor (ensemble, runner, pool threads, queue workers, resume, merge) knows protocols only
 * through a `Registry` it is handed — never by importing protocols/ — and the CLI builds every
 * protocol command from the same objects (cli/protocol-command.ts).
 */
import type { ZodType } from 'zod';
import { GlassyError, parseWith } from '../core/errors.js';
import type { ReplicaTask } from './replica.js';

/** A positional argument of the protocol's command, stored at a config field. */
export interface ProtocolArgument {
  /** Shown in usage, e.g. 'run' → `glassy hessian <run>`. */
  readonly name: string;
  /** Config field (dotted path) that receives the value: a string, or a string[] when variadic. */
  readonly field: string;
  readonly description: string;
  /** `<runs...>`: one or more values. */
  readonly variadic?: boolean;
  /** `[run]`: may be left out (the config file or a flag then gives the field). */
  readonly optional?: boolean;
}

/**
 * How one config field appears on the command line, where the schema alone is not enough.
 * Without an entry a leaf field `fooBar` becomes `--foo-bar <value>` with the schema's description
 * (zod `.describe()`/`.meta({ description })`) as help and the schema's default shown.
 */
export interface FlagSpec {
  /** Flag name without dashes (default: the kebab-case field name). */
  readonly flag?: string;
  /** One-letter short form, e.g. 'K' → `-K`. */
  readonly short?: string;
  /** Help text (replaces the schema's description). */
  readonly help?: string;
  /** Placeholder shown in usage: `--lr <eta>` (default: the flag name). */
  readonly value?: string;
  /** Text → value before the schema validates it, e.g. "784-100-10" → [784, 100, 10]. Throw an Error with the expectation. */
  readonly parse?: (text: string) => unknown;
  /** `--walk <runs...>`: the flag takes one or more values (a string[]). */
  readonly variadic?: boolean;
  /** Older names that still work and are not shown in help. */
  readonly aliases?: readonly string[];
}

/** The protocol's command, described; the CLI generates flags, help and the flag → config mapping. */
export interface ProtocolCli {
  /** One line for `glassy --help` and the command's help. */
  readonly description: string;
  /** Also a top-level command `glassy <name>` (besides `glassy run <name>`); default true. */
  readonly topLevel?: boolean;
  readonly arguments?: readonly ProtocolArgument[];
  /** Per config field (dotted path): a FlagSpec, or false for a field with no flag (config file / --set only). */
  readonly flags?: Readonly<Record<string, FlagSpec | false>>;
  /** Named flag groups the CLI adds (cli/flag-groups.ts), e.g. 'data' for the data-set flags. */
  readonly groups?: readonly string[];
  /**
   * A config field (an enum) whose value names the one section of the config in use — aging's
   * `landscape` selects `mlp`, `pspin`, `sk` or `flat`. Flags of the other sections are ignored,
   * and several sections may share one flag (`--n` is pspin.n, sk.n or flat.n).
   */
  readonly sectionBy?: string;
  /** Default of --replicas when K is a flag (no `replicas(config)`); default 1. */
  readonly defaultReplicas?: number;
  /**
   * The config field holding the source run (or runs: the first counts) of an analysis: the default
   * run directory is then `<source>-<name>` beside it; without it, runs/<name>-<UTC time>.
   */
  readonly outFrom?: string;
  /** Lines printed under the one-line result (not with --json), e.g. a table of correlations. */
  readonly describeSummary?: (summary: Record<string, unknown>) => string[];
}

export interface Protocol<C = unknown> {
  /** The name in manifests, `glassy run <name>` and the registry. */
  readonly name: string;
  /** Validates and completes a raw config (defaults filled in). Keep it in a light module: help reads its defaults. */
  readonly schema: ZodType<C>;
  /**
   * Cross-field checks and derived defaults after the schema (throw a GlassyError naming the
   * field). Absent: the schema's output is the config. Must be pure: it runs again on resume.
   */
  check?(config: C): C;
  /**
   * K as the config fixes it (e.g. one replica per source replica); absent, or undefined for a
   * config that does not fix it: K is the `--replicas` flag (the caller's count).
   */
  replicas?(config: C): number | undefined;
  readonly cli: ProtocolCli;
  /** The heavy half: the replica task (run, finalize, validate, estimateMemory). */
  task(): Promise<ReplicaTask<C>>;
}

/** One line per protocol, each part imported only when used. */
export interface RegistryEntry {
  protocol(): Promise<Protocol<unknown>>;
}

/**
 * What the executor is handed: protocols by name. `url` is the module that exports it as
 * `registry`, so a pool thread (or a queue worker) can import the same registry on its side.
 */
export interface Registry {
  readonly url: string;
  names(): string[];
  protocol(name: string): Promise<Protocol<unknown>>;
}

/** A protocol's config from raw input (command line, config file, manifest): schema, then its own checks. */
export function parseConfig<C>(protocol: Protocol<C>, raw: unknown): C {
  const c = parseWith(protocol.schema, raw) as C;
  return protocol.check ? protocol.check(c) : c;
}

/**
 * A Registry over `entries` (name → lazy protocol). `url` must be the URL of the module that
 * exports the result as `registry` (pass `import.meta.url`).
 */
export function createRegistry(url: string, entries: Readonly<Record<string, RegistryEntry>>): Registry {
  const names = Object.keys(entries).sort();
  return {
    url,
    names: () => [...names],
    async protocol(name: string): Promise<Protocol<unknown>> {
      const entry = Object.hasOwn(entries, name) ? entries[name] : undefined;
      if (!entry) throw GlassyError.invalid('protocol', name, `one of ${names.join(', ')}`);
      const p = await entry.protocol();
      // A mismatch would make workers run a different protocol than the manifest names.
      if (p.name !== name) throw GlassyError.invalid(`registry entry "${name}"`, p.name, `a protocol named "${name}"`);
      return p;
    },
  };
}
