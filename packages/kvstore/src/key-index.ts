// The history of one key in the in-memory index: its revisions grouped into generations.
// A generation is one life of the key, from the put that created it to the delete that ended
// it (the tombstone is the generation's last revision). The last generation is the current
// one; it is empty when the key is deleted.
//
// Example: put@2, put@4, delete@6, put@8 gives
//   generations = [ {created 2, ver 3, revs [2, 4, 6(tombstone)]}, {created 8, ver 1, revs [8]} ]
// and get(5) = rev 4 (version 2), get(6) = none, get(9) = rev 8 (version 1, createRevision 8).
// compact(5) keeps rev 4 (the latest at or below 5) and drops rev 2; compact(6) drops the
// whole first generation, tombstone included.
//
// Invariants: revisions strictly increase (a key changes at most once per main revision);
// every generation except the last ends with a tombstone; `value`/`lease` cache the current
// value when the key is alive (reads at the current revision never touch the backend).
//
// Memory: this is the per-key cost of the whole store, so records stay lean. The cached value
// is a latin1 string (one char per byte) rather than a Uint8Array: a string lives inside the
// V8 heap (header + bytes, moved and compacted by the GC), where every Uint8Array needs its own
// ArrayBuffer, backing store and malloc'd block (over 300 bytes of overhead per key, and
// fragmentation that RSS never gives back). Reads get a fresh copy of the bytes.

import { assert } from './assert.js';
import { keyBytes, keyString } from './bytes.js';
import type { Revision } from './revision.js';

export interface Generation {
  /** Number of changes in this life (puts + the tombstone), for version arithmetic. */
  ver: number;
  /** Main revision of the put that created this life. */
  created: number;
  revs: Revision[];
}

/** What a key looked like at some revision. */
export interface KeyAt {
  readonly modified: Revision;
  readonly createRevision: number;
  readonly version: number;
}

/**
 * Shared by every empty generation; never mutated (appendRev replaces small arrays instead
 * of pushing into them). Exact-size arrays matter: V8 grows an array to 17 slots on the first
 * push, which for a million keys would cost over 100 bytes each.
 */
const NO_REVS: Revision[] = [];

/** Below this length a generation's revs are copied exactly sized instead of pushed into. */
const EXACT_REVS_MAX = 8;

function appendRev(g: Generation, rev: Revision): void {
  const n = g.revs.length;
  if (n >= EXACT_REVS_MAX) {
    g.revs.push(rev);
    return;
  }
  // Not `[...g.revs, rev]`: a spread result gets 17 slots of capacity. `new Array(n)` is exact.
  const out = new Array<Revision>(n + 1);
  for (let i = 0; i < n; i++) out[i] = g.revs[i] as Revision;
  out[n] = rev;
  g.revs = out;
}

function emptyGeneration(): Generation {
  return { ver: 0, created: 0, revs: NO_REVS };
}

export class KeyIndex {
  readonly key: string;
  generations: Generation[] = [emptyGeneration()];
  /** The current value while alive, as a latin1 string (see the header), else undefined. */
  private value: string | undefined = undefined;
  lease = 0;

  constructor(key: string) {
    this.key = key;
  }

  private get current(): Generation {
    const g = this.generations[this.generations.length - 1];
    assert(g !== undefined, 'key index without generations');
    return g;
  }

  get alive(): boolean {
    return this.current.revs.length > 0;
  }

  /** A fresh copy of the current value while alive, else undefined. */
  valueBytes(): Uint8Array | undefined {
    return this.value === undefined ? undefined : keyBytes(this.value);
  }

  /** The latest change (put or tombstone) ever recorded; compaction does not reset it. */
  lastRevision: Revision | undefined = undefined;

  /** The current state when alive. */
  latest(): KeyAt | undefined {
    const g = this.current;
    const last = g.revs[g.revs.length - 1];
    if (last === undefined) return undefined;
    return { modified: last, createRevision: g.created, version: g.ver };
  }

  put(rev: Revision, value: Uint8Array, lease: number): void {
    const g = this.current;
    const last = this.lastRevision;
    assert(last === undefined || last.main < rev.main, `put of ${this.key} at ${rev.main} not after ${last?.main}`);
    if (g.revs.length === 0) g.created = rev.main;
    appendRev(g, rev);
    g.ver++;
    this.lastRevision = rev;
    this.value = keyString(value);
    this.lease = lease;
  }

