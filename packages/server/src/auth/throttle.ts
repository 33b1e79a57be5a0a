// Login throttling: after LOGIN_FAILURES_FREE failed logins in a row for one user name, or from
// one remote address, further attempts are refused without checking the password until a
// back-off passes (doubling per further failure, capped). The refusal says when to retry.
// A success clears the user's and the address's counts.
//
// Invariants: time is the monotonic clock (a stepped wall clock changes nothing); the table
// holds at most THROTTLE_ENTRIES_MAX keys (the oldest is dropped first), so a flood of names
// or addresses cannot grow memory; per-member state (each member counts what it sees).

import { KiteError } from '@kite/protocol';

export const LOGIN_FAILURES_FREE = 5;
export const LOGIN_BACKOFF_MS_MIN = 1_000;
export const LOGIN_BACKOFF_MS_MAX = 60_000;
const THROTTLE_ENTRIES_MAX = 50_000;

interface Failures {
  count: number;
  blockedUntilMs: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Failures>();

  constructor(private readonly nowMs: () => number = () => performance.now()) {}

  /** Throws Unauthenticated with `retryAfterMs` while `user` or `address` is blocked. */
  check(user: string, address: string): void {
    const now = this.nowMs();
    for (const [key, what] of [[`u:${user}`, `user ${user}`], [`a:${address}`, `address ${address}`]] as const) {
      const f = this.entries.get(key);
      if (f === undefined || f.blockedUntilMs <= now) continue;
      const retryAfterMs = Math.ceil(f.blockedUntilMs - now);
      throw new KiteError('Unauthenticated', `too many failed logins for ${what}; retry in ${Math.ceil(retryAfterMs / 1000)} s`, { retryAfterMs });
    }
  }

  failed(user: string, address: string): void {
    const now = this.nowMs();
    for (const key of [`u:${user}`, `a:${address}`]) {
      const f = this.entries.get(key) ?? { count: 0, blockedUntilMs: 0 };
      f.count++;
      if (f.count >= LOGIN_FAILURES_FREE) {
        const backoffMs = Math.min(LOGIN_BACKOFF_MS_MAX, LOGIN_BACKOFF_MS_MIN * 2 ** (f.count - LOGIN_FAILURES_FREE));
        f.blockedUntilMs = now + backoffMs;
      }
      this.entries.delete(key); // re-inserted last: the map's order is oldest-touched first
      this.entries.set(key, f);
    }
    while (this.entries.size > THROTTLE_ENTRIES_MAX) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  succeeded(user: string, address: string): void {
    this.entries.delete(`u:${user}`);
    this.entries.delete(`a:${address}`);
  }
}
