// Appends to the WAL: group commit, preallocated segments, segment release.
//
// Invariants:
// - One append = one positional write of every record the caller hands over (a whole
//   Ready), made durable by at most ONE data sync (group commit). A synced append after only
//   synced ones goes through a second descriptor opened O_DSYNC: write and sync in one call,
//   one trip to the I/O thread pool. After an unsynced append it is a write plus fdatasync,
//   which also covers the earlier unsynced bytes (an O_DSYNC write would not). An `inline`
//   append makes the same calls synchronously on the caller's thread (no thread-pool trip);
//   a rollover stays asynchronous. Appends are serialized by the caller.
// - A segment is preallocated (zero-filled to segmentBytes, fsynced) under a .tmp name, then
//   renamed and the directory fsynced, so a segment file that exists is whole; appends land in
//   allocated blocks. The next segment is preallocated in the background as soon as one is
//   started, so a rollover only renames it (one spare segment of disk space). A batch larger than the rest of a segment goes to a new one (a batch
//   larger than a whole segment grows its file past the preallocation).
// - Every segment starts with a STATE HEADER (identity, snapshot, HardState, compact index:
//   the caller's `header()`), written with fsync, so the segments before it can be released
//   without losing state. Before a new segment is started, the old one is fdatasynced: only
//   the last segment can hold unsynced bytes (wal/scan.ts relies on it).
// - A segment is released (unlinked, directory fsynced) only when it is not the last, every
//   entry in it is at or below the compact index, and the segment after it has its header.
// - After each fdatasync the synced end (segment name and offset) is written to wal/synced
//   (no fsync of its own): a hint that lets the reader call damage below it corruption, and
//   fault injection (jepsen-lite's power loss) cut only what was never synced.
// - After a failed write the writer refuses every later append: the member stops.

import path from 'node:path';
import type { LogIndex } from '@kite/raft';
import type { Disk, DiskFile } from '../disk.js';
import { FILE_HEADER_BYTES, decodeFileHeader, encodeFileHeader, encodeRecords, type WalRecord } from './record.js';
import { SYNCED_HINT_FILE, segmentName, type ScannedSegment } from './scan.js';

/** Size a segment is preallocated to. Small enough for a member on a small disk. */
export const SEGMENT_BYTES_DEFAULT = 8 * 1024 * 1024;
const ZERO_CHUNK = Buffer.alloc(1024 * 1024);
const TMP_SUFFIX = '.tmp';

interface SegmentState {
  readonly seq: number;
  readonly path: string;
  maxEntryIndex: LogIndex;
  hasRecords: boolean;
}

/** Gives a failed I/O call the file it was about (a FileHandle's errors name none). */
function withPath(err: unknown, file: string): unknown {
  if (err !== null && typeof err === 'object' && (err as { path?: unknown }).path === undefined) (err as { path?: string }).path = file;
  return err;
}

/** Writes a zero-filled segment under a .tmp name and fsyncs it; returns that path. */
async function preallocate(disk: Disk, dir: string, seq: number, sizeBytes: number): Promise<string> {
  const tmp = path.join(dir, segmentName(seq)) + TMP_SUFFIX;
  const fh = await disk.open(tmp, 'create').catch((err: unknown) => Promise.reject(withPath(err, tmp)));
  try {
    await fh.write(encodeFileHeader(seq), 0);
    for (let at = FILE_HEADER_BYTES; at < sizeBytes; at += ZERO_CHUNK.length) {
      await fh.write(ZERO_CHUNK.subarray(0, Math.min(ZERO_CHUNK.length, sizeBytes - at)), at);
    }
    await fh.datasync();
    await fh.close();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await disk.remove(tmp).catch(() => undefined);
    throw withPath(err, tmp);
  }
  return tmp;
}

