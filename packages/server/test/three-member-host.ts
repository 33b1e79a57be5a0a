// Test helper: a real Host (m1, real WAL and LevelDB store in `dir`) in a three-voter cluster
// whose other members (m2, m3) exist only as what the test steps in. Every Raft message m1
// sends is recorded, and every WAL write it asks for (with its options) too.
import path from 'node:path';
import type { HardState, Message, Snapshot } from '@kite/raft';
import type { MonotonicClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { Host } from '../src/host.js';
import { openKvStore } from '../src/kv-adapter.js';
import type { KvPort } from '../src/kv-port.js';
import { silentLogger } from '../src/logger.js';
import { MemberRegistry } from '../src/member-registry.js';
import { ServerMetrics } from '../src/metrics.js';
import { RaftLogStore, type PersistBatch } from '../src/raft-log-store.js';
import { SnapshotFiles } from '../src/snapshot-files.js';

export const MEMBER_IDS = ['m1', 'm2', 'm3'] as const;

export interface ThreeMemberHost {
  readonly host: Host;
  readonly kv: KvPort;
  readonly logStore: RaftLogStore;
  /** Every message m1 sent, in order. */
  readonly sent: Message[];
  /** Every WAL write m1 asked for, in order. */
  readonly persists: PersistBatch[];
  /** In order: `send` (messages handed over), `flush` (flushSends), `write` (a WAL write asked for). */
  readonly events: string[];
  close(): Promise<void>;
}

export interface ThreeMemberHostOptions {
  readonly dir: string;
  readonly clock?: MonotonicClock;
  /** Called with what m1 sends to `to` (after it is recorded), e.g. to answer as `to`. */
  readonly onSend?: (host: Host, to: string, messages: readonly Message[]) => void;
}

export async function openThreeMemberHost(opts: ThreeMemberHostOptions): Promise<ThreeMemberHost> {
  const { dir } = opts;
  const config = loadConfig(['--name', 'n1', '--data-dir', dir, '--tick-ms', '10'], {}, dir);
  const logStore = await RaftLogStore.open(path.join(dir, 'raft'));
  await logStore.load();
  const registry = new MemberRegistry(MEMBER_IDS.map((id, i) => ({ id, name: `n${i + 1}`, peerUrls: [`http://127.0.0.1:${i + 1}`], clientUrls: [], isLearner: false })));
  const snapshot: Snapshot = { metadata: { index: 1, term: 1, confState: { voters: [...MEMBER_IDS], learners: [] } }, data: registry.encode() };
  const hardState: HardState = { term: 1, vote: null, commit: 1 };
  await logStore.initialize({ clusterId: 'c1', memberId: 'm1', name: 'n1' }, snapshot, hardState);
  const persists: PersistBatch[] = [];
  const events: string[] = [];
  const persist = logStore.persist.bind(logStore);
  logStore.persist = (p) => {
    persists.push(p);
    events.push('write');
    return persist(p);
  };
  const kv = await openKvStore(path.join(dir, 'kv'), silentLogger(), config, opts.clock);
  const snapFiles = new SnapshotFiles(path.join(dir, 'snap'));
  await snapFiles.init();
  const sent: Message[] = [];
  const host: Host = new Host({
    config,
    selfId: 'm1',
    clusterId: 'c1',
    logger: silentLogger(),
    metrics: new ServerMetrics(),
    logStore,
    loaded: { identity: { clusterId: 'c1', memberId: 'm1', name: 'n1' }, hardState, snapshot, entries: [], tail: [] },
    kv,
    registry,
    snapFiles,
    send: (to, messages) => {
      sent.push(...messages);
      events.push('send');
      opts.onSend?.(host, to, messages);
      return true;
    },
    sendSnapshot: () => Promise.reject(new Error('no snapshots here')),
    flushSends: () => void events.push('flush'),
    onPeersChanged: () => undefined,
    onRemoved: () => undefined,
    onFatal: (err) => {
      throw err;
    },
    ...(opts.clock !== undefined ? { clock: opts.clock } : {}),
  });
  await host.recover();
  host.start();
  return {
    host,
    kv,
    logStore,
    sent,
    persists,
    events,
    close: async () => {
      await host.stop();
      await kv.close();
      await logStore.close();
    },
  };
}

/** Bound on a test's wait for the host (a proposal, a condition). */
export const WAIT_MS = 10_000;
const EVENTUALLY_POLL_MS = 5;

/** Polls `ok` until true or a bounded deadline passes (then false). */
export async function eventually(ok: () => boolean): Promise<boolean> {
  const deadline = performance.now() + WAIT_MS;
  while (!ok()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, EVENTUALLY_POLL_MS));
  }
  return true;
}
