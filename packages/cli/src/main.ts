// The `kite` program: builds the command tree and maps failures to exit codes
// (0 ok, 1 error, 2 usage). Every command sets process.exitCode; nothing calls process.exit
// while work (closing clients, stopping members) may still be pending.
import { Command, CommanderError } from 'commander';
import { EXIT_ERROR, EXIT_OK, EXIT_USAGE } from './errors.js';
import { registerAlarm } from './commands/alarm.js';
import { registerBench } from './commands/bench.js';
import { registerChaos } from './commands/chaos.js';
import { registerCluster, registerServer } from './commands/cluster.js';
import { registerConfig } from './commands/config.js';
import { registerEndpoint } from './commands/endpoint.js';
import { registerHistory } from './commands/history.js';
import { registerKv } from './commands/kv.js';
import { registerLease } from './commands/lease.js';
import { registerLockElect } from './commands/lock-elect.js';
import { registerMember } from './commands/member.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerTxn } from './commands/txn.js';
import { registerWatch } from './commands/watch.js';

export const VERSION = '0.1.0';

const EPILOG = `
Endpoints: --endpoints a,b,c or KITE_ENDPOINTS (default ws://127.0.0.1:2379).
Output:    -w simple (default) | json | table.

Exit codes:
  0  success
  1  the operation failed (cluster unreachable, compacted revision, txn compare failed for rollback, …)
  2  usage error (unknown command or flag, bad flag value)

Start a local 3-member cluster:  kite cluster up
`;

export function buildProgram(): Command {
  const program = new Command('kite')
    .description('Kite: a Raft-replicated, etcd-class key-value store — client, server and local cluster tool')
    .version(VERSION)
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .addHelpText('after', EPILOG);
  registerCluster(program);
  registerServer(program);
  registerKv(program);
  registerTxn(program);
  registerWatch(program);
  registerLease(program);
  registerLockElect(program);
  registerMember(program);
  registerAlarm(program);
  registerEndpoint(program);
  registerSnapshot(program);
  registerHistory(program);
  registerBench(program);
  registerChaos(program);
  registerConfig(program);
  // Usage errors exit 2 with commander's own message; help/version exit 0.
  const exitOverride = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
      process.exitCode = ok ? EXIT_OK : err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
      return;
    }
    process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT_ERROR;
  }
}
