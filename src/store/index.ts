/** store/: run directories and the file formats they hold (docs/RUN-FORMAT.md). */
export { Run, type RunInit } from './run.js';
export type { Manifest, RunStatus, GitInfo } from './manifest.js';
export type { ArrayData, DTypeName } from './dtype.js';
export { writeFileAtomic } from './atomic.js';
export { encodeNpy, decodeNpy, readNpyHeader } from './npy.js';
export { encodeSafetensors, decodeSafetensors, type TensorIn, type TensorOut } from './safetensors.js';
