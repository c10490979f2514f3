/**
 * The benchmark sections, in the order BENCHMARKS.md shows them. To add one, import its Section
 * and append it (one line each).
 */
import type { Section } from './harness.js';
import { gemmSection } from './gemm.js';
import { sgdStepSection } from './sgd-step.js';
import { spinglassSection } from './spinglass.js';
import { ensembleSection } from './ensemble.js';
import { e2eSection, forwardSection, startupSection } from './e2e.js';
import { lockstepSection } from './lockstep.js';
import { convSection } from './conv.js';

export const sections: Section[] = [
  gemmSection,
  sgdStepSection,
  spinglassSection,
  ensembleSection,
  e2eSection,
  startupSection,
  forwardSection,
  lockstepSection,
  convSection,
];
