/**
 * `glassy run PROTOCOL`: the generic entry point for any registered replica protocol. Builds the
 * config (file, then --set overrides, then the protocol's own validation and defaults), creates
 * the run directory and runs the K replicas on the chosen executor (ensemble.ts does the work).
 *
 * With --shard i/n several processes (a SLURM array) share one --out: the first creates the run,
 * the others open it and check it is the same protocol, seed, config and K.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { GlassyError } from '../../core/errors.js';
import { type EnsembleResult, formatEnsembleResult, prepareEnsemble, runEnsemble } from '../../executor/ensemble.js';
import { checkMemory, concurrencyOf } from '../../executor/memory.js';
import { addExecutorOptions, executorOptionsFrom } from '../../executor/options.js';
import { loadTask, protocolNames } from '../../protocols/registry.js';
import { Run } from '../../store/run.js';
import { loadConfigFile, printJson, defaultRunDir } from '../options.js';

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

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function intFlag(v: string): number {
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected a non-negative integer, got "${v}"`);
  return n;
}

/** Print the outcome: one line (or --json) on stdout; a failed run: `error: ...` on stderr, exit code 1. */
export function reportResult(r: EnsembleResult, json: boolean): void {
  const failed = r.status === 'failed' || r.status === 'shard-failed';
  if (json) printJson(r);
  else if (!failed) process.stdout.write(formatEnsembleResult(r) + '\n');
  if (failed) {
    process.stderr.write(`error: ${formatEnsembleResult(r)}\n`);
    process.exitCode = 1;
  }
}


interface RunFlags {
  config?: string;
  set: string[];
  replicas: number;
  seed: number;
  out?: string;
  overwrite?: boolean;
  prepare?: boolean;
  json?: boolean;
  [k: string]: unknown;
}

/**
 * Create the run, or (shards only) open the one another shard created and check it matches:
 * same protocol, seed and config here, same K and split in prepareEnsemble.
 */
export async function createOrJoin(dir: string, init: { protocol: string; config: unknown; seed: number },
  shard: boolean, overwrite: boolean): Promise<Run> {
  const join_ = (): Run => {
    const run = Run.open(dir);
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
  if (shard && existsSync(manifest)) return join_();
  try {
    return Run.create(dir, init, { overwrite });
  } catch (err) {
    if (!shard) throw err;
    // Another shard holds the directory: it is creating the run; join once its manifest is there.
    for (let i = 0; i < 100 && !existsSync(manifest); i++) await new Promise((r) => setTimeout(r, 50));
    if (existsSync(manifest)) return join_();
    throw err;
  }
}

export function register(program: Command): void {
  const cmd = program
    .command('run')
    .description('run K replicas of a registered protocol on an executor (local pool, queue, shards)')
    .argument('<protocol>', `protocol name (${protocolNames().join(', ')})`)
    .option('--config <file>', 'config file (JSON or YAML)')
    .option('--set <key=value>', 'set a config field; repeatable; the value is parsed as JSON when it is JSON', collect, [])
    .option('--replicas <k>', 'number of replicas K', intFlag, 4)
    .option('--seed <s>', 'seed of every random stream', intFlag, 0)
    .option('--out <dir>', 'run directory (default: runs/<protocol>-<time>)')
    .option('--overwrite', 'replace an existing run at --out')
    .option('--prepare', 'only create the run directory (then: glassy resume RUN --shard i/n, glassy merge RUN)')
    .option('--json', 'print the result as one JSON object on stdout');
  addExecutorOptions(cmd);
  cmd.action(async (protocol: string, flags: RunFlags) => {
    const exec = executorOptionsFrom(flags);
    if (flags.replicas < 1) throw GlassyError.invalid('replicas', flags.replicas, 'a positive integer');
    const task = await loadTask(protocol);
    const raw = applySets(flags.config ? loadConfigFile(flags.config) : {}, flags.set);
    const config = task.parseConfig ? task.parseConfig(raw) : raw;
    const dir = flags.out ?? defaultRunDir(protocol);
    checkMemory(task, config, concurrencyOf(exec, flags.replicas), flags.replicas, exec.maxMemory);
    const run = await createOrJoin(dir, { protocol, config, seed: flags.seed }, exec.shard !== undefined, flags.overwrite === true);
    prepareEnsemble(run, protocol, flags.replicas, exec.checkpointEvery, exec.shard?.count);
    if (flags.prepare) {
      // Nobody runs it now: record that honestly, so `glassy resume` / shards pick it up.
      run.update({ status: 'interrupted' });
      if (flags.json) printJson({ runDir: run.dir, protocol, replicas: flags.replicas, status: 'prepared' });
      else process.stdout.write(`${protocol}: ${run.dir} prepared (${flags.replicas} replicas); run it with glassy resume ${run.dir} [--shard i/n]\n`);
      return;
    }
    const result = await runEnsemble(run, task, { ...exec, replicas: flags.replicas });
    reportResult(result, flags.json === true);
  });
}
