/**
 * Every CLI command, one module each. A command module exports `register(program)` which adds its
 * subcommand with commander; it parses flags, calls a protocol and prints where the run is.
 * Add a line here for a new command (one import per line keeps concurrent edits trivial).
 */
import type { Command } from 'commander';

type Register = (program: Command) => void;

export const commands: Array<() => Promise<{ register: Register }>> = [
  () => import('./demo.js'),
  () => import('./train.js'),
  () => import('./aging.js'),
  () => import('./cluster.js'),
  () => import('./l2sweep.js'),
  () => import('./spinglass.js'),
  () => import('./run.js'),
  () => import('./resume.js'),
  () => import('./worker.js'),
  () => import('./merge.js'),
  () => import('./report.js'),
  () => import('./compare.js'),
  () => import('./serve.js'),
  () => import('./walk.js'),
  () => import('./permute.js'),
  () => import('./connect.js'),
  () => import('./hessian.js'),
  () => import('./flatness.js'),
  () => import('./surface.js'),
];
