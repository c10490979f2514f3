/**
 * What report/ reads: a run directory through store/ (manifest + named arrays). The interface is
 * structural so tests and the compare page can hand in anything shaped like a run.
 */
import { Run, type ArrayData } from '../store/run.js';

export interface ArrayView {
  data: ArrayData;
  shape: number[];
  dtype: string;
}

/** The parts of a manifest a report shows; everything but protocol may be absent in old runs. */
export interface ManifestView {
  protocol: string;
  config?: unknown;
  seed?: number;
  status?: string;
  created?: string;
  started?: string;
  ended?: string;
  glassy?: string;
  git?: { commit: string; dirty: boolean } | null;
  versions?: { [k: string]: unknown };
  timings?: { [k: string]: number };
  summary?: { [k: string]: unknown };
  error?: string;
  host?: string;
}

export interface RunSource {
  readonly dir: string;
  readonly manifest: ManifestView;
  hasArray(name: string): boolean;
  readArray(name: string): ArrayView;
  listArrays(): string[];
}

/** Open a run directory read-only through the store (GlassyError if it is not a run). */
export function openRun(dir: string): RunSource {
  return Run.open(dir);
}
