// The store hash (hash.ts) must not change with its implementation: members of one cluster
// compare it (corrupt checks). Checked against the definition written out field by field:
// CRC-32 over u64 revision, then per live key in key order: u64 key length, key, u64 value
// length, value, u64 createRevision, modRevision, version, lease.
import { describe, expect, it } from 'vitest';
import { crcUpdate } from '../src/crc.js';
import { KvStore } from '../src/kv-store.js';
import { MemoryBackend } from '../src/backend/memory-backend.js';
import type { KeyValue } from '../src/types.js';
import { Driver } from './helpers.js';

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
});
