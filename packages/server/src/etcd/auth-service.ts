// etcd's Auth service on Kite's auth ops: every call is one op through OpServer.serve, so
// the one authorization point (auth/authorize.ts) decides who may do what, and users, roles
// and the enabled flag are Kite's replicated auth state. Authenticate returns a token the
// client sends in the `token` metadata of every later call (etcd-context.ts reads it).
//
// Differences from etcd, on purpose: passwords are hashed with scrypt by the member that
// receives them, so a client's bcrypt `hashedPassword` cannot be taken (refused); granting a
// role a user already has is refused as etcd 3.5 does (3.4 ignored it). The role `root` needs
// no `role add` in Kite; etcdctl's `auth enable` (which adds it when told the root user lacks
// it) works either way.

import { KiteError, type Permission, type PermissionType } from '@kite/protocol';
import type { ServiceHandlers } from './handlers.js';
import { EtcdError } from './etcd-status-error.js';
import { withEtcdErrors, type EtcdErrorRule, type EtcdOps } from './service-call.js';

/** Kite's auth refusals (kvstore auth-state.ts, auth/auth-service.ts) as etcd words them. */
export const AUTH_ERROR_RULES: readonly EtcdErrorRule[] = [
  { code: 'InvalidArgument', match: /the user root does not exist/, grpcCode: 'FAILED_PRECONDITION', message: 'etcdserver: root user does not exist' },
  { code: 'InvalidArgument', match: /the user root lacks the role root/, grpcCode: 'FAILED_PRECONDITION', message: 'etcdserver: root user does not have root role' },
  { code: 'InvalidArgument', match: /^user \S+ already exists$/, grpcCode: 'FAILED_PRECONDITION', message: 'etcdserver: user name already exists' },
  { code: 'InvalidArgument', match: /^user \S+ does not exist$/, grpcCode: 'FAILED_PRECONDITION', message: 'etcdserver: user name not found' },
  { code: 'InvalidArgument', match: /^role \S+ already exists$/, grpcCode: 'FAILED_PRECONDITION', message: 'etcdserver: role name already exists' },
  { code: 'InvalidArgument', match: /^role \S+ does not exist$/, grpcCode: 'FAILED_PRECONDITION', message: 'etcdserver: role name not found' },
  { code: 'InvalidArgument', match: /^user \S+ already has the role /, grpcCode: 'FAILED_PRECONDITION', message: 'etcdserver: user already has role' },
  { code: 'InvalidArgument', match: /^user \S+ does not have the role /, grpcCode: 'FAILED_PRECONDITION', message: 'etcdserver: role is not granted to the user' },
  { code: 'InvalidArgument', match: /has no permission on that key or range$/, grpcCode: 'FAILED_PRECONDITION', message: 'etcdserver: permission is not granted to the role' },
  { code: 'InvalidArgument', match: /cannot be (deleted|revoked from root) while auth is enabled$/, grpcCode: 'FAILED_PRECONDITION', message: 'etcdserver: invalid auth management' },
  { code: 'Unauthenticated', match: /^authentication failed/, grpcCode: 'INVALID_ARGUMENT', message: 'etcdserver: authentication failed, invalid user ID or password' },
];

const PERM_TYPES: Readonly<Record<string, PermissionType>> = { READ: 'read', WRITE: 'write', READWRITE: 'readwrite' };
const PERM_NAMES: Readonly<Record<PermissionType, string>> = { read: 'READ', write: 'WRITE', readwrite: 'READWRITE' };

