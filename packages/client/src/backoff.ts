// Exponential back-off with full jitter ("AWS architecture blog: exponential backoff and
// jitter"): attempt n waits a uniform random time in [0, min(max, base * 2^n)]. Full jitter
// spreads a herd of clients reconnecting to a restarted member. Pure: randomness is passed in.

export interface BackoffOptions {
  /** The cap of the first retry's delay. */
  readonly baseDelayMs: number;
  /** No delay ever exceeds this. */
  readonly maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseDelayMs: 25, maxDelayMs: 2000 };

/** Exponent cap so 2^attempt never overflows into Infinity arithmetic for huge attempt counts. */
const ATTEMPT_EXPONENT_MAX = 30;

/** The ceiling of the delay before retry number `attempt` (0-based). */
export function backoffCeilingMs(attempt: number, options: BackoffOptions): number {
  const exp = Math.min(Math.max(0, Math.floor(attempt)), ATTEMPT_EXPONENT_MAX);
  return Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** exp);
}

/** The delay before retry number `attempt`; `random` returns a uniform value in [0, 1). */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeilingMs(attempt, options));
}
