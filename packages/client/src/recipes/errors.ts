// Expected failures of the recipes, each with a stable code (store errors stay KiteErrors).

export type RecipeErrorCode =
  /** The session lease behind a lock/campaign expired or was revoked: ownership is gone. */
  | 'SessionLost'
  /** proclaim/resign by a candidate that is not (or no longer) the leader. */
  | 'NotElectionLeader'
  /** The caller's AbortSignal fired while waiting. */
  | 'Canceled';

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