/** Gives a preallocated segment its name, durably. */
async function install(disk: Disk, dir: string, tmp: string): Promise<string> {
  const final = tmp.slice(0, -TMP_SUFFIX.length);
  await disk.rename(tmp, final);
  await disk.syncDir(dir).catch((err: unknown) => Promise.reject(withPath(err, dir)));
  return final;
}

/**
 * A spare left by the previous run, when whole (its full size and file header), fsynced again
 * since its zeros may never have reached the disk; null otherwise. Keeping it keeps the
 * disk's use the same across restarts: a restart on a full disk must not free a segment's
 * worth of space and start as if nothing were wrong.
 */
async function keepSpare(disk: Disk, dir: string, seq: number, sizeBytes: number): Promise<string | null> {
  const tmp = path.join(dir, segmentName(seq)) + TMP_SUFFIX;
  let fh: DiskFile;
  try {
    fh = await disk.open(tmp, 'update');
  } catch {
    return null;
  }
  try {
    const header = Buffer.alloc(FILE_HEADER_BYTES);
    await fh.read(header, FILE_HEADER_BYTES, 0);
    if ((await fh.size()) !== sizeBytes || decodeFileHeader(header) !== seq) return null;
    await fh.datasync();
    return tmp;
  } finally {
    await fh.close();
  }
}

/** The next segment, preallocated in the background so a rollover does not wait for it. */
interface Spare {
  readonly seq: number;
  /** The .tmp path, or null when preallocating failed (the rollover tries once more). */
  readonly ready: Promise<string | null>;
}

export class WalWriter {
  private fh: DiskFile | null = null;
  private fhSync: DiskFile | null = null;
  private offset = 0;
  private unsynced = false;
  private failed: unknown = null;
  private spare: Spare | null = null;
  private readonly hint: DiskFile;

  private constructor(
    private readonly disk: Disk,
    private readonly dir: string,
    private readonly segmentBytes: number,
    private readonly segments: SegmentState[],
  ) {
    this.hint = disk.openSync(path.join(dir, SYNCED_HINT_FILE), 'create');
  }

  /**
   * Continues after the scanned segments (a torn tail already cut). Makes what was read back
   * durable first: it may be in the page cache only (a kill -9 before this start).
   */
  static async open(disk: Disk, dir: string, scanned: readonly ScannedSegment[], maxEntry: ReadonlyMap<number, LogIndex>, segmentBytes: number): Promise<WalWriter> {
    const last = scanned[scanned.length - 1];
    const spare = last === undefined ? null : await keepSpare(disk, dir, last.seq + 1, segmentBytes);
    for (const name of disk.readdir(dir)) {
      if (name.endsWith(TMP_SUFFIX) && path.join(dir, name) !== spare) disk.removeSync(path.join(dir, name));
    }
    const segs = scanned.map((s) => ({ seq: s.seq, path: s.path, maxEntryIndex: maxEntry.get(s.seq) ?? 0, hasRecords: s.records > 0 }));
    const w = new WalWriter(disk, dir, segmentBytes, segs);
    if (last !== undefined) {
      const fh = await w.openSegment(last.path);
      w.offset = last.end;
      await fh.datasync();
      w.writeHint(last.seq);
      if (spare !== null) w.spare = { seq: last.seq + 1, ready: Promise.resolve(spare) };
      else w.prepareSpare(last.seq + 1);
    }
    return w;
  }

