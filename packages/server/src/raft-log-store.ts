// The durable Raft log: entries, HardState and snapshot metadata in the member's own
// write-ahead log (<data-dir>/wal, format in wal/record.ts). The core reads a synchronous
// MemoryStorage; this store is what survives a crash, and `load` rebuilds the in-memory view
// from it on start.
//
// Invariants:
// - Everything one Ready asks to persist (snapshot metadata, entries, HardState; an entry at
//   index i also truncates a conflicting suffix) goes in ONE write with at most ONE
//   fdatasync, done whenever the Ready says mustSync (entries, a snapshot, term or vote
//   changed): group commit (wal/writer.ts).
// - Stored entries are contiguous; those after the snapshot start at snapshot.index + 1.
//   Compaction records the covering snapshot and the compact index in one synced write, then
//   releases whole segments whose entries are all compacted.
// - Every record carries a CRC-32C. A torn tail (the unsynced end of the last segment) is cut
//   and logged; damage anywhere else, a gap, or an undecodable record is a DataDirError naming
//   the segment and offset (wal/scan.ts says how the two are told apart). Nothing else is
//   ever repaired or dropped.
// - The identity is also written to a marker beside the log (identity-marker.ts): a marker
//   without a matching identity inside means the log lost its contents.
// - One process per data dir (wal/dir-lock.ts).
// A data dir written before the WAL (a LevelDB log in <data-dir>/raft) is converted once at
// open (wal/migrate-leveldb.ts).

import path from 'node:path';
import type { Entry, HardState, LogIndex, Snapshot } from '@kite/raft';
import { DataDirError } from './data-dir-error.js';
import { nodeDisk, type Disk } from './disk.js';
import { IDENTITY_MARKER_FILE, readIdentityMarker, writeIdentityMarker } from './identity-marker.js';
import { convertLegacyRaftLog } from './wal/migrate-leveldb.js';
import type { WalRecord } from './wal/record.js';
import { replay } from './wal/replay.js';
import { WalCorruption, readSyncedHint, scanWal, type TornTail } from './wal/scan.js';
import { SEGMENT_BYTES_DEFAULT, WalWriter } from './wal/writer.js';

export { DataDirError, type DataDirErrorCode } from './data-dir-error.js';

/** The WAL directory inside a data dir. */
export const WAL_DIR = 'wal';

/** Who this data directory belongs to: checked on every start. */
export interface StoreIdentity {
  readonly clusterId: string;
  readonly memberId: string;
  readonly name: string;
}

export interface LoadedRaftState {
  readonly identity: StoreIdentity | null;
  readonly hardState: HardState | null;
  /** Metadata and host data (member registry) of the last snapshot; index 0 at bootstrap. */
  readonly snapshot: Snapshot | null;
  readonly entries: readonly Entry[];
  /**
   * Entries at or below the snapshot still on disk (the catch-up tail kept by compaction):
   * what a store that lost unsynced batches in an OS crash replays to reach the snapshot.
   */
  readonly tail: readonly Entry[];
}

export interface PersistBatch {
  readonly hardState?: HardState | undefined;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot | undefined;
  /**
   * fsync the batch (default true). Raft needs it whenever entries, the snapshot, term or vote change
   * (Ready.mustSync); a HardState whose commit index alone moved may skip it: a lost commit
   * index is learned again from the leader.
   */
  readonly sync?: boolean;
  /**
   * Write (and sync) on the calling thread, blocking it, instead of through the thread pool
   * (default false): one less thread hand-off each way for a caller with nothing to do
   * meanwhile (a follower acknowledges only after the write). Same bytes, same durability.
   */
  readonly inline?: boolean;
}

export interface RaftLogStoreOptions {
  /** Preallocated segment size (tests use small ones). */
  readonly segmentBytes?: number;
  /** Where the store reports what it did on its own (a torn tail cut, a conversion). */
  readonly warn?: (message: string) => void;
  /** The trust-damaged-wal mutant only (mutants.ts): load as if wal/synced did not exist. Default false. */
  readonly mutantIgnoreSyncedHint?: boolean;
  /** The file system (default: the real one; the host simulation passes a simulated disk). */
  readonly disk?: Disk;
}

/** A WAL damage as the member reports it: path, offset, and how to look at it. */
function corruption(err: WalCorruption, dataDir: string): DataDirError {
  return new DataDirError('CorruptDataDir', `${err.message}. Inspect it with \`kite wal verify --data-dir ${dataDir}\``);
}

