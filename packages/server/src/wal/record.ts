// The WAL's byte format: the segment file header and the record codec. Pure functions over
// bytes; no I/O.
//
// Segment file: a 16-byte file header, then records, then zeros (the preallocated rest).
//   file header: magic "KITEWAL1" (8) | u32 segment seq | u32 crc32c of the first 12 bytes
// Record (8-byte aligned, so a scan can try every aligned offset):
//   u32 crc32c of bytes [4, 16 + length) | u32 payload length | u8 type | 3 zero bytes |
//   u32 segment seq | payload | zero padding to a multiple of 8
// The segment seq in every record means a record copied or left over from another segment
// never checks out here. An all-zero 16-byte header is the end of the records (the
// preallocated region); a record can never be all zeros (type 0 does not exist).
//
// Record types and what replaying one does (wal/replay.ts):
//   identity   who owns the data dir (cluster, member, name, format version)
//   hardState  term, vote, commit: the latest one wins
//   snapshot   snapshot metadata + host data; `replacesLog` (a snapshot installed from the
//              leader) also drops every entry, a local snapshot does not
//   entry      one Raft entry at index i: drops every entry >= i first (Raft overwrites a
//              conflicting suffix), so an append is also the truncation record
//   compact    drops the entries <= index (after a snapshot covering them)

import { Packr } from 'msgpackr';
import type { ConfState, Entry, HardState, LogIndex, Snapshot, SnapshotMetadata } from '@kite/raft';
import { crc32c } from './crc32c.js';

export const FILE_MAGIC = Buffer.from('KITEWAL1', 'latin1');
export const FILE_HEADER_BYTES = 16;
export const RECORD_HEADER_BYTES = 16;
/** A record's payload may not exceed this (a Raft entry is at most a few MiB). */
export const RECORD_PAYLOAD_BYTES_MAX = 256 * 1024 * 1024;
export const WAL_FORMAT_VERSION = 1;

export interface WalIdentity {
  readonly clusterId: string;
  readonly memberId: string;
  readonly name: string;
}

export type WalRecord =
  | { readonly type: 'identity'; readonly identity: WalIdentity }
  | { readonly type: 'hardState'; readonly hardState: HardState }
  | { readonly type: 'snapshot'; readonly snapshot: Snapshot; readonly replacesLog: boolean }
  | { readonly type: 'entry'; readonly entry: Entry }
  | { readonly type: 'compact'; readonly index: LogIndex };

type RecordType = WalRecord['type'];
const TYPE_CODES: Record<RecordType, number> = { identity: 1, hardState: 2, snapshot: 3, entry: 4, compact: 5 };
const CODE_TYPES: readonly (RecordType | undefined)[] = [undefined, 'identity', 'hardState', 'snapshot', 'entry', 'compact'];
const ENTRY_FIXED_BYTES = 17;

const packr = new Packr({ useRecords: false, moreTypes: false });

/** A payload that passed its CRC but does not decode: written by another format, or a bug. */
export class RecordDecodeError extends Error {}

export const padded = (n: number): number => (n + 7) & ~7;

export function encodeFileHeader(seq: number): Buffer {
  const b = Buffer.alloc(FILE_HEADER_BYTES);
  FILE_MAGIC.copy(b, 0);
  b.writeUInt32LE(seq, 8);
  b.writeUInt32LE(crc32c(b.subarray(0, 12)), 12);
  return b;
}

/** The seq a file header names, or null when the header is damaged. */
export function decodeFileHeader(b: Uint8Array): number | null {
  if (b.length < FILE_HEADER_BYTES) return null;
  const buf = Buffer.from(b.buffer, b.byteOffset, FILE_HEADER_BYTES);
  if (!buf.subarray(0, 8).equals(FILE_MAGIC) || buf.readUInt32LE(12) !== crc32c(buf.subarray(0, 12))) return null;
  return buf.readUInt32LE(8);
}

function writeU64(b: Buffer, n: number, at: number): void {
  b.writeUInt32LE(n % 0x1_0000_0000, at);
  b.writeUInt32LE(Math.floor(n / 0x1_0000_0000), at + 4);
}
const readU64 = (b: Buffer, at: number): number => b.readUInt32LE(at) + b.readUInt32LE(at + 4) * 0x1_0000_0000;

/** Writes an entry's payload (index, term, type, data) into `out` at `at`. */
function writeEntryPayload(out: Buffer, at: number, e: Entry): void {
  writeU64(out, e.index, at);
  writeU64(out, e.term, at + 8);
  out[at + 16] = e.type === 'confChange' ? 1 : 0;
  out.set(e.data, at + ENTRY_FIXED_BYTES);
}

/** The payload of a record other than an entry (entries are written in place, see encodeRecords). */
function encodePayload(r: Exclude<WalRecord, { type: 'entry' }>): Uint8Array {
  switch (r.type) {
    case 'compact': {
      const b = Buffer.alloc(8);
      writeU64(b, r.index, 0);
      return b;
    }
    case 'identity':
      return packr.pack({ ...r.identity, version: WAL_FORMAT_VERSION });
    case 'hardState':
      return packr.pack({ term: r.hardState.term, vote: r.hardState.vote, commit: r.hardState.commit });
    case 'snapshot':
      return packr.pack({ metadata: r.snapshot.metadata, data: r.snapshot.data, replacesLog: r.replacesLog });
  }
}

/**
 * Encodes records for segment `seq` into one buffer (one write). Entries, nearly every record,
 * are written straight into it: no buffer per entry to copy from.
 */
