// `kite server` as a function: parse the configuration, start one member, stop it cleanly on
// SIGTERM/SIGINT. Exit codes (set on process.exitCode, never process.exit while data may be
// unwritten): 0 stopped cleanly, 1 fatal runtime error, 2 bad configuration, 3 unusable data
// directory, 4 cannot listen (port in use), 5 cannot join the existing cluster, 6 disk full
// (at start or while running; see disk-full.ts), 86 stopped by an armed failpoint
// (failpoints.ts: only with KITE_FAILPOINTS set; a bad value is a configuration error, 2).

import { setFlagsFromString } from 'node:v8';
import { ConfigError, HelpRequested, loadConfig, type ServerConfig } from './config.js';
import { KiteServer } from './kite-server.js';
import { openKvStore } from './kv-adapter.js';
import { diskFullPath, EXIT_DISK_FULL } from './disk-full.js';
import { armFailpoints, FAILPOINTS_ENV, FailpointSpecError, type FailpointSpec } from './failpoints.js';
import { createLogger } from './logger.js';
import { DataDirError } from './raft-log-store.js';
import { EXIT_DATA_DIR } from './data-dir-check.js';

export { EXIT_DISK_FULL };

export const EXIT_OK = 0;
export const EXIT_FATAL = 1;
export const EXIT_CONFIG = 2;
export { EXIT_DATA_DIR };
export const EXIT_LISTEN = 4;
export const EXIT_JOIN = 5;

/** Runs a member until it stops; resolves with process.exitCode set. */
export async function runServer(argv: string[]): Promise<void> {
  let config: ServerConfig;
  try {
    config = loadConfig(argv);
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(`${err.message}\n`);
      process.exitCode = EXIT_OK;
      return;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`kite server: ${err.message}\n\n${'Run `kite server --help` for the options.'}\n`);
      process.exitCode = EXIT_CONFIG;
      return;
    }
    throw err;
  }
  let failpoints: readonly FailpointSpec[];
  try {
    failpoints = armFailpoints(process.env[FAILPOINTS_ENV]);
  } catch (err) {
    if (!(err instanceof FailpointSpecError)) throw err;
    process.stderr.write(`kite server: ${err.message}\n`);
    process.exitCode = EXIT_CONFIG;
    return;
  }
  // Memory: V8 doubles its young generation under allocation pressure (up to 3 x 16 MiB
  // semi-spaces) and rarely gives it back; a member's garbage is short-lived replies and
  // frames, so a fixed small young generation costs little CPU and keeps ~30 MiB off the RSS.
  setFlagsFromString('--semi-space-growth-factor=1');
  // V8 lets the old generation grow by up to 4x between full GCs; a member's heap is mostly
  // the key index (live) plus garbage promoted under load, so that slack, and the native
  // buffers freed only when the GC runs (fragmenting the malloc heap), were ~60-90 MiB of RSS
  // after 100k puts. Growing 10% at a time keeps a member near its live size (issue 4).
  setFlagsFromString('--heap-growing-percent=10');
  const logger = await createLogger(config.logLevel, config.name);
  if (failpoints.length > 0) logger.warn({ failpoints: failpoints.map((f) => `${f.name}=${f.action}@${f.hit}`) }, `failpoints armed (${FAILPOINTS_ENV}): this member will crash on purpose`);
  const server = new KiteServer(config, logger, openKvStore);
  // A broken invariant anywhere (assertions are never caught) stops the member at once, logged.
  const onCrash = (err: unknown): void => {
    logger.fatal({ err }, 'uncaught error; exiting');
    logger.flush();
    process.exit(EXIT_FATAL);
  };
  // Logged once, by stop() ("stopping", reason "signal SIGTERM"); a second signal while
  // stopping joins the same stop and logs nothing more.
  const onSignal = (signal: NodeJS.Signals): void => {
    server.stop(`signal ${signal}`, EXIT_OK).catch(onCrash);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  const detach = (): void => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  };
  try {
    await server.start();
  } catch (err) {
    const code = exitCodeFor(err);
    const message = startFailureMessage(err, config);
    logger.fatal({ err: (err as Error).message, code: (err as { code?: string }).code, exitCode: code }, `cannot start: ${message}`);
    process.stderr.write(`kite server: cannot start: ${message}\n`);
    await server.stop('start failed', code).catch(() => undefined);
    process.exitCode = code;
    detach();
    return;
  }
  const code = await server.done;
  detach();
  process.exitCode = code;
  if (code === EXIT_FATAL || code === EXIT_DISK_FULL || code === EXIT_DATA_DIR) {
    // The raft loop failed mid-way (disk error, broken invariant): stop at once rather than
    // serve from a state that may be ahead of what is durable (or, exit 3, from a store found
    // damaged while serving). Restart recovers from disk, or refuses a damaged store.
    logger.flush();
    process.exit(code);
  }
}

/** The problem, the path, and for a damaged data dir how to recover the member. */
function startFailureMessage(err: unknown, config: ServerConfig): string {
  const message = (err as Error).message;
  const full = diskFullPath(err, config.dataDir);
  if (full !== null) return `disk full: ${full} (${message}); free space and start the member again`;
  if (!(err instanceof DataDirError) || (err.code !== 'CorruptDataDir' && err.code !== 'DataDirUnreadable')) return message;
  const recover =
    `recover this member: run \`kite member remove <its id>\` against a healthy member (see \`kite member list\`), ` +
    `delete ${config.dataDir}, run \`kite member add ${config.name} --peer-urls ${config.advertisePeerUrl}\`, then start it ` +
    'with --initial-cluster-state existing: it receives a snapshot from the leader (a single-member cluster restores a backup instead)';
  const advice = err.code === 'CorruptDataDir' ? `To ${recover}.` : `Check the disk and permissions; if its data is damaged, ${recover}.`;
  return `${err.code}: data dir ${config.dataDir}: ${message}. Nothing was served from it. ${advice}`;
}

function exitCodeFor(err: unknown): number {
  if (diskFullPath(err, '') !== null) return EXIT_DISK_FULL;
  if (err instanceof ConfigError) return EXIT_CONFIG;
  if (err instanceof DataDirError) return EXIT_DATA_DIR;
  const code = (err as { code?: unknown }).code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') return EXIT_LISTEN;
  if (code === 'Unavailable') return EXIT_JOIN;
  return EXIT_FATAL;
}