export class RaftLogStore {
  /** Index of the last stored entry (or the snapshot index when there is none). */
  private lastIndex = 0;
  private firstIndex = 1;
  private identity: StoreIdentity | null = null;
  private hardState: HardState | null = null;
  private snapshot: Snapshot | null = null;
  private compactIndex = 0;
  private writer: WalWriter | null = null;
  private readonly walDir: string;
  private readonly markerPath: string;
  private readonly segmentBytes: number;
  private readonly disk: Disk;

  private constructor(
    private readonly dataDir: string,
    private readonly lock: { release(): void },
    private readonly options: RaftLogStoreOptions,
  ) {
    this.walDir = path.join(dataDir, WAL_DIR);
    this.markerPath = path.join(dataDir, IDENTITY_MARKER_FILE);
    this.segmentBytes = options.segmentBytes ?? SEGMENT_BYTES_DEFAULT;
    this.disk = options.disk ?? nodeDisk;
  }

  /** Locks the data dir's WAL (creating it) and converts an old LevelDB log once. */
  static async open(dataDir: string, options: RaftLogStoreOptions = {}): Promise<RaftLogStore> {
    const walDir = path.join(dataDir, WAL_DIR);
    const disk = options.disk ?? nodeDisk;
    try {
      disk.mkdirp(walDir);
    } catch (err) {
      throw new DataDirError('DataDirUnreadable', `cannot create the WAL directory ${walDir}: ${(err as Error).message}`);
    }
    const lock = disk.lock(walDir);
    const store = new RaftLogStore(dataDir, lock, options);
    // A LevelDB log is read from the real file system only: a simulated disk never holds one.
    if (disk !== nodeDisk) return store;
    try {
      const converted = await convertLegacyRaftLog(dataDir, walDir, store.segmentBytes);
      if (converted !== null) store.warn(`raft log converted from LevelDB (${dataDir}/raft) to the WAL (${walDir}): ${converted} entries`);
    } catch (err) {
      lock.release();
      throw err;
    }
    return store;
  }

  private warn(message: string): void {
    this.options.warn?.(message);
  }

  /** Reads everything back and checks it (cutting a torn tail); throws DataDirError otherwise. */
  async load(): Promise<LoadedRaftState> {
    // A second load (tests reload after initialize) starts over from the disk.
    await this.writer?.close();
    this.writer = null;
    let scan;
    let st;
    try {
      scan = scanWal(this.walDir, this.options.mutantIgnoreSyncedHint === true ? null : readSyncedHint(this.walDir, this.disk), this.disk);
      st = replay(scan.records, this.walDir);
    } catch (err) {
      if (err instanceof WalCorruption) throw corruption(err, this.dataDir);
      throw new DataDirError('DataDirUnreadable', `cannot read the WAL at ${this.walDir}: ${(err as Error).message}`);
    }
    if (scan.torn !== null) await this.cutTornTail(scan.torn);
    const identity = st.identity;
    const marker = readIdentityMarker(this.markerPath, this.disk);
    if (marker !== null && (identity === null || identity.clusterId !== marker.clusterId || identity.memberId !== marker.memberId)) {
      throw new DataDirError(
        'CorruptDataDir',
        `raft log lost its contents: ${this.markerPath} names member ${marker.memberId} of cluster ${marker.clusterId} but the WAL at ${this.walDir} ` +
          (identity === null ? 'is empty' : `belongs to member ${identity.memberId} of cluster ${identity.clusterId}`),
      );
    }
    const snapIndex = st.snapshot?.metadata.index ?? 0;
    const tail = st.entries.filter((e) => e.index <= snapIndex);
    const entries = st.entries.filter((e) => e.index > snapIndex);
    const head = entries[0];
    if (head !== undefined && head.index !== snapIndex + 1) throw new DataDirError('CorruptDataDir', `raft log: gap before index ${head.index} (expected ${snapIndex + 1}) in ${this.walDir}`);
    for (let i = 1; i < st.entries.length; i++) {
      const e = st.entries[i] as Entry;
      if (e.term < (st.entries[i - 1] as Entry).term) throw new DataDirError('CorruptDataDir', `raft log: term goes back at index ${e.index} in ${this.walDir}`);
    }
    const last = entries[entries.length - 1]?.index ?? snapIndex;
    if (st.hardState !== null && st.hardState.commit > last) throw new DataDirError('CorruptDataDir', `raft log: commit ${st.hardState.commit} is beyond the last entry ${last}`);
    this.identity = identity;
    this.hardState = st.hardState;
    this.snapshot = st.snapshot;
    this.compactIndex = st.compactIndex;
    this.firstIndex = st.entries[0]?.index ?? snapIndex + 1;
    this.lastIndex = last;
    this.writer = await WalWriter.open(this.disk, this.walDir, scan.segments, st.segmentMaxEntry, this.segmentBytes);
    return { identity, hardState: st.hardState, snapshot: st.snapshot, entries, tail };
  }

