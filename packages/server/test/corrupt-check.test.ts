// The corruption check's judgement and a member's hash answer, without a cluster: which
// members a round names (the odd ones out; ties go to the leader's side), and that a member
// that compacted past the revision or has not reached it is skipped rather than judged.
import { describe, expect, it } from 'vitest';
import type { HashResult } from '@kite/protocol';
import { divergentMembers, localHash, sharedHashes, type HashSource } from '../src/corrupt-check.js';

const hashes = (entries: Record<string, number>): Map<string, number> => new Map(Object.entries(entries));

describe('divergentMembers', () => {
  it('names the member outside the majority, whoever leads', () => {
    expect(divergentMembers('a', hashes({ a: 1, b: 1, c: 2 }))).toEqual(['c']);
    expect(divergentMembers('a', hashes({ a: 2, b: 1, c: 1 }))).toEqual(['a']);
    expect(divergentMembers('a', hashes({ a: 1, b: 1, c: 1, d: 3, e: 4 }))).toEqual(['d', 'e']);
  });

  it('with no majority, sides with the leader', () => {
    expect(divergentMembers('a', hashes({ a: 1, b: 2 }))).toEqual(['b']);
    expect(divergentMembers('b', hashes({ a: 1, b: 2 }))).toEqual(['a']);
    expect(divergentMembers('a', hashes({ a: 1, b: 2, c: 3 }))).toEqual(['b', 'c']);
  });

  it('names nobody when all agree or only the leader answered', () => {
    expect(divergentMembers('a', hashes({ a: 7, b: 7, c: 7 }))).toEqual([]);
    expect(divergentMembers('a', hashes({ a: 7 }))).toEqual([]);
  });
});

describe('localHash', () => {
  const source = (current: number, compacted: number, applied: { index: number }): HashSource => ({
    selfId: 'm1',
    currentRevision: () => current,
    compactRevision: () => compacted,
    hash: async (revision): Promise<HashResult> => ({ hash: 0xabc + revision, hashRevision: revision, compactRevision: compacted }),
    waitApplied: async (index) => {
      if (index > applied.index) throw new Error('timeout');
    },
  });

  it('answers the hash at the revision asked', async () => {
    expect(await localHash(source(10, 2, { index: 5 }), 8, 5)).toEqual({ memberId: 'm1', status: 'ok', hash: 0xabc + 8, hashRevision: 8, compactRevision: 2 });
  });

  it('says "behind" when it has not reached the revision (even after waiting for the index), "compacted" below its compaction', async () => {
    expect(await localHash(source(10, 2, { index: 5 }), 11, 9)).toEqual({ memberId: 'm1', status: 'behind', revision: 10 });
    expect(await localHash(source(10, 4, { index: 5 }), 4, null)).toEqual({ memberId: 'm1', status: 'compacted', compactRevision: 4 });
  });
});

describe('sharedHashes', () => {
  /** A store hash that counts its runs and finishes when told. */
  function countingHash(): { hash: (revision: number) => Promise<HashResult>; runs: number[]; finish: (ok?: boolean) => void } {
    const runs: number[] = [];
    const pending: ((ok: boolean) => void)[] = [];
    return {
      runs,
      hash: (revision) => {
        runs.push(revision);
        return new Promise<HashResult>((resolve, reject) => {
          pending.push((ok) => (ok ? resolve({ hash: 0x100 + revision, hashRevision: revision, compactRevision: 0 }) : reject(new Error('store closed'))));
        });
      },
      finish: (ok = true) => {
        for (const settle of pending.splice(0)) settle(ok);
      },
    };
  }

  it('hashes a revision once for everyone asking while it runs (own initial check and both peers at a full restart)', async () => {
    const c = countingHash();
    const hash = sharedHashes(c.hash);
    const asked = [hash(7814), hash(7814), hash(7814), hash(9)];
    c.finish();
    const got = await Promise.all(asked);
    expect(c.runs).toEqual([7814, 9]);
    expect(got.map((h) => h.hash)).toEqual([0x100 + 7814, 0x100 + 7814, 0x100 + 7814, 0x100 + 9]);
  });

  it('keeps nothing once a hash finished or failed: the next request hashes again', async () => {
    const c = countingHash();
    const hash = sharedHashes(c.hash);
    const first = hash(5);
    c.finish();
    await first;
    const failing = hash(5);
    c.finish(false);
    await expect(failing).rejects.toThrow('store closed');
    const again = hash(5);
    c.finish();
    expect((await again).hashRevision).toBe(5);
    expect(c.runs).toEqual([5, 5, 5]);
  });
});
