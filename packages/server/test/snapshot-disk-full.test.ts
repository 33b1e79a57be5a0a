// A full disk while staging a received snapshot takes the disk-full path: the receiver calls
// the member's disk-full handler with an error naming the staged file, the partial file is
// removed, and the Raft log records no snapshot. Other write errors are thrown (the transport
// logs them, the leader resends). The full disk is injected into the staging file's writes;
// a control run with a working disk shows the same stream does get recorded.
// Drives a real Host over a real raft log, store and staging directory in a temp dir (no
// network, no ticks).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PeerSnapshotChunk } from '@kite/protocol';
import type { Message, Snapshot } from '@kite/raft';
import { loadConfig, type ServerConfig } from '../src/config.js';
import { diskFullPath } from '../src/disk-full.js';
import { Host } from '../src/host.js';
import { openKvStore } from '../src/kv-adapter.js';
import type { KvPort } from '../src/kv-port.js';
import { silentLogger } from '../src/logger.js';
import { MemberRegistry } from '../src/member-registry.js';
import { ServerMetrics } from '../src/metrics.js';
import { RaftLogStore, type PersistBatch } from '../src/raft-log-store.js';
import { SnapshotFiles, type OpenStagingFile } from '../src/snapshot-files.js';
import { receiveSnapshotChunk } from '../src/snapshot-receive.js';