  /** Zeroes a torn tail (keeping the segment's size) and makes the cut durable. */
  private async cutTornTail(torn: TornTail): Promise<void> {
    const fh = await this.disk.open(torn.path, 'update');
    try {
      const size = await fh.size();
      await fh.truncate(torn.offset);
      await fh.truncate(size);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    this.warn(`WAL: cut a torn tail of ${torn.bytes} bytes at offset ${torn.offset} of ${torn.path} (${torn.why}): a write a crash interrupted, never acknowledged`);
  }

  /** The state every new segment starts with (wal/writer.ts). */
  private stateHeader(): WalRecord[] {
    const out: WalRecord[] = [];
    if (this.identity !== null) out.push({ type: 'identity', identity: this.identity });
    if (this.snapshot !== null) out.push({ type: 'snapshot', snapshot: this.snapshot, replacesLog: false });
    if (this.hardState !== null) out.push({ type: 'hardState', hardState: this.hardState });
    out.push({ type: 'compact', index: this.compactIndex });
    return out;
  }

  private get wal(): WalWriter {
    if (this.writer === null) throw new Error('assertion: the raft log is written before load()');
    return this.writer;
  }

  /** Records who owns this directory and its starting point; once, durably, before start. */
  async initialize(identity: StoreIdentity, snapshot: Snapshot, hardState: HardState | null): Promise<void> {
    const records: WalRecord[] = [{ type: 'identity', identity }, { type: 'snapshot', snapshot, replacesLog: true }];
    if (hardState !== null) records.push({ type: 'hardState', hardState });
    await this.wal.append(records, true, () => this.stateHeader());
    this.identity = identity;
    this.snapshot = snapshot;
    this.hardState = hardState;
    this.compactIndex = snapshot.metadata.index;
    writeIdentityMarker(this.markerPath, identity, this.disk);
    this.firstIndex = snapshot.metadata.index + 1;
    this.lastIndex = snapshot.metadata.index;
  }

  /** Persists one Ready's durable part in a single write (one fdatasync when sync). */
  async persist(p: PersistBatch): Promise<void> {
    const records: WalRecord[] = [];
    let first = this.firstIndex;
    let last = this.lastIndex;
    if (p.snapshot !== undefined) {
      // An installed snapshot replaces the whole log.
      records.push({ type: 'snapshot', snapshot: p.snapshot, replacesLog: true });
      first = p.snapshot.metadata.index + 1;
      last = p.snapshot.metadata.index;
    }
    const head = p.entries[0];
    if (head !== undefined) {
      if (head.index > last + 1 || head.index < first) {
        throw new Error(`assertion: appending index ${head.index} to a log holding [${first}, ${last}]`);
      }
      for (const entry of p.entries) records.push({ type: 'entry', entry });
      last = head.index + p.entries.length - 1;
    }
    if (p.hardState !== undefined) records.push({ type: 'hardState', hardState: p.hardState });
    if (records.length === 0) return;
    await this.wal.append(records, p.sync !== false, () => this.stateHeader(), p.inline === true);
    if (p.snapshot !== undefined) {
      this.snapshot = p.snapshot;
      this.compactIndex = p.snapshot.metadata.index;
    }
    if (p.hardState !== undefined) this.hardState = p.hardState;
    this.firstIndex = first;
    this.lastIndex = last;
  }

  /** Stores a new local snapshot and the compaction durably (one write), then releases segments. */
  async saveSnapshotAndCompact(snapshot: Snapshot, compactIndex: LogIndex): Promise<void> {
    if (compactIndex > snapshot.metadata.index) throw new Error('assertion: compacting past the snapshot');
    const index = Math.max(this.compactIndex, compactIndex);
    await this.wal.append([{ type: 'snapshot', snapshot, replacesLog: false }, { type: 'compact', index }], true, () => this.stateHeader());
    this.snapshot = snapshot;
    this.compactIndex = index;
    this.firstIndex = Math.max(this.firstIndex, index + 1);
    await this.wal.release(index);
  }

  /** Entries currently stored (a gauge for /status). */
  entryCount(): number {
    return Math.max(0, this.lastIndex - this.firstIndex + 1);
  }

  /** WAL segment files on disk (tests check segment release with it). */
  segmentCount(): number {
    return this.wal.segmentCount();
  }

  async close(): Promise<void> {
    try {
      await this.writer?.close();
    } finally {
      this.writer = null;
      this.lock.release();
    }
  }
}
