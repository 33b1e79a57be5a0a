// The `kite` program: builds the command tree and maps failures to exit codes
// (0 ok, 1 error, 2 usage). Every command sets process.exitCode; nothing calls process.exit
// while work (closing clients, stopping members) may still be pending.
import { Command, CommanderError } from 'commander';
import { EXIT_ERROR, EXIT_OK, EXIT_USAGE } from './errors.js';
import { setCommandPath } from './run.js';
import { registerAlarm } from './commands/alarm.js';
import { registerAudit } from './commands/audit.js';
import { registerAuth, registerRole, registerUser } from './commands/auth.js';
import { registerBench } from './commands/bench.js';
import { registerChaos } from './commands/chaos.js';
import { registerCluster, registerServer } from './commands/cluster.js';
import { registerConfig } from './commands/config.js';
import { registerDefrag } from './commands/defrag.js';
import { registerEndpoint } from './commands/endpoint.js';
import { registerHistory } from './commands/history.js';
import { registerKv } from './commands/kv.js';
import { registerLease } from './commands/lease.js';
import { registerLockElect } from './commands/lock-elect.js';
import { registerMember, registerMoveLeader } from './commands/member.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerTxn } from './commands/txn.js';
import { registerWatch } from './commands/watch.js';
import { registerWal } from './commands/wal.js';

export const VERSION = '0.1.0';

const EPILOG = `
Endpoints: --endpoints a,b,c or KITE_ENDPOINTS (default ws://127.0.0.1:2379).
Login:     --user name[:password] or KITE_USER / KITE_PASSWORD (asked without echo when absent).
Output:    -w simple (default) | json | table; key-value commands also -w fields (etcdctl's).
Bytes:     text output escapes control characters and bytes that are not UTF-8 (\\xNN);
           --hex gives and prints keys and values as hex; -w json is exact (text or *_base64).

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
  registerMoveLeader(program);
  registerAlarm(program);
  registerUser(program);
  registerRole(program);
  registerAuth(program);
  registerAudit(program);
  registerEndpoint(program);
  registerDefrag(program);
  registerSnapshot(program);
  registerHistory(program);
  registerBench(program);
  registerChaos(program);
  registerConfig(program);
  registerWal(program);
  // Usage errors exit 2 with commander's own message and the command's help hint;
  // help/version exit 0.
  const exitOverride = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.showHelpAfterError(`(see '${fullName(cmd)} --help')`);
    cmd.commands.forEach(exitOverride);
  };
  exitOverride(program);
  program.hook('preAction', (_root, action) => setCommandPath(fullName(action)));
  return program;
}

/** `kite lease grant`: the names from the root down to `cmd`. */
function fullName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // `kite` or `kite lease` without a subcommand prints help as an error (exit 2);
      // asking for help (--help, `kite help`) or --version is a success.
      process.exitCode = err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
      return;
    }
    process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT_ERROR;
  }
}
