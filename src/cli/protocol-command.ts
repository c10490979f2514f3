/**
 * Every protocol command, built from its Protocol object (executor/protocol.ts): the flags, their
 * help (with every default from the zod schema, and what is required) and the flag → config
 * mapping come from the schema and the protocol's CLI description, so no command repeats them by
 * hand. `glassy run NAME` and `glassy NAME` are the same command.
 *
 * The one command runner (`runProtocol`) validates everything — config, K, the task's own checks
 * (data, source runs), executor options, --max-memory — BEFORE the run directory is created, so a
 * refused run leaves nothing behind; then it runs the ensemble, prints one line (or `--json`) and
 * writes the report.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { toJSONSchema } from 'zod';
import { GlassyError } from '../core/errors.js';
import type { Run } from '../store/run.js';
import * as parse from '../core/parse.js';
import { type Protocol, type Registry, parseConfig } from '../executor/protocol.js';
import type { FlagSpec } from '../executor/protocol.js';
import { type ExecutorOptions, addExecutorFlags, executorOptionsFrom } from './executor-flags.js';
import { applyGroup, flagGroup } from './flag-groups.js';
import { applySets, defaultRunDir, derivedRunDir, loadConfigFile, merge, printJson } from './options.js';
import { type CommandResult, reportResult } from './result.js';

/** Flags every protocol command has; a schema field that would take one of these names gets no flag. */
const COMMON = new Set([
  'config', 'set', 'seed', 'replicas', 'out', 'overwrite', 'prepare', 'json', 'report', 'no-report', 'help', 'version',
  'executor', 'workers', 'shard', 'redis', 'queue', 'attempts', 'backoff', 'checkpoint-every', 'max-memory',
  'restart-corrupt', 'progress', 'redis-timeout',
]);

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  default?: unknown;
  description?: string;
  const?: unknown;
};

/** One generated flag: where its value goes and how its text is read. */
export interface FieldFlag {
  path: string[];
  flag: string;
  /** commander's attribute name for the flag. */
  key: string;
  help: string;
  value: string;
  kind: 'boolean' | 'negatable' | 'value';
  choices?: string[];
  parse?: (text: string) => unknown;
  aliases: string[];
  short?: string;
  variadic?: boolean;
  /** The field takes one number (a shared list flag then gives it a one-element list's value). */
  scalar?: boolean;
  /** The nearest enclosing object with a default: a flag inside it overrides that default field by field. */
  section?: { path: string[]; value: Record<string, unknown> };
}

export function kebab(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/_/g, '-').toLowerCase();
}

