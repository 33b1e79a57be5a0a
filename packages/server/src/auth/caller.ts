// Who is asking: the identity every door builds for a request before it reaches the one
// authorization point (authorize.ts). A door only authenticates (password login on the link,
// a token, a client certificate) and fills in a Caller; it never decides permissions itself.
//
// Invariants: `user` is null until the door authenticated someone; `address` is the remote
// address as the door saw it (the forwarding member passes its client's, not its own); `via`
// names the door, for the audit trail and logs.

import type { PeerCaller } from '@kite/protocol';

export type CallerVia = 'ws' | 'http' | 'grpc' | 'gateway' | 'console' | 'internal';

export interface Caller {
  readonly user: string | null;
  readonly address: string;
  readonly via: CallerVia;
  /** For a login: the user's changedAt the login was made at (see PeerCaller.changedAt). */
  readonly changedAt?: number;
}

/** The member's own work (lease expiry, alarms): not a client, never checked. */
export const INTERNAL_CALLER: Caller = { user: null, address: 'member', via: 'internal' };

const VIAS: readonly string[] = ['ws', 'http', 'grpc', 'gateway', 'console'];

/** A caller from a forward frame: untrusted shape (a peer frame), trusted content (a peer link). */
export function callerFromPeer(raw: unknown): Caller {
  const c = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<PeerCaller>;
  return {
    user: typeof c.user === 'string' && c.user.length > 0 ? c.user : null,
    address: typeof c.address === 'string' ? c.address.slice(0, 128) : 'unknown',
    via: (typeof c.via === 'string' && VIAS.includes(c.via) ? c.via : 'ws') as CallerVia,
    ...(typeof c.changedAt === 'number' ? { changedAt: c.changedAt } : {}),
  };
}