  /**
   * Appends `records` (one Ready) in one write; fdatasyncs when `sync` or a header is written.
   * `inline`: the write and its sync block the calling thread instead of going to the pool.
   */
  async append(records: readonly WalRecord[], sync: boolean, header: () => readonly WalRecord[], inline = false): Promise<void> {
    if (this.failed !== null) throw new Error('the WAL failed an earlier write; the member must stop', { cause: this.failed });
    let seg = this.segments[this.segments.length - 1];
    let buf = seg === undefined ? null : this.encode(seg, records, header);
    if (seg === undefined || buf === null || (seg.hasRecords && this.offset + buf.length > this.segmentBytes)) {
      seg = await this.rollover();
      buf = this.encode(seg, records, header);
    }
    const mustSync = sync || !seg.hasRecords;
    const fh = this.fh as DiskFile;
    try {
      if (mustSync && !this.unsynced) {
        const fhSync = this.fhSync as DiskFile;
        if (inline) fhSync.writeSync(buf, this.offset);
        else await fhSync.write(buf, this.offset);
      } else if (inline) {
        fh.writeSync(buf, this.offset);
        if (mustSync) fh.datasyncSync();
      } else {
        await fh.write(buf, this.offset);
        if (mustSync) await fh.datasync();
      }
      this.offset += buf.length;
      seg.hasRecords = true;
      for (const r of records) if (r.type === 'entry' && r.entry.index > seg.maxEntryIndex) seg.maxEntryIndex = r.entry.index;
      this.unsynced = !mustSync;
      if (mustSync) this.writeHint(seg.seq);
    } catch (err) {
      this.failed = err;
      throw withPath(err, seg.path);
    }
  }

  private encode(seg: SegmentState, records: readonly WalRecord[], header: () => readonly WalRecord[]): Buffer {
    return encodeRecords(seg.hasRecords ? records : [...header(), ...records], seg.seq);
  }

  private prepareSpare(seq: number): void {
    // A failure is not reported here: the rollover that needs the segment tries again and
    // reports its own error (a disk that was full may have room by then).
    this.spare = { seq, ready: preallocate(this.disk, this.dir, seq, this.segmentBytes).catch(() => null) };
  }

  private async rollover(): Promise<SegmentState> {
    const prev = this.segments[this.segments.length - 1];
    try {
      if (this.fh !== null && this.unsynced) await this.fh.datasync();
      const seq = (prev?.seq ?? 0) + 1;
      const spare = this.spare?.seq === seq ? await this.spare.ready : null;
      this.spare = null;
      const file = await install(this.disk, this.dir, spare ?? (await preallocate(this.disk, this.dir, seq, this.segmentBytes)));
      await this.closeSegment();
      await this.openSegment(file);
      this.offset = FILE_HEADER_BYTES;
      this.unsynced = false;
      const seg: SegmentState = { seq, path: file, maxEntryIndex: 0, hasRecords: false };
      this.segments.push(seg);
      this.prepareSpare(seq + 1);
      return seg;
    } catch (err) {
      this.failed = err;
      throw withPath(err, prev?.path ?? this.dir);
    }
  }

  private async openSegment(file: string): Promise<DiskFile> {
    const fh = await this.disk.open(file, 'update');
    this.fh = fh;
    this.fhSync = await this.disk.open(file, 'syncWrites');
    return fh;
  }

  private async closeSegment(): Promise<void> {
    await this.fh?.close();
    await this.fhSync?.close();
    this.fh = null;
    this.fhSync = null;
  }

  private writeHint(seq: number): void {
    this.hint.writeSync(Buffer.from(`${segmentName(seq)} ${String(this.offset).padStart(16, '0')}\n`, 'latin1'), 0);
  }

  /** Unlinks leading segments whose entries are all <= compactIndex; returns how many. */
  async release(compactIndex: LogIndex): Promise<number> {
    let removed = 0;
    while (this.segments.length >= 2) {
      const [first, next] = this.segments as [SegmentState, SegmentState];
      if (first.maxEntryIndex > compactIndex || !next.hasRecords) break;
      await this.disk.remove(first.path).catch((err: unknown) => Promise.reject(withPath(err, first.path)));
      this.segments.shift();
      removed++;
    }
    if (removed > 0) await this.disk.syncDir(this.dir);
    return removed;
  }

  segmentCount(): number {
    return this.segments.length;
  }

  async close(): Promise<void> {
    // No write may outlive the close; a finished spare stays as .tmp, removed at the next open.
    await this.spare?.ready;
    this.spare = null;
    await this.closeSegment();
    this.hint.closeSync();
  }
}
