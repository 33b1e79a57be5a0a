// One client link's authentication state, owned by the door that accepted the link: who the
// link is logged in as (after `authenticate`), until when, and the user its client certificate
// names (mTLS, etcd's CN identity). The AuthService turns it into a Caller for every request.

import type { CallerVia } from './caller.js';

export interface BoundUser {
  readonly user: string;
  /** The user's changedAt when the token was issued; a later change invalidates the binding. */
  readonly changedAt: number;
  /** Monotonic milliseconds. */
  readonly expiresAtMs: number;
}

export class AuthSession {
  bound: BoundUser | null = null;

  constructor(
    readonly address: string,
    readonly via: CallerVia,
    /** The verified client certificate's CN, when the door has one (used when no login was made). */
    readonly certUser: string | null = null,
  ) {}
}
