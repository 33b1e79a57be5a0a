// State machine snapshots: the whole backend (change records, leases, meta incl. the applied
// index) streamed from a consistent backend snapshot as bounded chunks, and the reverse.
//
// Stream format, each chunk one msgpack array [SNAPSHOT_VERSION, kind, payload]:
//   'h' {appliedIndex, currentRevision, compactRevision}  first chunk
//   'd' [key1, value1, key2, value2, ...]                  data, in key order
//   't' {entries, crc}                                     last chunk: count and CRC-32 of all pairs
// A data chunk holds entries up to `chunkBytesMax`, but always at least one entry (a single
// value may be up to the request limit). Restore checks order, count and CRC before the new
// content becomes visible, so a truncated or corrupted stream leaves the old store in place.

import { crcUpdate } from './crc.js';
import { Packr } from 'msgpackr';
import type { BackendEntry, BackendSnapshot } from './backend/backend.js';
import { compareBytes } from './bytes.js';
import { MalformedCommandError } from './errors.js';

export const SNAPSHOT_VERSION = 1;
/** Default chunk payload bound (the peer link's SNAPSHOT_CHUNK_BYTES). */
export const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;

export interface SnapshotHeader {
  readonly appliedIndex: number;
  readonly currentRevision: number;
  readonly compactRevision: number;
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export async function* encodeSnapshot(
  header: SnapshotHeader,
  snap: BackendSnapshot,
  chunkBytesMax: number,
): AsyncGenerator<Uint8Array> {
  yield packr.pack([SNAPSHOT_VERSION, 'h', header]);
  let crc = 0;
  let entries = 0;
  let pairs: Uint8Array[] = [];
  let bytes = 0;
  for await (const batch of snap.entries({})) {
    for (const [k, v] of batch) {
      if (pairs.length > 0 && bytes + k.byteLength + v.byteLength > chunkBytesMax) {
        yield packr.pack([SNAPSHOT_VERSION, 'd', pairs]);
        pairs = [];
        bytes = 0;
      }
      pairs.push(k, v);
      bytes += k.byteLength + v.byteLength + 10;
      crc = crcUpdate(v, crcUpdate(k, crc));
      entries++;
    }
  }
  if (pairs.length > 0) yield packr.pack([SNAPSHOT_VERSION, 'd', pairs]);
  yield packr.pack([SNAPSHOT_VERSION, 't', { entries, crc: crc >>> 0 }]);
}

function unpackChunk(chunk: Uint8Array): [string, unknown] {
  let raw: unknown;
  try {
    raw = packr.unpack(chunk);
  } catch {
    throw new MalformedCommandError('snapshot chunk is not valid msgpack');
  }
  if (!Array.isArray(raw) || raw.length !== 3 || raw[0] !== SNAPSHOT_VERSION || typeof raw[1] !== 'string') {
    throw new MalformedCommandError('not a snapshot chunk of a known version');
  }
  return [raw[1], raw[2]];
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Decodes a snapshot stream: returns its header and an iterable of entry batches that
 * throws (before finishing) if the stream is malformed, out of order, truncated or corrupt.
 */
export async function decodeSnapshot(
  chunks: AsyncIterable<Uint8Array>,
): Promise<{ header: SnapshotHeader; entries: AsyncIterable<readonly BackendEntry[]> }> {
  const it = chunks[Symbol.asyncIterator]();
  // The source is finished (its `finally` runs: a file handle closes) however decoding ends:
  // after the trailer, on a malformed chunk, or when the consumer stops early.
  const finishSource = async (): Promise<void> => {
    await it.return?.();
  };
  const first = await it.next();
  if (first.done === true) throw new MalformedCommandError('empty snapshot stream');
  const [kind, payload] = unpackChunk(first.value);
  const h = payload as Record<string, unknown> | null;
  if (kind !== 'h' || h === null || typeof h !== 'object' || !isCount(h['appliedIndex']) || !isCount(h['currentRevision']) || !isCount(h['compactRevision'])) {
    await finishSource();
    throw new MalformedCommandError('snapshot stream does not start with a header');
  }
  const header: SnapshotHeader = {
    appliedIndex: h['appliedIndex'],
    currentRevision: h['currentRevision'],
    compactRevision: h['compactRevision'],
  };
  async function* entries(): AsyncGenerator<readonly BackendEntry[]> {
    try {
      yield* decodeEntries();
    } finally {
      await finishSource();
    }
  }
  async function* decodeEntries(): AsyncGenerator<readonly BackendEntry[]> {
    let crc = 0;
    let count = 0;
    let last: Uint8Array | undefined;
    for (;;) {
      const next = await it.next();
      if (next.done === true) throw new MalformedCommandError('snapshot stream ended without a trailer');
      const [k, p] = unpackChunk(next.value);
      if (k === 't') {
        const t = p as Record<string, unknown> | null;
        if (t === null || typeof t !== 'object' || t['entries'] !== count || t['crc'] !== crc >>> 0) {
          throw new MalformedCommandError('snapshot trailer does not match the data (truncated or corrupt)');
        }
        return;
      }
      if (k !== 'd' || !Array.isArray(p) || p.length % 2 !== 0) throw new MalformedCommandError('bad snapshot data chunk');
      const batch: BackendEntry[] = [];
      for (let i = 0; i < p.length; i += 2) {
        const key: unknown = p[i];
        const value: unknown = p[i + 1];
        if (!(key instanceof Uint8Array) || !(value instanceof Uint8Array)) throw new MalformedCommandError('snapshot entry is not bytes');
        if (last !== undefined && compareBytes(last, key) >= 0) throw new MalformedCommandError('snapshot entries out of order');
        last = key;
        crc = crcUpdate(value, crcUpdate(key, crc));
        count++;
        batch.push([key, value]);
      }
      yield batch;
    }
  }
  return { header, entries: entries() };
}
