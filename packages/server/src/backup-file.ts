// The backup file `kite snapshot save` writes and `snapshot status`/`restore` read: one
// member's store at its applied index, in the kvstore snapshot stream format, framed with a
// header that says where it came from and a whole-file SHA-256 trailer.
//
// Layout:
//   MAGIC (16 bytes "KITE-SNAPSHOT-1\n")
//   record*          u32 big-endian length (< RECORD_END) + payload
//     record 0       msgpack BackupHeader
//     records 1..n   kvstore snapshot chunks, verbatim (they carry their own count + CRC trailer)
//   RECORD_END       u32 0xffffffff
//   padding          0..511 zero bytes, so everything before the SHA-256 is a multiple of 512
//   SHA-256          32 bytes, of every byte before it
//
// The padding gives the file the shape etcd's clients check on a received snapshot (etcdctl
// 3.4.22+ `snapshot save` refuses a stream whose size is not k*512 + 32: a bolt file is whole
// pages, then etcd appends its SHA-256), so the etcd door can stream this file unchanged.
// Files written before the padding existed have none and stay valid.
//
// Invariants: the member produces these bytes (encodeBackup) and the client writes them
// verbatim, so the SHA-256 covers the transfer end to end. A reader checks the SHA-256 of the
// whole file before it trusts any record (verifyBackupFile), so a flipped byte or a
// truncated file is refused before anything is written anywhere.

import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { Packr } from 'msgpackr';

export const BACKUP_MAGIC = new TextEncoder().encode('KITE-SNAPSHOT-1\n');
const RECORD_END = 0xffffffff;
const SHA256_BYTES = 32;
/** Everything before the trailer is padded to a multiple of this (see the layout above). */
export const BACKUP_ALIGN_BYTES = 512;
/** A record longer than this is damage, not data (kv chunks are ~1 MiB, one value at most a request). */
export const BACKUP_RECORD_BYTES_MAX = 64 * 1024 * 1024;
const READ_BYTES = 1024 * 1024;

export interface BackupHeader {
  /** The store's revision at the snapshot: hashes compare at this revision. */
  readonly revision: number;
  readonly compactRevision: number;
  /** The source member's applied Raft index at the snapshot. */
  readonly appliedIndex: number;
  readonly clusterId: string;
  readonly memberId: string;
  /** Wall time of the save, for display only. */
  readonly createdAt: string;
}

export type BackupFileErrorCode = 'SnapshotFileDamaged' | 'SnapshotFileUnreadable' | 'DataDirNotEmpty';

