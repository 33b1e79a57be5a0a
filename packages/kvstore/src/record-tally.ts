// The record tally: how many change records the backend holds and the sum (mod 2^32) of the
// CRC-32 of their keys, kept in meta and written in the SAME backend batch as the records it
// counts (apply adds, physical compaction subtracts). Opening the store counts the records it
// actually finds and compares. Why: a damaged LevelDB table block can vanish without an error
// (classic-level reads without LevelDB's checksum checks), and per-record checksums cannot see a
// record that is not there; a store missing records would rebuild an index without those keys
// and answer them as absent. The key sum also catches a record replaced by another one.
// Change records are immutable (keyed by revision, written once, deleted only by compaction),
// so a put always adds one record and a delete always removes one.

import type { BackendOp } from './backend/backend.js';
import { crcUpdate } from './crc.js';
import { REV_PREFIX, encodeMeta, metaKey } from './layout.js';

export interface RecordTally {
  count: number;
  keyCrcSum: number;
}

export function emptyTally(): RecordTally {
  return { count: 0, keyCrcSum: 0 };
}

/** Counts one change record key into `tally` (sign -1 removes it). */
export function tallyKey(tally: RecordTally, key: Uint8Array, sign: 1 | -1): void {
  tally.count += sign;
  tally.keyCrcSum = (tally.keyCrcSum + sign * crcUpdate(key, 0)) >>> 0;
}

/**
 * Applies a batch's change-record puts and deletes to `tally` and returns the meta ops that
 * record the new tally (to append to the same batch). Returns no ops when the batch touches no
 * change record.
 */
export function tallyBatch(tally: RecordTally, ops: readonly BackendOp[]): BackendOp[] {
  let touched = false;
  for (const op of ops) {
    if (op.key[0] !== REV_PREFIX) continue;
    tallyKey(tally, op.key, op.type === 'put' ? 1 : -1);
    touched = true;
  }
  if (!touched) return [];
  return [
    { type: 'put', key: metaKey('recordCount'), value: encodeMeta(tally.count) },
    { type: 'put', key: metaKey('recordKeyCrcSum'), value: encodeMeta(tally.keyCrcSum) },
  ];
}
