// Authentication and authorization state (etcd's auth store) as part of the replicated state
// machine: users (password hash, roles), roles (permissions on a key, a prefix or a range), the
// enabled flag and the auth revision. Applied by `auth` commands, one change each, stored in the
// backend under the 'a' prefix (never visible through range: user keys are 'r' records), so it
// travels in snapshots and is rebuilt on open like leases.
//
// Invariants: every applied change bumps the auth revision by one (it goes in every reply
// header, so a client can tell auth state apart); a refused change (unknown user, duplicate
// role...) is an InvalidArgumentError identical on every replica and changes nothing; auth can
// be enabled only while the user `root` exists and holds the role `root`; passwords arrive
// already hashed (the receiving member hashes them before proposing: no plaintext password is
// ever in the Raft log); `root`'s role cannot be revoked while auth is enabled.

import { AUTH_NAME, PASSWORD_HASH, PERMISSION_FIELDS, bytes, type PermissionType } from '@kite/protocol';
import { Packr } from 'msgpackr';
import type { BackendOp } from './backend/backend.js';
import { InvalidArgumentError } from './errors.js';
import { encodeMeta, metaKey } from './layout.js';

export const AUTH_PREFIX = 0x61; // 'a'
const USER_TAG = 0x75; // 'u'
const ROLE_TAG = 0x72; // 'r'
export const ROOT = 'root';
/** Users and roles each (a name's length is the op schema's AUTH_NAME_BYTES_MAX). */
export const AUTH_ENTITIES_MAX = 10_000;
export const ROLE_PERMISSIONS_MAX = 1000;

export type { PermissionType };

export interface AuthPermission {
  readonly type: PermissionType;
  readonly key: Uint8Array;
  /** Absent: just `key`; `[0]`: every key >= key. */
  readonly rangeEnd?: Uint8Array;
}

export interface AuthUser {
  readonly name: string;
  /** Absent: no password (the user can only be identified by a client certificate). */
  readonly passwordHash?: string;
  readonly roles: readonly string[];
  /** Auth revision of the user's last password or role change: older tokens are invalid. */
  readonly changedAt: number;
}

export interface AuthRole {
  readonly name: string;
  readonly permissions: readonly AuthPermission[];
}

export type AuthAction =
  | { readonly action: 'enable' }
  | { readonly action: 'disable' }
  | { readonly action: 'userAdd'; readonly name: string; readonly passwordHash?: string }
  | { readonly action: 'userDelete'; readonly name: string }
  | { readonly action: 'userChangePassword'; readonly name: string; readonly passwordHash?: string }
  | { readonly action: 'userGrantRole'; readonly name: string; readonly role: string }
  | { readonly action: 'userRevokeRole'; readonly name: string; readonly role: string }
  | { readonly action: 'roleAdd'; readonly name: string }
  | { readonly action: 'roleDelete'; readonly name: string }
  | { readonly action: 'roleGrantPermission'; readonly name: string; readonly permission: AuthPermission }
  | { readonly action: 'roleRevokePermission'; readonly name: string; readonly key: Uint8Array; readonly rangeEnd?: Uint8Array };

export type AuthActionName = AuthAction['action'];
const ACTIONS: readonly string[] = [
  'enable', 'disable', 'userAdd', 'userDelete', 'userChangePassword', 'userGrantRole', 'userRevokeRole',
  'roleAdd', 'roleDelete', 'roleGrantPermission', 'roleRevokePermission',
];

const packr = new Packr({ useRecords: false, mapsAsObjects: true });
const bad = (msg: string): InvalidArgumentError => new InvalidArgumentError(msg);

function tagged(tag: number, name: string): Uint8Array {
  const n = Buffer.from(name, 'utf8');
  const out = new Uint8Array(2 + n.length);
  out[0] = AUTH_PREFIX;
  out[1] = tag;
  out.set(n, 2);
  return out;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.from(a).equals(Buffer.from(b));
}

// The fields' checks are the op schema's (@kite/protocol): they throw KiteErrors, which
// validateCommand turns into KvErrors with the same code and message.
function checkName(name: unknown, what: string): asserts name is string {
  AUTH_NAME.check(name, `${what} name`);
}

function checkHash(h: unknown): void {
  if (h !== undefined) PASSWORD_HASH.check(h, 'passwordHash');
}

const ANY_BYTES = bytes();
function checkKey(k: unknown, what: string): void {
  ANY_BYTES.check(k, what);
}

