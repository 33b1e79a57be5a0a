// The one authorization point against a real auth state (kvstore's AuthState applied through
// auth commands): key, prefix and range coverage with merged permissions, read vs write, txn
// compares and both branches (nested too), lease keys, root-only ops, self-service ops, and
// the cache following the auth revision.
import { describe, expect, it } from 'vitest';
import { KvStore, MemoryBackend, type AuthAction } from '@kite/kvstore';
import { KiteError, type Request } from '@kite/protocol';
import { Authorizer } from '../src/auth/authorize.js';
import type { Caller } from '../src/auth/caller.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const alice: Caller = { user: 'alice', address: '127.0.0.1', via: 'ws' };

async function setUp(): Promise<{ store: KvStore; apply: (a: AuthAction) => Promise<void>; authz: Authorizer; leaseKeys: Map<number, Uint8Array[]> }> {
  const store = await KvStore.open({ backend: new MemoryBackend() });
  let index = 0;
  const apply = async (a: AuthAction): Promise<void> => {
    const [r] = await store.apply([{ index: ++index, command: { op: 'auth', args: a } }]);
    if (r?.status !== 'applied') throw new Error(`auth change refused: ${JSON.stringify(r)}`);
  };
  const leaseKeys = new Map<number, Uint8Array[]>();
  const authz = new Authorizer({ view: store.auth, leaseKeys: (id) => leaseKeys.get(id) ?? [] });
  await apply({ action: 'userAdd', name: 'root', passwordHash: 'x' });
  await apply({ action: 'userGrantRole', name: 'root', role: 'root' });
  await apply({ action: 'roleAdd', name: 'app' });
  // Two adjacent ranges that only cover /a/ together (merged), plus a single readable key.
  await apply({ action: 'roleGrantPermission', name: 'app', permission: { type: 'readwrite', key: enc('/a/'), rangeEnd: enc('/a/m') } });
  await apply({ action: 'roleGrantPermission', name: 'app', permission: { type: 'readwrite', key: enc('/a/m'), rangeEnd: enc('/a0') } });
  await apply({ action: 'roleGrantPermission', name: 'app', permission: { type: 'read', key: enc('/ro') } });
  await apply({ action: 'userAdd', name: 'alice', passwordHash: 'y' });
  await apply({ action: 'userGrantRole', name: 'alice', role: 'app' });
  await apply({ action: 'enable' });
  return { store, apply, authz, leaseKeys };
}

function code(authz: Authorizer, caller: Caller, req: Record<string, unknown>): string {
  try {
    authz.authorize(caller, { id: 1, ...req } as unknown as Request);
    return 'ok';
  } catch (err) {
    if (err instanceof KiteError) return err.code;
    throw err;
  }
}

