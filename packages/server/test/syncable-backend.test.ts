// The sync point under the store: one synced write that changes nothing the store can see,
// while the store's own batches pass through unsynced.
import { describe, expect, it } from 'vitest';
import { KvStore, MemoryBackend, encodeCommand, type Backend, type BackendOp } from '@kite/kvstore';
import { SyncableBackend } from '../src/syncable-backend.js';

/** Records every write's ops and sync flag, over a real in-memory backend. */
function recording(): { backend: Backend; writes: { ops: readonly BackendOp[]; sync: boolean }[] } {
  const inner = new MemoryBackend();
  const writes: { ops: readonly BackendOp[]; sync: boolean }[] = [];
  const backend = Object.assign(Object.create(inner) as Backend, {
    write: (ops: readonly BackendOp[], options: { readonly sync: boolean }) => {
      writes.push({ ops, sync: options.sync });
      return inner.write(ops, options);
    },
  });
  return { backend, writes };
}

describe('SyncableBackend', () => {
  it('passes apply batches through unsynced and makes sync() one synced write the store never sees', async () => {
    const { backend, writes } = recording();
    const syncable = new SyncableBackend(backend);
    const store = await KvStore.open({ backend: syncable, syncWrites: false });
    const enc = new TextEncoder();
    await store.apply([{ index: 1, command: encodeCommand({ op: 'put', args: { key: enc.encode('a'), value: enc.encode('1') } }) }]);
    const before = await store.hash(0);
    const applyWrites = writes.length;
    expect(writes.every((w) => !w.sync)).toBe(true);

    await syncable.sync();
    expect(writes.length).toBe(applyWrites + 1);
    expect(writes.at(-1)?.sync).toBe(true);
    expect(writes.at(-1)?.ops.every((op) => op.type === 'del')).toBe(true);
    expect(syncable.syncs).toBe(1);
    expect(await store.hash(0)).toEqual(before);
    expect(store.appliedIndex).toBe(1);
    await store.close();
  });
});
