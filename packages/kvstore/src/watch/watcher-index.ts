// Finds the watchers whose range contains a key without scanning all watchers:
// - exact-key watchers in a Map keyed by the key;
// - prefix watchers in a Map keyed by the prefix, probed once per distinct registered prefix
//   length ≤ the key's length (10,000 distinct prefixes of a few lengths cost a few probes);
// - other ranges in an interval treap (stabbing query, O(log n + matches)).
// `match` returns how many index entries it examined so tests can bound the work per event.

import { IntervalIndex } from './interval-index.js';
import type { KeyRange } from './key-bytes.js';

export interface Indexed {
  readonly id: number;
  readonly range: KeyRange;
}

export class WatcherIndex<W extends Indexed> {
  private readonly byKey = new Map<string, Set<W>>();
  private readonly byPrefix = new Map<string, Set<W>>();
  /** Registered prefix length → number of prefix watchers with that length. */
  private readonly prefixLengthCounts = new Map<number, number>();
  /** Sorted distinct prefix lengths, rebuilt when the set of lengths changes. */
  private prefixLengths: number[] = [];
  private readonly intervals = new IntervalIndex<W>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(w: W): void {
    const r = w.range;
    switch (r.kind) {
      case 'key':
        addTo(this.byKey, r.key, w);
        break;
      case 'prefix': {
        addTo(this.byPrefix, r.prefix, w);
        const n = this.prefixLengthCounts.get(r.prefix.length) ?? 0;
        this.prefixLengthCounts.set(r.prefix.length, n + 1);
        if (n === 0) this.rebuildLengths();
        break;
      }
      case 'interval':
        this.intervals.insert({ start: r.start, end: r.end, id: w.id, value: w });
        break;
    }
    this.count++;
  }

  remove(w: W): void {
    const r = w.range;
    let removed: boolean;
    switch (r.kind) {
      case 'key':
        removed = removeFrom(this.byKey, r.key, w);
        break;
      case 'prefix': {
        removed = removeFrom(this.byPrefix, r.prefix, w);
        if (removed) {
          const n = (this.prefixLengthCounts.get(r.prefix.length) ?? 0) - 1;
          if (n === 0) {
            this.prefixLengthCounts.delete(r.prefix.length);
            this.rebuildLengths();
          } else {
            this.prefixLengthCounts.set(r.prefix.length, n);
          }
        }
        break;
      }
      case 'interval':
        removed = this.intervals.remove(r.start, w.id);
        break;
    }
    if (!removed) throw new Error(`assertion: watcher ${w.id} was not in the index`);
    this.count--;
  }

  /** Calls `visit` for each watcher whose range contains `key`; returns entries examined. */
  match(key: string, visit: (w: W) => void): number {
    let examined = 0;
    const exact = this.byKey.get(key);
    if (exact !== undefined) {
      examined += exact.size;
      for (const w of exact) visit(w);
    }
    for (const len of this.prefixLengths) {
      if (len > key.length) break;
      examined++;
      const set = this.byPrefix.get(len === key.length ? key : key.slice(0, len));
      if (set === undefined) continue;
      examined += set.size;
      for (const w of set) visit(w);
    }
    if (this.intervals.size > 0) examined += this.intervals.stab(key, visit);
    return examined;
  }

  private rebuildLengths(): void {
    this.prefixLengths = [...this.prefixLengthCounts.keys()].sort((a, b) => a - b);
  }
}

function addTo<W>(m: Map<string, Set<W>>, k: string, w: W): void {
  let s = m.get(k);
  if (s === undefined) {
    s = new Set();
    m.set(k, s);
  }
  s.add(w);
}

function removeFrom<W>(m: Map<string, Set<W>>, k: string, w: W): boolean {
  const s = m.get(k);
  if (s === undefined || !s.delete(w)) return false;
  if (s.size === 0) m.delete(k);
  return true;
}
