/** Monte Carlo dynamics for Ising landscapes: single-flip sweeps, parallel tempering, annealing, quench. */
export { SpinChain } from './chain.js';
export { metropolisSweep, heatBathSweep, sweep, type SiteOrder, type SingleFlipRule } from './kernels.js';
export { ParallelTempering, geometricLadder } from './tempering.js';
export { anneal, annealingSchedule, quench, type AnnealResult, type QuenchRule, type ScheduleShape } from './anneal.js';
export { logTimes } from './schedule.js';
