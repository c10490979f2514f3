/**
 * Run sources: the complete runs whose replicas an analysis reads (cluster, hessian, permute,
 * connect, walk, flatness read a `train` or `spinglass` run). One place opens a source, checks its
 * protocol and status, counts its replicas and checks replica indices, so every analysis refuses a
 * wrong source with the same one-line error before it creates anything.
 *
 * Weights are read through Run.readTensors (store/safetensors), the one load path of replica
 * tensors, so the checks made there (non-finite values refused with file, key and count) apply to
 * every analysis.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GlassyError } from '../core/errors.js';
import { Run } from './run.js';

export interface RunSource {
  run: Run;
  protocol: string;
  seed: number;
  /** The source run's config as recorded in its manifest (the caller parses it). */
  config: unknown;
}

/** Opens `dir` and checks it is a complete run of one of `protocols` (a GlassyError naming `field` otherwise). */
export function openRunSource(dir: string, protocols: readonly string[], field = 'source'): RunSource {
  const run = Run.open(dir);
  const protocol = run.manifest.protocol;
  if (!protocols.includes(protocol)) {
    throw GlassyError.invalid(field, `${run.dir} (protocol ${protocol})`, protocols.length === 1 ? `a ${protocols[0]} run` : `a ${protocols.join(' or ')} run`);
  }
  if (run.manifest.status !== 'complete') {
    throw GlassyError.invalid(field, `${run.dir} (status ${run.manifest.status})`, 'a complete run (finish it with glassy resume)');
  }
  return { run, protocol, seed: run.manifest.seed, config: run.manifest.config };
}

/** Number of network replicas a run holds (replicas/replica-*.safetensors). */
export function countNetworkReplicas(run: Run): number {
  return run.listTensors().filter((n) => /^replica-\d{4,}$/.test(n)).length;
}

/** Throws unless 0 ≤ i < count, naming the field and the source's replica count. */
export function checkReplicaIndex(field: string, i: number, count: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= count) {
    throw GlassyError.invalid(field, i, `a replica index in [0, ${count}) (the source run has ${count} replica${count === 1 ? '' : 's'})`);
  }
}

/**
 * Reads every replica tensor file of each input that is a run directory, so that a non-finite
 * weight (refused by Run.readTensors with file, key and count) stops a command before it creates
 * its own run — not inside a replica, after the run directory exists.
 */
export function checkInputRuns(paths: readonly string[]): void {
  for (const dir of paths) {
    if (!existsSync(join(dir, 'manifest.json'))) continue;
    const run = Run.open(dir);
    for (const name of run.listTensors()) run.readTensors(name);
  }
}

/** A new run's raw config with its source run directory made absolute, so resume and queue workers find it from any directory. */
export function absoluteSource(raw: Record<string, unknown>): Record<string, unknown> {
  return typeof raw['source'] === 'string' ? { ...raw, source: resolve(raw['source']) } : raw;
}

/**
 * The task fields of an analysis of one source run (`config.source`): the directory made absolute
 * for a new run, and the run (its weights and its data config) carried to queue workers as an
 * input, its tensors checked before anything is created.
 */
export const sourceRunTask = {
  prepare: absoluteSource,
  inputs: (config: { source: string }): string[] => [config.source],
};
