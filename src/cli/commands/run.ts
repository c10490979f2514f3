/**
 * `glassy run PROTOCOL …`: any registered protocol, with the flags generated from its schema
 * (cli/protocol-command.ts) — the same command as `glassy PROTOCOL …`. With --shard i/n several
 * processes (a SLURM array) share one --out: the first creates the run, the others join it.
 */
import type { Command } from 'commander';
import { registry } from '../../registry.js';
import { addProtocolCommand } from '../protocol-command.js';

/** `argv`: the words after `run`; only the protocol named there is loaded (all of them for help). */
export async function register(program: Command, argv: readonly string[] = []): Promise<void> {
  const cmd = program
    .command('run')
    .description('run K replicas of a registered protocol on an executor (local pool, queue, shards)')
    .usage('<protocol> [options]');
  const names = registry.names();
  const wanted = names.includes(argv[0] ?? '') ? [argv[0]!] : names;
  for (const name of wanted) addProtocolCommand(cmd, name, await registry.protocol(name), registry);
}
