// Authentication and the auth ops a member serves itself: turns a link's session into a
// Caller (checking its token is still valid), logs users in (throttled, scrypt-verified),
// hashes passwords before anything is proposed or forwarded, builds the replicated `auth`
// command of each auth write op, answers the auth reads, and re-checks open watches whenever
// the auth revision moves (a watch whose caller lost read access is canceled, PermissionDenied).
//
// Invariants: a plaintext password never leaves this member (the request is rewritten with
// `passwordHash` before forwarding); a binding whose user changed password or roles, or was
// deleted, or whose token expired, is refused with `reauthenticate: true` and cleared.

import { KiteError, type AuthWriteOp, type OpArgs, type OpResult, type Request, type WatchCreateArgs } from '@kite/protocol';
import type { AuthAction, AuthView } from '@kite/kvstore';
import type { LinkWatcher } from '../client-handler.js';
import type { Authorizer } from './authorize.js';
import type { Caller } from './caller.js';
import { GuardedWatcher } from './guarded-watcher.js';
import { hashPassword, verifyPassword } from './password.js';
import type { AuthSession, BoundUser } from './session.js';
import type { LoginThrottle } from './throttle.js';
import type { TokenProvider } from './tokens.js';

export interface AuthServiceDeps {
  readonly view: AuthView;
  readonly authorizer: Authorizer;
  readonly tokens: TokenProvider;
  readonly throttle: LoginThrottle;
  /** Waits until this member applied everything committed (a login must see the latest users). */
  linearizableRead(): Promise<void>;
  readonly revisionNow: () => number;
  readonly nowMs?: () => number;
}

