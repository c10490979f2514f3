/** Networks as sequences of layers: spec, layout, landscape (docs/networks.md). */
export * from './spec.js';
export * from './layer.js';
export * from './layout.js';
export * from './sequential.js';
export * from './network.js';
