// Leases in the store: deterministic ids from the Raft index, attach/detach/revoke, expiry on
// the primary only (injected clock) and TTL checkpoints across a leader change; the default
// clock is monotonic, so wall-clock steps change no expiry.
import { describe, expect, it, vi } from 'vitest';
import { Clock, Driver, dec, enc, memoryStore } from './helpers.js';
import { KvStore } from '../src/kv-store.js';
import { MemoryBackend } from '../src/backend/memory-backend.js';
import type { LeaseGrantResult } from '../src/types.js';
import type { CommittedBatch } from '../src/watch-source.js';

async function leased() {
  const clock = new Clock();
  const env = await memoryStore({ clock: clock.fn });
  const grant = async (ttl: number, id?: number) =>
    (await env.d.ok({ op: 'leaseGrant', args: id === undefined ? { ttl } : { ttl, id } })) as LeaseGrantResult;
  return { ...env, clock, grant };
}

describe('leases', () => {
  it('grants with a server-chosen id derived from the Raft index, same on every replica', async () => {
    const a = await leased();
    const b = await leased();
    const la = await a.grant(10);
    const lb = await b.grant(10);
    expect(la.id).toBe(lb.id);
    expect(la.id).toBeGreaterThan(0);
    expect(Number.isSafeInteger(la.id)).toBe(true);
    expect(la.ttl).toBe(10);
    expect((await a.grant(0)).ttl).toBe(2); // raised to the minimum TTL
    expect(a.store.leaseLeases().leases).toHaveLength(2);
  });

  it('a chosen id in use is refused; revoke of an unknown lease is LeaseNotFound', async () => {
    const { d, grant } = await leased();
    await grant(10, 7);
    await expect(grant(10, 7)).rejects.toMatchObject({ code: 'DuplicateKey', details: { lease: 7 } });
    await expect(d.ok({ op: 'leaseRevoke', args: { id: 8 } })).rejects.toMatchObject({ code: 'LeaseNotFound' });
    await expect(d.put('k', 'v', { lease: 8 })).rejects.toMatchObject({ code: 'LeaseNotFound', details: { lease: 8 } });
    await expect(grant(9_000_000_001)).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('attaches by put, moves on re-put, detaches on delete, revokes keys in one revision', async () => {
    const { store, d, grant } = await leased();
    const l1 = (await grant(10, 1)).id;
    const l2 = (await grant(10, 2)).id;
    await d.put('a', '1', { lease: l1 });
    await d.put('b', '1', { lease: l1 });
    await d.put('c', '1', { lease: l1 });
    await d.put('c', '2', { lease: l2 }); // moves c to l2
    await d.put('b', '2', { ignoreLease: true }); // keeps l1
    await d.put('z', '1', { lease: l1 });
    await d.del('z');
    expect(store.leaseTimeToLive(l1, { keys: true }).keys?.map(dec)).toEqual(['a', 'b']);
    const events: CommittedBatch[] = [];
    store.onCommitted((b) => events.push(b));
    const before = store.currentRevision;
    await d.ok({ op: 'leaseRevoke', args: { id: l1 } });
    expect(store.currentRevision).toBe(before + 1);
    expect(events[0]!.changes).toHaveLength(1);
    expect(events[0]!.changes[0]!.events.map((e) => `${e.type}:${dec(e.kv.key)}:${dec(e.prevKv!.value)}`)).toEqual(['delete:a:1', 'delete:b:2']);
    expect((await store.range({ key: enc('a'), rangeEnd: new Uint8Array([0]) })).kvs.map((kv) => dec(kv.key))).toEqual(['c']);
    expect(store.leaseTimeToLive(l1)).toEqual({ id: l1, ttl: -1, grantedTtl: 0 });
    // Revoking a lease without keys changes no key, so no revision.
    const rev = store.currentRevision;
    await d.ok({ op: 'leaseRevoke', args: { id: l2 } });
    expect(store.currentRevision).toBe(rev + 1); // c was attached
    const l3 = (await grant(10, 3)).id;
    await d.ok({ op: 'leaseRevoke', args: { id: l3 } });
    expect(store.currentRevision).toBe(rev + 1);
  });

  it('expires only on the primary, driven by the injected clock; keepalive restarts the TTL', async () => {
    const { store, clock, grant } = await leased();
    const id = (await grant(10)).id;
    clock.nowMs += 60_000;
    expect(store.expiredLeases(clock.nowMs)).toEqual([]); // follower: never expires locally
    store.promote(1_000);
    expect(store.leaseTimeToLive(id).ttl).toBe(11);
    clock.nowMs += 10_999;
    expect(store.expiredLeases(clock.nowMs)).toEqual([]);
    expect(store.leaseKeepAlive(id)).toEqual({ id, ttl: 10 });
    clock.nowMs += 9_999;
    expect(store.expiredLeases(clock.nowMs)).toEqual([]);
    expect(store.leaseTimeToLive(id).ttl).toBe(1);
    clock.nowMs += 1;
    expect(store.expiredLeases(clock.nowMs)).toEqual([id]);
    expect(() => store.leaseKeepAlive(id)).toThrow(expect.objectContaining({ code: 'LeaseNotFound' }));
    store.demote();
    expect(store.expiredLeases(clock.nowMs)).toEqual([]);
    expect(() => store.leaseKeepAlive(999)).toThrow(expect.objectContaining({ code: 'LeaseNotFound' }));
  });

  it('checkpoints remaining TTLs so a new leader does not restart them at full TTL', async () => {
    const clock = new Clock();
    const backend = new MemoryBackend();
    const leader = await KvStore.open({ backend, clock: clock.fn });
    const d = new Driver(leader);
    const id = ((await d.ok({ op: 'leaseGrant', args: { ttl: 100 } })) as LeaseGrantResult).id;
    leader.promote(0);
    clock.nowMs += 70_000;
    const cp = leader.leaseCheckpoints();
    expect(cp).toEqual({ checkpoints: [{ id, remainingTtlMs: 30_000 }] });
    await d.ok({ op: 'leaseCheckpoint', args: cp! });
    await leader.close();
    // The next leader (here: the same data reopened) restarts from the checkpoint plus the extension.
    const next = await KvStore.open({ backend: backend.reopened(), clock: clock.fn });
    next.promote(2_000);
    clock.nowMs += 31_999;
    expect(next.expiredLeases()).toEqual([]);
    clock.nowMs += 1;
    expect(next.expiredLeases()).toEqual([id]);
  });

  it('by default expiries follow a monotonic clock: wall-clock steps neither expire nor stretch a lease', async () => {
    vi.useFakeTimers({ toFake: ['Date'] }); // the wall clock only; performance.now stays real
    try {
      const { store, d } = await memoryStore();
      store.promote(0);
      const { id } = (await d.ok({ op: 'leaseGrant', args: { ttl: 60 } })) as LeaseGrantResult;
      const wallMs = Date.now();
      const remainingMs = (): number => store.leaseCheckpoints()?.checkpoints[0]?.remainingTtlMs ?? -1;

      const ttlSeconds = (): number => store.leaseTimeToLive(id).ttl;

      vi.setSystemTime(wallMs + 300_000);
      expect(store.expiredLeases()).toEqual([]);
      expect(ttlSeconds()).toBeGreaterThan(0);
      expect(ttlSeconds()).toBeLessThanOrEqual(60);
      expect(store.leaseKeepAlive(id).ttl).toBe(60);

      vi.setSystemTime(wallMs - 300_000);
      expect(store.expiredLeases()).toEqual([]);
      expect(ttlSeconds()).toBeLessThanOrEqual(60);
      // What is replicated is a remaining duration, never a clock reading.
      expect(remainingMs()).toBeGreaterThan(0);
      expect(remainingMs()).toBeLessThanOrEqual(60_000);
    } finally {
      vi.useRealTimers();
    }
  });
});