const root = mkdtempSync(path.join(tmpdir(), 'kite-snapfull-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const newDir = (): string => path.join(root, `d${dirs++}`);

const enc = new TextEncoder();
const LEADER = 'n1';
const SELF = 'n2';
const SNAP_INDEX = 10;
const confState = { voters: [LEADER, SELF], learners: [] };
const registry = (): MemberRegistry =>
  new MemberRegistry([
    { id: LEADER, name: LEADER, peerUrls: ['http://127.0.0.1:1'], clientUrls: [], isLearner: false },
    { id: SELF, name: SELF, peerUrls: ['http://127.0.0.1:2'], clientUrls: [], isLearner: false },
  ]);
const config: ServerConfig = { ...loadConfig(['--name', SELF], {}, root), snapshotEntries: 1_000_000 };

/** Real files whose `failAt`-th write (1-based, counted per file) fails with `code`, as Node's do (no path). */
function failingWrites(code: string, failAt: number): OpenStagingFile {
  return async (file) => {
    const fh = await open(file, 'w');
    let writes = 0;
    return {
      write: async (data: Uint8Array) => {
        if (++writes === failAt) throw Object.assign(new Error(`${code}: write failed, write`), { code, syscall: 'write' });
        return fh.write(data);
      },
      sync: () => fh.sync(),
      close: () => fh.close(),
    };
  };
}

/** The frames a leader streams for a snapshot of a store holding one key, at SNAP_INDEX. */
async function leaderStream(): Promise<PeerSnapshotChunk[]> {
  const kv = await openKvStore(newDir(), silentLogger(), config);
  try {
    await kv.apply([{ index: SNAP_INDEX, command: kv.encodeCommand('put', { key: enc.encode('k'), value: enc.encode('v') }) }]);
    const message: Message = {
      type: 'installSnapshot', from: LEADER, to: SELF, term: 2,
      snapshot: { metadata: { index: SNAP_INDEX, term: 2, confState }, data: registry().encode() },
    };
    const frames: PeerSnapshotChunk[] = [];
    for await (const data of kv.snapshot().chunks) {
      const seq = frames.length;
      frames.push({ type: 'snapshotChunk', snapshotId: 's10', seq, data, last: false, ...(seq === 0 ? { metadata: message } : {}) });
    }
    const seq = frames.length;
    frames.push({ type: 'snapshotChunk', snapshotId: 's10', seq, data: new Uint8Array(0), last: true, ...(seq === 0 ? { metadata: message } : {}) });
    return frames;
  } finally {
    await kv.close();
  }
}

interface Member {
  readonly host: Host;
  readonly logStore: RaftLogStore;
  readonly snapFiles: SnapshotFiles;
  readonly snapDir: string;
  /** Snapshot indexes of the Raft log batches persisted so far. */
  readonly recorded: number[];
  /** Resolves when a batch with a snapshot has been persisted. */
  readonly firstRecord: Promise<void>;
  /** Errors the host stopped on (onFatal). */
  readonly fatal: unknown[];
  close(): Promise<void>;
}

/** A follower's data dir opened the way kite-server opens it, staging through `openFile`. */
async function openMember(openFile?: OpenStagingFile): Promise<Member> {
  const dir = newDir();
  const logStore = await RaftLogStore.open(path.join(dir, 'raft'));
  await logStore.load();
  const boot: Snapshot = { metadata: { index: 1, term: 1, confState }, data: registry().encode() };
  await logStore.initialize({ clusterId: 'c1', memberId: SELF, name: SELF }, boot, { term: 1, vote: null, commit: 1 });
  const loaded = await logStore.load();
  const recorded: number[] = [];
  let onRecord: () => void = () => undefined;
  const firstRecord = new Promise<void>((resolve) => (onRecord = resolve));
  const persist = logStore.persist.bind(logStore);
  logStore.persist = async (p: PersistBatch): Promise<void> => {
    await persist(p);
    if (p.snapshot !== undefined && p.snapshot !== null) {
      recorded.push(p.snapshot.metadata.index);
      onRecord();
    }
  };
  const fatal: unknown[] = [];
  const snapDir = path.join(dir, 'snap');
  const snapFiles = new SnapshotFiles(snapDir, openFile);
  await snapFiles.init();
  const kv: KvPort = await openKvStore(path.join(dir, 'kv'), silentLogger(), config);
  const host = new Host({
    config, selfId: SELF, clusterId: 'c1', logger: silentLogger(), metrics: new ServerMetrics(), logStore, loaded, kv,
    registry: MemberRegistry.decode(boot.data), snapFiles,
    send: () => true, sendSnapshot: async () => undefined, onPeersChanged: () => undefined, onRemoved: () => undefined,
    onFatal: (err) => void fatal.push(err),
  });
  await host.recover();
  return {
    host, logStore, snapFiles, snapDir, recorded, firstRecord, fatal,
    close: async () => {
      await host.stop();
      await snapFiles.closeAll();
      await kv.close();
      await logStore.close();
    },
  };
}

/** Feeds `frames` to the member's receive path; returns the disk-full handler's calls. */
async function receive(m: Member, frames: readonly PeerSnapshotChunk[]): Promise<unknown[]> {
  const diskFull: unknown[] = [];
  const r = { files: m.snapFiles, selfId: SELF, staged: m.host.snapshotStaged.bind(m.host), diskFull: (err: unknown) => void diskFull.push(err) };
  for (const f of frames) {
    await receiveSnapshotChunk(r, LEADER, f);
    if (diskFull.length > 0) break; // the member stops here (exit 6)
  }
  return diskFull;
}

describe('a full disk while staging a received snapshot', () => {
  for (const code of ['ENOSPC', 'EDQUOT']) {
    it(`${code}: calls the disk-full handler with the staged file, removes it, records nothing`, async () => {
      const frames = await leaderStream();
      // Write 1 is the first chunk's length prefix: the failure leaves a partial file behind.
      const m = await openMember(failingWrites(code, 2));
      try {
        const calls = await receive(m, frames);
        expect(calls).toHaveLength(1);
        expect(diskFullPath(calls[0], '/fallback')).toBe(path.join(m.snapDir, 's10.part'));
        expect(readdirSync(m.snapDir)).toEqual([]);
        await m.host.stop(); // lets anything the host was handed finish before looking
        expect(m.recorded).toEqual([]);
        expect(m.host.status().snapshotIndex).toBe(1);
        expect((await m.logStore.load()).snapshot?.metadata.index).toBe(1);
        expect(m.fatal).toEqual([]);
      } finally {
        await m.close();
      }
    });
  }

  it('other write errors are thrown to the transport, not treated as a full disk', async () => {
    const frames = await leaderStream();
    const m = await openMember(failingWrites('EIO', 2));
    try {
      const diskFull: unknown[] = [];
      const r = { files: m.snapFiles, selfId: SELF, staged: m.host.snapshotStaged.bind(m.host), diskFull: (err: unknown) => void diskFull.push(err) };
      await expect(receiveSnapshotChunk(r, LEADER, frames[0] as PeerSnapshotChunk)).rejects.toMatchObject({ code: 'EIO' });
      expect(diskFull).toEqual([]);
      expect(readdirSync(m.snapDir)).toEqual([]);
      await m.host.stop();
      expect(m.recorded).toEqual([]);
      expect(m.fatal).toEqual([]);
    } finally {
      await m.close();
    }
  });

  it('control: the same stream on a working disk is staged and recorded', async () => {
    const frames = await leaderStream();
    const m = await openMember();
    try {
      expect(await receive(m, frames)).toEqual([]);
      await m.firstRecord;
      expect(m.recorded).toEqual([SNAP_INDEX]);
      expect(m.fatal).toEqual([]);
    } finally {
      await m.close();
    }
  });
});
