// The one authorization point (DESIGN §11, STYLE rule 15): every door turns a request into an
// op and a Caller, and OpServer.serve (and the watch registration) call `authorize` with them
// before anything is read, proposed or forwarded; the leader calls it again for a forwarded
// request with the caller the forwarding member authenticated. A new door (gRPC, the JSON
// gateway, the console) only authenticates and builds a Caller.
//
// Rules (etcd's, with Kite's ops): with auth disabled everything passes. Enabled:
// - `ping`, `status`, `authenticate`, `authStatus`: anyone (health checks and logging in);
// - everything else needs a user; the role `root` may do everything;
// - range, watch: read on the whole key range; put, deleteRange: write on it; txn: read on every
//   compare's key (range), and every op of BOTH branches by its own rule (nested txns too), so
//   a txn cannot probe or touch keys through the branch it did not take;
// - leaseRevoke, leaseTimeToLive: write on every key attached to the lease; leaseGrant,
//   leaseKeepAlive, leaseLeases, memberList: any user;
// - userChangePassword and userGet: the user on itself, or root; roleGet: a holder of the role,
//   or root;
// - every other op (compact, member changes, alarms, hash, defrag, moveLeader, auth changes,
//   user and role lists): root only. An op not named here is root only (safe default).

import { KiteError, type Request } from '@kite/protocol';
import type { AuthView } from '@kite/kvstore';
import type { Caller } from './caller.js';

export interface AuthorizeContext {
  readonly view: AuthView;
  /** Keys attached to a lease (empty for an unknown lease). */
  leaseKeys(leaseId: number): readonly Uint8Array[];
}

/** [start, end) with end null = unbounded. */
interface Interval {
  readonly start: Buffer;
  readonly end: Buffer | null;
}

interface UserAccess {
  readonly revision: number;
  readonly root: boolean;
  readonly read: readonly Interval[];
  readonly write: readonly Interval[];
}

const OPEN_OPS: ReadonlySet<string> = new Set(['ping', 'status', 'authenticate', 'authStatus']);
const ANY_USER_OPS: ReadonlySet<string> = new Set(['leaseGrant', 'leaseKeepAlive', 'leaseLeases', 'memberList', 'watchCancel', 'watchProgress']);
/** Cached users' merged permissions, dropped whenever the auth revision moves. */
const ACCESS_CACHE_MAX = 1024;
const ZERO = Buffer.from([0]);

function interval(key: Uint8Array, rangeEnd: Uint8Array | undefined): Interval {
  const start = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  if (rangeEnd === undefined || rangeEnd.length === 0) return { start, end: Buffer.concat([start, ZERO]) };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start, end: null };
  return { start, end: Buffer.from(rangeEnd.buffer, rangeEnd.byteOffset, rangeEnd.byteLength) };
}

/** Sorted by start and merged, so a containment check is one pass. */
function merged(list: Interval[]): Interval[] {
  list.sort((a, b) => Buffer.compare(a.start, b.start));
  const out: { start: Buffer; end: Buffer | null }[] = [];
  for (const iv of list) {
    const last = out[out.length - 1];
    if (last !== undefined && (last.end === null || Buffer.compare(iv.start, last.end) <= 0)) {
      if (last.end !== null && (iv.end === null || Buffer.compare(iv.end, last.end) > 0)) last.end = iv.end;
      continue;
    }
    out.push({ start: iv.start, end: iv.end });
  }
  return out;
}

function covers(perms: readonly Interval[], want: Interval): boolean {
  for (const p of perms) {
    if (Buffer.compare(p.start, want.start) > 0) return false; // merged and sorted: no later one starts earlier
    if (p.end === null) return true;
    if (want.end !== null && Buffer.compare(want.end, p.end) <= 0) return true;
    if (Buffer.compare(want.start, p.end) < 0) return false; // starts inside p, ends past it: a gap follows
  }
  return false;
}

export class Authorizer {
  private readonly cache = new Map<string, UserAccess>();
  private cacheRevision = -1;

  constructor(private readonly ctx: AuthorizeContext) {}

