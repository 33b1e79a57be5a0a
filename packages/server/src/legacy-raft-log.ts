// The Raft log as releases before the WAL kept it: entries, HardState and snapshot metadata in
// a LevelDB of its own (data-dir/raft). Kept only so a data dir written by such a release is
// converted once into the WAL at start (wal/migrate-leveldb.ts), and so tests can write one.
//
// Invariants:
// - Everything one Ready asks to persist (snapshot metadata, entries, HardState, the deletion
//   of a conflicting suffix) goes in ONE LevelDB batch, written with sync: true whenever the
//   Ready says mustSync (entries, a snapshot, term or vote changed).
// - Stored entries are contiguous from snapshot.index + 1 (compaction removes a prefix only
//   after the snapshot metadata covering it is durable).
// - Every value carries a CRC-32; a value that fails it, a gap, or an undecodable record is
//   reported as DataDirError. The store never repairs or drops data on its own.
// - LevelDB silently skips a damaged log file on open, so the identity is also written to a
//   marker file beside the database (after the database has it): a marker without a matching
//   identity inside means the database lost data, and the member refuses to start.

import path from 'node:path';
import { crc32 } from 'node:zlib';
import { Level } from 'level';
import { Packr } from 'msgpackr';
import type { ConfState, Entry, HardState, LogIndex, Snapshot, SnapshotMetadata } from '@kite/raft';
import { DataDirError } from './data-dir-error.js';
import { readIdentityMarker, writeIdentityMarker } from './identity-marker.js';
import type { LoadedRaftState, PersistBatch, StoreIdentity } from './raft-log-store.js';

const FORMAT_VERSION = 1;
const KEY_IDENTITY = 'm/identity';
const KEY_HARD_STATE = 'm/hardstate';
const KEY_SNAPSHOT = 'm/snapshot';
const ENTRY_PREFIX = 'e/';
// Entries are keyed by a fixed-width hex index so LevelDB's byte order is index order.
const entryKey = (index: LogIndex): string => ENTRY_PREFIX + index.toString(16).padStart(14, '0');
const ENTRY_KEY_END = ENTRY_PREFIX + '~';
/** Deletions per batch when compacting a long prefix, so one batch stays small. */
const COMPACT_BATCH_MAX = 4096;

const packr = new Packr({ useRecords: false, moreTypes: false });

function seal(value: unknown): Uint8Array {
  const body = packr.pack(value);
  const out = new Uint8Array(body.length + 4);
  new DataView(out.buffer).setUint32(0, crc32(body));
  out.set(body, 4);
  return out;
}

