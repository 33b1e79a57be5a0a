// Reads a WAL directory's segments and tells a torn tail from corruption. No writes: the
// caller (raft-log-store.ts) truncates a torn tail; `kite wal verify` only reports.
//
// HOW A TORN TAIL IS TOLD FROM CORRUPTION. The records of a segment end at the first offset
// that does not hold a checked record: either the zero end marker (the preallocated rest) or a
// damaged record (bad header, length past the end, CRC mismatch). What may follow that point:
// - nothing but zeros: the normal end of the records;
// - a record that checks out at any later 8-aligned offset: CORRUPTION (data was lost in the
//   middle: a flipped bit, a zeroed page), in any segment;
// - non-zero bytes that are no record, in a segment that is not the last: CORRUPTION (a
//   segment is fdatasynced before the next one is started, so only the last may be torn);
// - the same in the last segment: a TORN TAIL (a write cut by a crash or power loss), unless
//   the synced-offset hint (wal/synced, written after every fdatasync) says the damaged bytes
//   had been synced: then CORRUPTION.
// A record whose CRC checks but whose payload does not decode is CORRUPTION (another format or
// a bug). A missing segment in the sequence, or a damaged file header, is CORRUPTION.
// Limit: a torn tail in which the OS wrote a later page of the unsynced write but not an
// earlier one leaves a valid record after a damaged one and is refused as corruption (the
// safe side: nothing is dropped that might have been acknowledged).

import path from 'node:path';
import { nodeDisk, type Disk } from '../disk.js';
import { FILE_HEADER_BYTES, RECORD_HEADER_BYTES, RecordDecodeError, decodeFileHeader, readRecordAt, type WalRecord } from './record.js';

export const SEGMENT_SUFFIX = '.wal';
const SEGMENT_NAME = /^([0-9a-f]{16})\.wal$/;
/** The synced-offset hint file inside the WAL directory. */
export const SYNCED_HINT_FILE = 'synced';

export const segmentName = (seq: number): string => seq.toString(16).padStart(16, '0') + SEGMENT_SUFFIX;

/** Damage that is not a torn tail: the member must not start. */
export class WalCorruption extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly why: string,
  ) {
    super(`WAL segment ${file} is damaged at offset ${offset}: ${why}`);
  }
}

export interface SegmentFile {
  readonly seq: number;
  readonly path: string;
}

export interface ScannedRecord {
  readonly seq: number;
  readonly offset: number;
  readonly record: WalRecord;
}

export interface ScannedSegment extends SegmentFile {
  /** Offset where the checked records end (where the next append goes). */
  readonly end: number;
  readonly sizeBytes: number;
  readonly records: number;
}

export interface TornTail {
  readonly path: string;
  readonly offset: number;
  /** Bytes of non-zero garbage from `offset` on. */
  readonly bytes: number;
  readonly why: string;
}

export interface WalScan {
  readonly segments: readonly ScannedSegment[];
  readonly records: readonly ScannedRecord[];
  readonly torn: TornTail | null;
}

export interface SyncedHint {
  readonly segment: string;
  readonly offset: number;
}

/** The segments of `dir` in seq order; a gap in the sequence is corruption (unless !checkGaps). */
export function listSegments(dir: string, checkGaps = true, disk: Disk = nodeDisk): SegmentFile[] {
  const found: SegmentFile[] = [];
  for (const name of disk.readdir(dir)) {
    const m = SEGMENT_NAME.exec(name);
    if (m !== null) found.push({ seq: Number.parseInt(m[1] as string, 16), path: path.join(dir, name) });
  }
  found.sort((a, b) => a.seq - b.seq);
  for (let i = 1; checkGaps && i < found.length; i++) {
    const prev = found[i - 1] as SegmentFile;
    const cur = found[i] as SegmentFile;
    if (cur.seq !== prev.seq + 1) throw new WalCorruption(cur.path, 0, `segment ${segmentName(prev.seq + 1)} is missing before it`);
  }
  return found;
}

