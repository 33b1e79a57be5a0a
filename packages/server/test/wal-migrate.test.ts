// A data dir written before the WAL (the LevelDB raft log in <data-dir>/raft, written here
// through the old store's own API) is converted once into the WAL at open; a conversion cut
// short by a crash runs again; a damaged old log is refused, not converted.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Entry, Snapshot } from '@kite/raft';
import { LegacyRaftLog } from '../src/legacy-raft-log.js';
import { DataDirError, RaftLogStore } from '../src/raft-log-store.js';

const root = mkdtempSync(path.join(tmpdir(), 'kite-walmig-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let seq = 0;
const identity = { clusterId: 'c1', memberId: 'm1', name: 'n1' };
const entry = (index: number, term: number): Entry => ({ index, term, type: index % 5 === 0 ? 'confChange' : 'normal', data: new Uint8Array([index & 0xff, 7]) });
const snap = (index: number, term: number): Snapshot => ({ metadata: { index, term, confState: { voters: ['m1', 'm2'], learners: ['m3'] } }, data: new Uint8Array([1, 2, 3]) });

/** A data dir as the previous release left it: snapshot at 30 (tail 21..30 kept), entries 31..40. */
async function oldDataDir(): Promise<string> {
  const dataDir = path.join(root, `old-${seq++}`);
  const old = await LegacyRaftLog.open(path.join(dataDir, 'raft'));
  await old.load();
  await old.initialize(identity, snap(1, 1), { term: 1, vote: null, commit: 1 });
  await old.persist({ entries: Array.from({ length: 39 }, (_, i) => entry(i + 2, 2)), hardState: { term: 2, vote: 'm1', commit: 38 } });
  await old.saveSnapshotAndCompact(snap(30, 2), 20);
  await old.close();
  return dataDir;
}

async function expectConverted(dataDir: string, warnings: string[]): Promise<void> {
  const s = await RaftLogStore.open(dataDir, { warn: (m) => warnings.push(m) });
  const loaded = await s.load();
  expect(loaded.identity).toEqual(identity);
  expect(loaded.hardState).toEqual({ term: 2, vote: 'm1', commit: 38 });
  expect(loaded.snapshot).toEqual(snap(30, 2));
  expect(loaded.tail).toEqual(Array.from({ length: 10 }, (_, i) => entry(i + 21, 2)));
  expect(loaded.entries).toEqual(Array.from({ length: 10 }, (_, i) => entry(i + 31, 2)));
  expect(s.entryCount()).toBe(20);
  await s.persist({ entries: [entry(41, 3)], hardState: { term: 3, vote: null, commit: 40 } });
  await s.close();
}

describe('converting the LevelDB raft log', () => {
  it('converts a data dir written by the previous release once, and retires the old log', async () => {
    const dataDir = await oldDataDir();
    const warnings: string[] = [];
    await expectConverted(dataDir, warnings);
    expect(warnings.join('\n')).toMatch(/raft log converted from LevelDB .* to the WAL .*: 20 entries/);
    expect(existsSync(path.join(dataDir, 'raft'))).toBe(false);
    expect(readdirSync(dataDir).sort()).toEqual(['raft.identity.json', 'wal']);
    // The next start reads the WAL (with the entry written after the conversion) and converts nothing.
    const later: string[] = [];
    const s = await RaftLogStore.open(dataDir, { warn: (m) => later.push(m) });
    expect((await s.load()).entries.map((e) => e.index)).toEqual([31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41]);
    await s.close();
    expect(later).toEqual([]);
  });

  it('runs again after a conversion a crash cut short (partial WAL, old log still in place)', async () => {
    const dataDir = await oldDataDir();
    mkdirSync(path.join(dataDir, 'wal'));
    writeFileSync(path.join(dataDir, 'wal', '0000000000000001.wal'), Buffer.alloc(100, 0x5a));
    const warnings: string[] = [];
    await expectConverted(dataDir, warnings);
    expect(warnings.join('\n')).toMatch(/converted/);
  });

  it('finishes the removal of a retired old log', async () => {
    const dataDir = await oldDataDir();
    await expectConverted(dataDir, []);
    mkdirSync(path.join(dataDir, 'raft.converted'));
    writeFileSync(path.join(dataDir, 'raft.converted', 'CURRENT'), 'x');
    const s = await RaftLogStore.open(dataDir);
    await s.load();
    await s.close();
    expect(existsSync(path.join(dataDir, 'raft.converted'))).toBe(false);
  });

  it('refuses a damaged old log instead of converting it', async () => {
    const dataDir = await oldDataDir();
    for (const f of readdirSync(path.join(dataDir, 'raft'))) {
      if (f.endsWith('.log') || f.endsWith('.ldb')) writeFileSync(path.join(dataDir, 'raft', f), Buffer.alloc(64, 0x5a));
    }
    const err = await RaftLogStore.open(dataDir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirError);
    expect((err as DataDirError).code).toBe('CorruptDataDir');
    expect(existsSync(path.join(dataDir, 'raft'))).toBe(true);
  });
});
