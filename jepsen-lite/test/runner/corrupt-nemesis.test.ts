// The corrupt nemesis's damage, on files laid out like a member's data directory: it touches
// only bytes the WAL's synced hint (or a staged snapshot file) says were synced, never the
// preallocated zeros or an unsynced tail, and each damage is exactly one flipped bit or one cut.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { damageMember, SYNCED_TAIL_CUT_BYTES_MAX, syncedRanges } from '../../src/nemesis/corrupt.js';
import { createRng } from '../../src/util/rng.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const SEG1 = '0000000000000001.wal';
const SEG2 = '0000000000000002.wal';

/** Two segments: the first written to 400 bytes then zeros; the second synced up to 200 of 300 written. */
function dataDir(withSnap: boolean): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'corrupt-nemesis-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'wal'));
  const seg = (written: number): Buffer => Buffer.concat([Buffer.alloc(written, 0xab), Buffer.alloc(1024 - written)]);
  writeFileSync(path.join(dir, 'wal', SEG1), seg(400));
  writeFileSync(path.join(dir, 'wal', SEG2), seg(300));
  writeFileSync(path.join(dir, 'wal', 'synced'), `${SEG2} ${String(200).padStart(16, '0')}\n`);
  if (withSnap) {
    mkdirSync(path.join(dir, 'snap'));
    writeFileSync(path.join(dir, 'snap', 'snap-42.snap'), Buffer.alloc(64, 7));
    writeFileSync(path.join(dir, 'snap', 'snap-43.snap.part'), Buffer.alloc(64, 7));
  }
  return dir;
}

describe('corrupt nemesis damage', () => {
  it('finds the synced ranges: whole written segments, the hinted prefix, complete snapshot files', () => {
    expect(syncedRanges(dataDir(true))).toEqual([
      { file: path.join('wal', SEG1), from: 16, to: 400 },
      { file: path.join('wal', SEG2), from: 16, to: 200 },
      { file: path.join('snap', 'snap-42.snap'), from: 0, to: 64 },
    ]);
  });

  it('without a synced hint nothing of the WAL counts as synced', () => {
    const dir = dataDir(false);
    rmSync(path.join(dir, 'wal', 'synced'));
    expect(syncedRanges(dir)).toEqual([]);
    expect(damageMember(dir, createRng(1))).toBeNull();
  });

  it('flips exactly one bit or cuts inside a synced range (a tail cut within its last bytes), over many seeds', () => {
    const hows = new Set<string>();
    for (let seed = 1; seed <= 60; seed++) {
      const dir = dataDir(true);
      const before = new Map(syncedRanges(dir).map((r) => [r.file, readFileSync(path.join(dir, r.file))]));
      const ranges = syncedRanges(dir);
      const d = damageMember(dir, createRng(seed));
      if (d === null) throw new Error('no damage');
      hows.add(d.how);
      const range = ranges.find((r) => r.file === d.file);
      const old = before.get(d.file) as Buffer;
      const now = readFileSync(path.join(dir, d.file));
      if (d.how === 'flip') {
        expect(d.offset).toBeGreaterThanOrEqual(range?.from ?? -1);
        expect(d.offset).toBeLessThan(range?.to ?? -1);
        const diff = [...now].map((b, i) => b ^ (old[i] as number)).filter((x) => x !== 0);
        expect(diff).toEqual([1 << d.bit]);
      } else {
        expect(now.length).toBe(old.length - d.cutBytes);
        expect(now.length).toBeGreaterThanOrEqual(range?.from ?? -1);
        expect(now.length).toBeLessThan(range?.to ?? -1);
        expect(now.equals(old.subarray(0, now.length))).toBe(true);
        if (d.how === 'truncate-tail') {
          expect(d.file).toBe(path.join('wal', SEG2));
          expect(now.length).toBeGreaterThanOrEqual(200 - SYNCED_TAIL_CUT_BYTES_MAX);
        }
      }
      for (const [file, bytes] of before) if (file !== d.file) expect(readFileSync(path.join(dir, file)).equals(bytes)).toBe(true);
    }
    expect([...hows].sort()).toEqual(['flip', 'truncate', 'truncate-tail']);
  });
});