  /**
   * Re-creates a put read back from the backend on open/restore. The record carries its own
   * createRevision and version, so a history partly removed by an interrupted compaction
   * still rebuilds the right generation.
   */
  restorePut(rev: Revision, createRevision: number, version: number, value: Uint8Array, lease: number): void {
    const g = this.current;
    if (g.revs.length === 0) g.created = createRevision;
    appendRev(g, rev);
    g.ver = version;
    this.lastRevision = rev;
    this.value = keyString(value);
    this.lease = lease;
  }

  tombstone(rev: Revision): void {
    const g = this.current;
    const last = g.revs[g.revs.length - 1];
    assert(last !== undefined, `tombstone of deleted key ${this.key}`);
    assert(last.main < rev.main, `tombstone of ${this.key} at ${rev.main} not after ${last.main}`);
    appendRev(g, rev);
    g.ver++;
    this.lastRevision = rev;
    this.generations = this.generations.concat([emptyGeneration()]);
    this.value = undefined;
    this.lease = 0;
  }

  /** The key's state at main revision `atRev`, or undefined if it did not exist then. */
  get(atRev: number): KeyAt | undefined {
    const g = this.findGeneration(atRev);
    if (g === undefined) return undefined;
    for (let n = g.revs.length - 1; n >= 0; n--) {
      const r = g.revs[n];
      assert(r !== undefined, 'hole in generation');
      if (r.main <= atRev) return { modified: r, createRevision: g.created, version: g.ver - (g.revs.length - 1 - n) };
    }
    return undefined;
  }

  private findGeneration(atRev: number): Generation | undefined {
    const lastIdx = this.generations.length - 1;
    for (let i = lastIdx; i >= 0; i--) {
      const g = this.generations[i];
      assert(g !== undefined, 'hole in generations');
      if (g.revs.length === 0) continue;
      const tomb = g.revs[g.revs.length - 1];
      if (i !== lastIdx && tomb !== undefined && tomb.main <= atRev) return undefined;
      const first = g.revs[0];
      if (first !== undefined && first.main <= atRev) return g;
    }
    return undefined;
  }

  /** Whether the index still references the change at `rev` (compaction keeps such records). */
  hasRevision(rev: Revision): boolean {
    for (const g of this.generations) {
      for (const r of g.revs) if (r.main === rev.main && r.sub === rev.sub) return true;
    }
    return false;
  }

  /** Revisions of changes with main revision >= `fromMain`, oldest first. */
  since(fromMain: number): Revision[] {
    const out: Revision[] = [];
    for (const g of this.generations) for (const r of g.revs) if (r.main >= fromMain) out.push(r);
    return out;
  }

  /**
   * Drops history below `atRev`: keeps the latest change at or below it unless that change
   * is a tombstone (then the whole generation goes). Generations entirely below go too.
   */
  compact(atRev: number): void {
    let genIdx = 0;
    while (genIdx < this.generations.length - 1) {
      const g = this.generations[genIdx];
      const tomb = g?.revs[g.revs.length - 1];
      if (tomb !== undefined && tomb.main >= atRev) break;
      genIdx++;
    }
    const g = this.generations[genIdx];
    assert(g !== undefined, 'compact found no generation');
    let keepFrom = -1;
    for (let n = g.revs.length - 1; n >= 0; n--) {
      const r = g.revs[n];
      if (r !== undefined && r.main <= atRev) {
        keepFrom = n;
        break;
      }
    }
    if (keepFrom > 0) g.revs = g.revs.slice(keepFrom);
    // A generation reduced to its tombstone is over: drop it entirely.
    if (g.revs.length === 1 && genIdx !== this.generations.length - 1) {
      const only = g.revs[0];
      if (only !== undefined && only.main <= atRev) genIdx++;
    }
    if (genIdx > 0) this.generations = this.generations.slice(genIdx);
  }

  /** True when nothing of this key remains (it can leave the tree). */
  isEmpty(): boolean {
    return this.generations.length === 1 && this.current.revs.length === 0;
  }
}