function camel(s: string): string {
  return s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** T or T | null: the non-null branch (a nullable number is still a number flag). */
function unwrapNullable(s: JsonSchema): JsonSchema | null {
  const alt = s.anyOf ?? s.oneOf;
  if (!alt) return s;
  const nonNull = alt.filter((a) => a.type !== 'null');
  return nonNull.length === 1 ? { ...nonNull[0], default: s.default, description: s.description ?? nonNull[0]!.description } : null;
}

function showDefault(v: unknown): string {
  if (Array.isArray(v)) return v.length === 0 ? 'none' : v.join(',');
  if (v === null) return 'none';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function numberParser(integer: boolean, flag: string) {
  return (text: string): number => {
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
      throw new InvalidArgumentError(`expected ${integer ? 'an integer' : 'a number'} for --${flag}, got "${text}"`);
    }
    return v;
  };
}

function listParser(item: JsonSchema): (text: string) => unknown[] {
  if (item.type === 'integer') return parse.intList;
  if (item.type === 'number') return parse.numberList;
  return (text) => text.split(',').map((p) => p.trim());
}

/** The leaf fields of a protocol's schema, as flags (schema + the CLI description's overrides). */
export function fieldFlags(protocol: Protocol): FieldFlag[] {
  const root = toJSONSchema(protocol.schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const overrides = protocol.cli.flags ?? {};
  const positional = new Set((protocol.cli.arguments ?? []).map((a) => a.field));
  type Section = FieldFlag['section'];
  const leaves: Array<{ path: string[]; schema: JsonSchema; required: boolean; section: Section }> = [];
  const walk = (s: JsonSchema, path: string[], required: boolean, section: Section): void => {
    for (const [key, child0] of Object.entries(s.properties ?? {})) {
      const p = [...path, key];
      const req = required && (s.required ?? []).includes(key) && child0.default === undefined;
      if (overrides[p.join('.')] === false || positional.has(p.join('.'))) continue;
      const child = unwrapNullable(child0);
      if (child?.type === 'object' && child.properties && !overrides[p.join('.')]) {
        const d = child.default;
        walk(child, p, req, d && typeof d === 'object' && !Array.isArray(d) ? { path: p, value: d as Record<string, unknown> } : section);
        continue;
      }
      leaves.push({ path: p, schema: child ?? child0, required: req, section });
    }
  };
  walk(root, [], true, undefined);
  // Short names where unique, the full path where two leaves share a name.
  const count = new Map<string, number>();
  for (const l of leaves) count.set(l.path.at(-1)!, (count.get(l.path.at(-1)!) ?? 0) + 1);
  const out: FieldFlag[] = [];
  for (const { path, schema, required, section } of leaves) {
    const o = (overrides[path.join('.')] || {}) as FlagSpec;
    const flag = o.flag ?? kebab(count.get(path.at(-1)!)! > 1 ? path.join('-') : path.at(-1)!);
    // A field may not take a flag the command already has (--replicas only exists when K is a flag).
    if (COMMON.has(flag) && !o.flag && !(flag === 'replicas' && protocol.replicas)) continue;
    const t = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    const representable = t === 'number' || t === 'integer' || t === 'boolean' || t === 'string' || t === 'array' || o.parse;
    if (!representable) continue;
    const base = o.help ?? schema.description ?? path.join('.');
    // Inside a section with a default (l2sweep's optimizer is Adam), that default is what applies.
    const fromSection = section ? valueAt(section.value, path.slice(section.path.length)) : undefined;
    const def = fromSection !== undefined ? fromSection : schema.default;
    const note = required ? ' (required)' : def !== undefined ? ` (default: ${showDefault(def)})` : '';
    const placeholder = schema.enum ? 'name' : t === 'integer' ? 'n' : t === 'number' ? 'x' : t === 'array' ? 'list' : 'text';
    const f: FieldFlag = {
      path, flag, key: camel(flag), help: base + note, value: o.value ?? placeholder, kind: 'value',
      aliases: [...(o.aliases ?? [])], ...(o.short ? { short: o.short } : {}), ...(o.variadic ? { variadic: true } : {}),
      ...(section ? { section } : {}),
    };
    if (o.parse) f.parse = o.parse;
    else if (t === 'boolean') f.kind = def === true ? 'negatable' : 'boolean';
    else if (t === 'number' || t === 'integer') f.parse = numberParser(t === 'integer', flag);
    else if (t === 'array') f.parse = listParser(schema.items ?? {});
    if (t === 'string' && schema.enum) f.choices = schema.enum.map(String);
    if (t === 'number' || t === 'integer') f.scalar = true;
    if (f.kind === 'negatable') f.help = `turn off: ${base}`;
    out.push(f);
  }
  return out;
}

function addFieldFlag(cmd: Command, f: FieldFlag): void {
  const names = (f.short ? `-${f.short}, ` : '') + (f.kind === 'negatable' ? `--no-${f.flag}` : `--${f.flag}`);
  const value = `<${f.value}${f.variadic ? '...' : ''}>`;
  const opt = new Option(f.kind === 'value' ? `${names} ${value}` : names, f.help);
  if (f.choices) opt.choices(f.choices);
  const parse = f.parse;
  const argParser = parse && ((text: string): unknown => {
    try {
      return parse(text);
    } catch (e) {
      throw e instanceof InvalidArgumentError ? e : new InvalidArgumentError((e as Error).message);
    }
  });
  if (argParser) opt.argParser(argParser);
  cmd.addOption(opt);
  for (const alias of f.aliases) {
    const a = new Option(f.kind === 'value' ? `--${alias} ${value}` : `--${alias}`).hideHelp();
    if (argParser) a.argParser(argParser);
    cmd.addOption(a);
  }
}

/** The values of the enum field `selector`: the names of the sections it chooses between. */
function sectionNames(protocol: Protocol, selector: string): string[] {
  const root = toJSONSchema(protocol.schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return (root.properties?.[selector]?.enum ?? []).map(String);
}

function valueAt(v: unknown, path: readonly string[]): unknown {
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const k of path.slice(0, -1)) {
    const next = node[k];
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** The flags of a command that commander saw on the command line (not defaults). */
function given(cmd: Command, key: string, flags: Record<string, unknown>): boolean {
  return flags[key] !== undefined && cmd.getOptionValueSource(key) === 'cli';
}

export interface ProtocolFlags {
  config?: string;
  set: string[];
  seed?: number;
  replicas?: number;
  out?: string;
  overwrite?: boolean;
  prepare?: boolean;
  json?: boolean;
  report: boolean;
  [k: string]: unknown;
}

/**
 * Raw config from a command line: the config file, then --set, then positional arguments, then
 * the flags given (each at its field). `seed` and `replicas` in a config file are the run's, not
 * the protocol's.
 */
export function rawConfig(protocol: Protocol, cmd: Command, args: unknown[], flags: ProtocolFlags): {
  raw: Record<string, unknown>; seed: number | undefined; replicas: number | undefined;
} {
  let raw = flags.config ? loadConfigFile(flags.config) : {};
  const fileSeed = raw['seed'];
  const fileReplicas = raw['replicas'];
  if (!protocol.replicas && 'replicas' in raw) { raw = { ...raw }; delete raw['replicas']; }
  if ('seed' in raw) { raw = { ...raw }; delete raw['seed']; }
  raw = applySets(raw, flags.set);
  (protocol.cli.arguments ?? []).forEach((a, i) => {
    if (args[i] !== undefined) setPath(raw, a.field.split('.'), args[i]);
  });
  const over: Record<string, unknown> = {};
  const all = fieldFlags(protocol);
  const selector = protocol.cli.sectionBy;
  const selected = selector === undefined ? undefined
    : given(cmd, camel(kebab(selector)), flags) ? flags[camel(kebab(selector))] : raw[selector];
  const sections = new Set(selector === undefined ? [] : sectionNames(protocol, selector));
  const inOtherSection = (path: readonly string[]): boolean => sections.has(path[0]!) && path[0] !== selected;
  for (const f of all) {
    const keys = [f.key, ...f.aliases.map(camel)];
    const key = keys.find((k) => given(cmd, k, flags));
    if (key === undefined || inOtherSection(f.path)) continue;
    // A flag in a defaulted section starts from that default, not from the section's bare schema.
    if (f.section && valueAt(raw, f.section.path) === undefined && valueAt(over, f.section.path) === undefined) {
      setPath(over, f.section.path, structuredClone(f.section.value));
    }
    // A shared list flag (--temperature 0.5) given to a field that takes one value.
    const v = flags[key];
    setPath(over, f.path, f.scalar && Array.isArray(v) && v.length === 1 ? v[0] : v);
  }
  raw = merge(raw, over);
  for (const entry of protocol.cli.groups ?? []) {
    if (!inOtherSection(entry.split('.'))) raw = applyGroup(entry, flags, raw);
  }
  const seed = given(cmd, 'seed', flags) ? flags.seed : typeof fileSeed === 'number' ? fileSeed : flags.seed;
  const replicas = given(cmd, 'replicas', flags) ? flags.replicas : typeof fileReplicas === 'number' && !protocol.replicas ? fileReplicas : flags.replicas;
  return { raw, seed, replicas };
}

function intFlag(v: string): number {
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected a non-negative integer, got "${v}"`);
  return n;
}

function positiveIntFlag(v: string): number {
  const n = intFlag(v);
  if (n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${v}"`);
  return n;
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** Add the protocol's command (flags and help) under `parent` as `name`; the action runs it. */
export function addProtocolCommand(parent: Command, name: string, protocol: Protocol, registry: Registry): Command {
  const cli = protocol.cli;
  const cmd = parent.command(name).description(cli.description);
  for (const a of cli.arguments ?? []) {
    const n = a.variadic ? `${a.name}...` : a.name;
    cmd.argument(a.optional ? `[${n}]` : `<${n}>`, a.description);
  }
  const added = new Set<string>();
  for (const f of fieldFlags(protocol)) {
    // Several sections may share a flag (cli.sectionBy): it is added once.
    if (!added.has(f.flag)) addFieldFlag(cmd, f);
    added.add(f.flag);
  }
  for (const g of cli.groups ?? []) flagGroup(g).group.add(cmd);
  cmd
    .option('--config <file>', 'config file (JSON or YAML) with the same fields; flags override it')
    .option('--set <key=value>', 'set any config field, e.g. --set optimizer.beta2=0.99 (repeatable; JSON values)', collect, [])
    .option('--seed <s>', 'seed of every random stream', intFlag, 0);
  if (!protocol.replicas) cmd.option('--replicas <K>', 'number of replicas K', positiveIntFlag, cli.defaultReplicas ?? 1);
  cmd
    .option('--out <dir>', `run directory (default: ${cli.outFrom ? `<source>-${protocol.name}` : `runs/${protocol.name}-<time>`})`)
    .option('--overwrite', 'replace an existing run directory')
    .option('--prepare', 'only create the run directory (then: glassy resume RUN --shard i/n, glassy merge RUN)')
    .option('--no-report', 'do not write RUN/report.html when the run completes')
    .option('--json', 'print { run, protocol, status, summary, seconds, ... } as one JSON object');
  addExecutorFlags(cmd);
  cmd.action(async (...all: unknown[]) => {
    const self = all[all.length - 1] as Command;
    const flags = self.opts<ProtocolFlags>();
    await runProtocol(protocol, registry, self, all.slice(0, (cli.arguments ?? []).length), flags);
  });
  return cmd;
}

/** Validate everything, then create the run, run it, print, write the report. */
export async function runProtocol(protocol: Protocol, registry: Registry, cmd: Command, args: unknown[], flags: ProtocolFlags): Promise<void> {
  const t0 = performance.now();
  const exec: ExecutorOptions = executorOptionsFrom(flags);
  const { raw, seed: seed0, replicas: requested } = rawConfig(protocol, cmd, args, flags);
  const seed = seed0 ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw GlassyError.invalid('seed', seed, 'a non-negative integer');
  const task = await protocol.task();
  // Loaded here, not at the top: `--help` needs none of it.
  const { prepareEnsemble, replicaCount, runEnsemble } = await import('../executor/ensemble.js');
  const { checkMemory, concurrencyFor } = await import('../executor/memory.js');
  const { Run } = await import('../store/run.js');
  const prepared = task.prepare ? await task.prepare(raw) : raw;
  const config = inFlagTerms(protocol, () => parseConfig(protocol, prepared));
  const replicas = replicaCount(protocol, config, requested ?? protocol.cli.defaultReplicas ?? 1);
  if (replicas === undefined || !Number.isSafeInteger(replicas) || replicas < 1) {
    throw GlassyError.invalid('replicas', replicas, 'a positive integer number of replicas');
  }
  await task.validate?.(config, seed);
  const { checkInputRuns } = await import('../store/sources.js');
  checkInputRuns(task.inputs?.(config) ?? []);
  checkMemory(protocol.name, task, config, concurrencyFor(exec, replicas), replicas, exec.maxMemory);
  if (exec.executor === 'queue') {
    // An unreachable or malformed --redis is refused here, not after the run directory exists.
    const { probeRedis } = await import('../executor/queue.js');
    await probeRedis(exec.redis!);
  }
  const dir = flags.out ?? defaultOut(protocol, raw);

  const run = await createOrJoin(Run, dir, { protocol: protocol.name, config, seed }, exec.shard !== undefined, flags.overwrite === true);
  prepareEnsemble(run, protocol.name, replicas, exec.checkpointEvery, exec.shard?.count);
  if (flags.prepare) {
    // Nobody runs it now: record that honestly, so `glassy resume` / shards pick it up.
    run.update({ status: 'interrupted' });
    const r: CommandResult = { run: run.dir, protocol: protocol.name, status: 'prepared', summary: null, seconds: (performance.now() - t0) / 1000, replicas, failed: [] };
    if (flags.json) printJson(r);
    else process.stdout.write(`${protocol.name}: ${run.dir} prepared (${replicas} replicas); run it with glassy resume ${run.dir} [--shard i/n]\n`);
    return;
  }
  const result = await runEnsemble(run, registry, { ...exec, replicas });
  await reportResult(result, flags.json === true, flags.report, protocol.cli.describeSummary);
}

/** `<source>-<name>` for an analysis of a source run (as the user typed it), else runs/<name>-<time>. */
function defaultOut(protocol: Protocol, raw: Record<string, unknown>): string {
  const field = protocol.cli.outFrom;
  const v = field === undefined ? undefined : valueAt(raw, field.split('.'));
  const source = Array.isArray(v) ? v[0] : v;
  return typeof source === 'string' ? derivedRunDir(source, protocol.name) : defaultRunDir(protocol.name);
}

/** A config error on a field that has a flag is told in the flag's name: what the user typed. */
function inFlagTerms<T>(protocol: Protocol, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof GlassyError && err.field !== undefined && err.expected !== undefined) {
      const flag = fieldFlags(protocol).find((f) => f.path.join('.') === err.field);
      if (flag) throw GlassyError.invalid(`--${flag.kind === 'negatable' ? `no-${flag.flag}` : flag.flag}`, err.value, err.expected);
    }
    throw err;
  }
}

/**
 * Create the run, or (shards only) open the one another shard created and check it matches:
 * same protocol, seed and config here, same K and split in prepareEnsemble.
 */
export async function createOrJoin(RunClass: typeof Run, dir: string, init: { protocol: string; config: unknown; seed: number },
  shard: boolean, overwrite: boolean): Promise<Run> {
  const joinRun = (): Run => {
    const run = RunClass.open(dir);
    const m = run.manifest;
    const diff = [
      m.protocol !== init.protocol ? `protocol ${m.protocol} ≠ ${init.protocol}` : '',
      m.seed !== init.seed ? `seed ${m.seed} ≠ ${init.seed}` : '',
      JSON.stringify(m.config) !== JSON.stringify(init.config) ? 'another config' : '',
    ].filter(Boolean);
    if (diff.length > 0) {
      throw new GlassyError(`${run.dir} holds a different run than this shard's (${diff.join(', ')})`,
        'out', dir, 'the same protocol, seed and config in every shard');
    }
    return run;
  };
  const manifest = join(dir, 'manifest.json');
  if (shard && existsSync(manifest)) return joinRun();
  try {
    return RunClass.create(dir, init, { overwrite });
  } catch (err) {
    if (!shard) throw err;
    // Another shard holds the directory: it is creating the run; join once its manifest is there.
    for (let i = 0; i < 100 && !existsSync(manifest); i++) await new Promise((r) => setTimeout(r, 50));
    if (existsSync(manifest)) return joinRun();
    throw err;
  }
}
