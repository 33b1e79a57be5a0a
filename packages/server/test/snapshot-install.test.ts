// Regression tests for jepsen finding F3: a follower receives two snapshots back to back (the
// second is staged and stepped while the first Ready is still being persisted). Installing
// the first must not delete the second's staged file, whose Raft record is persisted next;
// the Raft log must never record a snapshot whose staged file is missing; and a crash between
// recording a snapshot and restoring the store from it must be finished by the restart.
// Drives a real Host over a real raft log, store and staging directory in a temp dir (no
// network: the host's sends are dropped, and it never ticks, so it never campaigns).
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Message, Snapshot } from '@kite/raft';
import { loadConfig, type ServerConfig } from '../src/config.js';
import { Host } from '../src/host.js';
import { openKvStore } from '../src/kv-adapter.js';
import type { KvPort } from '../src/kv-port.js';
import { silentLogger } from '../src/logger.js';
import { MemberRegistry } from '../src/member-registry.js';
import { ServerMetrics } from '../src/metrics.js';
import { RaftLogStore, type PersistBatch } from '../src/raft-log-store.js';
import { SnapshotFiles } from '../src/snapshot-files.js';

const root = mkdtempSync(path.join(tmpdir(), 'kite-snapinstall-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const newDir = (): string => path.join(root, `d${dirs++}`);

const enc = new TextEncoder();
const LEADER = 'n1';
const SELF = 'n2';
const confState = { voters: [LEADER, SELF], learners: [] };
const registry = (): MemberRegistry =>
  new MemberRegistry([
    { id: LEADER, name: LEADER, peerUrls: ['http://127.0.0.1:1'], clientUrls: [], isLearner: false },
    { id: SELF, name: SELF, peerUrls: ['http://127.0.0.1:2'], clientUrls: [], isLearner: false },
  ]);
const config: ServerConfig = { ...loadConfig(['--name', SELF], {}, root), snapshotEntries: 1_000_000 };
const indexOf = (md: unknown): number => (md as { snapshot: Snapshot }).snapshot.metadata.index;

/** One member's data dir opened the way kite-server opens it, and a Host over it. */
interface Member {
  readonly logStore: RaftLogStore;
  readonly kv: KvPort;
  readonly snapFiles: SnapshotFiles;
  readonly host: Host;
  readonly snapDir: string;
  /** Resolves with the error the host stopped on (onFatal). */
  readonly fatal: Promise<unknown>;
  close(): Promise<void>;
}

async function openMember(dir: string, sendSnapshot: (to: string, m: Message, chunks: AsyncIterable<Uint8Array>) => Promise<void> = async () => undefined): Promise<Member> {
  const logStore = await RaftLogStore.open(path.join(dir, 'raft'));
  let loaded = await logStore.load();
  if (loaded.identity === null) {
    const boot: Snapshot = { metadata: { index: 1, term: 1, confState }, data: registry().encode() };
    await logStore.initialize({ clusterId: 'c1', memberId: SELF, name: SELF }, boot, { term: 1, vote: null, commit: 1 });
    loaded = await logStore.load();
  }
  const snapDir = path.join(dir, 'snap');
  const snapFiles = new SnapshotFiles(snapDir);
  await snapFiles.init();
  const kv = await openKvStore(path.join(dir, 'kv'), silentLogger(), config);
  let onFatal: (err: unknown) => void = () => undefined;
  const fatal = new Promise<unknown>((resolve) => (onFatal = resolve));
  const host = new Host({
    config,
    selfId: SELF,
    clusterId: 'c1',
    logger: silentLogger(),
    metrics: new ServerMetrics(),
    logStore,
    loaded,
    kv,
    registry: MemberRegistry.decode((loaded.snapshot as Snapshot).data),
    snapFiles,
    send: () => true,
    sendSnapshot,
    onPeersChanged: () => undefined,
    onRemoved: () => undefined,
    onFatal,
  });
  const close = async (): Promise<void> => {
    await host.stop();
    await snapFiles.closeAll();
    await kv.close();
    await logStore.close();
  };
  try {
    await host.recover();
  } catch (err) {
    await close();
    throw err;
  }
  return { logStore, kv, snapFiles, host, snapDir, fatal, close };
}

/** The leader's side: a store that takes writes at chosen indexes and streams snapshots of itself. */
class LeaderStore {
  private constructor(readonly kv: KvPort) {}

  static async open(): Promise<LeaderStore> {
    return new LeaderStore(await openKvStore(newDir(), silentLogger(), config));
  }

  /** Applies a put of k<index> at `index`, then stages a snapshot of the store into `files`. */
  async stageSnapshotAt(index: number, files: SnapshotFiles): Promise<{ message: Message; file: string }> {
    await this.kv.apply([{ index, command: this.kv.encodeCommand('put', { key: enc.encode(`k${index}`), value: enc.encode(`v${index}`) }) }]);
    const message: Message = {
      type: 'installSnapshot', from: LEADER, to: SELF, term: 2,
      snapshot: { metadata: { index, term: 2, confState }, data: registry().encode() },
    };
    const snap = this.kv.snapshot();
    const snapshotId = `s${index}`;
    let seq = 0;
    for await (const data of snap.chunks) {
      await files.addChunk(LEADER, { snapshotId, seq, data, last: false, ...(seq === 0 ? { metadata: message } : {}) }, indexOf);
      seq++;
    }
    const done = await files.addChunk(LEADER, { snapshotId, seq, data: new Uint8Array(0), last: true, ...(seq === 0 ? { metadata: message } : {}) }, indexOf);
    if (done === null) throw new Error('staging did not finish');
    return { message, file: done.path };
  }
}

async function keys(kv: KvPort): Promise<string[]> {
  const r = await kv.range({ key: enc.encode('k'), rangeEnd: enc.encode('l') });
  return r.kvs.map((e) => new TextDecoder().decode(e.key)).sort();
}

const stagedFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.snap')).sort();

/** Makes the second snapshot arrive while the first one's Ready is being persisted. */
function deliverDuringPersist(m: Member, firstIndex: number, second: { message: Message; file: string }): void {
  const persist = m.logStore.persist.bind(m.logStore);
  m.logStore.persist = (p: PersistBatch): Promise<void> => {
    if (p.snapshot?.metadata.index === firstIndex) m.host.snapshotStaged(LEADER, second.message, second.file);
    return persist(p);
  };
}

/** Resolves once the store was restored to at least `index` (or rejects with the host's fatal error). */
function restoredTo(m: Member, index: number): Promise<void> {
  const restored = new Promise<void>((resolve) => {
    const prune = m.snapFiles.prune.bind(m.snapFiles);
    m.snapFiles.prune = async (through: number | null): Promise<void> => {
      await prune(through);
      if (m.kv.appliedIndex >= index) resolve();
    };
  });
  return Promise.race([restored, m.fatal.then((err) => Promise.reject(err instanceof Error ? err : new Error(String(err))))]);
}

describe('installing snapshots received back to back (F3)', () => {
  it('prune(X) removes staged snapshots up to X and keeps newer ones', async () => {
    const files = new SnapshotFiles(newDir());
    await files.init();
    const leader = await LeaderStore.open();
    try {
      await leader.stageSnapshotAt(10, files);
      await leader.stageSnapshotAt(20, files);
      await files.prune(10);
      expect(existsSync(files.pathFor(10))).toBe(false);
      expect(existsSync(files.pathFor(20))).toBe(true);
      await files.prune(null);
      expect(existsSync(files.pathFor(20))).toBe(false);
    } finally {
      await leader.kv.close();
    }
  });

  it('installs the first, then the second, whose staged file survives the first install', async () => {
    const dir = newDir();
    const leader = await LeaderStore.open();
    const m = await openMember(dir);
    try {
      const first = await leader.stageSnapshotAt(10, m.snapFiles);
      const second = await leader.stageSnapshotAt(20, m.snapFiles);
      deliverDuringPersist(m, 10, second);
      const done = restoredTo(m, 20);
      m.host.snapshotStaged(LEADER, first.message, first.file);
      await done;
    } finally {
      await m.close();
      await leader.kv.close();
    }
    expect(m.kv.appliedIndex).toBe(20);
    expect(m.host.status().snapshotIndex).toBe(20);
    expect(stagedFiles(m.snapDir)).toEqual([]);
    // A restart finds the raft log and the store in agreement.
    const again = await openMember(dir);
    try {
      expect(again.kv.appliedIndex).toBe(20);
      expect(again.host.status().snapshotIndex).toBe(20);
      expect(await keys(again.kv)).toEqual(['k10', 'k20']);
    } finally {
      await again.close();
    }
  });

  it('a crash after the second snapshot is recorded, before the store is restored from it: the restart finishes the install', async () => {
    const dir = newDir();
    const leader = await LeaderStore.open();
    const m = await openMember(dir);
    try {
      const first = await leader.stageSnapshotAt(10, m.snapFiles);
      const second = await leader.stageSnapshotAt(20, m.snapFiles);
      deliverDuringPersist(m, 10, second);
      // The process "dies" when it starts restoring the second snapshot (restore is atomic:
      // the store stays at the first).
      const restore = m.kv.restore.bind(m.kv);
      let restores = 0;
      m.kv.restore = (chunks) => (++restores === 2 ? Promise.reject(new Error('simulated crash')) : restore(chunks));
      m.host.snapshotStaged(LEADER, first.message, first.file);
      expect(((await m.fatal) as Error).message).toBe('simulated crash');
      expect(m.kv.appliedIndex).toBe(10);
    } finally {
      await m.close();
      await leader.kv.close();
    }
    const again = await openMember(dir);
    try {
      expect(again.host.status().snapshotIndex).toBe(20);
      expect(again.kv.appliedIndex).toBe(20);
      expect(await keys(again.kv)).toEqual(['k10', 'k20']);
      expect(stagedFiles(again.snapDir)).toEqual([]);
    } finally {
      await again.close();
    }
  });

  it('never records a snapshot whose staged file is missing: the member stops first and restarts cleanly', async () => {
    const dir = newDir();
    const leader = await LeaderStore.open();
    const m = await openMember(dir);
    try {
      const staged = await leader.stageSnapshotAt(10, m.snapFiles);
      rmSync(staged.file);
      m.host.snapshotStaged(LEADER, staged.message, staged.file);
      expect(((await m.fatal) as Error).message).toMatch(/snapshot 10 .*staged file .* is missing/);
    } finally {
      await m.close();
      await leader.kv.close();
    }
    const again = await openMember(dir);
    try {
      expect(again.host.status().snapshotIndex).toBe(1);
      expect(again.kv.appliedIndex).toBe(0);
    } finally {
      await again.close();
    }
  });
});

describe('streaming snapshots to a follower', () => {
  // Regression (bench:big, 1M keys): the cap on streams was global only, so the core's second
  // request for the same follower started a second stream while the first ran; the follower
  // stages one stream per sender, every chunk then came out of order, and the catch-up never
  // finished.
  it('streams at most one snapshot to a follower at a time, and the next once that one ended', async () => {
    const sent: { to: string; done: () => void }[] = [];
    const m = await openMember(newDir(), (to, _msg, chunks) => {
      void chunks[Symbol.asyncIterator]().return?.();
      return new Promise<void>((resolve) => sent.push({ to, done: resolve }));
    });
    try {
      // The member's store at the bootstrap index, whose term the log knows (the stream's metadata).
      if (m.kv.appliedIndex < 1) await m.kv.apply([{ index: 1, command: m.kv.encodeCommand('put', { key: enc.encode('k1'), value: enc.encode('v1') }) }]);
      const ask = (): void => {
        const message = { type: 'installSnapshot', from: SELF, to: LEADER, term: 1, snapshot: { metadata: { index: 1, term: 1, confState }, data: new Uint8Array(0) } };
        (m.host as unknown as { streamSnapshot(msg: Message): void }).streamSnapshot(message as Message);
      };
      const settle = async (): Promise<void> => {
        for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      };
      ask();
      ask();
      await settle();
      expect(sent.map((s) => s.to)).toEqual([LEADER]);
      sent[0]!.done();
      await settle();
      ask();
      await settle();
      expect(sent.map((s) => s.to)).toEqual([LEADER, LEADER]);
      sent[1]!.done();
    } finally {
      await m.close();
    }
  });
});