/** The hint `wal/synced` gives, or null when absent or unreadable (it is only a hint). */
export function readSyncedHint(dir: string, disk: Disk = nodeDisk): SyncedHint | null {
  let text: string;
  try {
    text = disk.readFile(path.join(dir, SYNCED_HINT_FILE)).toString('latin1');
  } catch {
    return null;
  }
  const m = /^([0-9a-f]{16}\.wal) (\d{16})\n/.exec(text);
  return m === null ? null : { segment: m[1] as string, offset: Number.parseInt(m[2] as string, 10) };
}

const ZEROS = Buffer.alloc(64 * 1024);

/** The offset just past the last non-zero byte of buf[from, end), or `from` when all zero. */
export function nonZeroEnd(buf: Buffer, from: number): number {
  let end = buf.length;
  while (end > from) {
    const start = Math.max(from, end - ZEROS.length);
    if (buf.compare(ZEROS, 0, end - start, start, end) !== 0) {
      for (let i = end - 1; i >= start; i--) if (buf[i] !== 0) return i + 1;
    }
    end = start;
  }
  return from;
}

/** The first 8-aligned offset >= from holding a record that checks out, or null. */
function validRecordAfter(buf: Buffer, from: number, seq: number): number | null {
  for (let at = (from + 7) & ~7; at + RECORD_HEADER_BYTES <= buf.length; at += 8) {
    // Cheap rejects first: the zero region and random bytes fail here.
    const code = buf[at + 8] as number;
    if (code === 0 || code > 5 || buf.readUInt32LE(at + 12) !== seq) continue;
    try {
      if (readRecordAt(buf, at, seq).kind === 'record') return at;
    } catch (err) {
      if (err instanceof RecordDecodeError) return at;
      throw err;
    }
  }
  return null;
}

/** Scans one segment. Throws WalCorruption; returns a torn tail only when `isLast`. */
export function scanSegment(
  seg: SegmentFile,
  buf: Buffer,
  isLast: boolean,
  hint: SyncedHint | null,
): { segment: ScannedSegment; records: ScannedRecord[]; torn: TornTail | null } {
  const seq = decodeFileHeader(buf);
  if (seq === null || seq !== seg.seq) throw new WalCorruption(seg.path, 0, seq === null ? 'damaged segment file header' : `file header names segment ${seq}`);
  const records: ScannedRecord[] = [];
  let at = FILE_HEADER_BYTES;
  let why: string | null = null;
  for (;;) {
    let r;
    try {
      r = readRecordAt(buf, at, seq);
    } catch (err) {
      if (err instanceof RecordDecodeError) throw new WalCorruption(seg.path, at, err.message);
      throw err;
    }
    if (r.kind === 'end') break;
    if (r.kind === 'bad') {
      why = r.why;
      break;
    }
    records.push({ seq, offset: at, record: r.record });
    at = r.next;
  }
  const segment: ScannedSegment = { ...seg, end: at, sizeBytes: buf.length, records: records.length };
  const valid = validRecordAfter(buf, at + 8, seq);
  if (valid !== null) throw new WalCorruption(seg.path, at, `${why ?? 'the records stop here (zeros)'}, yet a valid record follows at offset ${valid}`);
  const garbageEnd = nonZeroEnd(buf, at);
  if (why === null && garbageEnd === at) return { segment, records, torn: null };
  why ??= 'non-zero bytes after the end of the records';
  if (!isLast) throw new WalCorruption(seg.path, at, `${why}, in a segment that is not the last (it was synced in full)`);
  if (hint !== null && hint.segment === path.basename(seg.path) && at < hint.offset) {
    throw new WalCorruption(seg.path, at, `${why}, below the offset ${hint.offset} recorded as synced`);
  }
  return { segment, records, torn: { path: seg.path, offset: at, bytes: garbageEnd - at, why } };
}

/** Scans every segment of `dir` in order. */
export function scanWal(dir: string, hint: SyncedHint | null, disk: Disk = nodeDisk): WalScan {
  const files = listSegments(dir, true, disk);
  const segments: ScannedSegment[] = [];
  const records: ScannedRecord[] = [];
  let torn: TornTail | null = null;
  files.forEach((f, i) => {
    const s = scanSegment(f, disk.readFile(f.path), i === files.length - 1, hint);
    segments.push(s.segment);
    for (const r of s.records) records.push(r);
    torn = s.torn;
  });
  return { segments, records, torn };
}
