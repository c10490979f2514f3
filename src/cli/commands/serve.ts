/** `glassy serve [DIR]`: browse runs and their reports at http://127.0.0.1:PORT/ (read-only). */
import type { Command } from 'commander';
import { GlassyError } from '../../core/errors.js';
import { DEFAULT_HOST, DEFAULT_PORT, startServer } from '../../report/serve.js';

function parsePort(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isInteger(n) || n > 65535) throw GlassyError.invalid('--port', v, 'an integer from 0 to 65535 (0 picks a free port)');
  return n;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the runs under DIR (list, status, reports) on 127.0.0.1; Ctrl-C stops')
    .argument('[dir]', 'directory holding runs', 'runs')
    .option('--port <port>', `port (0 = any free port)`, parsePort, DEFAULT_PORT)
    .option('--host <host>', 'address to bind; anything but loopback exposes your runs to the network', DEFAULT_HOST)
    .action(async (dir: string, flags: { port: number; host: string }) => {
      const s = await startServer({ dir, port: flags.port, host: flags.host });
      process.stdout.write(`serving ${dir} at ${s.url} (Ctrl-C to stop)\n`);
      if (!['127.0.0.1', '::1', 'localhost'].includes(flags.host)) {
        process.stderr.write(`warning: bound to ${flags.host}: anyone who can reach this address can read these runs\n`);
      }
      await new Promise<void>((done) => {
        const stop = (): void => {
          process.stdout.write('stopping\n');
          void s.close().then(done);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
