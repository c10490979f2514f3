/**
 * Symmetries of landscapes and their removal before replicas are compared (docs/replicas.md):
 * exact linear assignment, the hidden-unit permutation group of networks, weight and
 * activation matching (Ainsworth et al. 2023), and the global spin flip of spin glasses.
 */
export * from './assignment.js';
export * from './permutation.js';
export * from './weight-matching.js';
export * from './activation-matching.js';
export * from './spinflip.js';
export * from './channels.js';
export * from './group.js';
