// The open scan reads each change record's head in place (layout.ts decodeRecordHead) instead
// of decoding it whole: the index it rebuilds must be the one decodeRecord's fields give, for
// every record msgpackr writes (every bin and integer width) and for anything else (the
// fallback), and damage must still throw.
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeRecord, decodeRecordHead, encodeRecord } from '../src/layout.js';
import type { ChangeRecord, RecordHead } from '../src/layout.js';

/** What decodeRecord says, in the head's shape. */
function headOf(rec: ChangeRecord): RecordHead {
  return rec.tombstone
    ? { tombstone: true, key: rec.key }
    : { tombstone: false, key: rec.key, valueLength: rec.value.byteLength, createRevision: rec.createRevision, version: rec.version, lease: rec.lease };
}

/** Heads compare with their keys as plain bytes (a view and a copy are the same key). */
function comparable(h: RecordHead): unknown {
  return { ...h, key: Buffer.from(h.key).toString('hex') };
}

/** Integers around every msgpack width boundary, up to the largest safe integer. */
const intArb = fc.oneof(
  fc.constantFrom(0, 1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER),
  fc.nat(),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);
/** Lengths around bin8 / bin16 / bin32. */
const bytesArb = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.constantFrom(255, 256, 65_535, 65_536).map((n) => new Uint8Array(n).fill(7)),
);
const recordArb: fc.Arbitrary<ChangeRecord> = fc.oneof(
  fc.record({ tombstone: fc.constant(true as const), key: bytesArb }),
  fc.record({ tombstone: fc.constant(false as const), key: bytesArb, value: bytesArb, createRevision: intArb, version: intArb, lease: intArb }),
);

describe('decodeRecordHead', () => {
  it('gives decodeRecord\'s fields for every record the store writes', () => {
    fc.assert(
      fc.property(recordArb, (rec) => {
        const bytes = encodeRecord(rec);
        expect(comparable(decodeRecordHead(bytes))).toEqual(comparable(headOf(decodeRecord(bytes))));
      }),
      { numRuns: 500, seed: 14 },
    );
  });

  it('falls back to decodeRecord for encodings it does not read in place', () => {
    const packr = new Packr({ useRecords: false, mapsAsObjects: true });
    const key = new Uint8Array([1, 2, 3]);
    // A negative lease, a fractional version, a string key: none is written by the store,
    // all must still come out as decodeRecord reads them.
    for (const raw of [
      [key, new Uint8Array(4), 5, 1, -3],
      [key, new Uint8Array(4), 5, 1.5, 0],
      ['k', new Uint8Array(4), 5, 1, 0],
      ['k'],
    ]) {
      const bytes = packr.pack(raw);
      expect(comparable(decodeRecordHead(bytes))).toEqual(comparable(headOf(decodeRecord(bytes))));
    }
  });

  it('throws on what decodeRecord throws on (damage is never read as a record)', () => {
    const packr = new Packr({ useRecords: false, mapsAsObjects: true });
    const full = encodeRecord({ tombstone: false, key: new Uint8Array([1]), value: new Uint8Array(10), createRevision: 2, version: 1, lease: 0 });
    for (const bad of [packr.pack([1, 2]), packr.pack({ a: 1 }), full.subarray(0, full.byteLength - 3)]) {
      expect(() => decodeRecord(bad)).toThrow();
      expect(() => decodeRecordHead(bad)).toThrow();
    }
  });
});
