// How the store is laid out in the backend, and the record codec.
//   'r' + revision (16 bytes)  -> change record: put [key, value, createRevision, version, lease]
//                                  or tombstone [key]; the mod revision is the record's key.
//   'l' + lease id (8 bytes)   -> lease [id, ttlSeconds, remainingTtlMs]
//   'm' + name                 -> meta value (msgpack number)
//   'a' + 'u'|'r' + name       -> auth user / role (auth-state.ts)
//   'x' + sequence (8 bytes)   -> audit record (audit.ts)
// Every value is stored with a checksum after it (backend/checksum-backend.ts); the meta record
// formatVersion says so (store-format.ts).
// Records are immutable once written; only compaction deletes them.

import { Packr } from 'msgpackr';
import { assert } from './assert.js';
import { plainBytes } from './bytes.js';
import type { Revision } from './revision.js';
import { REVISION_BYTES, readRevision, writeRevision, writeU64 } from './revision.js';

export const REV_PREFIX = 0x72; // 'r'
export const LEASE_PREFIX = 0x6c; // 'l'
export const META_PREFIX = 0x6d; // 'm'

export type MetaName =
  | 'appliedIndex'
  | 'currentRevision'
  | 'scheduledCompactRevision'
  | 'finishedCompactRevision'
  | 'recordCount'
  | 'recordKeyCrcSum'
  | 'formatVersion'
  | 'authRevision'
  | 'authEnabled'
  | 'auditNextSeq'
  | 'auditFirstSeq';

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/**
 * Revision keys are carved out of shared slabs: one ArrayBuffer per REV_KEY_SLAB_BYTES instead
 * of one per record (an ArrayBuffer costs far more to allocate and collect than a view). A
 * slab lives as long as any of its keys; keys are short-lived (a batch, a read), so slabs are
 * never pinned for long.
 */
const REV_KEY_BYTES = 1 + REVISION_BYTES;
const REV_KEY_SLAB_BYTES = 64 * 1024;
let slab = new Uint8Array(REV_KEY_SLAB_BYTES);
let slabUsed = 0;

export function revKey(rev: Revision): Uint8Array {
  if (slabUsed + REV_KEY_BYTES > slab.byteLength) {
    slab = new Uint8Array(REV_KEY_SLAB_BYTES);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + REV_KEY_BYTES);
  slabUsed += REV_KEY_BYTES;
  out[0] = REV_PREFIX;
  writeRevision(out, 1, rev);
  return out;
}

export function revFromKey(key: Uint8Array): Revision {
  assert(key.byteLength === 1 + REVISION_BYTES && key[0] === REV_PREFIX, 'not a revision key');
  return readRevision(key, 1);
}

/** First record key with main revision >= `main`. */
export function revKeyFromMain(main: number): Uint8Array {
  return revKey({ main, sub: 0 });
}

export function leaseKey(id: number): Uint8Array {
  const out = new Uint8Array(9);
  out[0] = LEASE_PREFIX;
  writeU64(out, 1, id);
  return out;
}

export function metaKey(name: MetaName): Uint8Array {
  const out = new Uint8Array(1 + name.length);
  out[0] = META_PREFIX;
  for (let i = 0; i < name.length; i++) out[i + 1] = name.charCodeAt(i);
  return out;
}

/** A key as a reader of an error message would name it. */
export function describeKey(key: Uint8Array): string {
  if (key[0] === REV_PREFIX && key.byteLength === 1 + REVISION_BYTES) {
    const rev = readRevision(key, 1);
    return `change record at revision ${rev.main}.${rev.sub}`;
  }
  if (key[0] === LEASE_PREFIX && key.byteLength === 9) return `lease record ${Buffer.from(key.subarray(1)).readBigUInt64BE(0)}`;
  if (key[0] === 0x61 && key.byteLength > 2) return `auth ${key[1] === 0x75 ? 'user' : 'role'} record ${Buffer.from(key.subarray(2)).toString('utf8')}`;
  if (key[0] === META_PREFIX) return `meta record ${Buffer.from(key.subarray(1)).toString('latin1')}`;
  return `record with key 0x${Buffer.from(key.subarray(0, 32)).toString('hex')}`;
}

/** The key range [gte, lt) holding every key with `prefix` as first byte. */
export function prefixRange(prefix: number): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: new Uint8Array([prefix]), lt: new Uint8Array([prefix + 1]) };
}

export interface PutRecord {
  readonly tombstone: false;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly createRevision: number;
  readonly version: number;
  readonly lease: number;
}
export interface TombstoneRecord {
  readonly tombstone: true;
  readonly key: Uint8Array;
}
export type ChangeRecord = PutRecord | TombstoneRecord;

export function encodeRecord(r: ChangeRecord): Uint8Array {
  return r.tombstone
    ? packr.pack([r.key])
    : packr.pack([r.key, r.value, r.createRevision, r.version, r.lease]);
}

export function decodeRecord(bytes: Uint8Array): ChangeRecord {
  const raw = packr.unpack(bytes) as unknown[];
  assert(Array.isArray(raw) && (raw.length === 1 || raw.length === 5), 'malformed change record');
  const key = plainBytes(raw[0] as Uint8Array);
  if (raw.length === 1) return { tombstone: true, key };
  return {
    tombstone: false,
    key,
    value: plainBytes(raw[1] as Uint8Array),
    createRevision: raw[2] as number,
    version: raw[3] as number,
    lease: raw[4] as number,
  };
}

