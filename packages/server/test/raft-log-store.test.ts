import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Entry, Snapshot } from '@kite/raft';
import { DataDirError, RaftLogStore } from '../src/raft-log-store.js';

const root = mkdtempSync(path.join(tmpdir(), 'kite-raftlog-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let seq = 0;
const freshDir = (): string => path.join(root, `db-${seq++}`);

const identity = { clusterId: 'c1', memberId: 'm1', name: 'n1' };
const bootSnap: Snapshot = { metadata: { index: 0, term: 0, confState: { voters: ['m1', 'm2'], learners: [] } }, data: new Uint8Array(0) };
const entry = (index: number, term: number, byte = index): Entry => ({ index, term, type: 'normal', data: new Uint8Array([byte & 0xff, 1, 2]) });

describe('RaftLogStore', () => {
  it('reloads identity, HardState, snapshot and entries after close', async () => {
    const dir = freshDir();
    const s = await RaftLogStore.open(dir);
    expect((await s.load()).identity).toBeNull();
    await s.initialize(identity, bootSnap, null);
    await s.persist({ entries: [entry(1, 1), entry(2, 1), entry(3, 2)], hardState: { term: 2, vote: 'm1', commit: 2 } });
    await s.close();
    const again = await RaftLogStore.open(dir);
    const loaded = await again.load();
    expect(loaded.identity).toEqual(identity);
    expect(loaded.hardState).toEqual({ term: 2, vote: 'm1', commit: 2 });
    expect(loaded.snapshot?.metadata.confState.voters).toEqual(['m1', 'm2']);
    expect(loaded.entries.map((e) => [e.index, e.term])).toEqual([[1, 1], [2, 1], [3, 2]]);
    expect(loaded.entries[2]?.data).toEqual(new Uint8Array([3, 1, 2]));
    await again.close();
  });

  it('truncates a conflicting suffix in the same batch', async () => {
    const dir = freshDir();
    const s = await RaftLogStore.open(dir);
    await s.load();
    await s.initialize(identity, bootSnap, null);
    await s.persist({ entries: [1, 2, 3, 4, 5].map((i) => entry(i, 1)) });
    await s.persist({ entries: [entry(3, 2)], hardState: { term: 2, vote: null, commit: 2 } });
    await s.close();
    const again = await RaftLogStore.open(dir);
    expect((await again.load()).entries.map((e) => [e.index, e.term])).toEqual([[1, 1], [2, 1], [3, 2]]);
    await again.close();
  });

  it('installs a snapshot (replacing the log) and compacts behind a local snapshot', async () => {
    const dir = freshDir();
    const s = await RaftLogStore.open(dir);
    await s.load();
    await s.initialize(identity, bootSnap, null);
    await s.persist({ entries: [1, 2, 3, 4].map((i) => entry(i, 1)) });
    const snap: Snapshot = { metadata: { index: 10, term: 3, confState: { voters: ['m1'], learners: ['m2'] } }, data: new Uint8Array([9]) };
    await s.persist({ snapshot: snap, entries: [entry(11, 3)], hardState: { term: 3, vote: null, commit: 10 } });
    await s.persist({ entries: [12, 13, 14].map((i) => entry(i, 3)) });
    const local: Snapshot = { metadata: { index: 13, term: 3, confState: { voters: ['m1'], learners: ['m2'] } }, data: new Uint8Array([8]) };
    await s.saveSnapshotAndCompact(local, 12);
    await s.close();
    const again = await RaftLogStore.open(dir);
    const loaded = await again.load();
    expect(loaded.snapshot).toEqual(local);
    expect(loaded.entries.map((e) => e.index)).toEqual([14]);
    // The catch-up tail below the snapshot is handed back for repairing a store that lost batches.
    expect(loaded.tail.map((e) => e.index)).toEqual([13]);
    expect(again.entryCount()).toBe(2); // 13 (catch-up tail) and 14
    await again.close();
  });

  it('reports a damaged record as CorruptDataDir instead of dropping it', async () => {
    const dir = freshDir();
    const s = await RaftLogStore.open(dir);
    await s.load();
    await s.initialize(identity, bootSnap, null);
    await s.persist({ entries: [entry(1, 1)], hardState: { term: 1, vote: null, commit: 1 } });
    await s.close();
    // Zero the WAL's first segment past its file header: every record (the identity too) is gone
    // while the identity marker says the log had one.
    const wal = path.join(dir, 'wal');
    const seg = path.join(wal, readdirSync(wal).filter((f) => f.endsWith('.wal'))[0] as string);
    writeFileSync(seg, Buffer.concat([readFileSync(seg).subarray(0, 16), Buffer.alloc(64)]));
    const again = await RaftLogStore.open(dir);
    const err = await again.load().catch((e: unknown) => e);
    await again.close();
    expect(err).toBeInstanceOf(DataDirError);
    expect((err as DataDirError).code).toBe('CorruptDataDir');
    expect((err as DataDirError).message).toMatch(/lost its contents/);
  });

  it('refuses a second opener of the same directory with DataDirLocked', async () => {
    const dir = freshDir();
    const s = await RaftLogStore.open(dir);
    await expect(RaftLogStore.open(dir)).rejects.toMatchObject({ code: 'DataDirLocked' });
    await s.close();
  });

  it('always reloads exactly the last write of every index (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ start: fc.nat(8), len: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 8 }), async (writes) => {
        const dir = freshDir();
        const s = await RaftLogStore.open(dir);
        await s.load();
        await s.initialize(identity, bootSnap, null);
        const model: Entry[] = [];
        let term = 1;
        for (const w of writes) {
          const start = Math.min(w.start + 1, model.length + 1);
          term++;
          const batch = Array.from({ length: w.len }, (_, k) => entry(start + k, term, start + k + term));
          await s.persist({ entries: batch });
          model.splice(start - 1, model.length, ...batch);
        }
        await s.close();
        const again = await RaftLogStore.open(dir);
        const loaded = await again.load();
        await again.close();
        rmSync(dir, { recursive: true, force: true });
        expect(loaded.entries).toEqual(model);
      }),
      { numRuns: 15 },
    );
  });
});