function unseal(raw: Uint8Array, what: string): unknown {
  if (raw.length < 5) throw new DataDirError('CorruptDataDir', `raft log: ${what} is truncated (${raw.length} bytes)`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const body = raw.subarray(4);
  if (view.getUint32(0) !== crc32(body)) throw new DataDirError('CorruptDataDir', `raft log: checksum mismatch in ${what}`);
  try {
    return packr.unpack(body);
  } catch (err) {
    throw new DataDirError('CorruptDataDir', `raft log: cannot decode ${what}: ${(err as Error).message}`);
  }
}

const toBytes = (v: unknown): Uint8Array => (v instanceof Uint8Array ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(0));

function asEntry(v: unknown, what: string): Entry {
  const e = v as Partial<Entry> | null;
  if (!e || typeof e.index !== 'number' || typeof e.term !== 'number' || (e.type !== 'normal' && e.type !== 'confChange') || !(e.data instanceof Uint8Array)) {
    throw new DataDirError('CorruptDataDir', `raft log: ${what} is not an entry`);
  }
  return { index: e.index, term: e.term, type: e.type, data: toBytes(e.data) };
}

function asSnapshot(v: unknown): Snapshot {
  const s = v as { metadata?: Partial<SnapshotMetadata>; data?: unknown } | null;
  const md = s?.metadata;
  const cs = md?.confState as Partial<ConfState> | undefined;
  if (!md || typeof md.index !== 'number' || typeof md.term !== 'number' || !cs || !Array.isArray(cs.voters) || !Array.isArray(cs.learners)) {
    throw new DataDirError('CorruptDataDir', 'raft log: snapshot metadata is malformed');
  }
  return { metadata: { index: md.index, term: md.term, confState: { voters: [...cs.voters], learners: [...cs.learners] } }, data: toBytes(s?.data) };
}

function asHardState(v: unknown): HardState {
  const h = v as Partial<HardState> | null;
  if (!h || typeof h.term !== 'number' || typeof h.commit !== 'number' || (h.vote !== null && typeof h.vote !== 'string')) {
    throw new DataDirError('CorruptDataDir', 'raft log: HardState is malformed');
  }
  return { term: h.term, vote: h.vote ?? null, commit: h.commit };
}

type Batch = Array<{ type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string }>;

export class LegacyRaftLog {
  /** Index of the last stored entry (or the snapshot index when there is none). */
  private lastIndex = 0;
  private firstIndex = 1;

  private readonly markerPath: string;

  private constructor(
    private readonly db: Level<string, Uint8Array>,
    dir: string,
  ) {
    this.markerPath = path.join(path.dirname(dir), `${path.basename(dir)}.identity.json`);
  }

  static async open(dir: string): Promise<LegacyRaftLog> {
    const db = new Level<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
    try {
      await db.open({ createIfMissing: true });
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      if (/lock/i.test(cause)) throw new DataDirError('DataDirLocked', `raft log at ${dir} is in use by another process (${cause})`);
      if (/corrupt/i.test(cause)) throw new DataDirError('CorruptDataDir', `raft log at ${dir} is corrupt (${cause})`);
      throw new DataDirError('DataDirUnreadable', `cannot open raft log at ${dir}: ${cause}`);
    }
    return new LegacyRaftLog(db, dir);
  }

  private readMarker(): StoreIdentity | null {
    return readIdentityMarker(this.markerPath);
  }

  private writeMarker(identity: StoreIdentity): void {
    writeIdentityMarker(this.markerPath, identity);
  }

  /** Reads everything back and checks it; throws DataDirError on any inconsistency. */
  async load(): Promise<LoadedRaftState> {
    const get = async (key: string): Promise<Uint8Array | undefined> => {
      try {
        return await this.db.get(key);
      } catch (err) {
        throw new DataDirError('DataDirUnreadable', `raft log: cannot read ${key}: ${(err as Error).message}`);
      }
    };
    const rawId = await get(KEY_IDENTITY);
    let identity: StoreIdentity | null = null;
    if (rawId !== undefined) {
      const id = unseal(rawId, 'identity') as Partial<StoreIdentity> & { version?: number };
      if (id.version !== FORMAT_VERSION || typeof id.clusterId !== 'string' || typeof id.memberId !== 'string' || typeof id.name !== 'string') {
        throw new DataDirError('CorruptDataDir', `raft log: unknown format or malformed identity (version ${String(id.version)})`);
      }
      identity = { clusterId: id.clusterId, memberId: id.memberId, name: id.name };
    }
    const marker = this.readMarker();
    if (marker !== null && (identity === null || identity.clusterId !== marker.clusterId || identity.memberId !== marker.memberId)) {
      throw new DataDirError(
        'CorruptDataDir',
        `raft log lost its contents: ${this.markerPath} names member ${marker.memberId} of cluster ${marker.clusterId} but the database ` +
          (identity === null ? 'is empty' : `belongs to member ${identity.memberId} of cluster ${identity.clusterId}`),
      );
    }
    const rawHs = await get(KEY_HARD_STATE);
    const hardState = rawHs === undefined ? null : asHardState(unseal(rawHs, 'HardState'));
    const rawSnap = await get(KEY_SNAPSHOT);
    const snapshot = rawSnap === undefined ? null : asSnapshot(unseal(rawSnap, 'snapshot metadata'));
    const entries: Entry[] = [];
    const tail: Entry[] = [];
    const snapIndex = snapshot?.metadata.index ?? 0;
    let expected = snapIndex + 1;
    let lowestStored = expected;
    try {
      for await (const [key, value] of this.db.iterator({ gte: ENTRY_PREFIX, lt: ENTRY_KEY_END })) {
        const entry = asEntry(unseal(value, `entry ${key}`), `entry ${key}`);
        if (key !== entryKey(entry.index)) throw new DataDirError('CorruptDataDir', `raft log: entry ${key} holds index ${entry.index}`);
        lowestStored = Math.min(lowestStored, entry.index);
        // Entries at or below the snapshot are the catch-up tail (or a compaction a crash cut
        // short): not needed by the core, only to repair a store that lost batches.
        if (entry.index <= snapIndex) {
          tail.push(entry);
          continue;
        }
        if (entry.index !== expected) throw new DataDirError('CorruptDataDir', `raft log: gap before index ${entry.index} (expected ${expected})`);
        const prev = entries[entries.length - 1];
        if (prev !== undefined && entry.term < prev.term) throw new DataDirError('CorruptDataDir', `raft log: term goes back at index ${entry.index}`);
        entries.push(entry);
        expected++;
      }
    } catch (err) {
      if (err instanceof DataDirError) throw err;
      throw new DataDirError('DataDirUnreadable', `raft log: cannot iterate entries: ${(err as Error).message}`);
    }
    if (hardState !== null && hardState.commit > Math.max(snapIndex, expected - 1)) {
      throw new DataDirError('CorruptDataDir', `raft log: commit ${hardState.commit} is beyond the last entry ${expected - 1}`);
    }
    this.firstIndex = lowestStored;
    this.lastIndex = expected - 1;
    return { identity, hardState, snapshot, entries, tail };
  }

  /** Records who owns this directory and its starting point; once, durably, before start. */
  async initialize(identity: StoreIdentity, snapshot: Snapshot, hardState: HardState | null): Promise<void> {
    await this.db.batch(
      [
        { type: 'put', key: KEY_IDENTITY, value: seal({ ...identity, version: FORMAT_VERSION }) },
        { type: 'put', key: KEY_SNAPSHOT, value: seal(snapshot) },
        ...(hardState === null ? [] : [{ type: 'put' as const, key: KEY_HARD_STATE, value: seal(hardState) }]),
      ],
      { sync: true },
    );
    this.writeMarker(identity);
    this.firstIndex = snapshot.metadata.index + 1;
    this.lastIndex = snapshot.metadata.index;
  }

  /** Persists one Ready's durable part in a single synced batch. */
  async persist(p: PersistBatch): Promise<void> {
    const ops: Batch = [];
    let first = this.firstIndex;
    let last = this.lastIndex;
    if (p.snapshot !== undefined) {
      // An installed snapshot replaces the whole log.
      for (let i = first; i <= last; i++) ops.push({ type: 'del', key: entryKey(i) });
      ops.push({ type: 'put', key: KEY_SNAPSHOT, value: seal(p.snapshot) });
      first = p.snapshot.metadata.index + 1;
      last = p.snapshot.metadata.index;
    }
    const head = p.entries[0];
    if (head !== undefined) {
      if (head.index > last + 1 || head.index < first) {
        throw new Error(`assertion: appending index ${head.index} to a log holding [${first}, ${last}]`);
      }
      // A conflicting suffix beyond the new entries is removed in the same batch.
      const newLast = head.index + p.entries.length - 1;
      for (let i = newLast + 1; i <= last; i++) ops.push({ type: 'del', key: entryKey(i) });
      for (const e of p.entries) ops.push({ type: 'put', key: entryKey(e.index), value: seal({ term: e.term, index: e.index, type: e.type, data: e.data }) });
      last = newLast;
    }
    if (p.hardState !== undefined) ops.push({ type: 'put', key: KEY_HARD_STATE, value: seal(p.hardState) });
    if (ops.length === 0) return;
    // A chained batch: abstract-level clones and re-validates every op of an array batch in JS.
    const batch = this.db.batch();
    for (const op of ops) {
      if (op.type === 'put') batch.put(op.key, op.value);
      else batch.del(op.key);
    }
    await batch.write({ sync: p.sync !== false });
    this.firstIndex = first;
    this.lastIndex = last;
  }

  /** Stores a new local snapshot's metadata durably, then drops entries <= compactIndex. */
  async saveSnapshotAndCompact(snapshot: Snapshot, compactIndex: LogIndex): Promise<void> {
    if (compactIndex > snapshot.metadata.index) throw new Error('assertion: compacting past the snapshot');
    await this.db.batch([{ type: 'put', key: KEY_SNAPSHOT, value: seal(snapshot) }], { sync: true });
    const from = this.firstIndex;
    for (let lo = from; lo <= compactIndex; lo += COMPACT_BATCH_MAX) {
      const ops: Batch = [];
      for (let i = lo; i <= Math.min(compactIndex, lo + COMPACT_BATCH_MAX - 1); i++) ops.push({ type: 'del', key: entryKey(i) });
      await this.db.batch(ops);
    }
    this.firstIndex = Math.max(this.firstIndex, compactIndex + 1);
  }

  /** Entries currently stored (a gauge for /status). */
  entryCount(): number {
    return Math.max(0, this.lastIndex - this.firstIndex + 1);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
