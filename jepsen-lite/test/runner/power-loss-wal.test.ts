// The power-loss nemesis against a real Raft WAL: it cuts exactly what was never fdatasynced.
// What a member acknowledged after its fsync survives; what a (broken) member would have
// acknowledged BEFORE its fsync — written with sync: false here — is cut, so a jepsen run
// against such a build sees acknowledged writes vanish. The member's next start treats the
// cut as a torn tail, not as corruption.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// Test-only: jepsen-lite itself never imports the server (it only spawns the binary).
import { RaftLogStore } from '../../../packages/server/src/raft-log-store.js';
import { loseUnsyncedRaftWalTail } from '../../src/nemesis/process-faults.js';

const root = mkdtempSync(path.join(tmpdir(), 'kite-powerloss-wal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let seq = 0;
const entry = (index: number) => ({ index, term: 2, type: 'normal' as const, data: new Uint8Array(40).fill(index) });

/** A member's WAL: entries 2..6 synced (acknowledged), then 7..9 written without fsync. */
async function walWithUnsyncedTail(): Promise<string> {
  const dataDir = path.join(root, `m-${seq++}`);
  const s = await RaftLogStore.open(dataDir);
  await s.load();
  await s.initialize({ clusterId: 'c', memberId: 'm', name: 'n' }, { metadata: { index: 1, term: 1, confState: { voters: ['m'], learners: [] } }, data: new Uint8Array(0) }, { term: 1, vote: null, commit: 1 });
  for (let i = 2; i <= 6; i++) await s.persist({ entries: [entry(i)], hardState: { term: 2, vote: 'm', commit: i - 1 } });
  // What a build that acknowledges before its fsync would have answered for: never synced.
  await s.persist({ entries: [entry(7), entry(8), entry(9)], sync: false });
  await s.close();
  return dataDir;
}

async function reload(dataDir: string, warnings: string[]): Promise<number[]> {
  const s = await RaftLogStore.open(dataDir, { warn: (m) => warnings.push(m) });
  try {
    return (await s.load()).entries.map((e) => e.index);
  } finally {
    await s.close();
  }
}

describe('power loss: the Raft WAL', () => {
  it('cuts the unsynced tail (entries acknowledged before fsync are lost) and keeps every synced entry', async () => {
    const dataDir = await walWithUnsyncedTail();
    const cut = loseUnsyncedRaftWalTail(dataDir, 1);
    expect(cut).toBeGreaterThan(3 * 40);
    expect(await reload(dataDir, [])).toEqual([2, 3, 4, 5, 6]);
  });

  it('cuts part of the tail from its end (the start cuts the torn record), and nothing at all with u = 0', async () => {
    const partial = await walWithUnsyncedTail();
    const some = loseUnsyncedRaftWalTail(partial, 0.4);
    expect(some).toBeGreaterThan(0);
    const warnings: string[] = [];
    const kept = await reload(partial, warnings);
    expect(warnings.join('\n')).toMatch(/cut a torn tail/);
    expect(kept.slice(0, 5)).toEqual([2, 3, 4, 5, 6]);
    expect(kept.length).toBeLessThan(8);
    const none = await walWithUnsyncedTail();
    expect(loseUnsyncedRaftWalTail(none, 0)).toBe(0);
    expect(await reload(none, [])).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('cuts nothing in a data dir without the synced-offset hint', () => {
    expect(loseUnsyncedRaftWalTail(path.join(root, 'nothing-here'), 1)).toBe(0);
  });
});
