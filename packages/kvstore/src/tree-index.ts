// The ordered in-memory index: binary-string key -> KeyIndex, iterable in key order.
// A two-level sorted list: sorted chunks of at most CHUNK_KEYS_MAX key indexes plus each
// chunk's first key, so an insert moves at most one chunk's worth of pointers even with
// millions of keys, and a lookup is two binary searches. No hash map beside it: a Map entry
// cost ~66 bytes per key (issue 4: memory per member), the lookup it saved ~20 string
// comparisons. Rebuilt from the backend on open.

import { assert } from './assert.js';
import type { KeyInterval } from './bytes.js';
import { KeyIndex } from './key-index.js';

/** Largest chunk before it splits in two (a chunk insert shifts at most this many slots). */
const CHUNK_KEYS_MAX = 1024;

export class TreeIndex {
  private chunks: KeyIndex[][] = [];
  /** chunkFirsts[i] === chunks[i][0].key; binary-searched to find a key's chunk. */
  private chunkFirsts: string[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): KeyIndex | undefined {
    const chunk = this.chunks[this.chunkFor(key)];
    if (chunk === undefined) return undefined;
    const ki = chunk[lowerBound(chunk, key)];
    return ki !== undefined && ki.key === key ? ki : undefined;
  }

  /** The key's index, created (empty, and placed in order) when absent. */
  getOrCreate(key: string): KeyIndex {
    if (this.chunks.length === 0) {
      const first = new KeyIndex(key);
      this.chunks.push([first]);
      this.chunkFirsts.push(key);
      this.count++;
      return first;
    }
    const ci = this.chunkFor(key);
    const chunk = this.chunks[ci];
    assert(chunk !== undefined, 'ordered index lost a chunk');
    const pos = lowerBound(chunk, key);
    const found = chunk[pos];
    if (found !== undefined && found.key === key) return found;
    const ki = new KeyIndex(key);
    chunk.splice(pos, 0, ki);
    this.count++;
    if (pos === 0) this.chunkFirsts[ci] = key;
    if (chunk.length > CHUNK_KEYS_MAX) {
      const tail = chunk.splice(chunk.length >>> 1);
      this.chunks.splice(ci + 1, 0, tail);
      this.chunkFirsts.splice(ci + 1, 0, (tail[0] as KeyIndex).key);
    }
    return ki;
  }

  delete(key: string): void {
    const ci = this.chunkFor(key);
    const chunk = this.chunks[ci];
    if (chunk === undefined) return;
    const pos = lowerBound(chunk, key);
    if (chunk[pos]?.key !== key) return;
    chunk.splice(pos, 1);
    this.count--;
    if (chunk.length === 0) {
      this.chunks.splice(ci, 1);
      this.chunkFirsts.splice(ci, 1);
    } else if (pos === 0) {
      this.chunkFirsts[ci] = (chunk[0] as KeyIndex).key;
    }
  }

  clear(): void {
    this.chunks = [];
    this.chunkFirsts = [];
    this.count = 0;
  }

  /** Key indexes in [start, end) in key order (see KeyInterval for the end conventions). */
  *range(iv: KeyInterval): Generator<KeyIndex> {
    if (iv.end === undefined) {
      const ki = this.get(iv.start);
      if (ki !== undefined) yield ki;
      return;
    }
    const end = iv.end;
    let ci = this.chunkFor(iv.start);
    let chunk = this.chunks[ci];
    if (chunk === undefined) return;
    let pos = lowerBound(chunk, iv.start);
    for (;;) {
      while (pos < chunk.length) {
        const ki = chunk[pos] as KeyIndex;
        if (end !== '' && ki.key >= end) return;
        yield ki;
        pos++;
      }
      ci++;
      const next = this.chunks[ci];
      if (next === undefined) return;
      chunk = next;
      pos = 0;
    }
  }

  /** All key indexes in key order. */
  all(): Generator<KeyIndex> {
    return this.range({ start: '', end: '' });
  }

  /** Index of the chunk that holds (or would hold) `key`. */
  private chunkFor(key: string): number {
    // Last chunk whose first key <= key; 0 when key precedes every chunk.
    let lo = 0;
    let hi = this.chunkFirsts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.chunkFirsts[mid] as string) <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : lo - 1;
  }
}

/** First position in `arr` whose key is >= `key`. */
function lowerBound(arr: readonly KeyIndex[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((arr[mid] as KeyIndex).key < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