/**
 * What rebuilding the key index needs from a change record, without the value: its bytes are
 * only counted. `key` views the record's bytes (copy it to keep it).
 */
export type RecordHead =
  | { readonly tombstone: true; readonly key: Uint8Array }
  | {
      readonly tombstone: false;
      readonly key: Uint8Array;
      readonly valueLength: number;
      readonly createRevision: number;
      readonly version: number;
      readonly lease: number;
    };

/** msgpack type bytes the head reader understands (what msgpackr writes for a record). */
const MP_FIXARRAY_1 = 0x91;
const MP_FIXARRAY_5 = 0x95;
const MP_FIXINT_MAX = 0x7f;
const MP_BIN8 = 0xc4;
const MP_BIN16 = 0xc5;
const MP_BIN32 = 0xc6;
const MP_UINT8 = 0xcc;
const MP_UINT16 = 0xcd;
const MP_UINT32 = 0xce;
const MP_FLOAT64 = 0xcb;

/** Reads records in place; `at` is the cursor. Returns undefined on anything unexpected. */
class HeadReader {
  at = 0;
  constructor(private readonly b: Uint8Array) {}

  private dv(): DataView {
    return new DataView(this.b.buffer, this.b.byteOffset, this.b.byteLength);
  }

  /** A bin's [start, end), or undefined. */
  bin(): readonly [number, number] | undefined {
    const b = this.b;
    const t = b[this.at];
    let n: number;
    if (t === MP_BIN8 && this.at + 2 <= b.length) {
      n = b[this.at + 1] as number;
      this.at += 2;
    } else if (t === MP_BIN16 && this.at + 3 <= b.length) {
      n = ((b[this.at + 1] as number) << 8) | (b[this.at + 2] as number);
      this.at += 3;
    } else if (t === MP_BIN32 && this.at + 5 <= b.length) {
      n = this.dv().getUint32(this.at + 1);
      this.at += 5;
    } else {
      return undefined;
    }
    const start = this.at;
    this.at += n;
    return this.at <= b.length ? [start, this.at] : undefined;
  }

  /** A non-negative safe integer, or undefined. */
  uint(): number | undefined {
    const b = this.b;
    const t = b[this.at];
    if (t === undefined) return undefined;
    if (t <= MP_FIXINT_MAX) {
      this.at += 1;
      return t;
    }
    const need = t === MP_UINT8 ? 1 : t === MP_UINT16 ? 2 : t === MP_UINT32 ? 4 : t === MP_FLOAT64 ? 8 : -1;
    if (need < 0 || this.at + 1 + need > b.length) return undefined;
    const dv = this.dv();
    const n = need === 1 ? (b[this.at + 1] as number) : need === 2 ? dv.getUint16(this.at + 1) : need === 4 ? dv.getUint32(this.at + 1) : dv.getFloat64(this.at + 1);
    this.at += 1 + need;
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  }
}

/**
 * The head of a change record (decodeRecord's fields, the value's length instead of the
 * value), read in place: the open scan of a million records decodes no value and copies no
 * bytes. Anything outside the encodings msgpackr writes for a record goes through
 * decodeRecord, so both always agree (layout.test.ts checks that they do).
 */
export function decodeRecordHead(bytes: Uint8Array): RecordHead {
  const r = new HeadReader(bytes);
  const t = bytes[0];
  r.at = 1;
  const key = r.bin();
  if (key !== undefined) {
    const keyView = bytes.subarray(key[0], key[1]);
    if (t === MP_FIXARRAY_1 && r.at === bytes.length) return { tombstone: true, key: keyView };
    if (t === MP_FIXARRAY_5) {
      const value = r.bin();
      const createRevision = r.uint();
      const version = r.uint();
      const lease = r.uint();
      if (value !== undefined && createRevision !== undefined && version !== undefined && lease !== undefined && r.at === bytes.length) {
        return { tombstone: false, key: keyView, valueLength: value[1] - value[0], createRevision, version, lease };
      }
    }
  }
  const rec = decodeRecord(bytes);
  return rec.tombstone
    ? rec
    : { tombstone: false, key: rec.key, valueLength: rec.value.byteLength, createRevision: rec.createRevision, version: rec.version, lease: rec.lease };
}

export interface LeaseRecord {
  readonly id: number;
  readonly ttlSeconds: number;
  readonly remainingTtlMs: number;
}

export function encodeLease(l: LeaseRecord): Uint8Array {
  return packr.pack([l.id, l.ttlSeconds, l.remainingTtlMs]);
}

export function decodeLease(bytes: Uint8Array): LeaseRecord {
  const raw = packr.unpack(bytes) as unknown[];
  assert(Array.isArray(raw) && raw.length === 3, 'malformed lease record');
  return { id: raw[0] as number, ttlSeconds: raw[1] as number, remainingTtlMs: raw[2] as number };
}

export function encodeMeta(n: number): Uint8Array {
  return packr.pack(n);
}

export function decodeMeta(bytes: Uint8Array): number {
  const n = packr.unpack(bytes) as unknown;
  assert(typeof n === 'number', 'malformed meta value');
  return n;
}
