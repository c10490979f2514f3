/**
 * Library-style entry points of the spinglass and walk protocols for the tests (not a test file):
 * a config through the protocol's schema and checks, then Run.create + runEnsemble with the registry,
 * exactly what the generated command does (in this thread unless an executor is given).
 */
import { runEnsemble, type EnsembleOptions } from '../src/executor/ensemble.js';
import { parseConfig } from '../src/executor/protocol.js';
import { protocol as spinglassProtocol } from '../src/protocols/spinglass/protocol.js';
import type { SpinglassConfig, SpinglassSummary } from '../src/protocols/spinglass/config.js';
import { protocol as walkProtocol } from '../src/protocols/walk/protocol.js';
import type { WalkConfig } from '../src/protocols/walk/config.js';
import { task as walkTask } from '../src/protocols/walk/task.js';
import { registry } from '../src/registry.js';
import { Run } from '../src/store/run.js';

/** A spinglass config as a user writes it, with the run's seed beside it (default 1). */
export type SpinglassInput = Partial<SpinglassConfig> & Pick<SpinglassConfig, 'model'> & { seed?: number };

export function spinglassConfig(input: SpinglassInput): { config: SpinglassConfig; seed: number } {
  const { seed = 1, ...raw } = input;
  return { config: parseConfig(spinglassProtocol, raw), seed };
}

type Options = Omit<EnsembleOptions, 'replicas'> & { overwrite?: boolean };

async function run(protocol: string, config: unknown, seed: number, outDir: string, opts: Options): Promise<{ dir: string; summary: Record<string, unknown> }> {
  const { overwrite, ...exec } = opts;
  const r = Run.create(outDir, { protocol, config, seed }, { overwrite: overwrite ?? false });
  const result = await runEnsemble(r, registry, { executor: 'inprocess', progress: 'none', handleSignals: false, ...exec });
  if (result.status !== 'complete') throw new Error(`${protocol} ${r.dir}: ${result.status} ${JSON.stringify(result.failed)}`);
  return { dir: r.dir, summary: result.summary! };
}

export async function runSpinglass(input: SpinglassInput, outDir: string, opts: Options = {}): Promise<SpinglassSummary> {
  const { config, seed } = spinglassConfig(input);
  const r = await run('spinglass', config, seed, outDir, opts);
  return { run: r.dir, ...r.summary } as SpinglassSummary;
}

export function walkConfig(raw: Record<string, unknown>): WalkConfig {
  return parseConfig(walkProtocol, walkTask.prepare ? walkTask.prepare(raw) as Record<string, unknown> : raw);
}

export async function runWalk(config: WalkConfig, outDir: string, opts: Options & { seed?: number } = {}): Promise<Record<string, unknown>> {
  const { seed = 0, ...rest } = opts;
  const r = await run('walk', config, seed, outDir, rest);
  return { run: r.dir, ...r.summary };
}
