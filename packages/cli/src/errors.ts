// The CLI's two failure kinds and its exit codes. A UsageError means the command line itself
// is wrong (exit 2, like getopt tools); a CliError is a failed operation with a message a
// person can act on (exit 1). Both carry a stable `code` so tests need not match prose.

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;
export type ExitCode = typeof EXIT_OK | typeof EXIT_ERROR | typeof EXIT_USAGE;

export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'Usage';
  readonly exitCode: ExitCode = EXIT_USAGE;
}

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: string;
  readonly exitCode: ExitCode = EXIT_ERROR;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Thrown where an invariant of the CLI itself is broken; never caught. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`kite cli invariant broken: ${message}`);
}
