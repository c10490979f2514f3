/** Monte Carlo dynamics for Ising landscapes: single-flip sweeps, parallel tempering, annealing, quench, and exact enumeration of small systems. */
export { SpinChain } from './chain.js';
export { metropolisSweep, heatBathSweep, sweep, type SiteOrder, type SingleFlipRule } from './kernels.js';
export { ParallelTempering, geometricLadder } from './tempering.js';
export { anneal, annealingSchedule, quench, type AnnealResult, type QuenchRule, type ScheduleShape } from './anneal.js';
export { EXACT_MAX_N, enumerateEnergies, exactThermodynamics, walshHadamard, type ExactResult } from './exact.js';