/** A backup that cannot be used: damaged, truncated, not a Kite snapshot, or nowhere to restore it. */
export class BackupFileError extends Error {
  override readonly name = 'BackupFileError';
  constructor(
    readonly code: BackupFileErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, false);
  return b;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** The file's bytes, one piece per kv chunk (plus a first and a last piece). */
export async function* encodeBackup(header: BackupHeader, kvChunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  let bodyBytes = 0;
  const emit = (piece: Uint8Array): Uint8Array => {
    hash.update(piece);
    bodyBytes += piece.byteLength;
    return piece;
  };
  const head = packr.pack({ ...header });
  yield emit(concat([BACKUP_MAGIC, u32(head.byteLength), head]));
  for await (const chunk of kvChunks) {
    if (chunk.byteLength >= BACKUP_RECORD_BYTES_MAX) throw new Error(`assertion: snapshot chunk of ${chunk.byteLength} bytes`);
    yield emit(concat([u32(chunk.byteLength), chunk]));
  }
  const end = u32(RECORD_END);
  const padding = new Uint8Array((BACKUP_ALIGN_BYTES - ((bodyBytes + end.byteLength) % BACKUP_ALIGN_BYTES)) % BACKUP_ALIGN_BYTES);
  hash.update(end);
  hash.update(padding);
  yield concat([end, padding, new Uint8Array(hash.digest())]);
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function parseHeader(bytes: Uint8Array, file: string): BackupHeader {
  let raw: unknown;
  try {
    raw = packr.unpack(bytes);
  } catch {
    throw new BackupFileError('SnapshotFileDamaged', `${file}: the snapshot header is not readable`);
  }
  const h = raw as Record<string, unknown> | null;
  if (
    h === null || typeof h !== 'object' || !isCount(h['revision']) || !isCount(h['compactRevision']) || !isCount(h['appliedIndex']) ||
    typeof h['clusterId'] !== 'string' || typeof h['memberId'] !== 'string' || typeof h['createdAt'] !== 'string'
  ) {
    throw new BackupFileError('SnapshotFileDamaged', `${file}: the snapshot header lacks revision, applied index or origin`);
  }
  return {
    revision: h['revision'], compactRevision: h['compactRevision'], appliedIndex: h['appliedIndex'],
    clusterId: h['clusterId'], memberId: h['memberId'], createdAt: h['createdAt'],
  };
}

export interface VerifiedBackup {
  readonly header: BackupHeader;
  readonly sizeBytes: number;
  readonly sha256: string;
  /** The kvstore snapshot chunks, read again from the file (iterate once). */
  kvChunks(): AsyncGenerator<Uint8Array>;
}

/**
 * Checks the whole file (magic, SHA-256 trailer, record framing) and reads its header.
 * Throws BackupFileError naming what is wrong; reads the file, writes nothing.
 */
export async function verifyBackupFile(file: string): Promise<VerifiedBackup> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new BackupFileError('SnapshotFileUnreadable', `cannot open snapshot file ${file}: ${(err as Error).message}`);
  }
  try {
    const sizeBytes = (await fh.stat()).size;
    const minBytes = BACKUP_MAGIC.byteLength + 4 + 4 + SHA256_BYTES;
    if (sizeBytes < minBytes) throw new BackupFileError('SnapshotFileDamaged', `${file} is not a complete Kite snapshot: ${sizeBytes} bytes (truncated?)`);
    const magic = new Uint8Array(BACKUP_MAGIC.byteLength);
    await fh.read(magic, 0, magic.byteLength, 0);
    if (!magic.every((b, i) => b === BACKUP_MAGIC[i])) throw new BackupFileError('SnapshotFileDamaged', `${file} is not a Kite snapshot file (bad magic)`);
    const bodyBytes = sizeBytes - SHA256_BYTES;
    const hash = createHash('sha256');
    const buf = new Uint8Array(READ_BYTES);
    for (let at = 0; at < bodyBytes; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(READ_BYTES, bodyBytes - at), at);
      if (bytesRead === 0) throw new BackupFileError('SnapshotFileDamaged', `${file} shrank while being read`);
      hash.update(buf.subarray(0, bytesRead));
      at += bytesRead;
    }
    const stored = new Uint8Array(SHA256_BYTES);
    await fh.read(stored, 0, SHA256_BYTES, bodyBytes);
    const digest = hash.digest();
    if (!stored.every((b, i) => b === digest[i])) {
      throw new BackupFileError('SnapshotFileDamaged', `${file} is damaged or truncated: its SHA-256 trailer does not match its content; refusing to use it`);
    }
    // Framing: record lengths must land exactly on the end marker before the trailer.
    const readRecord = async (at: number): Promise<{ length: number; next: number }> => {
      if (at + 4 > bodyBytes) throw new BackupFileError('SnapshotFileDamaged', `${file}: a record runs past the end of the file`);
      const len = new Uint8Array(4);
      await fh.read(len, 0, 4, at);
      const length = new DataView(len.buffer).getUint32(0, false);
      if (length === RECORD_END) return { length, next: at + 4 };
      if (length >= BACKUP_RECORD_BYTES_MAX || at + 4 + length > bodyBytes) throw new BackupFileError('SnapshotFileDamaged', `${file}: a record of ${length} bytes runs past the end of the file`);
      return { length, next: at + 4 + length };
    };
    const first = await readRecord(BACKUP_MAGIC.byteLength);
    if (first.length === RECORD_END) throw new BackupFileError('SnapshotFileDamaged', `${file}: the snapshot has no header`);
    const headBytes = new Uint8Array(first.length);
    await fh.read(headBytes, 0, first.length, BACKUP_MAGIC.byteLength + 4);
    const header = parseHeader(headBytes, file);
    const dataStart = first.next;
    let at = dataStart;
    for (;;) {
      const r = await readRecord(at);
      at = r.next;
      if (r.length === RECORD_END) break;
    }
    await checkPadding(fh, at, bodyBytes, file);
    return {
      header,
      sizeBytes,
      sha256: Buffer.from(digest).toString('hex'),
      kvChunks: () => readKvChunks(file, dataStart),
    };
  } finally {
    await fh.close();
  }
}

/** Between the end marker and the trailer: only the alignment padding, all zero. */
async function checkPadding(fh: FileHandle, at: number, bodyBytes: number, file: string): Promise<void> {
  const length = bodyBytes - at;
  const zeros = new Uint8Array(Math.max(0, Math.min(length, BACKUP_ALIGN_BYTES)));
  if (length > 0 && length < BACKUP_ALIGN_BYTES) await fh.read(zeros, 0, length, at);
  if (length < 0 || length >= BACKUP_ALIGN_BYTES || zeros.some((b) => b !== 0)) {
    throw new BackupFileError('SnapshotFileDamaged', `${file}: ${length} bytes after the end marker that are not its padding`);
  }
}

async function* readKvChunks(file: string, start: number): AsyncGenerator<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    for (let at = start; ; ) {
      const len = new Uint8Array(4);
      await fh.read(len, 0, 4, at);
      const length = new DataView(len.buffer).getUint32(0, false);
      if (length === RECORD_END) return;
      if (length >= BACKUP_RECORD_BYTES_MAX) throw new BackupFileError('SnapshotFileDamaged', `${file} changed after it was verified`);
      const chunk = new Uint8Array(length);
      const { bytesRead } = await fh.read(chunk, 0, length, at + 4);
      if (bytesRead !== length) throw new BackupFileError('SnapshotFileDamaged', `${file} changed after it was verified`);
      yield chunk;
      at += 4 + length;
    }
  } finally {
    await fh.close();
  }
}
