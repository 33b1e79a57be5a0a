// KvStore.flush, the durability barrier the host calls before compacting its Raft log: apply
// batches written without fsync are readable after reopen, and the store asks its backend.
import { describe, expect, it } from 'vitest';
import { KvStore } from '../src/kv-store.js';
import { MemoryBackend } from '../src/backend/memory-backend.js';
import { Driver, dec, enc, tempDirs } from './helpers.js';

const newDir = tempDirs();

describe('KvStore.flush', () => {
  it('leaves every completed apply readable after reopen', async () => {
    const dir = await newDir();
    const store = await KvStore.open({ dir, syncWrites: false });
    const d = new Driver(store);
    for (let i = 0; i < 20; i++) await d.put(`k${i}`, `v${i}`);
    await store.flush();
    const revision = store.currentRevision;
    await store.close();
    const again = await KvStore.open({ dir });
    expect(again.appliedIndex).toBe(20);
    expect(again.currentRevision).toBe(revision);
    const { kvs } = await again.range({ key: enc('k19') });
    expect(kvs.map((kv) => dec(kv.value))).toEqual(['v19']);
    await again.close();
  });

  it('is the backend flush', async () => {
    const backend = new MemoryBackend();
    let flushes = 0;
    const inner = backend.flush.bind(backend);
    backend.flush = () => {
      flushes++;
      return inner();
    };
    const store = await KvStore.open({ backend });
    await store.flush();
    expect(flushes).toBe(1);
    await store.close();
  });
});