  /** Throws Unauthenticated (no user) or PermissionDenied; returns when `caller` may run `req`. */
  authorize(caller: Caller, req: Request): void {
    const view = this.ctx.view;
    if (!view.enabled || OPEN_OPS.has(req.op)) return;
    if (caller.user === null) throw new KiteError('Unauthenticated', `authentication required for ${req.op} (auth is enabled): log in with a user name and password or a client certificate`);
    const access = this.access(caller.user);
    if (access.root) return;
    const deny = (what: string): KiteError => new KiteError('PermissionDenied', `user ${caller.user} may not ${what}`);
    if (ANY_USER_OPS.has(req.op)) return;
    switch (req.op) {
      case 'range':
        if (!covers(access.read, interval(req.key, req.rangeEnd))) throw deny(`read ${describe(req.key, req.rangeEnd)}`);
        return;
      case 'watchCreate':
        if (!covers(access.read, interval(req.key, req.rangeEnd))) throw deny(`watch ${describe(req.key, req.rangeEnd)}`);
        return;
      case 'put':
        if (!covers(access.write, interval(req.key, undefined))) throw deny(`write ${describe(req.key, undefined)}`);
        return;
      case 'deleteRange':
        if (!covers(access.write, interval(req.key, req.rangeEnd))) throw deny(`delete ${describe(req.key, req.rangeEnd)}`);
        return;
      case 'txn':
        this.txn(access, req, deny);
        return;
      case 'leaseRevoke':
      case 'leaseTimeToLive':
        for (const k of this.ctx.leaseKeys(req.leaseId)) {
          if (!covers(access.write, interval(k, undefined))) throw deny(`${req.op === 'leaseRevoke' ? 'revoke' : 'inspect'} lease ${req.leaseId}: it holds ${describe(k, undefined)}`);
        }
        return;
      case 'userChangePassword':
      case 'userGet':
        if (req.name === caller.user) return;
        throw deny(`${req.op} of another user (root only)`);
      case 'roleGet':
        if (view.user(caller.user)?.roles.includes(req.name) === true) return;
        throw deny(`read role ${req.name} (root or a holder of the role only)`);
      default:
        throw deny(`${req.op} (root only)`);
    }
  }

  private txn(access: UserAccess, t: { readonly compare: readonly { key: Uint8Array; rangeEnd?: Uint8Array }[]; readonly success: readonly TxnOp[]; readonly failure: readonly TxnOp[] }, deny: (what: string) => KiteError): void {
    for (const c of t.compare) {
      if (!covers(access.read, interval(c.key, c.rangeEnd))) throw deny(`compare on ${describe(c.key, c.rangeEnd)}`);
    }
    for (const op of [...t.success, ...t.failure]) {
      switch (op.type) {
        case 'range':
          if (!covers(access.read, interval(op.key, op.rangeEnd))) throw deny(`read ${describe(op.key, op.rangeEnd)} in a txn`);
          break;
        case 'put':
          if (!covers(access.write, interval(op.key, undefined))) throw deny(`write ${describe(op.key, undefined)} in a txn`);
          break;
        case 'deleteRange':
          if (!covers(access.write, interval(op.key, op.rangeEnd))) throw deny(`delete ${describe(op.key, op.rangeEnd)} in a txn`);
          break;
        case 'txn':
          this.txn(access, op, deny);
          break;
      }
    }
  }

  /** True when `user` holds the role root (auth enabled or not). */
  isRoot(user: string | null): boolean {
    return user !== null && this.access(user).root;
  }

  private access(user: string): UserAccess {
    const view = this.ctx.view;
    if (this.cacheRevision !== view.revision) {
      this.cache.clear();
      this.cacheRevision = view.revision;
    }
    const hit = this.cache.get(user);
    if (hit !== undefined) return hit;
    const u = view.user(user);
    const read: Interval[] = [];
    const write: Interval[] = [];
    for (const roleName of u?.roles ?? []) {
      for (const p of view.role(roleName)?.permissions ?? []) {
        const iv = interval(p.key, p.rangeEnd);
        if (p.type !== 'write') read.push(iv);
        if (p.type !== 'read') write.push(iv);
      }
    }
    const access: UserAccess = { revision: view.revision, root: u?.roles.includes('root') === true, read: merged(read), write: merged(write) };
    if (this.cache.size >= ACCESS_CACHE_MAX) this.cache.clear();
    this.cache.set(user, access);
    return access;
  }
}

type TxnOp = Extract<Request, { op: 'txn' }>['success'][number];

function describe(key: Uint8Array, rangeEnd: Uint8Array | undefined): string {
  const k = JSON.stringify(Buffer.from(key).toString('utf8').slice(0, 64));
  if (rangeEnd === undefined || rangeEnd.length === 0) return `key ${k}`;
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return `keys from ${k}`;
  return `range [${k}, ${JSON.stringify(Buffer.from(rangeEnd).toString('utf8').slice(0, 64))})`;
}
