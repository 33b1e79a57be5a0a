// `kite snapshot restore` and `kite snapshot status` over a backup file (backup-file.ts).
//
// restoreDataDir builds one member's data dir of a NEW cluster from a backup: the store
// restored verbatim (same revisions, so the same hash at every revision the backup holds), and
// a Raft log that starts from a snapshot at the backup's applied index, term 1, holding the new
// cluster's voters and member registry (new cluster id from the token, new member ids), with
// {term 1, commit = that index}: the same shape as a fresh member's bootstrap at index 1
// (kite-server.ts), so the server starts it as a restart and every member restored from the
// same file with the same flags starts from an identical state.
//
// Invariants: the file is verified whole (SHA-256, framing) before anything is created; the
// data dir must not exist or be empty; on any failure the data dir is removed again, so a
// failed restore leaves nothing a server could mistake for a member.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { KvStore, LevelBackend, MemoryBackend, ReadBudget } from '@kite/kvstore';
import type { Snapshot } from '@kite/raft';
import { verifyBackupFile, BackupFileError, type BackupHeader } from './backup-file.js';
import type { ServerConfig } from './config.js';
import { BOOTSTRAP_INDEX } from './host.js';
import { newClusterState } from './new-cluster.js';
import { RaftLogStore } from './raft-log-store.js';

export interface BackupStatus extends BackupHeader {
  readonly sizeBytes: number;
  readonly sha256: string;
  /** Live keys at the backup's revision. */
  readonly totalKeys: number;
  /** What `kite endpoint hashkv --revision <revision>` prints on the source member. */
  readonly hash: number;
  readonly hashRevision: number;
}

/** Verifies the file and opens it into a throw-away in-memory store to count and hash it. */
export async function backupStatus(file: string): Promise<BackupStatus> {
  const verified = await verifyBackupFile(file);
  const store = await KvStore.open({ backend: new MemoryBackend() });
  try {
    await store.restore(verified.kvChunks()).catch((err: unknown) => {
      throw new BackupFileError('SnapshotFileDamaged', `${file}: the store inside the snapshot is damaged: ${(err as Error).message}`);
    });
    const h = verified.header;
    if (store.currentRevision !== h.revision) throw new BackupFileError('SnapshotFileDamaged', `${file}: the header says revision ${h.revision}, the store holds ${store.currentRevision}`);
    const hash = await store.hash(h.revision);
    // Every live key (etcd's "\0" to "\0" range). Unbounded: offline, over a store this
    // process holds in memory anyway.
    const all = new Uint8Array([0]);
    const live = await store.range({ key: all, rangeEnd: all, countOnly: true }, new ReadBudget({ maxResponseBytes: Number.MAX_SAFE_INTEGER, maxKeysScanned: Number.MAX_SAFE_INTEGER }));
    return { ...h, sizeBytes: verified.sizeBytes, sha256: verified.sha256, totalKeys: live.count, hash: hash.hash, hashRevision: hash.hashRevision };
  } finally {
    await store.close();
  }
}

export type RestoreConfig = Pick<ServerConfig, 'name' | 'initialCluster' | 'clusterToken' | 'dataDir'>;

export interface RestoreResult {
  readonly clusterId: string;
  readonly memberId: string;
  readonly revision: number;
  readonly raftIndex: number;
}

export async function restoreDataDir(file: string, cfg: RestoreConfig): Promise<RestoreResult> {
  const verified = await verifyBackupFile(file);
  if (existsSync(cfg.dataDir) && readdirSync(cfg.dataDir).length > 0) {
    throw new BackupFileError('DataDirNotEmpty', `data dir ${cfg.dataDir} is not empty: restore only creates a new member's data dir`);
  }
  const { identity, registry, voters } = newClusterState(cfg);
  const index = Math.max(verified.header.appliedIndex, BOOTSTRAP_INDEX);
  const createdDir = !existsSync(cfg.dataDir);
  await mkdir(cfg.dataDir, { recursive: true });
  try {
    const backend = await LevelBackend.open(path.join(cfg.dataDir, 'kv'));
    const store = await KvStore.open({ backend });
    try {
      await store.restore(verified.kvChunks()).catch((err: unknown) => {
        throw new BackupFileError('SnapshotFileDamaged', `${file}: the store inside the snapshot is damaged: ${(err as Error).message}`);
      });
      await store.flush();
    } finally {
      await store.close();
    }
    const log = await RaftLogStore.open(cfg.dataDir);
    try {
      await log.load(); // empty: the WAL is created here, as a new member's first start does
      const snapshot: Snapshot = { metadata: { index, term: BOOTSTRAP_INDEX, confState: { voters, learners: [] } }, data: registry.encode() };
      await log.initialize(identity, snapshot, { term: BOOTSTRAP_INDEX, vote: null, commit: index });
    } finally {
      await log.close();
    }
  } catch (err) {
    if (createdDir) await rm(cfg.dataDir, { recursive: true, force: true });
    else for (const name of readdirSync(cfg.dataDir)) await rm(path.join(cfg.dataDir, name), { recursive: true, force: true });
    throw err;
  }
  return { clusterId: identity.clusterId, memberId: identity.memberId, revision: verified.header.revision, raftIndex: index };
}
