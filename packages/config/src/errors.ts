// Expected failures of the configuration center, each with a stable code. Store errors
// (Unavailable, Timeout, ...) stay KiteErrors from @kite/client and pass through unchanged.

export type ConfigErrorCode =
  /** A namespace, app, key or instance id breaks the naming rules. */
  | 'InvalidName'
  /** A value does not parse as its declared type (details: line, column). */
  | 'InvalidValue'
  /** A gray rule, release number or option is malformed. */
  | 'InvalidArgument'
  /** Another writer changed the app's head first (details: winner release and author). */
  | 'ReleaseConflict'
  /** The draft changed between reading it and publishing it. */
  | 'DraftChanged'
  /** `release` with no staged change. */
  | 'NothingToRelease'
  /** A release, rollback or gray start while a gray release is active (promote or abort it first). */
  | 'GrayInProgress'
  /** promote/abort/update with no active gray release. */
  | 'NoGrayRelease'
  /** No such release (or no release yet). */
  | 'ReleaseNotFound'
  /** A release record over RELEASE_BYTES_MAX. */
  | 'ReleaseTooLarge'
  /** A stored record does not decode (written outside this package). */
  | 'CorruptRecord'
  /** The SDK has neither a reachable member nor a usable cached snapshot. */
  | 'NoSnapshot';

export type ConfigErrorDetails = Readonly<Record<string, string | number | boolean | null>>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;
  readonly details: ConfigErrorDetails;

  constructor(code: ConfigErrorCode, message: string, details: ConfigErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}

export function isConfigError(x: unknown, code?: ConfigErrorCode): x is ConfigError {
  return x instanceof ConfigError && (code === undefined || x.code === code);
}
