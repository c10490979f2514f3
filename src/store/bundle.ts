/**
 * A bundle: a set of files as one binary value, for results and inputs that travel through Redis
 * when the worker and the run directory are on different machines (docs/scale.md).
 *
 * The container is a safetensors file whose tensors are the files' bytes (dtype U8, 1-D), named
 * by their '/'-separated relative path, with string metadata beside them: one well-specified
 * format (store/safetensors.ts validates every offset on decode) rather than a second one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GlassyError } from '../core/errors.js';
import { TEMP_PREFIX, writeFileAtomic } from './atomic.js';
import { decodeSafetensors, encodeSafetensors, type TensorIn } from './safetensors.js';

/** Relative paths: segments of letters, digits, '.', '_', '-' (no '..', no absolute path, no temp files). */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

export function safeRelativePath(rel: string): boolean {
  const segs = rel.split('/');
  return rel.length > 0 && segs.every((s) => SEGMENT.test(s) && s !== '..' && s !== '.' && !s.startsWith(TEMP_PREFIX));
}

/** Every regular file under `root` (relative '/'-joined paths, sorted), skipping temp files and what `skip` rejects. */
export function listFiles(root: string, skip: (rel: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith(TEMP_PREFIX)) continue;
      const rel = prefix + e.name;
      if (skip(rel)) continue;
      if (e.isDirectory()) walk(join(dir, e.name), rel + '/');
      else if (e.isFile()) out.push(rel);
    }
  };
  walk(root, '');
  return out.sort();
}

/** Files (relative name → bytes) and string metadata → one value. */
export function packBundle(files: Map<string, Uint8Array>, metadata: Record<string, string> = {}): Uint8Array {
  const tensors: Record<string, TensorIn> = {};
  for (const [name, data] of files) {
    if (!safeRelativePath(name)) throw GlassyError.invalid('bundle file', name, 'a relative path of plain segments');
    tensors[name] = { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), shape: [data.byteLength] };
  }
  return encodeSafetensors(tensors, metadata);
}

/** Read the named files under `root` into a bundle. */
export function packFiles(root: string, names: string[], metadata: Record<string, string> = {}, prefix = ''): Uint8Array {
  return packBundle(new Map(names.map((n) => [prefix + n, readFileSync(join(root, n))])), metadata);
}

/** Decode a bundle; every name is checked to be a safe relative path. */
export function unpackBundle(bytes: Uint8Array, source: string): { files: Map<string, Uint8Array>; metadata: Record<string, string> } {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  const files = new Map<string, Uint8Array>();
  for (const [name, t] of Object.entries(tensors)) {
    if (!safeRelativePath(name) || t.dtype !== 'uint8') {
      throw new GlassyError(`${source}: bundle entry "${name}" is not a safe relative file name of bytes`, 'bundle', name, 'a relative path of plain segments');
    }
    files.set(name, t.data as Uint8Array);
  }
  return { files, metadata };
}

/** Write each file under `root` atomically (names were checked by unpackBundle). */
export function writeBundle(root: string, files: Map<string, Uint8Array>): void {
  for (const [name, data] of files) writeFileAtomic(join(root, ...name.split('/')), data);
}
