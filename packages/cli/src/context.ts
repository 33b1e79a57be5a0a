// Shared per-command plumbing: the connection flags every client command takes, opening a
// client from them, and printing. Commands get a CommandContext and never read process.env
// or argv themselves, so they stay testable.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { connect, type ClientTls, type KiteClient as Client } from '@kite/client';
import type { BytesStyle } from './bytes.js';
import { UsageError } from './errors.js';
import { promptPassword } from './password-prompt.js';
import { parseDurationMs, parseEndpoints, parseKvOutputFormat, parseOutputFormat, type KvOutputFormat, type OutputFormat } from './flags.js';

export interface ConnFlags {
  readonly endpoints?: string;
  readonly writeOut?: string;
  readonly commandTimeout?: string;
  readonly dialTimeout?: string;
  readonly cacert?: string;
  readonly cert?: string;
  readonly key?: string;
  /** --hex (key-value commands only): keys and values given and printed as hex. */
  readonly hex?: boolean;
  /** --user name[:password] (env KITE_USER, KITE_PASSWORD). */
  readonly user?: string;
  readonly password?: string;
}

/** Who to log in as; `password` undefined: asked on the terminal when the client opens. */
export interface UserFlag {
  readonly name: string;
  readonly password: string | undefined;
}

export interface CommandContext<F extends string = OutputFormat> {
  readonly endpoints: readonly string[];
  readonly format: F;
  readonly commandTimeoutMs: number;
  readonly dialTimeoutMs: number;
  /** TLS material for wss:// endpoints (--cacert/--cert/--key); undefined: none given. */
  readonly tls: ClientTls | undefined;
  /** How keys and values are read from argv and shown in text output. */
  readonly style: BytesStyle;
  /** --user / KITE_USER: log in on every link; undefined: no login. */
  readonly user: UserFlag | undefined;
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
    .option('--dial-timeout <duration>', 'timeout to connect to a member', DEFAULT_DIAL_TIMEOUT)
    .option('--cacert <file>', 'CA bundle that signed the members\' certificates, for wss:// endpoints (env KITE_CACERT)')
    .option('--cert <file>', 'client certificate, when members require one (env KITE_CERT)')
    .option('--key <file>', 'client certificate key (env KITE_KEY)')
    .option('--user <name[:password]>', 'log in as this user (env KITE_USER); without a password it is asked for on the terminal (env KITE_PASSWORD)')
    .option('--password <password>', 'the --user password (env KITE_PASSWORD; prefer the prompt: flags show in ps)');
}

/** --user name[:password] / --password, else KITE_USER / KITE_PASSWORD. */
export function userFrom(flags: ConnFlags, env: NodeJS.ProcessEnv = process.env): UserFlag | undefined {
  const raw = flags.user ?? (env['KITE_USER'] === '' ? undefined : env['KITE_USER']);
  if (raw === undefined) return undefined;
  const colon = raw.indexOf(':');
  const name = colon < 0 ? raw : raw.slice(0, colon);
  if (name === '') throw new UsageError('--user needs a name, like --user alice or --user alice:secret');
  const inline = colon < 0 ? undefined : raw.slice(colon + 1);
  const fromEnv = env['KITE_PASSWORD'] === '' ? undefined : env['KITE_PASSWORD'];
  // `user add --no-password` shares the flag name: commander gives it a boolean there.
  const given = typeof flags.password === 'string' ? flags.password : undefined;
  return { name, password: given ?? inline ?? fromEnv };
}

/** --cacert/--cert/--key (or KITE_CACERT/KITE_CERT/KITE_KEY) read into PEM contents. */
export function tlsFrom(flags: ConnFlags, env: NodeJS.ProcessEnv = process.env): ClientTls | undefined {
  const pick = (flag: string | undefined, name: string): string | undefined => flag ?? (env[name] === '' ? undefined : env[name]);
  const files = { ca: pick(flags.cacert, 'KITE_CACERT'), cert: pick(flags.cert, 'KITE_CERT'), key: pick(flags.key, 'KITE_KEY') };
  if (files.ca === undefined && files.cert === undefined && files.key === undefined) return undefined;
  if ((files.cert === undefined) !== (files.key === undefined)) throw new UsageError('--cert and --key go together');
  const read = (flag: string, file: string | undefined): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new UsageError(`${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const ca = read('--cacert', files.ca);
  const cert = read('--cert', files.cert);
  const key = read('--key', files.key);
  return { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) };
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
    tls: tlsFrom(flags),
    style: flags.hex === true ? 'hex' : 'text',
    user: userFrom(flags),
  };
}

export async function openClient(ctx: CommandContext<string>, options: { readonly preferLeader?: boolean } = {}): Promise<Client> {
  const user = ctx.user;
  const auth = user === undefined
    ? undefined
    : { user: user.name, password: user.password ?? (await promptPassword(`Password for ${user.name}: `, 'use --user name:password, --password or KITE_PASSWORD')) };
  return connect({
    endpoints: [...ctx.endpoints], timeoutMs: ctx.commandTimeoutMs, dialTimeoutMs: ctx.dialTimeoutMs, ...options,
    ...(ctx.tls === undefined ? {} : { tls: ctx.tls }),
    ...(auth === undefined ? {} : { auth }),
  });
}

export function print(s: string): void {
  process.stdout.write(s);
}
