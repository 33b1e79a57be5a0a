// The corrupt nemesis's damage, on files laid out like a member's data directory: it touches
// only bytes the WAL's synced hint (or a staged snapshot file) says were synced, never the
// preallocated zeros or an unsynced tail, and each damage is exactly one flipped bit or one cut;
// a member with nothing synced is left alone.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster/cluster.js';
import { NodeProcess } from '../../src/cluster/node-process.js';
import { corruptNemesis, damageMember, SYNCED_TAIL_CUT_BYTES_MAX, syncedRanges } from '../../src/nemesis/corrupt.js';
import { Recorder } from '../../src/run/recorder.js';
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

describe('corrupt nemesis on a member with nothing synced', () => {
  // Found by the nemesis matrix (corrupt × register, 3 members, seed 1): a follower re-added from
  // a clean directory moments before had no synced WAL bytes yet; the nemesis killed it,
  // damaged nothing, restarted it and recorded its normal start as "started on damaged synced
  // files", which corrupt-serving flagged on a healthy build.
  it('does not apply: no kill, no corruption recorded, the member keeps running', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'corrupt-nemesis-run-'));
    dirs.push(dir);
    const script = path.join(dir, 'member.mjs');
    writeFileSync(script, 'setInterval(() => undefined, 1000);\n');
    const cluster = new Cluster({
      nodes: 3, dir, serverBin: script, clusterToken: 't', tickMs: 100, electionTicks: 10,
      snapshotEntries: 100, snapshotCatchupEntries: 10, logLevel: 'info', rng: createRng(1), tls: false,
    });
    // Stand-in members: n1 leads; the followers' data directories hold nothing synced.
    cluster.leaderWithin = async () => 'n1';
    for (const name of cluster.names) {
      const dataDir = path.join(dir, 'data', name);
      mkdirSync(path.join(dataDir, 'wal'), { recursive: true });
      cluster.members.set(name, { name, clientPort: 1, peerPort: 2, dataDir });
      const p = new NodeProcess({ name, serverBin: script, args: [], logFile: path.join(dir, `${name}.log`), env: { PATH: process.env['PATH'] ?? '' } });
      cluster.processes.set(name, p);
      p.start();
    }
    try {
      let t = 0;
      const recorder = new Recorder({ nowNs: () => ++t, nowMs: () => t / 1e6 });
      const fault = await corruptNemesis.start({ cluster, recorder, rng: createRng(5), events: [], log: () => undefined });
      expect(fault).toBeNull();
      expect(recorder.entries).toEqual([]);
      for (const name of cluster.names) expect([cluster.process(name).state, cluster.process(name).starts]).toEqual(['running', 1]);
    } finally {
      for (const p of cluster.processes.values()) await p.kill9();
    }
  });
});
