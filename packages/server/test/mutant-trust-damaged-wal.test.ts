// The trust-damaged-wal mutant (KITE_MUTANT, off by default) does what it says and nothing when
// off: a log truncated inside its synced records is refused by a healthy load, and loaded with
// acknowledged entries missing by the mutant's load (the bug jepsen-lite's corrupt nemesis and
// corrupt-serving checker are shown to catch).
import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '@kite/raft';
import { DataDirError, RaftLogStore } from '../src/raft-log-store.js';
import { scanWal, segmentName } from '../src/wal/scan.js';

const root = mkdtempSync(path.join(tmpdir(), 'kite-mutant-wal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const identity = { clusterId: 'c1', memberId: 'm1', name: 'n1' };
const bootSnap: Snapshot = { metadata: { index: 0, term: 0, confState: { voters: ['m1'], learners: [] } }, data: new Uint8Array(0) };

describe('trust-damaged-wal mutant', () => {
  it('a truncation below the synced offset: refused when off, loaded short when on', async () => {
    const dir = path.join(root, 'd');
    const s = await RaftLogStore.open(dir, { segmentBytes: 4096 });
    await s.load();
    await s.initialize(identity, bootSnap, null);
    for (let i = 1; i <= 6; i++) await s.persist({ entries: [{ index: i, term: 1, type: 'normal', data: new Uint8Array(8).fill(i) }], hardState: { term: 1, vote: 'm1', commit: i - 1 } });
    await s.close();
    const records = scanWal(path.join(dir, 'wal'), null).records;
    const last = records.filter((r) => r.record.type === 'entry').pop();
    if (last === undefined) throw new Error('no entry record');
    truncateSync(path.join(dir, 'wal', segmentName(last.seq)), last.offset + 4);

    const healthy = await RaftLogStore.open(dir, { segmentBytes: 4096 });
    const err = await healthy.load().catch((e: unknown) => e);
    await healthy.close();
    expect(err).toBeInstanceOf(DataDirError);
    expect((err as DataDirError).message).toMatch(/recorded as synced/);

    const mutant = await RaftLogStore.open(dir, { segmentBytes: 4096, mutantIgnoreSyncedHint: true });
    const loaded = await mutant.load();
    await mutant.close();
    expect(loaded.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5]);
  });
});
