// Shared per-command plumbing: the connection flags every client command takes, opening a
// client from them, and printing. Commands get a CommandContext and never read process.env
// or argv themselves, so they stay testable.
import type { Command } from 'commander';
import { connect, type KiteClient as Client } from '@kite/client';
import type { BytesStyle } from './bytes.js';
import { parseDurationMs, parseEndpoints, parseKvOutputFormat, parseOutputFormat, type KvOutputFormat, type OutputFormat } from './flags.js';

export interface ConnFlags {
  readonly endpoints?: string;
  readonly writeOut?: string;
  readonly commandTimeout?: string;
  readonly dialTimeout?: string;
  /** --hex (key-value commands only): keys and values given and printed as hex. */
  readonly hex?: boolean;
}

export interface CommandContext<F extends string = OutputFormat> {
  readonly endpoints: readonly string[];
  readonly format: F;
  readonly commandTimeoutMs: number;
  readonly dialTimeoutMs: number;
  /** How keys and values are read from argv and shown in text output. */
  readonly style: BytesStyle;
}

export const DEFAULT_COMMAND_TIMEOUT = '5s';
export const DEFAULT_DIAL_TIMEOUT = '2s';

/** Adds --endpoints, -w and timeouts to a command that talks to the cluster. */
export function withConnFlags(cmd: Command, defaultFormat: OutputFormat = 'simple'): Command {
  return withCommonFlags(cmd, 'output format: simple, json or table', defaultFormat);
}

/** withConnFlags for key-value commands: -w also takes fields, and --hex is accepted. */
export function withKvFlags(cmd: Command): Command {
  return withCommonFlags(cmd, 'output format: simple, json, table or fields (etcdctl\'s "Field" : value lines)', 'simple')
    .option('--hex', 'keys and values are given and printed as hex (json output stays exact either way)');
}

function withCommonFlags(cmd: Command, formatHelp: string, defaultFormat: string): Command {
  return cmd
    .option('--endpoints <list>', 'comma-separated client URLs (env KITE_ENDPOINTS)', undefined)
    .option('-w, --write-out <format>', formatHelp, defaultFormat)
    .option('--command-timeout <duration>', 'timeout of each request, like 5s or 500ms', DEFAULT_COMMAND_TIMEOUT)
    .option('--dial-timeout <duration>', 'timeout to connect to a member', DEFAULT_DIAL_TIMEOUT);
}

export function contextFrom(flags: ConnFlags): CommandContext {
  return { ...baseContext(flags), format: parseOutputFormat(flags.writeOut) };
}

export function kvContextFrom(flags: ConnFlags): CommandContext<KvOutputFormat> {
  return { ...baseContext(flags), format: parseKvOutputFormat(flags.writeOut) };
}

function baseContext(flags: ConnFlags): Omit<CommandContext, 'format'> {
  return {
    endpoints: parseEndpoints(flags.endpoints),
    commandTimeoutMs: parseDurationMs('--command-timeout', flags.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT),
    dialTimeoutMs: parseDurationMs('--dial-timeout', flags.dialTimeout ?? DEFAULT_DIAL_TIMEOUT),
    style: flags.hex === true ? 'hex' : 'text',
  };
}

export async function openClient(ctx: CommandContext<string>): Promise<Client> {
  return connect({ endpoints: [...ctx.endpoints], timeoutMs: ctx.commandTimeoutMs, dialTimeoutMs: ctx.dialTimeoutMs });
}

export function print(s: string): void {
  process.stdout.write(s);
}
