// KvStore.apply: one result per entry, exactly-once across restarts (applied index), rebuild
// from LevelDB, and the committed-batch publication the watch hub relies on.
import { describe, expect, it } from 'vitest';
import { Driver, dec, enc, memoryStore, tempDirs } from './helpers.js';
import { KvStore } from '../src/kv-store.js';
import { encodeCommand } from '../src/command.js';
import type { Command } from '../src/command.js';

const put = (k: string, v: string): Command => ({ op: 'put', args: { key: enc(k), value: enc(v) } });
const newDir = tempDirs();

describe('apply', () => {
  it('returns one result per entry; a failing request neither aborts the batch nor changes state', async () => {
    const { store } = await memoryStore();
    const results = await store.apply([
      { index: 1, command: put('a', '1') },
      { index: 2, command: { op: 'put', args: { key: enc('b'), value: enc('x'), lease: 42 } } },
      { index: 3, command: encodeCommand(put('c', '3')) },
      { index: 4, command: new Uint8Array([1, 2, 3]) },
      { index: 5, command: { op: 'noop' } },
    ]);
    expect(results.map((r) => r.status)).toEqual(['applied', 'failed', 'applied', 'failed', 'applied']);
    expect(results[1]).toMatchObject({ status: 'failed', error: { code: 'LeaseNotFound' }, revision: 2 });
    expect(results[3]).toMatchObject({ status: 'failed', error: { code: 'MalformedFrame' } });
    expect(results[2]).toMatchObject({ status: 'applied', revision: 3 });
    expect(store.appliedIndex).toBe(5);
    expect((await store.range({ key: enc('a'), rangeEnd: new Uint8Array([0]) })).kvs.map((kv) => dec(kv.key))).toEqual(['a', 'c']);
  });

  it('skips entries at or below the applied index (exactly once across restarts)', async () => {
    const dir = await newDir();
    const s1 = await KvStore.open({ dir });
    await s1.apply([
      { index: 1, command: put('a', '1') },
      { index: 2, command: put('a', '2') },
    ]);
    await s1.close();
    const s2 = await KvStore.open({ dir });
    expect(s2.appliedIndex).toBe(2);
    expect(s2.currentRevision).toBe(3);
    // Raft re-delivers 1..3 after the restart: only 3 is new.
    const res = await s2.apply([
      { index: 1, command: put('a', '1') },
      { index: 2, command: put('a', '2') },
      { index: 3, command: put('a', '3') },
    ]);
    expect(res.map((r) => r.status)).toEqual(['skipped', 'skipped', 'applied']);
    const kv = (await s2.range({ key: enc('a') })).kvs[0]!;
    expect([dec(kv.value), kv.version, kv.modRevision]).toEqual(['3', 3, 4]);
    await s2.close();
  });

  it('rebuilds the index, leases and history from LevelDB on open', async () => {
    const dir = await newDir();
    const s1 = await KvStore.open({ dir });
    const d = new Driver(s1);
    await d.ok({ op: 'leaseGrant', args: { ttl: 30, id: 5 } });
    await d.put('a', '1', { lease: 5 });
    await d.put('b', '1');
    await d.del('b');
    await d.put('b', '2');
    const hashBefore = await s1.hash();
    const histBefore = await s1.eventsBetween(enc('a'), new Uint8Array([0]), 1, 100, 100);
    await s1.close();
    const s2 = await KvStore.open({ dir });
    expect(await s2.hash()).toEqual(hashBefore);
    expect(await s2.eventsBetween(enc('a'), new Uint8Array([0]), 1, 100, 100)).toEqual(histBefore);
    expect(s2.leaseTimeToLive(5, { keys: true })).toMatchObject({ grantedTtl: 30, keys: [enc('a')] });
    const b = (await s2.range({ key: enc('b') })).kvs[0]!;
    expect([b.createRevision, b.version]).toEqual([5, 1]);
    await s2.close();
  });

  it('publishes each batch after it is written, grouped by revision, with prevKv', async () => {
    const { store } = await memoryStore();
    const seen: unknown[] = [];
    store.onCommitted((b) => {
      seen.push({
        appliedIndex: b.appliedIndex,
        currentRevision: b.currentRevision,
        changes: b.changes.map((c) => [c.revision, c.events.map((e) => `${e.type}:${dec(e.kv.key)}:${e.prevKv ? dec(e.prevKv.value) : '-'}`)]),
      });
    });
    await store.apply([
      { index: 1, command: put('a', '1') },
      { index: 2, command: put('a', '2') },
      { index: 3, command: { op: 'deleteRange', args: { key: enc('nothing') } } },
      { index: 4, command: { op: 'deleteRange', args: { key: enc('a') } } },
    ]);
    await store.apply([{ index: 5, command: { op: 'noop' } }]);
    expect(seen).toEqual([
      { appliedIndex: 4, currentRevision: 4, changes: [[2, ['put:a:-']], [3, ['put:a:1']], [4, ['delete:a:2']]] },
      { appliedIndex: 5, currentRevision: 4, changes: [] },
    ]);
  });

  it('serves the history a listener saw through eventsBetween, in bounded pages', async () => {
    const { store, d } = await memoryStore();
    const live: unknown[] = [];
    store.onCommitted((b) => live.push(...b.changes));
    for (let i = 0; i < 20; i++) await d.put(`k${i % 3}`, String(i));
    await d.del('k0', 'k9');
    const all: unknown[] = [];
    let from = 1;
    for (let guard = 0; guard < 100 && from <= store.currentRevision; guard++) {
      const page = await store.eventsBetween(enc('k'), enc('l'), from, store.currentRevision, 4);
      expect(page.changes.length).toBeLessThanOrEqual(4);
      all.push(...page.changes);
      from = page.nextRevision;
    }
    expect(all).toEqual(live);
    const one = await store.eventsBetween(enc('k1'), undefined, 1, 100, 100);
    expect(one.changes.map((c) => c.revision)).toEqual([3, 6, 9, 12, 15, 18, 21, 22]);
    expect(one.nextRevision).toBe(23);
  });
});
