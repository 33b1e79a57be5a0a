// Expected errors of the watch hub; `code` is the stable string that crosses the wire.

export class TooManyWatchesError extends Error {
  readonly code = 'TooManyWatches' as const;
  constructor(readonly watchersMax: number) {
    super(`too many watchers (limit ${watchersMax})`);
    this.name = 'TooManyWatchesError';
  }
}

export class WatchInvalidArgumentError extends Error {
  readonly code = 'InvalidArgument' as const;
  constructor(message: string) {
    super(message);
    this.name = 'WatchInvalidArgumentError';
  }
}