/** Shape checks of an auth command, run at apply on every replica alike. */
export function validateAuthAction(a: unknown): asserts a is AuthAction {
  if (typeof a !== 'object' || a === null) throw bad('auth arguments missing');
  const r = a as Record<string, unknown>;
  if (typeof r['action'] !== 'string' || !ACTIONS.includes(r['action'])) throw bad(`unknown auth action ${String(r['action']).slice(0, 40)}`);
  if (r['action'] === 'enable' || r['action'] === 'disable') return;
  checkName(r['name'], r['action'].startsWith('role') ? 'role' : 'user');
  checkHash(r['passwordHash']);
  if (r['action'] === 'userGrantRole' || r['action'] === 'userRevokeRole') checkName(r['role'], 'role');
  if (r['action'] === 'roleGrantPermission') {
    const p = r['permission'] as Record<string, unknown> | null;
    if (typeof p !== 'object' || p === null) throw bad('permission missing');
    PERMISSION_FIELDS.type.check(p['type'], 'permission type');
    checkKey(p['key'], 'permission key');
    if (p['rangeEnd'] !== undefined) checkKey(p['rangeEnd'], 'permission rangeEnd');
  }
  if (r['action'] === 'roleRevokePermission') {
    checkKey(r['key'], 'key');
    if (r['rangeEnd'] !== undefined) checkKey(r['rangeEnd'], 'rangeEnd');
  }
}

/** What readers (the server's authorization check, auth reads) see of the auth state. */
export interface AuthView {
  readonly enabled: boolean;
  readonly revision: number;
  user(name: string): AuthUser | undefined;
  role(name: string): AuthRole | undefined;
  userNames(): string[];
  roleNames(): string[];
}

export class AuthState implements AuthView {
  private readonly users = new Map<string, AuthUser>();
  private readonly roles = new Map<string, AuthRole>();
  enabled = false;
  revision = 0;

  reset(): void {
    this.users.clear();
    this.roles.clear();
    this.enabled = false;
    this.revision = 0;
  }

  user(name: string): AuthUser | undefined {
    return this.users.get(name);
  }

  role(name: string): AuthRole | undefined {
    return this.roles.get(name);
  }

  userNames(): string[] {
    return [...this.users.keys()].sort();
  }

  roleNames(): string[] {
    return [...this.roles.keys()].sort();
  }

  /** Rebuild: one stored record (key under AUTH_PREFIX). Returns false for a key it does not know. */
  restoreRecord(key: Uint8Array, value: Uint8Array): boolean {
    const name = Buffer.from(key.subarray(2)).toString('utf8');
    if (key[1] === USER_TAG) {
      const u = packr.unpack(value) as AuthUser;
      this.users.set(name, { name, roles: [...u.roles], changedAt: u.changedAt, ...(u.passwordHash !== undefined ? { passwordHash: u.passwordHash } : {}) });
      return true;
    }
    if (key[1] === ROLE_TAG) {
      const r = packr.unpack(value) as AuthRole;
      this.roles.set(name, { name, permissions: r.permissions.map(plainPermission) });
      return true;
    }
    return false;
  }

