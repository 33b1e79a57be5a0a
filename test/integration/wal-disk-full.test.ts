// The Raft WAL on a full disk, in-process over a small tmpfs (needs root, like disk-full.test.ts):
// an append that needs a new segment the disk cannot hold fails with an error the member's
// disk-full handling recognizes (diskFullPath: exit 6, `disk full: <path in the WAL>`), the
// partial segment is removed, and once space is freed the WAL reopens with every acknowledged
// (synced) entry and goes on.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Entry } from '@kite/raft';
import { diskFullPath } from '../../packages/server/src/disk-full.js';
import { RaftLogStore } from '../../packages/server/src/raft-log-store.js';
import { Tmpfs } from './harness/tmpfs.js';

const SEGMENT_BYTES = 256 * 1024;
const ENTRY_BYTES = 16 * 1024;
/** Appends tried at most before the disk must be full (4 MiB disk, 16 KiB entries). */
const APPENDS_MAX = 1000;

describe('the WAL on a full disk', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'kite-wal-full-'));
  const disk = Tmpfs.mount(path.join(root, 'data'), 4);
  afterAll(() => {
    try {
      disk.unmount();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('fails the append as a disk-full error naming a WAL file, keeps every synced entry, and goes on after space is freed', async () => {
    const dataDir = disk.dir;
    const s = await RaftLogStore.open(dataDir, { segmentBytes: SEGMENT_BYTES });
    await s.load();
    await s.initialize({ clusterId: 'c', memberId: 'm', name: 'n' }, { metadata: { index: 0, term: 0, confState: { voters: ['m'], learners: [] } }, data: new Uint8Array(0) }, null);
    disk.fill();
    let acked = 0;
    let failure: unknown = null;
    for (let i = 1; i <= APPENDS_MAX && failure === null; i++) {
      const e: Entry = { index: i, term: 1, type: 'normal', data: new Uint8Array(ENTRY_BYTES).fill(i & 0xff) };
      try {
        await s.persist({ entries: [e], hardState: { term: 1, vote: 'm', commit: i - 1 } });
        acked = i;
      } catch (err) {
        failure = err;
      }
    }
    expect(failure, `no failure after ${APPENDS_MAX} appends on a full disk`).not.toBeNull();
    const full = diskFullPath(failure, '/nowhere');
    expect(full).not.toBeNull();
    expect(full as string).toContain(path.join(dataDir, 'wal'));
    // The segment that could not be preallocated is gone; the WAL refuses further appends.
    expect(readdirSync(path.join(dataDir, 'wal')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await expect(s.persist({ entries: [], hardState: { term: 1, vote: 'm', commit: 0 } })).rejects.toThrow(/failed an earlier write/);
    await s.close();

    disk.removeFiller();
    const again = await RaftLogStore.open(dataDir, { segmentBytes: SEGMENT_BYTES });
    const loaded = await again.load();
    expect(loaded.entries.map((e) => e.index)).toEqual(Array.from({ length: acked }, (_, i) => i + 1));
    await again.persist({ entries: [{ index: acked + 1, term: 2, type: 'normal', data: new Uint8Array(8) }], hardState: { term: 2, vote: null, commit: acked } });
    await again.close();
    expect(existsSync(path.join(dataDir, 'wal', 'synced'))).toBe(true);
  });
});
