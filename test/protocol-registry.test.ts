/**
 * The protocol contract and the CLI built from it: every registered protocol has a schema, a task
 * and a command whose help shows each default; flags map to config fields (old names still work);
 * every command prints one --json shape; a refused run leaves no directory behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import * as z from 'zod';
import { GlassyError, parseWith } from '../src/core/errors.js';
import { fieldFlags, rawConfig, type ProtocolFlags } from '../src/cli/protocol-command.js';
import { parseConfig } from '../src/executor/protocol.js';
import { registry } from '../src/registry.js';
import { GLASSY, removeDir, tempDir } from './executor-helpers.js';

function glassy(args: string[], cwd?: string) {
  return spawnSync(process.execPath, [GLASSY, ...args], { encoding: 'utf8', ...(cwd ? { cwd } : {}) });
}

test('every registered protocol has a schema, a task and a CLI description', async () => {
  assert.ok(registry.names().length >= 5);
  for (const name of registry.names()) {
    const p = await registry.protocol(name);
    assert.equal(p.name, name);
    assert.equal(typeof p.schema.safeParse, 'function', `${name}: zod schema`);
    assert.ok(p.cli.description.length > 10, `${name}: description`);
    const task = await p.task();
    assert.equal(typeof task.run, 'function', `${name}: task.run`);
  }
  await assert.rejects(registry.protocol('nope'), /protocol: got "nope", expected one of /);
});

test('glassy run NAME --help works for every protocol and shows every default', () => {
  for (const name of registry.names()) {
    const r = glassy(['run', name, '--help']);
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`Usage: glassy run ${name}`));
    assert.match(r.stdout, /--replicas|--seed/);
  }
  const train = glassy(['train', '--help']).stdout;
  for (const [flag, def] of [['lr', '0.1'], ['batch', '128'], ['epochs', '5'], ['optimizer', 'sgd'], ['measure', 'lean'], ['measure-samples', '1000']]) {
    assert.match(train, new RegExp(`--${flag} <[^>]+>[^]*?\\(default: ${def}\\)`), `--${flag} default ${def}`);
  }
  assert.match(train, /--model <spec>/);
  assert.doesNotMatch(train, /--eval-train-samples/, 'old names are hidden');
});

test('flags are generated from the schema, with overrides, aliases and section defaults', async () => {
  const l2sweep = await registry.protocol('l2sweep');
  const flags = fieldFlags(l2sweep);
  const lr = flags.find((f) => f.flag === 'lr')!;
  assert.deepEqual(lr.path, ['optimizer', 'lr']);
  assert.match(lr.help, /\(default: 0\.0015\)/, 'the section default (Adam at 1.5e-3), not the bare schema one');
  const l2 = flags.find((f) => f.flag === 'l2')!;
  assert.deepEqual(l2.path, ['betas']);
  assert.deepEqual(l2.aliases, ['lambdas']);

  // Parse a command line with commander and build the raw config the way the runner does.
  const parse = async (argv: string[]) => {
    const program = new Command().exitOverride();
    let out: ReturnType<typeof rawConfig> | undefined;
    const { addProtocolCommand } = await import('../src/cli/protocol-command.js');
    const cmd = addProtocolCommand(program, 'l2sweep', l2sweep, registry);
    cmd.action((...all: unknown[]) => {
      const self = all[all.length - 1] as Command;
      out = rawConfig(l2sweep, self, [], self.opts<ProtocolFlags>());
    });
    await program.parseAsync(['node', 'glassy', 'l2sweep', ...argv]);
    return out!;
  };
  const a = await parse(['--lambdas', '0:0.02:0.01', '--lr', '0.01', '--hessian-samples', '50', '--seed', '3']);
  assert.deepEqual(a.raw['betas'], [0, 0.01, 0.02]);
  assert.equal(a.seed, 3);
  const c = parseConfig(l2sweep, a.raw) as { optimizer: { kind: string; lr: number }; hessianSamples: number };
  assert.equal(c.optimizer.kind, 'adam', '--lr alone keeps the section default optimizer');
  assert.equal(c.optimizer.lr, 0.01);
  assert.equal(c.hessianSamples, 50, 'hidden alias --hessian-samples → --train-samples');
});

test('parseWith: one sentence naming the field, the value and the expectation', () => {
  const schema = z.object({ data: z.object({ nClasses: z.number().int().min(2) }), kind: z.enum(['a', 'b']) }).strict();
  const message = (raw: unknown) => {
    try {
      parseWith(schema, raw);
    } catch (e) {
      assert.ok(e instanceof GlassyError);
      return e.message;
    }
    return '';
  };
  assert.equal(message({ data: { nClasses: 1 }, kind: 'a' }), 'data.nClasses: got 1, expected a number ≥ 2');
  assert.equal(message({ data: { nClasses: 2 }, kind: 'c' }), 'kind: got "c", expected one of "a", "b"');
  assert.equal(message({ data: { nClasses: 'x' }, kind: 'a' }), 'data.nClasses: got "x", expected a number');
  assert.equal(message({ data: { nClasses: 2 }, kind: 'a', extra: 1 }), 'extra: got 1, expected no such field (a typo?)');
});

test('--json prints { run, protocol, status, summary, seconds, ... } for protocol commands, resume and merge', () => {
  const dir = tempDir('json');
  try {
    const out = join(dir, 'st');
    const r = glassy(['run', 'selftest', '--steps', '20', '--replicas', '2', '--executor', 'inprocess', '--no-report', '--json', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const k of ['run', 'protocol', 'status', 'summary', 'seconds']) assert.ok(k in j, `--json has ${k}`);
    assert.equal(j['protocol'], 'selftest');
    assert.equal(j['status'], 'complete');
    assert.ok(!existsSync(join(out, 'report.html')), '--no-report');
    const reported = join(dir, 'reported');
    const rr = JSON.parse(glassy(['run', 'selftest', '--steps', '20', '--replicas', '2', '--executor', 'inprocess', '--json', '--out', reported]).stdout) as Record<string, unknown>;
    assert.equal(rr['report'], join(reported, 'report.html'), 'a complete run writes its report');
    assert.ok(existsSync(join(reported, 'report.html')));
    const again = JSON.parse(glassy(['resume', out, '--json']).stdout) as Record<string, unknown>;
    for (const k of ['run', 'protocol', 'status', 'summary', 'seconds']) assert.ok(k in again, `resume --json has ${k}`);

    const sharded = join(dir, 'sh');
    for (const s of ['0/2', '1/2']) {
      const p = glassy(['run', 'selftest', '--steps', '20', '--replicas', '2', '--executor', 'inprocess', '--shard', s, '--json', '--out', sharded]);
      assert.equal(p.status, 0, p.stderr);
    }
    const m = JSON.parse(glassy(['merge', sharded, '--json', '--no-report']).stdout) as Record<string, unknown>;
    for (const k of ['run', 'protocol', 'status', 'summary', 'seconds']) assert.ok(k in m, `merge --json has ${k}`);
  } finally {
    removeDir(dir);
  }
});

test('a refused or invalid run leaves no directory behind', () => {
  const dir = tempDir('refuse');
  try {
    mkdirSync(join(dir, 'notrain'));
    writeFileSync(join(dir, 'notrain', 'manifest.json'), '{}');
    const cases: Array<[string[], RegExp]> = [
      [['run', 'selftest', '--dim', '1024', '--workers', '2', '--replicas', '4', '--max-memory', '1M'], /max-memory: got 1\.00 MiB/],
      [['run', 'selftest', '--set', 'dim=0'], /dim: got 0, expected a number ≥ 1/],
      [['run', 'selftest', '--executor', 'queue', '--redis', 'http://nowhere'], /redis: got "http:\/\/nowhere", expected a URL like redis:\/\/host:port/],
      [['run', 'selftest', '--executor', 'queue', '--redis', 'redis://127.0.0.1:1'], /127\.0\.0\.1:1/],
      [['train', '--model', '100-10', '--n-train', '50', '--n-test', '10'], /expected a first layer of 784 inputs/],
      [['flatness', join(dir, 'missing-run')], /missing-run/],
      [['l2sweep', '--l2', '0,0.1', '--data', 'teacher-student', '--model', '20-2', '--start', join(dir, 'missing-run')], /missing-run/],
    ];
    for (const [args, re] of cases) {
      const out = join(dir, 'out');
      const r = glassy([...args, '--out', out]);
      assert.notEqual(r.status, 0, `${args.join(' ')} should fail`);
      assert.match(r.stderr, re, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.ok(!existsSync(out), `${args.join(' ')}: no directory left`);
    }
  } finally {
    removeDir(dir);
  }
});

/** `glassy --help`'s command names. */
function listedCommands(): string[] {
  const r = glassy(['--help']);
  assert.equal(r.status, 0, r.stderr);
  const section = r.stdout.split(/^Commands:\n/m)[1] ?? '';
  return [...section.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
}

/** The option entries of a --help page, wrapped lines joined. */
function optionEntries(help: string): string[] {
  const section = help.split(/^Options:\n/m)[1] ?? '';
  const entries: string[] = [];
  for (const line of section.split('\n')) {
    if (/^ {2}-/.test(line)) entries.push(line.trim());
    else if (/^ {3,}\S/.test(line) && entries.length > 0) entries[entries.length - 1] += ` ${line.trim()}`;
    else if (line.trim() !== '') break;
  }
  return entries;
}

test('glassy --help lists every command; each one\'s --help exits 0 and shows defaults one way', async () => {
  const names = listedCommands();
  for (const c of ['demo', 'run', 'resume', 'worker', 'merge', 'report', 'compare', 'serve']) assert.ok(names.includes(c), `glassy --help lists ${c}`);
  for (const p of registry.names()) {
    const topLevel = (await registry.protocol(p)).cli.topLevel !== false;
    assert.equal(names.includes(p), topLevel, `glassy --help lists ${p} iff it is a top-level command`);
  }
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const name of names) assert.match(readme, new RegExp(`^\\| \`glassy ${name}\\b`, 'm'), `README's command table lists ${name}`);
  for (const name of names) {
    const r = glassy([name, '--help']);
    assert.equal(r.status, 0, `${name} --help: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^Usage: glassy ${name}`, 'm'));
    if (name === 'worker') assert.match(r.stdout, /--redis <url>.*\(required\)/, 'a required option says so');
    for (const entry of optionEntries(r.stdout)) {
      // A default is shown as "(default: X)", never in words of its own ("default 0.1").
      assert.doesNotMatch(entry, /\bdefault\s/i, `${name}: ${entry}`);
      assert.doesNotMatch(entry, /\(default: "\d+"\)/, `${name}: a number's default shown as a number: ${entry}`);
    }
  }
  // Every schema field with a default shows it, and every required one says so, in the rendered help.
  for (const p of registry.names()) {
    const protocol = await registry.protocol(p);
    const entries = optionEntries(glassy(['run', p, '--help']).stdout);
    for (const f of fieldFlags(protocol)) {
      const entry = entries.find((e) => new RegExp(`^(-\\w, )?--(no-)?${f.flag}(?![\\w-])`).test(e));
      assert.ok(entry, `${p}: --${f.flag} in --help`);
      // (Sections share a flag whose default differs between them, e.g. aging's --n: only its presence is asserted.)
      const note = /\((default|required)(: .+)?\)$/.exec(f.help);
      if (note) assert.ok(entry.includes(`(${note[1]}`), `${p}: --${f.flag} shows (${note[1]}…): ${entry}`);
    }
  }
});

