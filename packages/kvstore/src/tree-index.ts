// The ordered in-memory index: binary-string key -> KeyIndex, iterable in key order.
// A Map answers point lookups; key order comes from a two-level sorted list (sorted chunks of
// at most CHUNK_KEYS_MAX keys plus each chunk's first key), so an insert moves at most one
// chunk's worth of pointers even with millions of keys. Rebuilt from the backend on open.

import { assert } from './assert.js';
import type { KeyInterval } from './bytes.js';
import { KeyIndex } from './key-index.js';

/** Largest chunk before it splits in two (a chunk insert shifts at most this many slots). */
const CHUNK_KEYS_MAX = 1024;

export class TreeIndex {
  private readonly byKey = new Map<string, KeyIndex>();
  private chunks: string[][] = [];
  /** chunkFirsts[i] === chunks[i][0]; binary-searched to find a key's chunk. */
  private chunkFirsts: string[] = [];

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): KeyIndex | undefined {
    return this.byKey.get(key);
  }

  /** The key's index, created (empty, and placed in order) when absent. */
  getOrCreate(key: string): KeyIndex {
    const found = this.byKey.get(key);
    if (found !== undefined) return found;
    const ki = new KeyIndex(key);
    this.byKey.set(key, ki);
    this.insertOrdered(key);
    return ki;
  }

  delete(key: string): void {
    if (!this.byKey.delete(key)) return;
    const ci = this.chunkFor(key);
    const chunk = this.chunks[ci];
    assert(chunk !== undefined, 'ordered index lost a chunk');
    const pos = lowerBound(chunk, key);
    assert(chunk[pos] === key, `ordered index lost key ${key}`);
    chunk.splice(pos, 1);
    if (chunk.length === 0) {
      this.chunks.splice(ci, 1);
      this.chunkFirsts.splice(ci, 1);
    } else if (pos === 0) {
      this.chunkFirsts[ci] = chunk[0] as string;
    }
  }

  clear(): void {
    this.byKey.clear();
    this.chunks = [];
    this.chunkFirsts = [];
  }

  /** Key indexes in [start, end) in key order (see KeyInterval for the end conventions). */
  *range(iv: KeyInterval): Generator<KeyIndex> {
    if (iv.end === undefined) {
      const ki = this.byKey.get(iv.start);
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
        const key = chunk[pos] as string;
        if (end !== '' && key >= end) return;
        const ki = this.byKey.get(key);
        assert(ki !== undefined, `ordered index key ${key} missing from map`);
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

  private insertOrdered(key: string): void {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.chunkFirsts.push(key);
      return;
    }
    const ci = this.chunkFor(key);
    const chunk = this.chunks[ci];
    assert(chunk !== undefined, 'ordered index lost a chunk');
    const pos = lowerBound(chunk, key);
    chunk.splice(pos, 0, key);
    if (pos === 0) this.chunkFirsts[ci] = key;
    if (chunk.length > CHUNK_KEYS_MAX) {
      const tail = chunk.splice(chunk.length >>> 1);
      this.chunks.splice(ci + 1, 0, tail);
      this.chunkFirsts.splice(ci + 1, 0, tail[0] as string);
    }
  }
}

function lowerBound(arr: readonly string[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((arr[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
