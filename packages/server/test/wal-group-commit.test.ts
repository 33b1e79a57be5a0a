// Group commit: one Ready, however many entries, is one write to the WAL made durable by one
// data sync — through the O_DSYNC descriptor (the write is the sync) after synced appends, or a
// write plus one fdatasync after an unsynced one (which that sync then covers).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { Entry } from '@kite/raft';
import { RaftLogStore } from '../src/raft-log-store.js';

const root = mkdtempSync(path.join(tmpdir(), 'kite-walgc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());
const entry = (index: number): Entry => ({ index, term: 2, type: 'normal', data: new Uint8Array(100).fill(index) });

type Spy = { mock: { contexts: unknown[] } };

/** Spies on every FileHandle's write and datasync. */
async function spyFileHandles(): Promise<{ write: Spy; datasync: Spy }> {
  const probe = await open(path.join(root, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { write: () => unknown; datasync: () => unknown };
  await probe.close();
  return { write: vi.spyOn(proto, 'write'), datasync: vi.spyOn(proto, 'datasync') };
}

/**
 * Calls made on handles of the live segment file (the next segment, preallocated in the
 * background, is another file).
 */
async function onSegment(spy: Spy, segment: string): Promise<number> {
  const ino = statSync(segment).ino;
  let n = 0;
  for (const fh of spy.mock.contexts as FileHandle[]) if ((await fh.stat().catch(() => null))?.ino === ino) n++;
  return n;
}

describe('WAL group commit', () => {
  it('persists one Ready of many entries with one write and no separate sync; after an unsynced write, one write and one fdatasync', async () => {
    const s = await RaftLogStore.open(path.join(root, 'd'));
    await s.load();
    await s.initialize({ clusterId: 'c', memberId: 'm', name: 'n' }, { metadata: { index: 0, term: 0, confState: { voters: ['m'], learners: [] } }, data: new Uint8Array(0) }, null);
    const spies = await spyFileHandles();
    const segment = path.join(root, 'd', 'wal', '0000000000000001.wal');
    const counts = async (): Promise<number[]> => [await onSegment(spies.write, segment), await onSegment(spies.datasync, segment)];
    await s.persist({ entries: Array.from({ length: 200 }, (_, i) => entry(i + 1)), hardState: { term: 2, vote: 'm', commit: 0 } });
    expect(await counts()).toEqual([1, 0]);
    await s.persist({ entries: [entry(201)], sync: false });
    expect(await counts()).toEqual([2, 0]);
    await s.persist({ entries: Array.from({ length: 50 }, (_, i) => entry(i + 202)), hardState: { term: 2, vote: 'm', commit: 200 } });
    expect(await counts()).toEqual([3, 1]);
    vi.restoreAllMocks();
    await s.close();
    const again = await RaftLogStore.open(path.join(root, 'd'));
    expect((await again.load()).entries.length).toBe(251);
    await again.close();
  });

  it('an inline persist makes the same write and sync on the calling thread: no FileHandle (thread-pool) call, the same log after reopen', async () => {
    const s = await RaftLogStore.open(path.join(root, 'inline'));
    await s.load();
    await s.initialize({ clusterId: 'c', memberId: 'm', name: 'n' }, { metadata: { index: 0, term: 0, confState: { voters: ['m'], learners: [] } }, data: new Uint8Array(0) }, null);
    const spies = await spyFileHandles();
    const segment = path.join(root, 'inline', 'wal', '0000000000000001.wal');
    const counts = async (): Promise<number[]> => [await onSegment(spies.write, segment), await onSegment(spies.datasync, segment)];
    await s.persist({ entries: [entry(1), entry(2)], hardState: { term: 2, vote: 'm', commit: 0 }, inline: true });
    await s.persist({ entries: [entry(3)], sync: false, inline: true });
    // After an unsynced write: a write plus fdatasync, also inline.
    await s.persist({ entries: [entry(4)], hardState: { term: 2, vote: 'm', commit: 3 }, inline: true });
    expect(await counts()).toEqual([0, 0]);
    await s.persist({ entries: [entry(5)] });
    expect(await counts()).toEqual([1, 0]);
    vi.restoreAllMocks();
    await s.close();
    const again = await RaftLogStore.open(path.join(root, 'inline'));
    const loaded = await again.load();
    expect(loaded.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5]);
    expect(loaded.hardState).toEqual({ term: 2, vote: 'm', commit: 3 });
    await again.close();
  });
});
