// The replicated auth state: changes bump the auth revision, refusals change nothing, `enable`
// needs root, and the state survives a reopen (rebuild from the backend) and a snapshot restore
// without ever being visible to range.
import { describe, expect, it } from 'vitest';
import { enc, memoryStore } from './helpers.js';
import { KvStore } from '../src/kv-store.js';
import type { AuthAction } from '../src/auth-state.js';

const ALL = new Uint8Array([0]);
const auth = (args: AuthAction) => ({ op: 'auth' as const, args });

async function* replay(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

describe('auth state', () => {
  it('applies users, roles and permissions, refuses enable without root, bumps the revision per change', async () => {
    const { store, d } = await memoryStore();
    await expect(d.ok(auth({ action: 'enable' }))).rejects.toThrow(/root does not exist/);
    expect(store.auth.revision).toBe(0);
    await d.ok(auth({ action: 'userAdd', name: 'root', passwordHash: 'h1' }));
    await expect(d.ok(auth({ action: 'enable' }))).rejects.toThrow(/lacks the role root/);
    await d.ok(auth({ action: 'userGrantRole', name: 'root', role: 'root' }));
    await d.ok(auth({ action: 'roleAdd', name: 'app1' }));
    await d.ok(auth({ action: 'roleGrantPermission', name: 'app1', permission: { type: 'readwrite', key: enc('/app1/'), rangeEnd: enc('/app10') } }));
    await d.ok(auth({ action: 'userAdd', name: 'alice', passwordHash: 'h2' }));
    await d.ok(auth({ action: 'userGrantRole', name: 'alice', role: 'app1' }));
    await expect(d.ok(auth({ action: 'userGrantRole', name: 'alice', role: 'nope' }))).rejects.toThrow(/role nope does not exist/);
    await d.ok(auth({ action: 'enable' }));
    expect(store.auth.enabled).toBe(true);
    expect(store.auth.revision).toBe(7);
    expect(store.auth.user('alice')).toMatchObject({ roles: ['app1'], changedAt: 6, passwordHash: 'h2' });
    await expect(d.ok(auth({ action: 'userDelete', name: 'root' }))).rejects.toThrow(/cannot be deleted/);
    // Auth records are not keys: a full range sees none.
    await d.put('/app1/x', 'v');
    const all = await store.range({ key: ALL, rangeEnd: ALL });
    expect(all.kvs.map((kv) => new TextDecoder().decode(kv.key))).toEqual(['/app1/x']);
  });

  it('survives a reopen and a snapshot restore', async () => {
    const { store, d, backend } = await memoryStore();
    await d.ok(auth({ action: 'userAdd', name: 'root', passwordHash: 'h' }));
    await d.ok(auth({ action: 'userGrantRole', name: 'root', role: 'root' }));
    await d.ok(auth({ action: 'roleAdd', name: 'r' }));
    await d.ok(auth({ action: 'roleGrantPermission', name: 'r', permission: { type: 'read', key: enc('k') } }));
    await d.ok(auth({ action: 'enable' }));
    const chunks: Uint8Array[] = [];
    for await (const c of (await store.snapshot()).chunks) chunks.push(c);
    const reopened = await KvStore.open({ backend });
    for (const s of [reopened]) {
      expect(s.auth.enabled).toBe(true);
      expect(s.auth.revision).toBe(5);
      expect(s.auth.role('r')?.permissions).toEqual([{ type: 'read', key: enc('k') }]);
    }
    const { store: other } = await memoryStore();
    await other.restore(replay(chunks));
    expect(other.auth.enabled).toBe(true);
    expect(other.auth.userNames()).toEqual(['root']);
    expect(other.auth.revision).toBe(5);
    // A restore replaces the auth state too (nothing of the old one remains).
    const { store: third, d: d3 } = await memoryStore();
    await d3.ok(auth({ action: 'roleAdd', name: 'stale' }));
    await third.restore(replay(chunks));
    expect(third.auth.roleNames()).toEqual(['r']);
  });
});
