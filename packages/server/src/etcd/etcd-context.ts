// Who is calling through the etcd door: an AuthSession (the identity OpServer's one
// authorization point reads) built per call from what etcd clients send: the token from
// Authenticate in the gRPC metadata key `token` (or, on the JSON gateway, the HTTP
// `Authorization` header, as etcd's gateway takes it), the remote address, and the CN of a
// verified client certificate (etcd's mTLS identity when no token is given).
//
// Invariants: a token is verified once and its login cached (bounded, oldest dropped first);
// every call still gets its own session, so OpServer's callerOf re-checks the login against
// current auth state (password/role changes, expiry) on every request. An invalid token is
// refused (Unauthenticated), never served as an anonymous caller.

import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { KiteError } from '@kite/protocol';
import type { ReadCharge } from '@kite/kvstore';
import type { AuthService } from '../auth/auth-service.js';
import type { CallerVia } from '../auth/caller.js';
import { AuthSession, type BoundUser } from '../auth/session.js';
import { remoteAddress } from '../remote-address.js';

/** Verified tokens remembered at once (a token per client login; the oldest is verified again). */
export const TOKEN_LOGINS_MAX = 10_000;
/** Longest token accepted (simple tokens are short; jwt tokens a few hundred bytes). */
export const TOKEN_BYTES_MAX = 4096;

export interface EtcdCallContext {
  /** The caller's session for this call (or this stream). */
  readonly session: AuthSession;
  /** The connection's reply budget reads charge while they build their reply (unary calls). */
  readonly charge?: ReadCharge;
}

/** What a door read from one call, before the token is checked. */
export interface EtcdCallIdentity {
  readonly token: string | null;
  readonly address: string;
  readonly via: Extract<CallerVia, 'grpc' | 'gateway'>;
  /** The CN of a client certificate the transport verified; null when none. */
  readonly certUser: string | null;
}

export class EtcdContexts {
  private readonly logins = new Map<string, BoundUser>();

  constructor(private readonly auth: Pick<AuthService, 'verifyToken'>) {}

  /** The call's context; Unauthenticated ("invalid auth token") for a token that does not verify. */
  async contextOf(id: EtcdCallIdentity): Promise<EtcdCallContext> {
    const session = new AuthSession(id.address, id.via, id.certUser);
    if (id.token === null) return { session };
    session.bound = await this.login(id.token);
    return { session };
  }

  private async login(token: string): Promise<BoundUser> {
    if (token.length > TOKEN_BYTES_MAX) throw invalidToken();
    const known = this.logins.get(token);
    if (known !== undefined && performance.now() < known.expiresAtMs) return known;
    this.logins.delete(token);
    const bound = await this.auth.verifyToken(token);
    if (bound === null) throw invalidToken();
    if (this.logins.size >= TOKEN_LOGINS_MAX) {
      const oldest = this.logins.keys().next();
      if (oldest.done !== true) this.logins.delete(oldest.value);
    }
    this.logins.set(token, bound);
    return bound;
  }
}

function invalidToken(): KiteError {
  return new KiteError('Unauthenticated', 'invalid auth token');
}

/** A gRPC call's identity: metadata `token`, the peer address, the verified certificate's CN. */
export function grpcIdentity(call: { metadata(key: string): string | null; readonly peerAddress: string; readonly certUser: string | null }): EtcdCallIdentity {
  return { token: call.metadata('token'), address: call.peerAddress, via: 'grpc', certUser: call.certUser };
}

/** An HTTP request's identity for the JSON gateway: `Authorization: <token>` as etcd's gateway reads it. */
export function httpIdentity(req: IncomingMessage): EtcdCallIdentity {
  const raw = req.headers.authorization;
  const token = typeof raw === 'string' && raw !== '' ? raw.replace(/^Bearer\s+/i, '') : null;
  const socket = req.socket as TLSSocket;
  const cn = typeof socket.getPeerCertificate === 'function' && socket.authorized ? socket.getPeerCertificate().subject?.CN : undefined;
  return { token, address: remoteAddress(req), via: 'gateway', certUser: typeof cn === 'string' && cn !== '' ? cn : null };
}