describe('Authorizer', () => {
  it('covers keys, prefixes and ranges by merged permissions, read apart from write', async () => {
    const { authz } = await setUp();
    expect(code(authz, alice, { op: 'put', key: enc('/a/x'), value: enc('v') })).toBe('ok');
    expect(code(authz, alice, { op: 'range', key: enc('/a/'), rangeEnd: enc('/a0') })).toBe('ok'); // spans both grants
    expect(code(authz, alice, { op: 'range', key: enc('/a/'), rangeEnd: enc('/b') })).toBe('PermissionDenied');
    expect(code(authz, alice, { op: 'range', key: enc('/a/'), rangeEnd: new Uint8Array([0]) })).toBe('PermissionDenied');
    expect(code(authz, alice, { op: 'range', key: enc('/ro') })).toBe('ok');
    expect(code(authz, alice, { op: 'put', key: enc('/ro'), value: enc('v') })).toBe('PermissionDenied');
    expect(code(authz, alice, { op: 'range', key: enc('/ro'), rangeEnd: enc('/rp') })).toBe('PermissionDenied'); // the key, not its prefix
    expect(code(authz, alice, { op: 'deleteRange', key: enc('/a/'), rangeEnd: enc('/a0') })).toBe('ok');
    expect(code(authz, alice, { op: 'watchCreate', watchId: 1, key: enc('/b/') })).toBe('PermissionDenied');
    expect(code(authz, { ...alice, user: null }, { op: 'range', key: enc('/a/x') })).toBe('Unauthenticated');
    expect(code(authz, { ...alice, user: null }, { op: 'status' })).toBe('ok');
  });

  it('checks every txn compare and both branches, nested txns included', async () => {
    const { authz } = await setUp();
    const put = (k: string) => ({ type: 'put', key: enc(k), value: enc('v') });
    expect(code(authz, alice, { op: 'txn', compare: [{ key: enc('/ro'), target: 'version', result: 'equal', value: 0 }], success: [put('/a/1')], failure: [] })).toBe('ok');
    expect(code(authz, alice, { op: 'txn', compare: [{ key: enc('/b'), target: 'version', result: 'equal', value: 0 }], success: [], failure: [] })).toBe('PermissionDenied');
    expect(code(authz, alice, { op: 'txn', compare: [], success: [put('/a/1')], failure: [put('/b/1')] })).toBe('PermissionDenied');
    expect(code(authz, alice, { op: 'txn', compare: [], success: [{ type: 'txn', compare: [], success: [], failure: [{ type: 'range', key: enc('/b') }] }], failure: [] })).toBe('PermissionDenied');
    expect(code(authz, alice, { op: 'txn', compare: [], success: [{ type: 'deleteRange', key: enc('/ro') }], failure: [] })).toBe('PermissionDenied');
  });

  it('needs write on every key of a lease to revoke or inspect it; root-only and self-service ops', async () => {
    const { authz, leaseKeys } = await setUp();
    leaseKeys.set(5, [enc('/a/1'), enc('/b/1')]);
    leaseKeys.set(6, [enc('/a/2')]);
    expect(code(authz, alice, { op: 'leaseRevoke', leaseId: 5 })).toBe('PermissionDenied');
    expect(code(authz, alice, { op: 'leaseTimeToLive', leaseId: 5 })).toBe('PermissionDenied');
    expect(code(authz, alice, { op: 'leaseRevoke', leaseId: 6 })).toBe('ok');
    expect(code(authz, alice, { op: 'leaseGrant', ttl: 10 })).toBe('ok');
    for (const op of ['compact', 'memberAdd', 'moveLeader', 'alarm', 'hash', 'defrag', 'userAdd', 'authDisable', 'userList', 'audit']) {
      expect([op, code(authz, alice, { op, revision: 1 })]).toEqual([op, 'PermissionDenied']);
    }
    expect(code(authz, alice, { op: 'userChangePassword', name: 'alice', password: 'p' })).toBe('ok');
    expect(code(authz, alice, { op: 'userChangePassword', name: 'root', password: 'p' })).toBe('PermissionDenied');
    expect(code(authz, alice, { op: 'roleGet', name: 'app' })).toBe('ok');
    expect(code(authz, { ...alice, user: 'root' }, { op: 'compact', revision: 1 })).toBe('ok');
  });

  it('follows the auth revision: a revoked permission is refused at once', async () => {
    const { authz, apply } = await setUp();
    expect(code(authz, alice, { op: 'put', key: enc('/a/b'), value: enc('v') })).toBe('ok');
    await apply({ action: 'roleRevokePermission', name: 'app', key: enc('/a/'), rangeEnd: enc('/a/m') });
    expect(code(authz, alice, { op: 'put', key: enc('/a/b'), value: enc('v') })).toBe('PermissionDenied');
    expect(code(authz, alice, { op: 'put', key: enc('/a/b'), value: enc('v') })).toBe('PermissionDenied');
    await apply({ action: 'disable' });
    expect(code(authz, { ...alice, user: null }, { op: 'put', key: enc('/zzz'), value: enc('v') })).toBe('ok');
  });
});
