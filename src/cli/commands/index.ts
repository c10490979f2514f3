/**
 * The CLI commands that are not protocols (protocol commands are generated from the registry).
 * A module exports `register(program, argv)` and is imported only when its command runs, so
 * `glassy --help` and `glassy X --help` load nothing heavy; `description` is what `glassy --help`
 * lists. One line per command keeps concurrent edits trivial.
 */
import type { Command } from 'commander';

export interface CommandModule {
  register(program: Command, argv?: readonly string[]): void | Promise<void>;
}

export interface CommandEntry {
  name: string;
  description: string;
  load(): Promise<CommandModule>;
}

export const commands: readonly CommandEntry[] = [
  { name: 'demo', description: 'one-minute end-to-end study: a network ensemble on MNIST and an SK glass, overlaps, P(q), clustering, reports', load: () => import('./demo.js') },
  { name: 'cluster', description: 'overlap matrix, P(q), dendrogram and ultrametricity of the replicas of a train or spinglass run', load: () => import('./cluster.js') },
  { name: 'spinglass', description: 'spin glasses (SK, EA 2D/3D, Hopfield, spherical p-spin): energy, P(q), <q²>, Binder ratio over disorder samples', load: () => import('./spinglass.js') },
  { name: 'walk', description: 'random walks from a trained minimum: loss vs distance, escape distance, ruggedness of the increments', load: () => import('./walk.js') },
  { name: 'permute', description: 'loss along θ → Pθ for hidden-unit permutations P (barrier vs displaced units k), and θa → θb before/after alignment', load: () => import('./permute.js') },
  { name: 'connect', description: 'loss along paths between two replicas: linear, Bézier (Garipov et al. 2018), NEB (Draxler et al. 2018)', load: () => import('./connect.js') },
  { name: 'hessian', description: 'Hessian eigenvalues (Lanczos), spectral density (SLQ), trace (Hutchinson), dense spectrum; of a network replica or a p-spin configuration', load: () => import('./hessian.js') },
  { name: 'run', description: 'run K replicas of a registered protocol on an executor (local pool, queue, shards)', load: () => import('./run.js') },
  { name: 'resume', description: 'finish an interrupted or failed run: skip done replicas, continue the others from their checkpoints', load: () => import('./resume.js') },
  { name: 'worker', description: 'take replica jobs from a BullMQ queue (for --executor queue) until stopped', load: () => import('./worker.js') },
  { name: 'merge', description: 'check every replica of a sharded run is done exactly once, then finalise it', load: () => import('./merge.js') },
  { name: 'report', description: 'write RUN/report.html (opens offline) and RUN/plots/<name>.svg and .png', load: () => import('./report.js') },
  { name: 'compare', description: 'put runs side by side: P(q), ultrametricity, aging curves, Hessian spectra on shared axes', load: () => import('./compare.js') },
  { name: 'serve', description: 'serve the runs under DIR (list, status, reports) on 127.0.0.1; Ctrl-C stops', load: () => import('./serve.js') },
];
