// The power-loss emulation only cuts what was never synced: the tail of the newest LevelDB
// write-ahead log after the whole record holding the last sync marker. Logs here are built
// by hand in LevelDB's format (32 KiB blocks, 7-byte record headers; checksums are not read).

import { describe, expect, it } from 'vitest';
import { SYNC_MARKER, logRecordEnds, unsyncedTail } from '../../src/nemesis/process-faults.js';

const FULL = 1;
const FIRST = 2;
const LAST = 4;

function record(type: number, data: Buffer): Buffer {
  const h = Buffer.alloc(7);
  h.writeUInt16LE(data.length, 4);
  h[6] = type;
  return Buffer.concat([h, data]);
}

const filler = (n: number): Buffer => Buffer.alloc(n, 0x61);

describe('power loss: the unsynced tail of the kv write-ahead log', () => {
  it('cuts anywhere in a never-replaced store without a sync, nowhere in a replaced one', () => {
    const log = Buffer.concat([record(FULL, filler(100)), record(FULL, filler(50))]);
    expect(unsyncedTail(log, 'db-0')).toEqual({ durableBytes: 0, size: log.length });
    expect(unsyncedTail(log, 'db-3')).toEqual({ durableBytes: log.length, size: log.length });
  });

  it('keeps the whole record holding the last sync marker, including writes grouped after it', () => {
    const synced = record(FULL, Buffer.concat([filler(20), SYNC_MARKER, filler(40)]));
    const log = Buffer.concat([record(FULL, filler(100)), synced, record(FULL, filler(30)), record(FULL, filler(10))]);
    expect(logRecordEnds(log)).toEqual([107, 107 + synced.length, 107 + synced.length + 37, log.length]);
    expect(unsyncedTail(log, 'db-0').durableBytes).toBe(107 + synced.length);
  });

  it('follows a synced record fragmented across a block boundary to its last fragment', () => {
    const first = record(FULL, filler(32 * 1024 - 7 - 7 - 20));
    const a = record(FIRST, Buffer.concat([filler(20 - SYNC_MARKER.length), SYNC_MARKER]));
    const b = record(LAST, filler(100));
    const tail = record(FULL, filler(5));
    const log = Buffer.concat([first, a, b, tail]);
    expect(first.length + a.length).toBe(32 * 1024);
    expect(unsyncedTail(log, 'db-0').durableBytes).toBe(first.length + a.length + b.length);
  });

  it('treats a torn synced record as not provably complete: nothing is cut', () => {
    const synced = record(FULL, Buffer.concat([SYNC_MARKER, filler(40)]));
    const log = Buffer.concat([record(FULL, filler(10)), synced.subarray(0, synced.length - 5)]);
    expect(unsyncedTail(log, 'db-0')).toEqual({ durableBytes: log.length, size: log.length });
  });
});
