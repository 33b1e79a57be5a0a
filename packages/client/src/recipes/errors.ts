// Expected failures of the recipes, each with a stable code (store errors stay KiteErrors).

export type RecipeErrorCode =
  /** The session lease behind a lock/campaign expired or was revoked: ownership is gone. */
  | 'SessionLost'
  /** proclaim/resign by a candidate that is not (or no longer) the leader. */
  | 'NotElectionLeader'
  /** The caller's AbortSignal fired while waiting. */
  | 'Canceled'
  /** A key's history kept being compacted while it was read (key-history.ts). */
  | 'HistoryRace'
  /** A key's history replay did not reach "now" within HISTORY_WAIT_MS. */
  | 'HistoryTimeout';

export class RecipeError extends Error {
  override readonly name = 'RecipeError';
  readonly code: RecipeErrorCode;

  constructor(code: RecipeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isRecipeError(x: unknown, code?: RecipeErrorCode): x is RecipeError {
  return x instanceof RecipeError && (code === undefined || x.code === code);
}
