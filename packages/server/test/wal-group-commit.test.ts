// Group commit: one Ready, however many entries, is one write to the WAL made durable by one
// data sync — through the O_DSYNC descriptor (the write is the sync) after synced appends, or a
// write plus one fdatasync after an unsynced one (which that sync then covers).
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { Entry } from '@kite/raft';
import { RaftLogStore } from '../src/raft-log-store.js';

const root = mkdtempSync(path.join(tmpdir(), 'kite-walgc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());
const entry = (index: number): Entry => ({ index, term: 2, type: 'normal', data: new Uint8Array(100).fill(index) });

/** Spies on every FileHandle's write, datasync and sync. */
async function spyFileHandles(): Promise<{ write: { mock: { calls: unknown[] } }; datasync: { mock: { calls: unknown[] } }; sync: { mock: { calls: unknown[] } } }> {
  const probe = await open(path.join(root, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { write: () => unknown; datasync: () => unknown; sync: () => unknown };
  await probe.close();
  return { write: vi.spyOn(proto, 'write'), datasync: vi.spyOn(proto, 'datasync'), sync: vi.spyOn(proto, 'sync') };
}

describe('WAL group commit', () => {
  it('persists one Ready of many entries with one write and no separate sync; after an unsynced write, one write and one fdatasync', async () => {
    const s = await RaftLogStore.open(path.join(root, 'd'));
    await s.load();
    await s.initialize({ clusterId: 'c', memberId: 'm', name: 'n' }, { metadata: { index: 0, term: 0, confState: { voters: ['m'], learners: [] } }, data: new Uint8Array(0) }, null);
    const spies = await spyFileHandles();
    await s.persist({ entries: Array.from({ length: 200 }, (_, i) => entry(i + 1)), hardState: { term: 2, vote: 'm', commit: 0 } });
    expect([spies.write.mock.calls.length, spies.datasync.mock.calls.length, spies.sync.mock.calls.length]).toEqual([1, 0, 0]);
    await s.persist({ entries: [entry(201)], sync: false });
    expect([spies.write.mock.calls.length, spies.datasync.mock.calls.length]).toEqual([2, 0]);
    await s.persist({ entries: Array.from({ length: 50 }, (_, i) => entry(i + 202)), hardState: { term: 2, vote: 'm', commit: 200 } });
    expect([spies.write.mock.calls.length, spies.datasync.mock.calls.length]).toEqual([3, 1]);
    vi.restoreAllMocks();
    await s.close();
    const again = await RaftLogStore.open(path.join(root, 'd'));
    expect((await again.load()).entries.length).toBe(251);
    await again.close();
  });
});
