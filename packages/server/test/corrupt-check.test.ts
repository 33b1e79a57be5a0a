// The corruption check's judgement and a member's hash answer, without a cluster: which
// members a round names (the odd ones out; ties go to the leader's side), and that a member
// that compacted past the revision or has not reached it is skipped rather than judged.
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { HashResult } from '@kite/protocol';
import { divergentMembers, initialCorruptCheck, localHash, sharedHashes, type HashSource } from '../src/corrupt-check.js';
import { silentLogger } from '../src/logger.js';
import { MemberRegistry } from '../src/member-registry.js';

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

describe('initialCorruptCheck', () => {
  /** This member's own hash takes longer than the check used to wait for peers (3 s from the start). */
  const OWN_HASH_MS = 3_500;
  const PEER_DIFFERS = JSON.stringify({ memberId: 'p1', status: 'ok', hash: 0xbad, hashRevision: 5, compactRevision: 0 });

  /** Runs `check` against member m1 and one peer p1 served by `handler`; the peer is closed after. */
  async function withPeer(handler: RequestListener, check: (registry: MemberRegistry) => Promise<void>): Promise<void> {
    const peer = createServer(handler);
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    const registry = new MemberRegistry([
      { id: 'm1', name: 'm1', peerUrls: ['http://127.0.0.1:1'], clientUrls: [], isLearner: false },
      { id: 'p1', name: 'p1', peerUrls: [`http://127.0.0.1:${(peer.address() as AddressInfo).port}`], clientUrls: [], isLearner: false },
    ]);
    try {
      await check(registry);
    } finally {
      peer.closeAllConnections();
      peer.close();
    }
  }

  /** m1 at revision 5, whose store hash runs `hash`. */
  const sourceHashing = (hash: HashSource['hash']): HashSource => ({
    selfId: 'm1',
    currentRevision: () => 5,
    compactRevision: () => 0,
    hash,
    waitApplied: async () => undefined,
  });

  /** A hash that takes `ms` and then resolves `done` (a peer hashing the same store finishes with it). */
  function slowOwnHash(ms: number): { hash: HashSource['hash']; done: Promise<void> } {
    let finished = (): void => {};
    const done = new Promise<void>((resolve) => (finished = resolve));
    return {
      done,
      hash: async (revision) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        finished();
        return { hash: 0x600d, hashRevision: revision, compactRevision: 0 };
      },
    };
  }

  it('compares with a peer that answers once its hash is done, after this member\'s own slow hash (a million keys)', async () => {
    const own = slowOwnHash(OWN_HASH_MS);
    // The peer answers like a member hashing the same store: when this member's hash is done.
    await withPeer(
      (_req, res) => void own.done.then(() => res.writeHead(200, { 'content-type': 'application/json' }).end(PEER_DIFFERS)),
      // One peer differs, none agrees: the member must stop (before: the peer was skipped as late).
      (registry) => expect(initialCorruptCheck(sourceHashing(own.hash), registry, null, silentLogger())).rejects.toThrow(/hash 600d at revision 5\) differs from p1 \(hash bad\)/),
    );
  });

  it('abandons the requests to its peers when it ends early (a stopping member is not held open by them)', async () => {
    let peerSocketClosed = (): void => {};
    const closed = new Promise<void>((resolve) => (peerSocketClosed = resolve));
    let asked = (): void => {};
    const peerAsked = new Promise<void>((resolve) => (asked = resolve));
    // A peer still hashing: it never answers.
    const stillHashing: RequestListener = (req) => {
      req.socket.once('close', () => peerSocketClosed());
      asked();
    };
    // The member stops while its hash runs: the store closes under it.
    const source = sourceHashing(async () => {
      await peerAsked;
      throw new Error('Database is not open');
    });
    await withPeer(stillHashing, async (registry) => {
      // Whether it reports the failed hash or skips: what matters is the request left behind.
      await initialCorruptCheck(source, registry, null, silentLogger()).catch(() => undefined);
      // Bounded wait: before, the request stayed open for its whole timeout (minutes).
      const outcome = await Promise.race([closed.then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('still open'), 5_000).unref())]);
      expect(outcome).toBe('closed');
    });
  });

  it('waits for a peer as long as its own hash took (a busy leader hashes more slowly)', async () => {
    const PEER_LATER_MS = 300;
    const own = slowOwnHash(1_000);
    await withPeer(
      (_req, res) => void own.done.then(() => setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(PEER_DIFFERS), PEER_LATER_MS)),
      // The least grace (50 ms) is shorter than the peer's lag; the own hash's 1 s is not.
      (registry) => expect(initialCorruptCheck(sourceHashing(own.hash), registry, null, silentLogger(), 50)).rejects.toThrow(/differs from p1 \(hash bad\)/),
    );
  });
});