test('every protocol command\'s --json prints one object { run, protocol, status, summary, seconds }', async () => {
  const dir = tempDir('json-all');
  try {
    const run = (args: string[]) => {
      const r = glassy([...args, '--no-report', '--json'], dir);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      const j = JSON.parse(r.stdout) as Record<string, unknown>; // one object, nothing else on stdout
      for (const k of ['run', 'protocol', 'status', 'summary', 'seconds']) assert.ok(k in j, `${args[0]} --json has ${k}`);
      assert.equal(j['status'], 'complete', args.join(' '));
      assert.equal(typeof j['seconds'], 'number');
      return j;
    };
    // A tiny trained run first: the analyses read it.
    const tiny: Record<string, string[]> = {
      train: ['--data', 'gaussian-mixture', '--model', '10-8-3', '--n-train', '100', '--n-test', '100', '--epochs', '1', '--replicas', '3', '--out', 'T'],
      selftest: ['--steps', '20', '--replicas', '2'],
      import: ['T/replicas/replica-0000.safetensors', '--model', '10-8-3', '--data', 'gaussian-mixture', '--n-train', '100', '--n-test', '100'],
      flatness: ['T'],
      l2sweep: ['--data', 'gaussian-mixture', '--model', '10-8-3', '--n-train', '100', '--n-test', '100', '--l2', '0,0.01', '--max-epochs', '1', '--replicas', '1'],
      aging: ['--landscape', 'pspin', '--p', '3', '--n', '50', '--temperature', '0', '--t-max', '10', '--replicas', '1'],
      walk: ['T', '--step-size', '0.1'],
      spinglass: ['--model', 'sk', '--n', '16', '--dynamics', 'metropolis', '--temperatures', '1', '--sweeps', '50', '--samples', '2', '--replicas', '2'],
      cluster: ['T'],
      hessian: ['T'],
      permute: ['T'],
      connect: ['T', '0', '1', '--method', 'linear'],
      surface: ['T'],
    };
    assert.deepEqual(Object.keys(tiny).sort(), [...registry.names()].sort(), 'a tiny run for every registered protocol');
    for (const [name, args] of Object.entries(tiny)) {
      const topLevel = (await registry.protocol(name)).cli.topLevel !== false;
      const j = run([...(topLevel ? [name] : ['run', name]), ...args, ...(name === 'train' ? [] : ['--out', `out-${name}`])]);
      assert.equal(j['protocol'], name);
    }
  } finally {
    removeDir(dir);
  }
});