  /** Applies one change (after validateAuthAction), appending its backend ops. Throws InvalidArgumentError. */
  apply(a: AuthAction, ops: BackendOp[]): void {
    const next = this.revision + 1;
    switch (a.action) {
      case 'enable': {
        if (this.enabled) break;
        const root = this.users.get(ROOT);
        if (root === undefined) throw bad('auth cannot be enabled: the user root does not exist (kite user add root)');
        if (!root.roles.includes(ROOT)) throw bad('auth cannot be enabled: the user root lacks the role root (kite user grant-role root root)');
        this.enabled = true;
        break;
      }
      case 'disable':
        this.enabled = false;
        break;
      case 'userAdd':
        if (this.users.has(a.name)) throw bad(`user ${a.name} already exists`);
        if (this.users.size >= AUTH_ENTITIES_MAX) throw bad(`too many users (limit ${AUTH_ENTITIES_MAX})`);
        this.putUser({ name: a.name, roles: [], changedAt: next, ...(a.passwordHash !== undefined ? { passwordHash: a.passwordHash } : {}) }, ops);
        break;
      case 'userDelete':
        this.needUser(a.name);
        if (a.name === ROOT && this.enabled) throw bad('the user root cannot be deleted while auth is enabled');
        this.users.delete(a.name);
        ops.push({ type: 'del', key: tagged(USER_TAG, a.name) });
        break;
      case 'userChangePassword': {
        const u = this.needUser(a.name);
        const { passwordHash: _old, ...rest } = u;
        this.putUser({ ...rest, changedAt: next, ...(a.passwordHash !== undefined ? { passwordHash: a.passwordHash } : {}) }, ops);
        break;
      }
      case 'userGrantRole': {
        const u = this.needUser(a.name);
        if (a.role !== ROOT) this.needRole(a.role);
        if (u.roles.includes(a.role)) throw bad(`user ${a.name} already has the role ${a.role}`);
        this.putUser({ ...u, roles: [...u.roles, a.role].sort(), changedAt: next }, ops);
        break;
      }
      case 'userRevokeRole': {
        const u = this.needUser(a.name);
        if (!u.roles.includes(a.role)) throw bad(`user ${a.name} does not have the role ${a.role}`);
        if (a.name === ROOT && a.role === ROOT && this.enabled) throw bad('the role root cannot be revoked from root while auth is enabled');
        this.putUser({ ...u, roles: u.roles.filter((r) => r !== a.role), changedAt: next }, ops);
        break;
      }
      case 'roleAdd':
        if (this.roles.has(a.name)) throw bad(`role ${a.name} already exists`);
        if (this.roles.size >= AUTH_ENTITIES_MAX) throw bad(`too many roles (limit ${AUTH_ENTITIES_MAX})`);
        this.putRole({ name: a.name, permissions: [] }, ops);
        break;
      case 'roleDelete':
        this.needRole(a.name);
        if (a.name === ROOT && this.enabled) throw bad('the role root cannot be deleted while auth is enabled');
        this.roles.delete(a.name);
        ops.push({ type: 'del', key: tagged(ROLE_TAG, a.name) });
        // Users keep no dangling role (etcd removes it from every user too).
        for (const u of [...this.users.values()]) {
          if (u.roles.includes(a.name)) this.putUser({ ...u, roles: u.roles.filter((r) => r !== a.name), changedAt: next }, ops);
        }
        break;
      case 'roleGrantPermission': {
        const r = this.needRole(a.name);
        const p = plainPermission(a.permission);
        // Granting the same key/range again replaces its type (etcd does likewise).
        const kept = r.permissions.filter((q) => !(sameBytes(q.key, p.key) && sameBytes(q.rangeEnd, p.rangeEnd)));
        if (kept.length >= ROLE_PERMISSIONS_MAX) throw bad(`role ${a.name} has too many permissions (limit ${ROLE_PERMISSIONS_MAX})`);
        this.putRole({ name: r.name, permissions: [...kept, p] }, ops);
        break;
      }
      case 'roleRevokePermission': {
        const r = this.needRole(a.name);
        const kept = r.permissions.filter((q) => !(sameBytes(q.key, a.key) && sameBytes(q.rangeEnd, a.rangeEnd)));
        if (kept.length === r.permissions.length) throw bad(`role ${a.name} has no permission on that key or range`);
        this.putRole({ name: r.name, permissions: kept }, ops);
        break;
      }
    }
    this.revision = next;
    ops.push({ type: 'put', key: metaKey('authRevision'), value: encodeMeta(this.revision) });
    ops.push({ type: 'put', key: metaKey('authEnabled'), value: encodeMeta(this.enabled ? 1 : 0) });
  }

  private needUser(name: string): AuthUser {
    const u = this.users.get(name);
    if (u === undefined) throw bad(`user ${name} does not exist`);
    return u;
  }

  private needRole(name: string): AuthRole {
    const r = this.roles.get(name);
    if (r === undefined) throw bad(`role ${name} does not exist`);
    return r;
  }

  private putUser(u: AuthUser, ops: BackendOp[]): void {
    this.users.set(u.name, u);
    ops.push({ type: 'put', key: tagged(USER_TAG, u.name), value: packr.pack({ roles: u.roles, changedAt: u.changedAt, ...(u.passwordHash !== undefined ? { passwordHash: u.passwordHash } : {}) }) });
  }

  private putRole(r: AuthRole, ops: BackendOp[]): void {
    this.roles.set(r.name, r);
    ops.push({ type: 'put', key: tagged(ROLE_TAG, r.name), value: packr.pack({ permissions: r.permissions }) });
  }
}

/** A permission whose byte fields are plain Uint8Arrays (msgpack may hand back Buffers). */
function plainPermission(p: AuthPermission): AuthPermission {
  const key = new Uint8Array(p.key);
  return p.rangeEnd === undefined || p.rangeEnd.length === 0 ? { type: p.type, key } : { type: p.type, key, rangeEnd: new Uint8Array(p.rangeEnd) };
}
