// fragmentPush: a push over the byte bound leaves in parts that join back to it, every part
// but the last marked `fragment`, each with at least one event; a push that fits stays whole.
import { describe, expect, it } from 'vitest';
import { KV_OVERHEAD_BYTES } from '@kite/kvstore';
import type { WatchEvent, WatchPush } from '@kite/protocol';
import { fragmentPush } from '../src/watch-fragments.js';

const header = { clusterId: 'c', memberId: 'm', revision: 7, raftTerm: 1 };
const kv = (valueBytes: number) => ({ key: new Uint8Array([1]), value: new Uint8Array(valueBytes), createRevision: 7, modRevision: 7, version: 1, lease: 0 });
const ev = (valueBytes: number, prevBytes?: number): WatchEvent => (prevBytes === undefined ? { type: 'put', kv: kv(valueBytes) } : { type: 'put', kv: kv(valueBytes), prevKv: kv(prevBytes) });
const pushOf = (events: WatchEvent[]): WatchPush => ({ watchId: 3, header, events });
/** Estimated bytes of an event of `valueBytes` (key of 1 byte), as fragmentPush counts them. */
const size = (valueBytes: number): number => 1 + valueBytes + KV_OVERHEAD_BYTES;

describe('fragmentPush', () => {
  it('leaves a push that fits, or holds one event, whole', () => {
    const fits = pushOf([ev(10), ev(10)]);
    expect(fragmentPush(fits, size(10) * 2)).toEqual([fits]);
    const single = pushOf([ev(1000)]);
    expect(fragmentPush(single, 10)).toEqual([single]);
  });

  it('splits at the bound, counts prevKv, and gives an oversized event a part of its own', () => {
    const events = [ev(100), ev(100), ev(100, 100), ev(1000), ev(100)];
    const parts = fragmentPush(pushOf(events), size(100) * 2);
    expect(parts.map((p) => p.events.length)).toEqual([2, 1, 1, 1]);
    expect(parts.map((p) => p.fragment === true)).toEqual([true, true, true, false]);
    expect(parts.flatMap((p) => p.events)).toEqual(events);
    expect(parts.every((p) => p.watchId === 3 && p.header === header)).toBe(true);
  });
});
