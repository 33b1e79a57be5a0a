// Auth tokens. A token names a user and the auth revision of that user's last password or role
// change (`changedAt`): a change makes every older token of the user invalid at once, on every
// member, because each member compares it with the replicated user record.
//
// - simple (default, like etcd's): random opaque strings kept in this member's memory with a
//   TTL (monotonic clock), bounded in number. Valid on the member that issued them only; the
//   SDK logs in on every link, so a client never carries a simple token across members.
// - jwt: signed with a key from a file (jose), valid on every member configured with the same
//   public key, expiring by the `exp` claim (wall clock: the only clock members share).

import { randomBytes } from 'node:crypto';

export interface TokenClaims {
  readonly user: string;
  readonly changedAt: number;
}

export interface IssuedToken {
  readonly token: string;
  readonly ttlSeconds: number;
}

export interface TokenProvider {
  issue(claims: TokenClaims): Promise<IssuedToken>;
  /** The claims and the milliseconds left, or null for an unknown, expired or forged token. */
  verify(token: string): Promise<{ readonly claims: TokenClaims; readonly leftMs: number } | null>;
}

/** Simple tokens held at once per member; the oldest is forgotten first. */
export const SIMPLE_TOKENS_MAX = 100_000;

export class SimpleTokens implements TokenProvider {
  private readonly tokens = new Map<string, { readonly claims: TokenClaims; readonly expiresAtMs: number }>();

  constructor(
    private readonly ttlSeconds: number,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  issue(claims: TokenClaims): Promise<IssuedToken> {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { claims, expiresAtMs: this.nowMs() + this.ttlSeconds * 1000 });
    while (this.tokens.size > SIMPLE_TOKENS_MAX) {
      const oldest = this.tokens.keys().next().value;
      if (oldest === undefined) break;
      this.tokens.delete(oldest);
    }
    return Promise.resolve({ token, ttlSeconds: this.ttlSeconds });
  }

  verify(token: string): Promise<{ claims: TokenClaims; leftMs: number } | null> {
    const t = this.tokens.get(token);
    if (t === undefined) return Promise.resolve(null);
    const leftMs = t.expiresAtMs - this.nowMs();
    if (leftMs <= 0) {
      this.tokens.delete(token);
      return Promise.resolve(null);
    }
    return Promise.resolve({ claims: t.claims, leftMs });
  }
}
