// The WAL under crashes and damage: a write cut at every byte offset of the last record is a
// torn tail (cut, logged, nothing acknowledged lost); a flipped bit anywhere else is refused
// with the segment's path and the offset; segments are released after compaction.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Entry, Snapshot } from '@kite/raft';
import { DataDirError, RaftLogStore } from '../src/raft-log-store.js';
import { readSyncedHint, scanWal } from '../src/wal/scan.js';

const root = mkdtempSync(path.join(tmpdir(), 'kite-walcrash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let seq = 0;
const freshDir = (): string => path.join(root, `d-${seq++}`);

const identity = { clusterId: 'c1', memberId: 'm1', name: 'n1' };
const bootSnap: Snapshot = { metadata: { index: 0, term: 0, confState: { voters: ['m1'], learners: [] } }, data: new Uint8Array(0) };
const entry = (index: number, term: number, bytes = 8): Entry => ({ index, term, type: 'normal', data: new Uint8Array(bytes).fill(index & 0xff) });
const SMALL_SEGMENT_BYTES = 4096;

async function openStore(dir: string, warnings: string[] = [], segmentBytes = SMALL_SEGMENT_BYTES): Promise<RaftLogStore> {
  return RaftLogStore.open(dir, { segmentBytes, warn: (m) => warnings.push(m) });
}

/** A store with entries 1..count persisted with sync (acknowledged). */
async function writeLog(dir: string, count: number, bytes = 8): Promise<RaftLogStore> {
  const s = await openStore(dir);
  await s.load();
  await s.initialize(identity, bootSnap, null);
  for (let i = 1; i <= count; i++) await s.persist({ entries: [entry(i, 1, bytes)], hardState: { term: 1, vote: 'm1', commit: i - 1 } });
  return s;
}

const segments = (dir: string): string[] =>
  readdirSync(path.join(dir, 'wal'))
    .filter((f) => f.endsWith('.wal'))
    .sort()
    .map((f) => path.join(dir, 'wal', f));

function flipBit(file: string, offset: number): void {
  const buf = readFileSync(file);
  buf[offset] = (buf[offset] as number) ^ 0x10;
  writeFileSync(file, buf);
}

async function loadError(dir: string): Promise<DataDirError> {
  const s = await openStore(dir);
  const err = await s.load().catch((e: unknown) => e);
  await s.close();
  expect(err).toBeInstanceOf(DataDirError);
  return err as DataDirError;
}

describe('WAL crash recovery', () => {
  it('recovers a write cut at every byte offset of the last record: torn tail cut and logged, every synced entry kept', async () => {
    const dir = freshDir();
    const s = await writeLog(dir, 5);
    const hint = readSyncedHint(path.join(dir, 'wal'));
    if (hint === null) throw new Error('no synced hint');
    // The last write: never synced, so never acknowledged (a crash before its fsync returned).
    await s.persist({ entries: [entry(6, 1, 100)], sync: false });
    await s.close();
    const [seg] = segments(dir);
    if (seg === undefined) throw new Error('no segment');
    const whole = readFileSync(seg);
    const hintFile = path.join(dir, 'wal', 'synced');
    const hintBytes = readFileSync(hintFile);
    const end = scanWal(path.join(dir, 'wal'), null).segments[0]?.end ?? 0;
    // The record's own bytes (header, index, term, type, data); zero padding to 8 follows it.
    const recordEnd = hint.offset + 16 + 17 + 100;
    expect(end).toBe(recordEnd + 3);
    for (let cut = hint.offset; cut < recordEnd; cut++) {
      for (const how of ['zeroed', 'truncated'] as const) {
        writeFileSync(hintFile, hintBytes); // as the crash left it (the loop's own writes move it)
        if (how === 'zeroed') writeFileSync(seg, Buffer.concat([whole.subarray(0, cut), Buffer.alloc(whole.length - cut)]));
        else {
          writeFileSync(seg, whole);
          truncateSync(seg, cut);
        }
        const warnings: string[] = [];
        const again = await openStore(dir, warnings);
        const loaded = await again.load();
        expect(loaded.entries.map((e) => e.index), `cut at ${cut} (${how}) of [${hint.offset}, ${end}) ${JSON.stringify(loaded.entries.map((e) => e.term))}`).toEqual([1, 2, 3, 4, 5]);
        expect(loaded.hardState).toEqual({ term: 1, vote: 'm1', commit: 4 });
        if (cut > hint.offset && !(how === 'zeroed' && whole.subarray(hint.offset, cut).every((x) => x === 0))) {
          expect(warnings.join('\n'), `cut at ${cut} (${how})`).toMatch(new RegExp(`cut a torn tail of \\d+ bytes at offset ${hint.offset} of ${seg}`));
        }
        // The log goes on after the cut, and what follows reloads.
        await again.persist({ entries: [entry(6, 3)], hardState: { term: 3, vote: null, commit: 5 } });
        await again.close();
        const third = await openStore(dir);
        expect((await third.load()).entries.map((e) => [e.index, e.term])).toEqual([[1, 1], [2, 1], [3, 1], [4, 1], [5, 1], [6, 3]]);
        await third.close();
      }
    }
    // Uncut, the unsynced write is simply there (a kill -9 keeps the page cache).
    writeFileSync(seg, whole);
    const uncut = await openStore(dir);
    expect((await uncut.load()).entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6]);
    await uncut.close();
  });

  it('refuses a flipped bit in the middle of a segment that is not the last, naming the path and offset', async () => {
    const dir = freshDir();
    await (await writeLog(dir, 60, 200)).close();
    const segs = segments(dir);
    expect(segs.length).toBeGreaterThan(2);
    const first = scanWal(path.join(dir, 'wal'), null).records.filter((r) => r.seq === 1);
    const mid = first[Math.floor(first.length / 2)];
    if (mid === undefined) throw new Error('no record');
    flipBit(segs[0] as string, mid.offset + 20);
    const err = await loadError(dir);
    expect(err.code).toBe('CorruptDataDir');
    expect(err.message).toContain(`${segs[0]} is damaged at offset ${mid.offset}`);
    expect(err.message).toMatch(/record checksum mismatch, yet a valid record follows/);
    expect(err.message).toContain('kite wal verify');
  });

  it('refuses a flipped bit in the last segment when valid records follow it', async () => {
    const dir = freshDir();
    await (await writeLog(dir, 8)).close();
    const records = scanWal(path.join(dir, 'wal'), null).records;
    const victim = records[records.length - 4];
    if (victim === undefined) throw new Error('no record');
    flipBit(segments(dir)[0] as string, victim.offset + 17);
    const err = await loadError(dir);
    expect(err.code).toBe('CorruptDataDir');
    expect(err.message).toContain(`is damaged at offset ${victim.offset}`);
  });

  it('refuses damage to the synced last record (the synced-offset hint says it was acknowledged)', async () => {
    const dir = freshDir();
    await (await writeLog(dir, 4)).close();
    const records = scanWal(path.join(dir, 'wal'), null).records;
    const last = records[records.length - 1];
    if (last === undefined) throw new Error('no record');
    flipBit(segments(dir)[0] as string, last.offset + 18);
    const err = await loadError(dir);
    expect(err.message).toMatch(/below the offset \d+ recorded as synced/);
  });

  it('refuses a damaged length field in the synced last record (LevelDB dropped such a record silently)', async () => {
    const dir = freshDir();
    await (await writeLog(dir, 4)).close();
    const records = scanWal(path.join(dir, 'wal'), null).records;
    const last = records[records.length - 1];
    if (last === undefined) throw new Error('no record');
    flipBit(segments(dir)[0] as string, last.offset + 6); // the length's third byte: far past the file's end
    const err = await loadError(dir);
    expect(err.message).toMatch(new RegExp(`damaged at offset ${last.offset}: record length \\d+ runs past the end of the file, below the offset \\d+ recorded as synced`));
  });

  it('releases whole segments after compaction and reloads the same state', async () => {
    const dir = freshDir();
    const s = await writeLog(dir, 80, 200);
    const before = s.segmentCount();
    expect(before).toBeGreaterThan(3);
    const snap: Snapshot = { metadata: { index: 70, term: 1, confState: { voters: ['m1'], learners: [] } }, data: new Uint8Array([7]) };
    await s.saveSnapshotAndCompact(snap, 60);
    expect(s.segmentCount()).toBeLessThan(before);
    expect(segments(dir).length).toBe(s.segmentCount());
    expect(s.entryCount()).toBe(20);
    await s.close();
    const again = await openStore(dir);
    const loaded = await again.load();
    expect(loaded.snapshot).toEqual(snap);
    expect(loaded.tail.map((e) => e.index)).toEqual(Array.from({ length: 10 }, (_, i) => 61 + i));
    expect(loaded.entries.map((e) => e.index)).toEqual(Array.from({ length: 10 }, (_, i) => 71 + i));
    expect(loaded.hardState).toEqual({ term: 1, vote: 'm1', commit: 79 });
    expect(loaded.identity).toEqual(identity);
    await again.close();
  });

  it('refuses a missing segment in the middle', async () => {
    const dir = freshDir();
    await (await writeLog(dir, 60, 200)).close();
    const segs = segments(dir);
    rmSync(segs[1] as string);
    const err = await loadError(dir);
    expect(err.message).toMatch(/segment 0+2\.wal is missing/);
  });

  it('keeps a whole spare segment across a restart (a restart must not free disk space) and replaces a partial one', async () => {
    const dir = freshDir();
    await (await writeLog(dir, 1)).close();
    const spare = path.join(dir, 'wal', '0000000000000002.wal.tmp');
    expect(statSync(spare).size).toBe(SMALL_SEGMENT_BYTES);
    const marked = new Date('2001-01-01T00:00:00Z'); // a preallocation made anew would carry the time of now
    utimesSync(spare, marked, marked);
    const again = await openStore(dir);
    await again.load();
    await again.close();
    expect(statSync(spare).mtimeMs).toBe(marked.getTime());
    truncateSync(spare, 100); // preallocation cut short by a crash
    const third = await openStore(dir);
    await third.load();
    await third.close();
    expect(statSync(spare).size).toBe(SMALL_SEGMENT_BYTES);
  });

  it('keeps a lock per data dir; a lock left by a dead process is taken over', async () => {
    const dir = freshDir();
    const s = await writeLog(dir, 1);
    await expect(openStore(dir)).rejects.toMatchObject({ code: 'DataDirLocked' });
    await s.close();
    writeFileSync(path.join(dir, 'wal', 'LOCK'), '999999999 1\n');
    const again = await openStore(dir);
    expect((await again.load()).entries.map((e) => e.index)).toEqual([1]);
    await again.close();
  });
});
