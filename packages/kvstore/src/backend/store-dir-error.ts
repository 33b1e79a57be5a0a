// The store directory is in a state the backend cannot trust (e.g. ACTIVE missing or garbled
// while database directories exist). Opening refuses instead of guessing which directory is
// live: a wrong guess would delete the data. The code matches the server's data-dir errors.

export class StoreDirError extends Error {
  override readonly name: string = 'StoreDirError';
  readonly code = 'CorruptDataDir' as const;

  constructor(
    /** The file or directory at fault. */
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}
