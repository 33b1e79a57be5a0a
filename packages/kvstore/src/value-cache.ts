// The current values of live keys kept in memory, bounded by bytes. Values past the bound are
// read from the backend by their revision (every value is in its change record), so memory no
// longer grows with the data: with a million keys of 256 B the cache holds what fits in
// `bytesMax`, the key index the rest.
//
// Eviction is FIFO by last write (a Map's insertion order; a write re-inserts): cheap, no
// per-read bookkeeping, and the keys written last (the ones watchers and overwrites touch)
// stay. A point read that goes to the backend for a current value puts it back
// (read-through). It starts cold after open or a snapshot install.
//
// Pins: apply reads current values synchronously (prevKv of events, ignoreValue, value
// compares). Before a command runs, the values it may read are loaded and pinned (kvstore
// prefetch in value-prefetch.ts); a pinned value cannot be evicted until unpinAll, which the
// store calls after the command. Writes and deletes update a pinned entry too, so later ops
// of the same txn see them.
//
// Values are latin1 strings (one char per byte): a string lives inside the V8 heap, where
// every Uint8Array needs its own ArrayBuffer and malloc'd block (over 300 B per value).

import { assert } from './assert.js';
import type { KeyIndex } from './key-index.js';

/** Default bound of the cached values (bytes of value plus VALUE_CACHE_ENTRY_BYTES each). */
export const VALUE_CACHE_BYTES_MAX = 64 * 1024 * 1024;
/** What one cached value costs beyond its bytes: the string's header and the Map entry. */
export const VALUE_CACHE_ENTRY_BYTES = 64;

export class ValueCache {
  private readonly cached = new Map<KeyIndex, string>();
  private readonly pinned = new Map<KeyIndex, string>();
  private bytesUsed = 0;
  /**
   * Where eviction goes on: a live iterator over `cached` (it sees later inserts, skips
   * deleted entries). Starting a fresh iterator at every eviction would walk the deleted
   * slots a Map keeps until it rehashes: quadratic over a million inserts (found when a
   * restart spent 60 % of its time there).
   */
  private evictCursor: Iterator<[KeyIndex, string]> | undefined;

  constructor(readonly bytesMax: number = VALUE_CACHE_BYTES_MAX) {
    assert(Number.isSafeInteger(bytesMax) && bytesMax >= 0, `bad value cache bound ${bytesMax}`);
  }

  /** Bytes the cached values account for (not counting pins held during one command). */
  get bytes(): number {
    return this.bytesUsed;
  }

  get count(): number {
    return this.cached.size;
  }

  /** Values pinned for the running command. */
  get pinnedCount(): number {
    return this.pinned.size;
  }

  /** The current value of `ki` when in memory (pinned or cached), else undefined. */
  get(ki: KeyIndex): string | undefined {
    return this.pinned.get(ki) ?? this.cached.get(ki);
  }

  has(ki: KeyIndex): boolean {
    return this.pinned.has(ki) || this.cached.has(ki);
  }

  /** `value` is now the current value of `ki` (a write, or one read back from the backend). */
  set(ki: KeyIndex, value: string): void {
    if (this.pinned.has(ki)) this.pinned.set(ki, value);
    this.forget(ki);
    const cost = value.length + VALUE_CACHE_ENTRY_BYTES;
    if (cost > this.bytesMax) return;
    this.cached.set(ki, value);
    this.bytesUsed += cost;
    this.evictOver(this.bytesMax);
  }

  /** The key was deleted (or its index dropped): nothing of it stays. */
  delete(ki: KeyIndex): void {
    this.pinned.delete(ki);
    this.forget(ki);
  }

  /** Holds `value` as the current value of `ki` until unpinAll, whatever the bound. */
  pin(ki: KeyIndex, value: string): void {
    this.pinned.set(ki, value);
  }

  unpinAll(): void {
    this.pinned.clear();
  }

  clear(): void {
    this.cached.clear();
    this.pinned.clear();
    this.bytesUsed = 0;
    this.evictCursor = undefined;
  }

  private forget(ki: KeyIndex): void {
    const old = this.cached.get(ki);
    if (old === undefined) return;
    this.cached.delete(ki);
    this.bytesUsed -= old.length + VALUE_CACHE_ENTRY_BYTES;
  }

  private evictOver(bound: number): void {
    while (this.bytesUsed > bound) {
      this.evictCursor ??= this.cached.entries();
      const next = this.evictCursor.next();
      if (next.done === true) {
        // Past the end: everything still cached was inserted behind the cursor.
        assert(this.cached.size > 0, `value cache accounts ${this.bytesUsed} bytes with no entries`);
        this.evictCursor = undefined;
        continue;
      }
      const [ki, value] = next.value;
      this.cached.delete(ki);
      this.bytesUsed -= value.length + VALUE_CACHE_ENTRY_BYTES;
    }
  }
}
