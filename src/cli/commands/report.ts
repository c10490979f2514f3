/** `glassy report RUN`: RUN/report.html (offline, interactive) and RUN/plots/*.svg|png. */
import type { Command } from 'commander';
import { recipeOf } from '../../registry.js';

export function register(program: Command): void {
  program
    .command('report')
    .description('write RUN/report.html (opens offline) and RUN/plots/<name>.svg and .png')
    .argument('<run>', 'run directory')
    .option('--no-png', 'skip the PNG files (faster)')
    .option('--json', 'print { "report": PATH, "plots": [...] } on stdout')
    .action(async (dir: string, flags: { png: boolean; json?: boolean }) => {
      const { buildReport } = await import('../../report/report.js');
      const { Run } = await import('../../store/run.js');
      const recipe = await recipeOf(Run.open(dir).manifest.protocol);
      const r = await buildReport(dir, { png: flags.png, ...(recipe ? { recipe } : {}) });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ report: r.report, plots: r.plots, unavailable: r.unavailable })}\n`);
        return;
      }
      process.stdout.write(`${r.report}\n`);
      for (const u of r.unavailable) process.stderr.write(`note: ${u.title}: not available (${u.reason})\n`);
    });
}
