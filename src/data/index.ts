/** data/: the samples network landscapes are built on (docs/data.md). */
export { loadDataset } from './load.js';
export { dataFiles, dataSpecSchema, parseDataSpec, type DataSpec, type ResolvedDataSpec, type Normalisation } from './spec.js';
export type { ByteInputs, Dataset, Split, Teacher } from './dataset.js';
export { teacherForward, argmaxRows } from './synthetic.js';
export { parseIdx, readIdxFile } from './idx.js';
