// The watcher index against brute force: random exact keys, prefixes (including 0xff edge
// cases) and intervals, added and removed in random order; every probe must return exactly the
// watchers whose range contains the key.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyRange, keyString, prefixEnd } from '../src/watch/key-bytes.js';
import type { KeyRange } from '../src/watch/key-bytes.js';
import { WatcherIndex } from '../src/watch/watcher-index.js';

/** The brute-force oracle: true when `k` lies in `range` (the index must agree). */
function rangeContains(range: KeyRange, k: string): boolean {
  switch (range.kind) {
    case 'key':
      return k === range.key;
    case 'prefix':
      return k.startsWith(range.prefix);
    case 'interval':
      return k >= range.start && (range.end === null || k < range.end);
  }
}

const byteArb = fc.constantFrom(0x00, 0x01, 0x61, 0x62, 0xfe, 0xff);
const keyArb = fc.uint8Array({ minLength: 0, maxLength: 3 }).map((a) => a.map((b) => [0x00, 0x01, 0x61, 0x62, 0xfe, 0xff][b % 6] as number));

const requestArb = fc.oneof(
  keyArb.map((key) => ({ key, rangeEnd: undefined as Uint8Array | undefined })),
  keyArb.map((key) => {
    const end = prefixEnd(keyString(key));
    return { key, rangeEnd: end === null ? new Uint8Array([0]) : new Uint8Array(Buffer.from(end, 'latin1')) };
  }),
  fc.tuple(keyArb, keyArb).map(([key, rangeEnd]) => ({ key, rangeEnd: rangeEnd as Uint8Array | undefined })),
  keyArb.map((key) => ({ key, rangeEnd: new Uint8Array([0]) as Uint8Array | undefined })),
);

describe('watcher index', () => {
  it('matches exactly the ranges containing a key, across adds and removes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(requestArb, fc.boolean()), { maxLength: 60 }),
        fc.array(fc.array(byteArb, { maxLength: 4 }), { maxLength: 30 }),
        (ops, probes) => {
          const index = new WatcherIndex<{ id: number; range: KeyRange }>();
          const live = new Map<number, { id: number; range: KeyRange }>();
          let id = 0;
          for (const [req, removeOne] of ops) {
            const w = { id: id++, range: classifyRange(req.key, req.rangeEnd) };
            index.add(w);
            live.set(w.id, w);
            if (removeOne) {
              const victim = [...live.values()][w.id % live.size];
              if (victim !== undefined) {
                index.remove(victim);
                live.delete(victim.id);
              }
            }
          }
          expect(index.size).toBe(live.size);
          for (const probe of probes) {
            const k = keyString(new Uint8Array(probe));
            const got: number[] = [];
            index.match(k, (w) => got.push(w.id));
            const want = [...live.values()].filter((w) => rangeContains(w.range, k)).map((w) => w.id);
            expect(got.sort((a, b) => a - b)).toEqual(want.sort((a, b) => a - b));
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('classifies etcd ranges: key, prefix (0xff carry), from-key and interval', () => {
    const b = (...xs: number[]): Uint8Array => new Uint8Array(xs);
    expect(classifyRange(b(0x61), undefined)).toEqual({ kind: 'key', key: 'a' });
    expect(classifyRange(b(0x61, 0xff), b(0x62))).toEqual({ kind: 'prefix', prefix: 'a\xff' });
    expect(classifyRange(b(0xff), b(0))).toEqual({ kind: 'interval', start: '\xff', end: null });
    expect(classifyRange(b(0x61), b(0x63))).toEqual({ kind: 'interval', start: 'a', end: 'c' });
  });
});
