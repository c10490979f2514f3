/**
 * glassy CLI entry point. Errors from bad input are GlassyErrors: printed as one line
 * `error: ...` with exit code 2 (usage) — never a stack trace. Anything else is a bug; it is printed
 * with its message and exit code 1 (stack only with GLASSY_DEBUG=1).
 *
 * Only the command being run is loaded (its module, or its protocol's light half): the others are
 * listed by name and description, so `--version` and `--help` answer at once.
 */
import { Command, CommanderError } from 'commander';
import { GlassyError } from '../core/errors.js';
import { registry } from '../registry.js';
import { commands } from './commands/index.js';
import { VERSION } from '../version.js';

export async function main(argv: string[]): Promise<void> {
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const program = new Command();
  program
    .name('glassy')
    .description('Neural-network loss landscapes and spin glasses side by side.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');
  try {
    // `glassy help X` is `glassy X --help`.
    const at = args[0] === 'help' ? 1 : 0;
    const wanted = args[at]?.startsWith('-') ? undefined : args[at];
    const topLevel: string[] = [];
    for (const name of registry.names()) {
      if (commands.some((c) => c.name === name)) continue; // a hand-written command of that name wins
      topLevel.push(name);
    }
    for (const c of commands) {
      if (c.name === wanted) await (await c.load()).register(program, args.slice(at + 1));
      else program.command(c.name).description(c.description);
    }
    // Protocol commands: the named one is built in full; for the overview, all of them (light halves).
    for (const name of topLevel) {
      if (wanted !== undefined && wanted !== name && (commands.some((c) => c.name === wanted) || registry.names().includes(wanted))) continue;
      const p = await registry.protocol(name);
      if (p.cli.topLevel === false) continue;
      if (name === wanted) (await import('./protocol-command.js')).addProtocolCommand(program, name, p, registry);
      else program.command(name).description(p.cli.description);
    }
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed its message (unknown option, missing argument, --help, --version).
    return err.exitCode;
  }
  if (err instanceof GlassyError) {
    process.stderr.write(`error: ${err.message}\n`);
    return 2;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(`error: ${e.message}\n`);
  if (process.env['GLASSY_DEBUG']) process.stderr.write(`${e.stack}\n`);
  return 1;
}
