/**
 * glassy CLI entry point. Errors from bad input are GlassyErrors: printed as one line
 * `error: ...` with exit code 2 (usage) — never a stack trace. Anything else is a bug; it is printed
 * with its message and exit code 1 (stack only with GLASSY_DEBUG=1).
 */
import { Command, CommanderError } from 'commander';
import { GlassyError } from '../core/errors.js';
import { commands } from './commands/index.js';
import { VERSION } from '../version.js';

export async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program
    .name('glassy')
    .description('Neural-network loss landscapes and spin glasses side by side.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');
  for (const load of commands) (await load()).register(program);
  try {
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
