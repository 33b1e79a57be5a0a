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
// every generation except the last ends with a tombstone. The current value itself is not
// here: it lives in the bounded ValueCache (value-cache.ts) or in its change record; the index
// keeps its length, so budgets size a reply without reading it.
//
// Memory: this is the per-key cost of the whole store, so records stay lean.

import { assert } from './assert.js';
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

/** Below this length a life's revisions are copied exactly sized instead of pushed into. */
const EXACT_REVS_MAX = 8;

/** `revs` plus `rev`, exactly sized while short (a pushed-into array gets 17 slots). */
function appended(revs: Revision[], rev: Revision): Revision[] {
  const n = revs.length;
  if (n >= EXACT_REVS_MAX) {
    revs.push(rev);
    return revs;
  }
  const out = new Array<Revision>(n + 1);
  for (let i = 0; i < n; i++) out[i] = revs[i] as Revision;
  out[n] = rev;
  return out;
}

/** The state at `atRev` inside one life whose first revision is at or below it. */
function stateIn(revs: readonly Revision[], created: number, ver: number, atRev: number): KeyAt | undefined {
  for (let n = revs.length - 1; n >= 0; n--) {
    const r = revs[n];
    assert(r !== undefined, 'hole in generation');
    if (r.main <= atRev) return { modified: r, createRevision: created, version: ver - (revs.length - 1 - n) };
  }
  return undefined;
}

/**
 * Lean layout: the current life is stored inline (`revs`, `created`, `ver`) and a life with a
 * single revision holds it without an array, so the common key (alive, written once since the
 * last compaction) costs this object and one Revision. Finished lives go to `past` (usually
 * absent). `generations` presents the etcd shape for compaction and tests.
 */
export class KeyIndex {
  readonly key: string;
  /** Finished lives, oldest first, each ending with its tombstone; undefined when none. */
  private past: Generation[] | undefined = undefined;
  /** The current life's revisions: none (deleted), the only one, or several (oldest first). */
  private revs: Revision | Revision[] | undefined = undefined;
  /** Main revision of the put that created the current life (0 when deleted). */
  private created = 0;
  /** Changes in the current life (0 when deleted). */
  private ver = 0;
  /** Bytes of the current value while alive, else 0. */
  private valueLength = 0;
  lease = 0;

  constructor(key: string) {
    this.key = key;
  }

  get alive(): boolean {
    return this.revs !== undefined;
  }

  /** Bytes of the current value (0 when deleted), without reading it: for budgets. */
  get valueByteLength(): number {
    return this.valueLength;
  }

  /** The current life's revisions as an array (allocates for a single one: not for hot paths). */
  private currentRevs(): Revision[] {
    const r = this.revs;
    return r === undefined ? [] : Array.isArray(r) ? r : [r];
  }

  /** Every life, oldest first; the last is the current one (empty revs when deleted). */
  get generations(): Generation[] {
    const current: Generation = { ver: this.ver, created: this.created, revs: this.currentRevs() };
    return this.past === undefined ? [current] : [...this.past, current];
  }

  /** The latest change (put or tombstone) still in the index. */
  get lastRevision(): Revision | undefined {
    const r = this.revs;
    if (r !== undefined) return Array.isArray(r) ? r[r.length - 1] : r;
    const g = this.past?.[this.past.length - 1];
    return g?.revs[g.revs.length - 1];
  }

  /** The current state when alive. */
  latest(): KeyAt | undefined {
    const r = this.revs;
    if (r === undefined) return undefined;
    const last = Array.isArray(r) ? r[r.length - 1] : r;
    assert(last !== undefined, 'empty revision list in a live key');
    return { modified: last, createRevision: this.created, version: this.ver };
  }

  private append(rev: Revision): void {
    const r = this.revs;
    this.revs = r === undefined ? rev : Array.isArray(r) ? appended(r, rev) : [r, rev];
  }

  /** A put of a value of `valueLength` bytes (the value goes to the ValueCache). */
  put(rev: Revision, valueLength: number, lease: number): void {
    const last = this.lastRevision;
    assert(last === undefined || last.main < rev.main, `put of ${this.key} at ${rev.main} not after ${last?.main}`);
    if (this.revs === undefined) this.created = rev.main;
    this.append(rev);
    this.ver++;
    this.valueLength = valueLength;
    this.lease = lease;
  }

  /**
   * Re-creates a put read back from the backend on open/restore. The record carries its own
   * createRevision and version, so a history partly removed by an interrupted compaction
   * still rebuilds the right generation.
   */
  restorePut(rev: Revision, createRevision: number, version: number, valueLength: number, lease: number): void {
    if (this.revs === undefined) this.created = createRevision;
    this.append(rev);
    this.ver = version;
    this.valueLength = valueLength;
    this.lease = lease;
  }

  tombstone(rev: Revision): void {
    const last = this.revs === undefined ? undefined : this.lastRevision;
    assert(last !== undefined, `tombstone of deleted key ${this.key}`);
    assert(last.main < rev.main, `tombstone of ${this.key} at ${rev.main} not after ${last.main}`);
    this.append(rev);
    const finished: Generation = { ver: this.ver + 1, created: this.created, revs: this.currentRevs() };
    this.past = this.past === undefined ? [finished] : this.past.concat([finished]);
    this.revs = undefined;
    this.created = 0;
    this.ver = 0;
    this.valueLength = 0;
    this.lease = 0;
  }

  /** The key's state at main revision `atRev`, or undefined if it did not exist then. */
  get(atRev: number): KeyAt | undefined {
    const r = this.revs;
    if (r !== undefined) {
      // The current life first, without allocating for the common single revision.
      if (!Array.isArray(r)) {
        if (r.main <= atRev) return { modified: r, createRevision: this.created, version: this.ver };
      } else if ((r[0] as Revision).main <= atRev) {
        return stateIn(r, this.created, this.ver, atRev);
      }
    }
    const past = this.past;
    if (past === undefined) return undefined;
    for (let i = past.length - 1; i >= 0; i--) {
      const g = past[i];
      assert(g !== undefined, 'hole in generations');
      const tomb = g.revs[g.revs.length - 1];
      const first = g.revs[0];
      if (tomb === undefined || first === undefined) continue;
      if (tomb.main <= atRev) return undefined;
      if (first.main <= atRev) return stateIn(g.revs, g.created, g.ver, atRev);
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
    let gens = this.generations;
    let genIdx = 0;
    while (genIdx < gens.length - 1) {
      const g = gens[genIdx];
      const tomb = g?.revs[g.revs.length - 1];
      if (tomb !== undefined && tomb.main >= atRev) break;
      genIdx++;
    }
    const g = gens[genIdx];
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
    if (g.revs.length === 1 && genIdx !== gens.length - 1) {
      const only = g.revs[0];
      if (only !== undefined && only.main <= atRev) genIdx++;
    }
    if (genIdx > 0) gens = gens.slice(genIdx);
    // The current life is always the last (compaction never drops it): store it back inline.
    const current = gens[gens.length - 1];
    assert(current !== undefined, 'compaction dropped the current generation');
    const revs = current.revs;
    this.revs = revs.length === 0 ? undefined : revs.length === 1 ? revs[0] : revs;
    this.past = gens.length > 1 ? gens.slice(0, -1) : undefined;
  }

  /** True when nothing of this key remains (it can leave the tree). */
  isEmpty(): boolean {
    return this.past === undefined && this.revs === undefined;
  }
}
