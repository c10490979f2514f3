/** `glassy compare RUN1 RUN2 ... --out DIR`: shared observables of several runs on the same axes. */
import type { Command } from 'commander';
import { GlassyError } from '../../core/errors.js';

export function register(program: Command): void {
  program
    .command('compare')
    .description('put runs side by side: P(q), ultrametricity, aging curves, Hessian spectra on shared axes')
    .argument('<runs...>', 'two or more run directories')
    .option('--out <dir>', 'output directory for compare.html and plots/')
    .option('--no-png', 'skip the PNG files (faster)')
    .option('--json', 'print { "report": PATH, "plots": [...] } on stdout')
    .action(async (runs: string[], flags: { out?: string; png: boolean; json?: boolean }) => {
      if (!flags.out) throw GlassyError.invalid('--out', flags.out, 'an output directory (e.g. --out compare/)');
      const { buildComparison } = await import('../../report/compare.js');
      const r = await buildComparison(runs, flags.out, { png: flags.png });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ report: r.report, plots: r.plots, onlyOne: r.onlyOne })}\n`);
        return;
      }
      process.stdout.write(`${r.report}\n`);
      for (const o of r.onlyOne) process.stderr.write(`note: ${o.title}: only in ${o.run}\n`);
    });
}
