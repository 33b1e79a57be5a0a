// How a command runs: parse its context, open a client, do the work, always close, and turn
// any failure into a message on stderr plus the documented exit code.
import type { KiteClient as Client } from '@kite/client';
import { contextFrom, kvContextFrom, openClient, type CommandContext, type ConnFlags } from './context.js';
import type { KvOutputFormat } from './flags.js';
import { describeError, type ErrorContext } from './describe-error.js';
import { CliError, EXIT_ERROR, EXIT_OK, UsageError, type ExitCode } from './errors.js';

export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof UsageError || err instanceof CliError) return err.exitCode;
  return EXIT_ERROR;
}

/** The running command's full name (`kite lease grant`), for the help hint after a usage error. */
let commandPath = 'kite';

export function setCommandPath(path: string): void {
  commandPath = path;
}

export function reportError(err: unknown, ectx: ErrorContext = {}): ExitCode {
  process.stderr.write(`Error: ${describeError(err, ectx)}\n`);
  if (err instanceof UsageError) process.stderr.write(`(see '${commandPath} --help')\n`);
  return exitCodeOf(err);
}

/** Per-command error context, filled as the command learns what it asked for. */
export interface RunState {
  revision?: number;
}

type Work<F extends string> = (open: () => Promise<Client>, ctx: CommandContext<F>, state: RunState) => Promise<number | void>;

/** Runs `work`, which connects through `open()` when ready; sets process.exitCode (never calls process.exit). */
export async function withClient(flags: ConnFlags, work: Work<CommandContext['format']>): Promise<void> {
  return runClient(flags, contextFrom, work);
}

/** withClient for key-value commands (-w fields, --hex). */
export async function withKvClient(flags: ConnFlags, work: Work<KvOutputFormat>): Promise<void> {
  return runClient(flags, kvContextFrom, work);
}

async function runClient<F extends string>(flags: ConnFlags, parse: (f: ConnFlags) => CommandContext<F>, work: Work<F>): Promise<void> {
  let ctx: CommandContext<F> | undefined;
  const state: RunState = {};
  let client: Client | undefined;
  try {
    ctx = parse(flags);
    const c = ctx;
    // Connect only once the command has validated its arguments: a usage error never waits
    // for (or blames) the network.
    const open = async (): Promise<Client> => (client ??= await openClient(c));
    const code = await work(open, ctx, state);
    process.exitCode = code ?? EXIT_OK;
  } catch (err) {
    process.exitCode = reportError(err, {
      ...(ctx !== undefined ? { endpoints: ctx.endpoints } : {}),
      ...(state.revision !== undefined ? { revision: state.revision } : {}),
    });
  } finally {
    client?.close();
  }
}

/** Runs a command that needs no client. */
export async function plain(work: () => Promise<number | void>): Promise<void> {
  try {
    process.exitCode = (await work()) ?? EXIT_OK;
  } catch (err) {
    process.exitCode = reportError(err);
  }
}
