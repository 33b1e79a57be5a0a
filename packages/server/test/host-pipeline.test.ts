// The host loop on a real single-member Host (real LevelDB stores in a temp dir, no network):
// applies run in index order on the apply chain, a commit-only HardState is never written on
// its own, the store is synced once per snapshot (not per apply) before the log is compacted,
// and the persisted commit index is a hint raised to what the store applied. Time comes from
// the injected monotonic clock only: ticks and lease expiry ignore wall-clock steps.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { HardState, Snapshot } from '@kite/raft';
import type { MonotonicClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { Host, raiseCommit } from '../src/host.js';
import { openKvStore } from '../src/kv-adapter.js';
import type { KvPort } from '../src/kv-port.js';
import { silentLogger } from '../src/logger.js';
import { MemberRegistry } from '../src/member-registry.js';
import { ServerMetrics } from '../src/metrics.js';
import { RaftLogStore, type PersistBatch } from '../src/raft-log-store.js';
import { SnapshotFiles } from '../src/snapshot-files.js';

const root = mkdtempSync(path.join(tmpdir(), 'kite-host-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const enc = new TextEncoder();

async function singleMember(
  dir: string, snapshotEntries: number, clock?: MonotonicClock, flags: readonly string[] = [], onPeersChanged: (peers: ReadonlyMap<string, string>) => void = () => undefined,
): Promise<{ host: Host; kv: KvPort; persists: PersistBatch[]; syncs: () => number; close: () => Promise<void> }> {
  const config = loadConfig(['--name', 'n1', '--data-dir', dir, '--snapshot-entries', String(snapshotEntries), '--snapshot-catchup-entries', '5', ...flags], {}, dir);
  const logStore = await RaftLogStore.open(path.join(dir, 'raft'));
  await logStore.load();
  const selfId = 'm1';
  const registry = new MemberRegistry([{ id: selfId, name: 'n1', peerUrls: ['http://127.0.0.1:1'], clientUrls: [], isLearner: false }]);
  const snapshot: Snapshot = { metadata: { index: 1, term: 1, confState: { voters: [selfId], learners: [] } }, data: registry.encode() };
  const hardState: HardState = { term: 1, vote: null, commit: 1 };
  await logStore.initialize({ clusterId: 'c1', memberId: selfId, name: 'n1' }, snapshot, hardState);
  const persists: PersistBatch[] = [];
  const persist = logStore.persist.bind(logStore);
  logStore.persist = (p) => {
    persists.push(p);
    return persist(p);
  };
  const kv = await openKvStore(path.join(dir, 'kv'), silentLogger(), config, clock);
  let syncCount = 0;
  const sync = kv.sync.bind(kv);
  kv.sync = () => {
    syncCount++;
    return sync();
  };
  const snapFiles = new SnapshotFiles(path.join(dir, 'snap'));
  await snapFiles.init();
  const host = new Host({
    config,
    selfId,
    clusterId: 'c1',
    logger: silentLogger(),
    metrics: new ServerMetrics(),
    logStore,
    loaded: { identity: { clusterId: 'c1', memberId: selfId, name: 'n1' }, hardState, snapshot, entries: [], tail: [] },
    kv,
    registry,
    snapFiles,
    send: () => true,
    sendSnapshot: () => Promise.reject(new Error('no peers')),
    onPeersChanged,
    onRemoved: () => undefined,
    onFatal: (err) => {
      throw err;
    },
    ...(clock !== undefined ? { clock } : {}),
  });
  await host.recover();
  host.start();
  return {
    host,
    kv,
    persists,
    syncs: () => syncCount,
    close: async () => {
      await host.stop();
      await kv.close();
      await logStore.close();
    },
  };
}

describe('Host loop', () => {
  it('applies proposals in order, never writes a commit-only HardState alone, and syncs the store once per snapshot', async () => {
    const m = await singleMember(path.join(root, 'a'), 25);
    try {
      expect(await m.host.waitForLeader(10_000)).toBe('m1');
      const revisions: number[] = [];
      for (let round = 0; round < 4; round++) {
        const outs = await Promise.all(
          Array.from({ length: 30 }, (_, i) => m.host.proposeKv(m.kv.encodeCommand('put', { key: enc.encode(`k${round}-${i}`), value: enc.encode('v') }), 10_000)),
        );
        for (const out of outs) revisions.push(out.ok ? out.revision : -1);
      }
      // One revision per put, in proposal order: the chain applied every batch in index order.
      expect(revisions).toEqual(Array.from({ length: 120 }, (_, i) => i + 2));
      // Every write carries entries, a snapshot or a term/vote change; commit moves ride along.
      for (const p of m.persists) expect(p.entries.length > 0 || p.snapshot !== undefined || p.sync === true).toBe(true);
      // Bounded work: the store is fsynced per snapshot (every 25 entries), not per apply.
      const st = m.host.status();
      expect(st.snapshotIndex).toBeGreaterThan(1);
      expect(m.syncs()).toBeGreaterThanOrEqual(1);
      expect(m.syncs()).toBeLessThanOrEqual(Math.ceil(st.applied / 25));
      expect(m.kv.appliedIndex).toBeGreaterThanOrEqual(st.snapshotIndex);
    } finally {
      await m.close();
    }
  });
});

describe('Host member peer URL update', () => {
  it('applies a committed update to the registry and hands the transport the new URL before answering', async () => {
    const seen: string[] = [];
    const m = await singleMember(path.join(root, 'peer-urls'), 1000, undefined, [], (peers) => seen.push(peers.get('m1') ?? ''));
    try {
      expect(await m.host.waitForLeader(10_000)).toBe('m1');
      await m.host.proposeMemberPeerUrls({ memberId: 'm1', peerUrls: ['http://127.0.0.1:2'] }, 10_000);
      expect(m.host.registry.get('m1')?.peerUrls).toEqual(['http://127.0.0.1:2']);
      expect(seen).toEqual(['http://127.0.0.1:2']);
    } finally {
      await m.close();
    }
  });
});

describe('Host memory', () => {
  it('holds at most --max-raft-log-bytes of entries: a snapshot past half of it whatever --snapshot-entries says, a catch-up tail within the other half', async () => {
    const logBytesMax = 256 * 1024;
    // The entry count limits alone would keep all 40 entries: 10 000 per snapshot, 5 below it.
    const m = await singleMember(path.join(root, 'bytes'), 10_000, undefined, ['--max-raft-log-bytes', String(logBytesMax), '--snapshot-catchup-entries', '5000']);
    try {
      expect(await m.host.waitForLeader(10_000)).toBe('m1');
      const value = new Uint8Array(16 * 1024).fill(7);
      let heldMax = 0;
      for (let i = 0; i < 40; i++) {
        const out = await m.host.proposeKv(m.kv.encodeCommand('put', { key: enc.encode(`big${i}`), value }), 10_000);
        expect(out.ok).toBe(true);
        const s = m.host.storage;
        const held = s.entries(s.firstIndex(), s.lastIndex() + 1).reduce((n, e) => n + e.data.byteLength, 0);
        heldMax = Math.max(heldMax, held);
      }
      const st = m.host.status();
      expect(st.snapshotIndex).toBeGreaterThan(1);
      // Half since the snapshot plus half of tail, each overshooting by at most one entry.
      expect(heldMax).toBeLessThanOrEqual(logBytesMax + 2 * (value.length + 1024));
      expect(st.raftLogEntries).toBeLessThan(40);
    } finally {
      await m.close();
    }
  });
});

/** Polls `check` every few ms until it holds; fails after `timeoutMs` (a bound, not a timing). */
async function until(what: string, timeoutMs: number, check: () => boolean): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Host time', () => {
  it('ticks and lease expiry follow the injected monotonic clock; wall-clock steps both ways change nothing', async () => {
    vi.useFakeTimers({ toFake: ['Date'] }); // the wall clock only: timers stay real
    let monoMs = 5_000;
    const m = await singleMember(path.join(root, 'clock'), 10_000, () => monoMs);
    try {
      expect(await m.host.waitForLeader(10_000)).toBe('m1');
      const grant = async (leaseId: number, ttl: number): Promise<void> => {
        const out = await m.host.proposeKv(m.kv.encodeCommand('leaseGrant', { ttl, leaseId }), 10_000);
        expect(out.ok).toBe(true);
      };
      const leaseIds = (): number[] => m.kv.leaseLeases().leases.map((l) => l.id);
      const wallMs = Date.now();

      // Back: the wall clock is 5 minutes behind, yet a 2 s lease expires once 2 s pass.
      await grant(1, 2);
      vi.setSystemTime(wallMs - 300_000);
      monoMs += 2_001;
      await until('lease 1 revoked after the step back', 10_000, () => !leaseIds().includes(1));

      // Forward: the wall clock jumps 5 minutes, a 60 s lease keeps its TTL; the 1 s lease
      // granted after the jump expiring proves expiries were checked in between.
      await grant(2, 60);
      vi.setSystemTime(wallMs + 300_000);
      await grant(3, 1);
      monoMs += 1_001;
      await until('lease 3 revoked after the jump', 10_000, () => !leaseIds().includes(3));
      expect(leaseIds()).toEqual([2]);
      expect(m.kv.leaseTimeToLive(2, false).ttl).toBe(59);
    } finally {
      await m.close();
      vi.useRealTimers();
    }
  });
});

describe('raiseCommit', () => {
  it('raises a stale commit hint to what the store applied, never past the log', () => {
    const hs: HardState = { term: 3, vote: 'a', commit: 10 };
    expect(raiseCommit(hs, 8, 20)).toBe(hs);
    expect(raiseCommit(hs, 15, 20)).toEqual({ term: 3, vote: 'a', commit: 15 });
    expect(raiseCommit(hs, 25, 20)).toEqual({ term: 3, vote: 'a', commit: 20 });
  });
});
