// Process logger: pino, JSON lines to stdout; human-readable (pino-pretty) when stdout is a
// terminal and pino-pretty is installed. Every line carries the member name so the logs of a
// local cluster can be told apart.

import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

export async function createLogger(level: LogLevel, name: string): Promise<Logger> {
  const base = { member: name };
  if (process.stdout.isTTY) {
    try {
      const mod = (await import('pino-pretty')) as { default: (opts: object) => NodeJS.WritableStream };
      return pino({ level, base }, mod.default({ colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }));
    } catch {
      // pino-pretty is optional: fall back to JSON.
    }
  }
  return pino({ level, base });
}

/** A logger that drops everything (unit tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