export function encodeRecords(records: readonly WalRecord[], seq: number): Buffer {
  const payloads = records.map((r) => (r.type === 'entry' ? null : encodePayload(r)));
  const lengths = records.map((r, i) => (r.type === 'entry' ? ENTRY_FIXED_BYTES + r.entry.data.length : (payloads[i] as Uint8Array).length));
  let total = 0;
  for (const n of lengths) total += RECORD_HEADER_BYTES + padded(n);
  const out = Buffer.alloc(total);
  let at = 0;
  records.forEach((r, i) => {
    const n = lengths[i] as number;
    out.writeUInt32LE(n, at + 4);
    out[at + 8] = TYPE_CODES[r.type];
    out.writeUInt32LE(seq, at + 12);
    if (r.type === 'entry') writeEntryPayload(out, at + RECORD_HEADER_BYTES, r.entry);
    else out.set(payloads[i] as Uint8Array, at + RECORD_HEADER_BYTES);
    out.writeUInt32LE(crc32c(out.subarray(at + 4, at + RECORD_HEADER_BYTES + n)), at);
    at += RECORD_HEADER_BYTES + padded(n);
  });
  return out;
}

/** What lies at `at`: a checked record, the zero end marker, or something damaged. */
export type RecordAt =
  | { readonly kind: 'record'; readonly record: WalRecord; readonly next: number }
  | { readonly kind: 'end' }
  | { readonly kind: 'bad'; readonly why: string };

/** Reads the record at `at` of segment `seq` (header, bounds and CRC checked). */
export function readRecordAt(buf: Buffer, at: number, seq: number): RecordAt {
  if (at + RECORD_HEADER_BYTES > buf.length) {
    return buf.subarray(at).every((x) => x === 0) ? { kind: 'end' } : { kind: 'bad', why: 'a partial record header at the end of the file' };
  }
  const crc = buf.readUInt32LE(at);
  const length = buf.readUInt32LE(at + 4);
  const code = buf[at + 8] as number;
  if (crc === 0 && length === 0 && code === 0 && buf.readUInt32LE(at + 8) === 0 && buf.readUInt32LE(at + 12) === 0) return { kind: 'end' };
  const type = CODE_TYPES[code];
  if (type === undefined || buf[at + 9] !== 0 || buf[at + 10] !== 0 || buf[at + 11] !== 0) return { kind: 'bad', why: `bad record header (type byte ${code})` };
  if (buf.readUInt32LE(at + 12) !== seq) return { kind: 'bad', why: `record header names segment ${buf.readUInt32LE(at + 12)}` };
  if (length > RECORD_PAYLOAD_BYTES_MAX || at + RECORD_HEADER_BYTES + length > buf.length) return { kind: 'bad', why: `record length ${length} runs past the end of the file` };
  if (crc32c(buf.subarray(at + 4, at + RECORD_HEADER_BYTES + length)) !== crc) return { kind: 'bad', why: 'record checksum mismatch' };
  const payload = buf.subarray(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + length);
  return { kind: 'record', record: decodePayload(type, payload), next: at + RECORD_HEADER_BYTES + padded(length) };
}

const toBytes = (v: unknown): Uint8Array => (v instanceof Uint8Array ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(0));

function decodePayload(type: RecordType, p: Buffer): WalRecord {
  if (type === 'entry') {
    if (p.length < ENTRY_FIXED_BYTES || (p[16] !== 0 && p[16] !== 1)) throw new RecordDecodeError('malformed entry record');
    // A copy: the segment buffer is dropped after the load.
    return { type, entry: { index: readU64(p, 0), term: readU64(p, 8), type: p[16] === 1 ? 'confChange' : 'normal', data: new Uint8Array(p.subarray(ENTRY_FIXED_BYTES)) } };
  }
  if (type === 'compact') {
    if (p.length !== 8) throw new RecordDecodeError('malformed compact record');
    return { type, index: readU64(p, 0) };
  }
  let v: unknown;
  try {
    v = packr.unpack(p);
  } catch (err) {
    throw new RecordDecodeError(`undecodable ${type} record: ${(err as Error).message}`);
  }
  if (type === 'identity') return { type, identity: asIdentity(v) };
  if (type === 'hardState') return { type, hardState: asHardState(v) };
  const s = v as { replacesLog?: unknown } | null;
  return { type, snapshot: asSnapshot(v), replacesLog: s?.replacesLog === true };
}

function asIdentity(v: unknown): WalIdentity {
  const id = v as Partial<WalIdentity> & { version?: unknown };
  if (id?.version !== WAL_FORMAT_VERSION || typeof id.clusterId !== 'string' || typeof id.memberId !== 'string' || typeof id.name !== 'string') {
    throw new RecordDecodeError(`unknown format or malformed identity (version ${String(id?.version)})`);
  }
  return { clusterId: id.clusterId, memberId: id.memberId, name: id.name };
}

function asHardState(v: unknown): HardState {
  const h = v as Partial<HardState> | null;
  if (!h || typeof h.term !== 'number' || typeof h.commit !== 'number' || (h.vote !== null && typeof h.vote !== 'string')) throw new RecordDecodeError('malformed HardState record');
  return { term: h.term, vote: h.vote ?? null, commit: h.commit };
}

function asSnapshot(v: unknown): Snapshot {
  const s = v as { metadata?: Partial<SnapshotMetadata>; data?: unknown } | null;
  const md = s?.metadata;
  const cs = md?.confState as Partial<ConfState> | undefined;
  if (!md || typeof md.index !== 'number' || typeof md.term !== 'number' || !cs || !Array.isArray(cs.voters) || !Array.isArray(cs.learners)) {
    throw new RecordDecodeError('malformed snapshot record');
  }
  return { metadata: { index: md.index, term: md.term, confState: { voters: [...cs.voters], learners: [...cs.learners] } }, data: toBytes(s?.data) };
}