export function authService(memberOps: EtcdOps): ServiceHandlers {
  const ops = withEtcdErrors(memberOps, AUTH_ERROR_RULES);
  const done = async (p: Promise<{ header: unknown }>): Promise<Record<string, unknown>> => ({ header: (await p).header });
  return {
    unary: {
      AuthEnable: (_req, ctx) => done(ops.run(ctx, 'authEnable', {})),
      AuthDisable: (_req, ctx) => done(ops.run(ctx, 'authDisable', {})),
      AuthStatus: async (_req, ctx) => {
        const { header, result } = await ops.run(ctx, 'authStatus', {});
        return { header, enabled: result.enabled, authRevision: String(result.authRevision) };
      },
      Authenticate: async (req, ctx) => {
        const name = userName(req['name']);
        const { header, result } = await ops.run(ctx, 'authenticate', { name, password: text(req['password']) });
        return { header, token: result.token };
      },
      UserAdd: async (req, ctx) => {
        const name = userName(req['name']);
        noHashedPassword(req['hashedPassword']);
        const options = req['options'];
        const noPassword = typeof options === 'object' && options !== null && (options as Record<string, unknown>)['no_password'] === true;
        const password = text(req['password']);
        // etcd stores an empty password (no one can log in with it); Kite asks for no_password instead.
        if (!noPassword && password === '') throw new KiteError('InvalidArgument', 'a user needs a password, or options.no_password for a client-certificate user');
        return done(ops.run(ctx, 'userAdd', noPassword ? { name, noPassword } : { name, password }));
      },
      UserGet: async (req, ctx) => {
        const { header, result } = await ops.run(ctx, 'userGet', { name: userName(req['name']) });
        return { header, roles: [...result.roles] };
      },
      UserList: async (_req, ctx) => {
        const { header, result } = await ops.run(ctx, 'userList', {});
        return { header, users: [...result.users] };
      },
      UserDelete: (req, ctx) => done(ops.run(ctx, 'userDelete', { name: userName(req['name']) })),
      UserChangePassword: async (req, ctx) => {
        noHashedPassword(req['hashedPassword']);
        const password = text(req['password']);
        if (password === '') throw new KiteError('InvalidArgument', 'the new password is empty');
        return done(ops.run(ctx, 'userChangePassword', { name: userName(req['name']), password }));
      },
      UserGrantRole: (req, ctx) => done(ops.run(ctx, 'userGrantRole', { name: userName(req['user']), role: roleName(req['role']) })),
      UserRevokeRole: (req, ctx) => done(ops.run(ctx, 'userRevokeRole', { name: userName(req['name']), role: roleName(req['role']) })),
      RoleAdd: (req, ctx) => done(ops.run(ctx, 'roleAdd', { name: roleName(req['name']) })),
      RoleGet: async (req, ctx) => {
        const { header, result } = await ops.run(ctx, 'roleGet', { name: roleName(req['role']) });
        return { header, perm: result.permissions.map(etcdPermission) };
      },
      RoleList: async (_req, ctx) => {
        const { header, result } = await ops.run(ctx, 'roleList', {});
        return { header, roles: [...result.roles] };
      },
      RoleDelete: (req, ctx) => done(ops.run(ctx, 'roleDelete', { name: roleName(req['role']) })),
      RoleGrantPermission: (req, ctx) => done(ops.run(ctx, 'roleGrantPermission', { name: roleName(req['name']), permission: kitePermission(req['perm']) })),
      RoleRevokePermission: (req, ctx) => {
        const rangeEnd = bytesField(req['range_end']);
        return done(ops.run(ctx, 'roleRevokePermission', { name: roleName(req['role']), key: bytesField(req['key']), ...(rangeEnd.length > 0 ? { rangeEnd } : {}) }));
      },
    },
  };
}

export function etcdPermission(p: Permission): Record<string, unknown> {
  return { permType: PERM_NAMES[p.type], key: Buffer.from(p.key), range_end: Buffer.from(p.rangeEnd ?? new Uint8Array(0)) };
}

export function kitePermission(value: unknown): Permission {
  if (typeof value !== 'object' || value === null) throw new EtcdError('INVALID_ARGUMENT', 'etcdserver: permission is empty');
  const p = value as Record<string, unknown>;
  // proto3 leaves the default enum value (READ) out; proto-loader's `defaults` puts it back.
  const type = PERM_TYPES[String(p['permType'] ?? 'READ')];
  if (type === undefined) throw new KiteError('InvalidArgument', `unknown permission type ${String(p['permType']).slice(0, 40)}`);
  const rangeEnd = bytesField(p['range_end']);
  return { type, key: bytesField(p['key']), ...(rangeEnd.length > 0 ? { rangeEnd } : {}) };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function userName(value: unknown): string {
  const name = text(value);
  if (name === '') throw new EtcdError('INVALID_ARGUMENT', 'etcdserver: user name is empty');
  return name;
}

function roleName(value: unknown): string {
  const name = text(value);
  if (name === '') throw new EtcdError('INVALID_ARGUMENT', 'etcdserver: role name is empty');
  return name;
}

/** etcd 3.5 clients may send a bcrypt hash instead of the password; Kite stores scrypt hashes it makes itself. */
function noHashedPassword(value: unknown): void {
  if (typeof value === 'string' && value !== '') {
    throw new KiteError('InvalidArgument', 'a pre-hashed password (hashedPassword) is not accepted by Kite: send the password, the member hashes it');
  }
}

/** A key field: bytes (etcd 3.5's proto) or a string (3.4 declared RoleRevokePermission's key as string). */
function bytesField(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return new Uint8Array(0);
}
