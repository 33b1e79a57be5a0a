// hash(revision): a CRC-32 of the key space as it was at `revision` (every live key's key,
// value, createRevision, modRevision, version and lease, in key order, plus the revision).
// Replicas with the same history agree; the hash depends only on the state at `revision`,
// so it is the same before and after compactions at or below `revision`.
//
// A bound on work per event-loop turn: keys are captured HASH_BATCH_KEYS at a time (resuming
// after the last key captured) and the hash yields a turn after each slice. Capturing all of
// a million keys at once held the loop for 0.6 s and more on a loaded machine (a leader's
// heartbeats wait that long: the periodic check cost leaders their term). Applies that run
// between slices change nothing the hash reads: each key is read at `revision`, whose state
// compactions at or below it keep, and a compaction past it fails the hash (Compacted).

import { crcUpdate } from './crc.js';
import type { KeyAt, KeyIndex } from './key-index.js';
import type { MvccState } from './mvcc.js';
import { CompactedError } from './errors.js';
import { checkReadRevision } from './range.js';
import type { HashResult, KeyValue } from './types.js';

/** Keys materialized per step (bounds the records read at once). */
export const HASH_BATCH_KEYS = 1024;
/** Steps read at once: libuv's pool has 4 threads by default. */
export const HASH_READS_IN_FLIGHT = 4;
/** Bytes fed to one CRC call: a key's fields are laid out here, many keys per call. */
const HASH_SCRATCH_BYTES = 64 * 1024;
const U64_BYTES = 8;
/** The u64 fields of one key: key length, value length, createRevision, modRevision, version, lease. */
const FIXED_BYTES_PER_KEY = 6 * U64_BYTES;

/**
 * The CRC of a sequence of fields, fed through one scratch buffer: CRC-32 is a stream, so
 * one call over the concatenation equals one call per field (the old per-field form cost an
 * allocation and a native call per field: 8 per key, seconds per million keys).
 */
class CrcFeed {
  private readonly scratch = Buffer.alloc(HASH_SCRATCH_BYTES);
  private used = 0;
  crc = 0;

  private flush(): void {
    if (this.used === 0) return;
    this.crc = crcUpdate(this.scratch.subarray(0, this.used), this.crc);
    this.used = 0;
  }

  u64(n: number): void {
    if (this.used + U64_BYTES > HASH_SCRATCH_BYTES) this.flush();
    this.scratch.writeUIntBE(Math.floor(n / 2 ** 32), this.used, 4);
    this.scratch.writeUInt32BE(n >>> 0, this.used + 4);
    this.used += U64_BYTES;
  }

  bytes(b: Uint8Array): void {
    if (this.used + b.byteLength > HASH_SCRATCH_BYTES) {
      this.flush();
      if (b.byteLength > HASH_SCRATCH_BYTES) {
        this.crc = crcUpdate(b, this.crc);
        return;
      }
    }
    this.scratch.set(b, this.used);
    this.used += b.byteLength;
  }

  kv(kv: KeyValue): void {
    if (this.used + FIXED_BYTES_PER_KEY + kv.key.byteLength + kv.value.byteLength > HASH_SCRATCH_BYTES) this.flush();
    this.u64(kv.key.byteLength);
    this.bytes(kv.key);
    this.u64(kv.value.byteLength);
    this.bytes(kv.value);
    this.u64(kv.createRevision);
    this.u64(kv.modRevision);
    this.u64(kv.version);
    this.u64(kv.lease);
  }

  done(): number {
    this.flush();
    return this.crc >>> 0;
  }
}

/** Lets other work of the event loop (timers, sockets) run before the next slice. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The keys of the index in order, a bounded slice per call: each call visits at most
 * HASH_BATCH_KEYS keys after the last one visited and returns those that existed at `rev`.
 */
class KeySlices {
  private last: string | undefined;
  done = false;

  constructor(
    private readonly state: MvccState,
    private readonly rev: number,
  ) {}

  next(): { ki: KeyIndex; at: KeyAt }[] {
    const { state, rev } = this;
    if (state.compactRevision > rev) throw new CompactedError(rev, state.compactRevision);
    const items: { ki: KeyIndex; at: KeyAt }[] = [];
    // The smallest key after the last one visited ('\0' sorts first).
    const start = this.last === undefined ? '' : `${this.last}\0`;
    let visited = 0;
    for (const ki of state.tree.range({ start, end: '' })) {
      if (visited === HASH_BATCH_KEYS) return items;
      visited++;
      this.last = ki.key;
      const at = ki.get(rev);
      if (at !== undefined) items.push({ ki, at });
    }
    this.done = true;
    return items;
  }
}

export async function hashAt(state: MvccState, revision: number | undefined): Promise<HashResult> {
  const rev = checkReadRevision(state, revision, state.currentRevision);
  const slices = new KeySlices(state, rev);
  const feed = new CrcFeed();
  feed.u64(rev);
  // Slices are read HASH_READS_IN_FLIGHT at a time (LevelDB point reads wait on the pool's
  // threads, one slice per thread) and fed in key order.
  const inFlight: Promise<(KeyValue | undefined)[]>[] = [];
  while (!slices.done || inFlight.length > 0) {
    while (inFlight.length < HASH_READS_IN_FLIGHT && !slices.done) {
      const batch = state.materialize(slices.next());
      // Settled in order below; a rejection is seen there (not as an unhandled one meanwhile).
      batch.catch(() => undefined);
      inFlight.push(batch);
    }
    const kvs = await (inFlight.shift() as Promise<(KeyValue | undefined)[]>);
    for (const kv of kvs) {
      if (kv === undefined) throw new CompactedError(rev, state.compactRevision);
      feed.kv(kv);
    }
    await nextTurn();
  }
  return { hash: feed.done(), compactRevision: state.compactRevision, hashRevision: rev };
}
