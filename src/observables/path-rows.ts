/**
 * Path profiles as replica outputs, shared by the path protocols (permute, connect): each replica
 * profiles one path and writes its row under `per-replica/<tag>/`; the reduction stacks the rows in
 * replica order into the run's [P, G] arrays (docs/run-format/connect.md, permute.md), so the bytes
 * are the same whichever executor, worker count or shard ran which row. The rows are path profiles
 * (./path.ts) written through store/, so they sit with the observables, above store/.
 */
import { barrier, type PathProfile } from './path.js';
import type { Run } from '../store/run.js';

const ROWS = ['train_loss', 'train_error', 'test_loss', 'test_error', 'arc_length'] as const;

/** The key figures of one profile (train/test loss barrier, test-error barrier, the maximum and where). */
export interface RowFigures {
  barrier: number;
  barrier_test: number;
  barrier_test_error: number;
  max_train_loss: number;
  barrier_position: number;
}

export function rowTag(index: number): string {
  return `path-${String(index).padStart(4, '0')}`;
}

/** Writes one profile (series 'train' and 'test') as replica `index`'s row; returns its figures. */
export function writePathRow(run: Run, index: number, prof: PathProfile): RowFigures {
  const tr = prof.series['train']!, te = prof.series['test']!;
  const tag = rowTag(index);
  const data: Record<(typeof ROWS)[number], Float64Array> = {
    train_loss: tr.loss, train_error: tr.error, test_loss: te.loss, test_error: te.error, arc_length: prof.arcLength,
  };
  for (const k of ROWS) run.writeArray(`per-replica/${tag}/${k}`, data[k]);
  const b = barrier(prof.t, tr.loss);
  return {
    barrier: b.height,
    barrier_test: barrier(prof.t, te.loss).height,
    barrier_test_error: barrier(prof.t, te.error).height,
    max_train_loss: b.max,
    barrier_position: b.position,
  };
}

/** Stacks the rows of replicas 0 … P−1 into path_* [P, G] and the per-path figures into path_barrier* [P]. */
export function stackPathRows(run: Run, t: Float64Array, figures: RowFigures[]): void {
  const P = figures.length, G = t.length;
  run.writeArray('path_t', t);
  for (const k of ROWS) {
    const all = new Float64Array(P * G);
    for (let p = 0; p < P; p++) all.set(run.readArray(`per-replica/${rowTag(p)}/${k}`).data as Float64Array, p * G);
    run.writeArray(`path_${k}`, all, [P, G]);
  }
  const col = (f: (r: RowFigures) => number) => Float64Array.from(figures, f);
  run.writeArray('path_barrier', col((r) => r.barrier));
  run.writeArray('path_barrier_test', col((r) => r.barrier_test));
  run.writeArray('path_barrier_test_error', col((r) => r.barrier_test_error));
  run.writeArray('path_max_train_loss', col((r) => r.max_train_loss));
  run.writeArray('path_barrier_position', col((r) => r.barrier_position));
}
