// hash(revision): a CRC-32 of the key space as it was at `revision` (every live key's key,
// value, createRevision, modRevision, version and lease, in key order, plus the revision).
// Replicas with the same history agree; the hash depends only on the state at `revision`,
// so it is the same before and after compactions at or below `revision`.

import { crcUpdate } from './crc.js';
import type { KeyAt, KeyIndex } from './key-index.js';
import type { MvccState } from './mvcc.js';
import { CompactedError } from './errors.js';
import { checkReadRevision } from './range.js';
import type { HashResult, KeyValue } from './types.js';

/** Keys materialized per step (bounds the records read at once). */
const HASH_BATCH_KEYS = 1024;

function u64(n: number): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeUIntBE(Math.floor(n / 2 ** 32), 0, 4);
  b.writeUInt32BE(n >>> 0, 4);
  return b;
}

function feed(crc: number, kv: KeyValue): number {
  let c = crcUpdate(u64(kv.key.byteLength), crc);
  c = crcUpdate(kv.key, c);
  c = crcUpdate(u64(kv.value.byteLength), c);
  c = crcUpdate(kv.value, c);
  c = crcUpdate(u64(kv.createRevision), c);
  c = crcUpdate(u64(kv.modRevision), c);
  c = crcUpdate(u64(kv.version), c);
  return crcUpdate(u64(kv.lease), c);
}

export async function hashAt(state: MvccState, revision: number | undefined): Promise<HashResult> {
  const rev = checkReadRevision(state, revision, state.currentRevision);
  // Capture every key's state synchronously: later applies cannot change what we hash.
  const items: { ki: KeyIndex; at: KeyAt }[] = [];
  for (const ki of state.tree.all()) {
    const at = ki.get(rev);
    if (at !== undefined) items.push({ ki, at });
  }
  let crc = crcUpdate(u64(rev), 0);
  for (let i = 0; i < items.length; i += HASH_BATCH_KEYS) {
    const kvs = await state.materialize(items.slice(i, i + HASH_BATCH_KEYS));
    for (const kv of kvs) {
      if (kv === undefined) throw new CompactedError(rev, state.compactRevision);
      crc = feed(crc, kv);
    }
  }
  return { hash: crc >>> 0, compactRevision: state.compactRevision, hashRevision: rev };
}
