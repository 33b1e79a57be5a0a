// Compaction: Compacted/FutureRevision bounds, physical deletion keeping later hashes, and
// the two-phase (scheduled, finished) marks that let an interrupted compaction resume on open.
import { describe, expect, it } from 'vitest';
import { Driver, dec, enc, memoryStore, storeView, tempDirs, writeAsStore } from './helpers.js';
import { KvStore } from '../src/kv-store.js';
import { MemoryBackend } from '../src/backend/memory-backend.js';
import { prefixRange, REV_PREFIX, encodeMeta, metaKey, revKey } from '../src/layout.js';

const ALL = new Uint8Array([0]);
const newDir = tempDirs();

async function recordCount(backend: MemoryBackend): Promise<number> {
  let n = 0;
  for await (const batch of backend.entries(prefixRange(REV_PREFIX))) n += batch.length;
  return n;
}

/** rev 2: a=1, 3: b=1, 4: a=2, 5: del b, 6: c=1, 7: a=3 */
async function history(d: Driver): Promise<void> {
  await d.put('a', '1');
  await d.put('b', '1');
  await d.put('a', '2');
  await d.del('b');
  await d.put('c', '1');
  await d.put('a', '3');
}

describe('compaction', () => {
  it('answers Compacted below and FutureRevision above, keeps reads at the compact revision', async () => {
    const { store, d } = await memoryStore();
    await history(d);
    const at5 = await store.range({ key: enc('a'), rangeEnd: ALL, revision: 5 });
    await d.ok({ op: 'compact', args: { revision: 5 } });
    expect(store.compactRevision).toBe(5);
    expect(await store.range({ key: enc('a'), rangeEnd: ALL, revision: 5 })).toEqual({ ...at5, revision: 7 });
    await expect(store.range({ key: enc('a'), revision: 4 })).rejects.toMatchObject({ code: 'Compacted', details: { compactRevision: 5 } });
    await expect(d.ok({ op: 'compact', args: { revision: 5 } })).rejects.toMatchObject({ code: 'Compacted' });
    await expect(d.ok({ op: 'compact', args: { revision: 3 } })).rejects.toMatchObject({ code: 'Compacted' });
    await expect(d.ok({ op: 'compact', args: { revision: 8 } })).rejects.toMatchObject({ code: 'FutureRevision', details: { currentRevision: 7 } });
    await expect(store.eventsBetween(enc('a'), ALL, 4, 7, 10)).rejects.toMatchObject({ code: 'Compacted' });
    // The compacted revision's own events are complete (the tombstone of b at 5 is kept).
    const page = await store.eventsBetween(enc('a'), ALL, 5, 7, 10);
    expect(page.changes.map((c) => [c.revision, c.events.map((e) => `${e.type}:${dec(e.kv.key)}`)])).toEqual([
      [5, ['delete:b']],
      [6, ['put:c']],
      [7, ['put:a']],
    ]);
    expect(page.changes[0]!.events[0]!.prevKv).toBeUndefined(); // at 4: compacted
    expect(dec(page.changes[2]!.events[0]!.prevKv!.value)).toBe('2');
  });

  it('physically deletes unreferenced records and keeps the hash of later revisions', async () => {
    const { store, d, backend } = await memoryStore();
    await history(d);
    const h6 = await store.hash(6);
    const h7 = await store.hash(7);
    expect(h6.hash).not.toBe(h7.hash);
    expect(await recordCount(backend)).toBe(6);
    await d.ok({ op: 'compact', args: { revision: 6 } });
    await store.compactionIdle();
    // Kept: a@4 (latest a at or below 6), c@6, a@7. Dropped: a@2, b@3, b's tombstone@5.
    expect(await recordCount(backend)).toBe(3);
    expect((await store.hash(6)).hash).toBe(h6.hash);
    expect((await store.hash(7)).hash).toBe(h7.hash);
    expect(await store.hash(7)).toMatchObject({ compactRevision: 6, hashRevision: 7 });
    await expect(store.hash(5)).rejects.toMatchObject({ code: 'Compacted' });
  });

  it('resumes an interrupted compaction on open (scheduled > finished)', async () => {
    const dir = await newDir();
    const s1 = await KvStore.open({ dir });
    const d = new Driver(s1);
    await history(d);
    const before = await s1.hash();
    await s1.close();
    // Simulate a crash right after phase 1: the schedule marker is written, nothing deleted.
    const { LevelBackend } = await import('../src/backend/level-backend.js');
    const raw = await LevelBackend.open(dir);
    await writeAsStore(raw, [{ type: 'put', key: metaKey('scheduledCompactRevision'), value: encodeMeta(6) }]);
    await raw.close();
    const s2 = await KvStore.open({ dir });
    expect(s2.compactRevision).toBe(6);
    await s2.compactionIdle();
    expect(await s2.hash()).toEqual({ ...before, compactRevision: 6 });
    await s2.close();
    const check = storeView(await LevelBackend.open(dir));
    let n = 0;
    for await (const batch of check.entries(prefixRange(REV_PREFIX))) n += batch.length;
    expect(n).toBe(3);
    expect(await check.get(metaKey('finishedCompactRevision'))).toEqual(encodeMeta(6));
    await check.close();
  });

  it('rebuilds correctly from a partly deleted history', async () => {
    const { store, d, backend } = await memoryStore();
    await history(d);
    const before = await store.range({ key: enc('a'), rangeEnd: ALL });
    // What a crash midway through phase 2 of compact(6) can leave: a@2 and b@3 deleted, b's
    // tombstone@5 not yet.
    await writeAsStore(backend, [
      { type: 'del', key: revKey({ main: 2, sub: 0 }) },
      { type: 'del', key: revKey({ main: 3, sub: 0 }) },
      { type: 'put', key: metaKey('scheduledCompactRevision'), value: encodeMeta(6) },
    ]);
    const reopened = await KvStore.open({ backend: backend.reopened() });
    expect(await reopened.range({ key: enc('a'), rangeEnd: ALL })).toEqual(before);
    const a = (await reopened.range({ key: enc('a') })).kvs[0]!;
    expect([a.createRevision, a.version]).toEqual([2, 3]);
    expect(reopened.compactRevision).toBe(6);
    expect(reopened.currentRevision).toBe(7);
    await reopened.compactionIdle();
    expect(await recordCount(backend)).toBe(3);
  });
});
