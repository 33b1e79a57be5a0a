// Shared per-command plumbing: the connection flags every client command takes, opening a
// client from them, and printing. Commands get a CommandContext and never read process.env
// or argv themselves, so they stay testable.
import type { Command } from 'commander';
import { connect, type KiteClient as Client } from '@kite/client';
import { parseDurationMs, parseEndpoints, parseOutputFormat, type OutputFormat } from './flags.js';

export interface ConnFlags {
  readonly endpoints?: string;
  readonly writeOut?: string;
  readonly commandTimeout?: string;
  readonly dialTimeout?: string;
}

export interface CommandContext {
  readonly endpoints: readonly string[];
  readonly format: OutputFormat;
  readonly commandTimeoutMs: number;
  readonly dialTimeoutMs: number;
}

export const DEFAULT_COMMAND_TIMEOUT = '5s';
export const DEFAULT_DIAL_TIMEOUT = '2s';

/** Adds --endpoints, -w and timeouts to a command that talks to the cluster. */
export function withConnFlags(cmd: Command, defaultFormat: OutputFormat = 'simple'): Command {
  return cmd
    .option('--endpoints <list>', 'comma-separated client URLs (env KITE_ENDPOINTS)', undefined)
    .option('-w, --write-out <format>', 'output format: simple, json or table', defaultFormat)
    .option('--command-timeout <duration>', 'timeout of each request, like 5s or 500ms', DEFAULT_COMMAND_TIMEOUT)
    .option('--dial-timeout <duration>', 'timeout to connect to a member', DEFAULT_DIAL_TIMEOUT);
}

export function contextFrom(flags: ConnFlags): CommandContext {
  return {
    endpoints: parseEndpoints(flags.endpoints),
    format: parseOutputFormat(flags.writeOut),
    commandTimeoutMs: parseDurationMs('--command-timeout', flags.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT),
    dialTimeoutMs: parseDurationMs('--dial-timeout', flags.dialTimeout ?? DEFAULT_DIAL_TIMEOUT),
  };
}

export async function openClient(ctx: CommandContext): Promise<Client> {
  return connect({ endpoints: [...ctx.endpoints], timeoutMs: ctx.commandTimeoutMs, dialTimeoutMs: ctx.dialTimeoutMs });
}

export function print(s: string): void {
  process.stdout.write(s);
}
