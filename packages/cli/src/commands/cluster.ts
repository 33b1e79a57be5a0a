// cluster up | down | status, and `server` (one member, the server package's runServer).
import type { Command } from 'commander';
import { parseIntFlag, parseOutputFormat } from '../flags.js';
import { existingPlan, resolvePlan } from '../cluster/layout.js';
import { clusterUpDetached, clusterUpForeground } from '../cluster/up.js';
import { clusterDown, clusterStatus } from '../cluster/down-status.js';
import { plain } from '../run.js';

interface UpFlags {
  nodes?: string;
  dataDir: string;
  basePort?: string;
  detach?: boolean;
  tls?: boolean;
}

export const DEFAULT_DATA_DIR = '.kite';

export function registerCluster(program: Command): void {
  const cluster = program.command('cluster').description('cluster up | down | status: a local cluster of kite server processes');

  cluster.command('up')
    .description('start a local cluster (reuses the data dir on the next run); Ctrl-C stops every member')
    .option('--nodes <n>', 'number of members, 1 to 9 (default 3; first run only)', undefined)
    .option('--data-dir <dir>', 'where members keep their data, logs and the pid file', DEFAULT_DATA_DIR)
    .option('--base-port <port>', 'client ports are base, base+1, …; peer ports base+100, … (default 2379; first run only)', undefined)
    .option('--detach', 'leave the members running in the background (logs in the data dir); stop with cluster down')
    .option('--tls', 'mutual TLS on every link, with a throw-away CA and certificates made in DATA_DIR/tls (first run only)')
    .action(async (f: UpFlags) => plain(async () => {
      const nodes = f.nodes !== undefined ? parseIntFlag('--nodes', f.nodes, { min: 1, max: 9 }) : undefined;
      const basePort = f.basePort !== undefined ? parseIntFlag('--base-port', f.basePort, { min: 1024, max: 65535 }) : undefined;
      const plan = resolvePlan(f.dataDir, { ...(nodes !== undefined ? { nodes } : {}), ...(basePort !== undefined ? { basePort } : {}), ...(f.tls === true ? { tls: true } : {}) }, false);
      return f.detach === true ? clusterUpDetached(plan, { detach: true }) : clusterUpForeground(plan, { detach: false });
    }));

  cluster.command('down')
    .description('stop the members a `cluster up` started from this data dir (SIGTERM, then SIGKILL after 10 s)')
    .option('--data-dir <dir>', 'the cluster\'s data dir', DEFAULT_DATA_DIR)
    .action(async (f: { dataDir: string }) => plain(() => clusterDown(existingPlan(f.dataDir))));

  cluster.command('status')
    .description('members, leader, term, commit/applied index, revision and db size')
    .option('--data-dir <dir>', 'the cluster\'s data dir', DEFAULT_DATA_DIR)
    .option('-w, --write-out <format>', 'table or json', 'table')
    .action(async (f: { dataDir: string; writeOut: string }) => plain(() => clusterStatus(existingPlan(f.dataDir), parseOutputFormat(f.writeOut))));
}

export function registerServer(program: Command): void {
  program.command('server')
    .description('run one member (see `kite server --help`); defaults start a single-member cluster in ./kite-data')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) => {
      // Loaded lazily: client commands should not pay for LevelDB and raft at start-up.
      // runServer sets process.exitCode itself (its own documented codes).
      const { runServer } = await import('@kite/server');
      await runServer(args);
    });
}
