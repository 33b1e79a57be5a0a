// The store hash (hash.ts) must not change with its implementation: members of one cluster
// compare it (corrupt checks). Checked against the definition written out field by field:
// CRC-32 over u64 revision, then per live key in key order: u64 key length, key, u64 value
// length, value, u64 createRevision, modRevision, version, lease.
import { describe, expect, it, vi } from 'vitest';
import { HASH_BATCH_KEYS, HASH_READS_IN_FLIGHT } from '../src/hash.js';
import { KeyIndex } from '../src/key-index.js';
import { crcUpdate } from '../src/crc.js';
import { KvStore } from '../src/kv-store.js';
import { MemoryBackend } from '../src/backend/memory-backend.js';
import type { KeyValue } from '../src/types.js';
import { Driver, enc } from './helpers.js';

function u64(n: number): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeUIntBE(Math.floor(n / 2 ** 32), 0, 4);
  b.writeUInt32BE(n >>> 0, 4);
  return b;
}

function referenceHash(revision: number, kvs: readonly KeyValue[]): number {
  let c = crcUpdate(u64(revision), 0);
  for (const kv of kvs) {
    for (const part of [u64(kv.key.byteLength), kv.key, u64(kv.value.byteLength), kv.value, u64(kv.createRevision), u64(kv.modRevision), u64(kv.version), u64(kv.lease)]) c = crcUpdate(part, c);
  }
  return c >>> 0;
}

describe('store hash', () => {
  it('equals the field-by-field definition, with values small, empty and larger than one CRC call', async () => {
    const store = await KvStore.open({ backend: new MemoryBackend() });
    const d = new Driver(store);
    for (let i = 0; i < 300; i++) await d.put(`k${String(i).padStart(3, '0')}`, 'v'.repeat(i * 7));
    await d.put('empty', '');
    await d.put('huge', 'h'.repeat(100 * 1024));
    await d.put('k001', 'overwritten');
    await d.del('k002');
    const all = await store.range({ key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) });
    const h = await store.hash();
    expect(h.hashRevision).toBe(store.currentRevision);
    expect(h.hash).toBe(referenceHash(store.currentRevision, all.kvs));
    // At an older revision too (values from the history).
    const old = await store.hash(5);
    expect(old.hash).toBe(referenceHash(5, (await store.range({ key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]), revision: 5 })).kvs));
    await store.close();
  });

  /** A store of `keys` keys written in txns of 128 puts (a few deleted), as the bench loads them. */
  async function bigStore(keys: number): Promise<{ store: KvStore; d: Driver }> {
    const store = await KvStore.open({ backend: new MemoryBackend() });
    const d = new Driver(store);
    for (let from = 0; from < keys; from += 128) {
      const success = [];
      for (let i = from; i < Math.min(keys, from + 128); i++) success.push({ type: 'put' as const, key: enc(`big/${String(i).padStart(6, '0')}`), value: enc(`value ${i}`) });
      await d.ok({ op: 'txn', args: { compare: [], success, failure: [] } });
    }
    await d.del('big/000100', 'big/000200');
    return { store, d };
  }

  it('does a bounded amount of work per event-loop turn (a million keys held a leader\'s loop 0.6 s and more)', async () => {
    const keys = 20_000;
    const { store } = await bigStore(keys);
    const expected = referenceHash(store.currentRevision, (await store.range({ key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) })).kvs);
    // Keys looked at (KeyIndex.get at the hash revision) between two turns of the event loop.
    const get = vi.spyOn(KeyIndex.prototype, 'get');
    let seen = 0;
    let mostInOneTurn = 0;
    let sampling = true;
    const sample = (): void => {
      mostInOneTurn = Math.max(mostInOneTurn, get.mock.calls.length - seen);
      seen = get.mock.calls.length;
      if (sampling) setImmediate(sample);
    };
    setImmediate(sample);
    try {
      const h = await store.hash();
      expect(h.hash).toBe(expected);
    } finally {
      sampling = false;
      sample(); // the turn the hash ended in
      get.mockRestore();
    }
    expect(seen).toBeGreaterThanOrEqual(keys);
    // The first turn starts HASH_READS_IN_FLIGHT slices; each later one at most one more.
    expect(mostInOneTurn).toBeLessThanOrEqual((HASH_READS_IN_FLIGHT + 1) * HASH_BATCH_KEYS);
    await store.close();
  });

  it('is the hash at its revision while writes and compactions below it apply between its slices', async () => {
    const keys = 6_000;
    const { store, d } = await bigStore(keys);
    const rev = store.currentRevision;
    const expected = referenceHash(rev, (await store.range({ key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) })).kvs);
    let hashed = false;
    const hashing = store.hash(rev).finally(() => (hashed = true));
    // Overwrites of keys on both sides of the slices, deletes, new keys, a compaction at rev.
    await d.put('big/000001', 'changed');
    expect(hashed).toBe(false); // the write did run while the hash was in progress
    await d.put('big/005999', 'changed');
    await d.del('big/003000', 'big/003500');
    await d.put('big/0030000', 'new key between old ones');
    await d.ok({ op: 'compact', args: { revision: rev } });
    expect((await hashing).hash).toBe(expected);
    await store.close();
  });
});
