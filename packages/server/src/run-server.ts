// `kite server` as a function: parse the configuration, start one member, stop it cleanly on
// SIGTERM/SIGINT. Exit codes (set on process.exitCode, never process.exit while data may be
// unwritten): 0 stopped cleanly, 1 fatal runtime error, 2 bad configuration, 3 unusable data
// directory, 4 cannot listen (port in use), 5 cannot join the existing cluster.

import { ConfigError, HelpRequested, loadConfig, type ServerConfig } from './config.js';
import { KiteServer } from './kite-server.js';
import { openKvStore } from './kv-adapter.js';
import { createLogger } from './logger.js';
import { DataDirError } from './raft-log-store.js';

export const EXIT_OK = 0;
export const EXIT_FATAL = 1;
export const EXIT_CONFIG = 2;
export const EXIT_DATA_DIR = 3;
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
  const logger = await createLogger(config.logLevel, config.name);
  const server = new KiteServer(config, logger, openKvStore);
  // A broken invariant anywhere (assertions are never caught) stops the member at once, logged.
  const onCrash = (err: unknown): void => {
    logger.fatal({ err }, 'uncaught error; exiting');
    logger.flush();
    process.exit(EXIT_FATAL);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'signal received');
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
    logger.fatal({ err: (err as Error).message, code: (err as { code?: string }).code }, 'cannot start');
    process.stderr.write(`kite server: cannot start: ${(err as Error).message}\n`);
    await server.stop('start failed', code).catch(() => undefined);
    process.exitCode = code;
    detach();
    return;
  }
  const code = await server.done;
  detach();
  process.exitCode = code;
  if (code === EXIT_FATAL) {
    // The raft loop failed mid-way (disk error, broken invariant): stop at once rather than
    // serve from a state that may be ahead of what is durable. Restart recovers from disk.
    logger.flush();
    process.exit(EXIT_FATAL);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof DataDirError) return EXIT_DATA_DIR;
  const code = (err as { code?: unknown }).code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') return EXIT_LISTEN;
  if (code === 'Unavailable') return EXIT_JOIN;
  return EXIT_FATAL;
}