/** Verified only to spend the same time on an unknown user as on a wrong password. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

interface OpenWatch {
  readonly caller: Caller;
  readonly args: WatchCreateArgs;
}

export class AuthService {
  private readonly watches = new Map<GuardedWatcher, OpenWatch>();
  private readonly nowMs: () => number;

  constructor(private readonly deps: AuthServiceDeps) {
    this.nowMs = deps.nowMs ?? (() => performance.now());
  }

  get view(): AuthView {
    return this.deps.view;
  }

  /** The caller a session stands for now; throws Unauthenticated (reauthenticate) for a stale binding. */
  callerOf(session: AuthSession): Caller {
    const b = session.bound;
    if (b !== null) {
      const u = this.deps.view.user(b.user);
      if (u !== undefined && u.changedAt === b.changedAt && this.nowMs() < b.expiresAtMs) return { user: b.user, address: session.address, via: session.via, changedAt: b.changedAt };
      session.bound = null;
      if (this.deps.view.enabled) {
        const why = u === undefined ? 'the user was deleted' : u.changedAt !== b.changedAt ? 'the password or roles changed' : 'the token expired';
        throw new KiteError('Unauthenticated', `token of user ${b.user} is no longer valid (${why}): log in again`, { reauthenticate: true });
      }
    }
    if (session.certUser !== null && this.deps.view.user(session.certUser) !== undefined) return { user: session.certUser, address: session.address, via: session.via };
    return { user: null, address: session.address, via: session.via };
  }

  /**
   * A forwarded caller's login is still valid here (the leader may have applied a password or
   * role change the forwarding member had not): throws Unauthenticated with reauthenticate.
   */
  checkForwardedLogin(caller: Caller): void {
    if (caller.user === null || caller.changedAt === undefined || !this.deps.view.enabled) return;
    if (this.deps.view.user(caller.user)?.changedAt === caller.changedAt) return;
    throw new KiteError('Unauthenticated', `token of user ${caller.user} is no longer valid (the password or roles changed): log in again`, { reauthenticate: true });
  }

  async authenticate(session: AuthSession, args: OpArgs<'authenticate'>): Promise<OpResult<'authenticate'>> {
    const { name } = args;
    this.deps.throttle.check(name, session.address);
    if (args.token !== undefined) return this.presentToken(session, name, args.token);
    const password = args.password ?? '';
    await this.deps.linearizableRead();
    const u = this.deps.view.user(name);
    const ok = await verifyPassword(password, u?.passwordHash ?? DUMMY_HASH);
    if (!ok || u === undefined || u.passwordHash === undefined) {
      this.deps.throttle.failed(name, session.address);
      throw new KiteError('Unauthenticated', 'authentication failed: invalid user name or password');
    }
    this.deps.throttle.succeeded(name, session.address);
    const issued = await this.deps.tokens.issue({ user: name, changedAt: u.changedAt });
    session.bound = { user: name, changedAt: u.changedAt, expiresAtMs: this.nowMs() + issued.ttlSeconds * 1000 };
    return { token: issued.token, ttl: issued.ttlSeconds };
  }

  /**
   * The login a per-request token stands for (etcd's gRPC clients send the token from
   * Authenticate with every call instead of logging a connection in); null when the token is
   * unknown, expired, or its user changed since it was issued. No throttle and no ReadIndex:
   * the binding is checked again against current auth state by callerOf on every request.
   */
  async verifyToken(token: string): Promise<BoundUser | null> {
    const verified = await this.deps.tokens.verify(token);
    if (verified === null || verified.leftMs <= 0) return null;
    const u = this.deps.view.user(verified.claims.user);
    if (u === undefined || u.changedAt !== verified.claims.changedAt) return null;
    return { user: verified.claims.user, changedAt: u.changedAt, expiresAtMs: this.nowMs() + verified.leftMs };
  }

  /** Binds the session to a token issued earlier (by this member, or any member for jwt). */
  private async presentToken(session: AuthSession, name: string, token: string): Promise<OpResult<'authenticate'>> {
    await this.deps.linearizableRead();
    const verified = await this.deps.tokens.verify(token);
    const u = verified === null ? undefined : this.deps.view.user(verified.claims.user);
    if (verified === null || verified.claims.user !== name || u === undefined || u.changedAt !== verified.claims.changedAt || verified.leftMs <= 0) {
      this.deps.throttle.failed(name, session.address);
      throw new KiteError('Unauthenticated', 'authentication failed: the token is invalid or expired');
    }
    this.deps.throttle.succeeded(name, session.address);
    session.bound = { user: name, changedAt: u.changedAt, expiresAtMs: this.nowMs() + verified.leftMs };
    return { token, ttl: Math.ceil(verified.leftMs / 1000) };
  }

  /** The request with its plaintext password replaced by a hash (done before forwarding or proposing). */
  async withHashedPassword(req: Request): Promise<Request> {
    if ((req.op !== 'userAdd' && req.op !== 'userChangePassword') || typeof req.password !== 'string') return req;
    const { password, ...rest } = req;
    return { ...rest, passwordHash: await hashPassword(password) } as unknown as Request;
  }

  /** The replicated command of an auth write op (its password already hashed). */
  action(req: Request<AuthWriteOp>): AuthAction {
    const hashOf = (r: unknown): { passwordHash?: string } => {
      const h = (r as { passwordHash?: unknown }).passwordHash;
      return typeof h === 'string' ? { passwordHash: h } : {};
    };
    switch (req.op) {
      case 'authEnable': return { action: 'enable' };
      case 'authDisable': return { action: 'disable' };
      case 'userAdd': return { action: 'userAdd', name: req.name, ...hashOf(req) };
      case 'userDelete': return { action: 'userDelete', name: req.name };
      case 'userChangePassword': return { action: 'userChangePassword', name: req.name, ...hashOf(req) };
      case 'userGrantRole': return { action: 'userGrantRole', name: req.name, role: req.role };
      case 'userRevokeRole': return { action: 'userRevokeRole', name: req.name, role: req.role };
      case 'roleAdd': return { action: 'roleAdd', name: req.name };
      case 'roleDelete': return { action: 'roleDelete', name: req.name };
      case 'roleGrantPermission': {
        const p = req.permission;
        return { action: 'roleGrantPermission', name: req.name, permission: { type: p.type, key: p.key, ...(p.rangeEnd !== undefined ? { rangeEnd: p.rangeEnd } : {}) } };
      }
      case 'roleRevokePermission':
        return { action: 'roleRevokePermission', name: req.name, key: req.key, ...(req.rangeEnd !== undefined ? { rangeEnd: req.rangeEnd } : {}) };
    }
  }

  /** The auth reads (after a linearizable read by the caller). */
  read(req: Request<'authStatus' | 'userGet' | 'userList' | 'roleGet' | 'roleList'>): Readonly<Record<string, unknown>> {
    const v = this.deps.view;
    switch (req.op) {
      case 'authStatus': return { enabled: v.enabled, authRevision: v.revision };
      case 'userList': return { users: v.userNames() };
      case 'roleList': return { roles: v.roleNames() };
      case 'userGet': {
        const u = v.user(req.name);
        if (u === undefined) throw new KiteError('InvalidArgument', `user ${req.name} does not exist`);
        return { roles: [...u.roles] };
      }
      case 'roleGet': {
        const r = v.role(req.name);
        if (r === undefined) throw new KiteError('InvalidArgument', `role ${req.name} does not exist`);
        return { permissions: r.permissions.map((p) => ({ ...p })) };
      }
    }
  }

  /** A hub watcher, checked now and again whenever the auth state changes. */
  guardWatch(caller: Caller, args: WatchCreateArgs, create: () => LinkWatcher): LinkWatcher {
    this.deps.authorizer.authorize(caller, { id: 0, op: 'watchCreate', ...args });
    const w = new GuardedWatcher(create(), this.deps.revisionNow, (done) => this.watches.delete(done));
    this.watches.set(w, { caller, args });
    return w;
  }

  /** Called after every apply that moved the auth revision. */
  recheckWatches(): void {
    for (const [w, open] of [...this.watches]) {
      try {
        this.deps.authorizer.authorize(open.caller, { id: 0, op: 'watchCreate', ...open.args });
      } catch (err) {
        const message = err instanceof KiteError ? err.message : 'permission revoked';
        w.revoke(`PermissionDenied: ${message}`);
      }
    }
  }

  get openWatchCount(): number {
    return this.watches.size;
  }
}
