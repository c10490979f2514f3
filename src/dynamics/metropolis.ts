/**
 * The Metropolis test (Metropolis, Rosenbluth, Rosenbluth, Teller & Teller, J. Chem. Phys. 21, 1087
 * (1953)) for a proposed move of any landscape: a move changing the energy by ΔE is accepted with
 * probability min(1, exp(−ΔE/T)). T = 0 means "no test" (every move accepted): the convention of the
 * walk protocol, whose T = 0 walk is free diffusion. A uniform is drawn only when it decides.
 * (The single-spin-flip sweeps of montecarlo/kernels.ts use a faster bounded form of the same rule.)
 */
import type { Rng } from '../core/rng.js';

export function metropolisAccept(delta: number, temperature: number, rng: Rng): boolean {
  if (temperature === 0 || delta <= 0) return true;
  if (!Number.isFinite(delta)) return false;
  return rng.uniform() < Math.exp(-delta / temperature);
}
