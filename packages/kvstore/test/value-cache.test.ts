// The bounded value cache: the store keeps at most valueCacheBytesMax of current values in
// memory, whatever the number of keys, and still answers every read, prevKv, ignoreValue and
// value compare from the backend (LevelDB) for the values past the bound.
import { describe, expect, it } from 'vitest';
import { KeyIndex } from '../src/key-index.js';
import { KvStore } from '../src/kv-store.js';
import type { MvccState } from '../src/mvcc.js';
import { VALUE_CACHE_ENTRY_BYTES, ValueCache } from '../src/value-cache.js';
import { Driver, dec, enc, tempDirs } from './helpers.js';

const KEYS = 20_000;
const VALUE_BYTES = 256;
/** Room for 1000 of the 20 000 values. */
const CACHE_BYTES = 1000 * (VALUE_BYTES + VALUE_CACHE_ENTRY_BYTES);

const keyOf = (i: number): string => `k/${String(i).padStart(6, '0')}`;
const valueOf = (i: number, gen = 0): string => `${gen}:${i}:`.padEnd(VALUE_BYTES, String.fromCharCode(97 + (i % 26)));

/** The store's in-memory state (tests only: the cache is not part of the public surface). */
const stateOf = (s: KvStore): MvccState => (s as unknown as { state: MvccState }).state;

describe('ValueCache', () => {
  it('holds at most bytesMax, evicting the oldest writes first, and keeps pinned values until unpinAll', () => {
    const c = new ValueCache(3 * (10 + VALUE_CACHE_ENTRY_BYTES));
    const kis = Array.from({ length: 5 }, (_, i) => new KeyIndex(`k${i}`));
    for (const ki of kis) c.set(ki, 'x'.repeat(10));
    expect(c.count).toBe(3);
    expect(c.bytes).toBe(3 * (10 + VALUE_CACHE_ENTRY_BYTES));
    expect(kis.map((ki) => c.has(ki))).toEqual([false, false, true, true, true]);
    // Pinned: readable whatever is evicted meanwhile; a write to it updates the pin.
    c.pin(kis[0] as KeyIndex, 'pinned');
    for (let i = 0; i < 10; i++) c.set(new KeyIndex(`z${i}`), 'y'.repeat(10));
    expect(c.get(kis[0] as KeyIndex)).toBe('pinned');
    c.set(kis[0] as KeyIndex, 'rewritten');
    expect(c.get(kis[0] as KeyIndex)).toBe('rewritten');
    expect(c.bytes).toBeLessThanOrEqual(c.bytesMax);
    c.unpinAll();
    expect(c.pinnedCount).toBe(0);
    // A value larger than the whole bound is never cached.
    c.set(kis[1] as KeyIndex, 'v'.repeat(c.bytesMax));
    expect(c.has(kis[1] as KeyIndex)).toBe(false);
    expect(c.bytes).toBeLessThanOrEqual(c.bytesMax);
  });
});

describe('a store with more values than its value cache holds', () => {
  const newDir = tempDirs();

  it(`keeps ${CACHE_BYTES} B of values for ${KEYS} keys of ${VALUE_BYTES} B and answers every value from LevelDB past it, across a reopen`, async () => {
    const dir = await newDir();
    let store = await KvStore.open({ dir, valueCacheBytesMax: CACHE_BYTES });
    const d = new Driver(store);
    const batch = 500;
    for (let from = 0; from < KEYS; from += batch) {
      await d.apply(...Array.from({ length: batch }, (_, j) => ({ op: 'put' as const, args: { key: enc(keyOf(from + j)), value: enc(valueOf(from + j)) } })));
    }
    let values = stateOf(store).values;
    expect(values.bytes).toBeLessThanOrEqual(CACHE_BYTES);
    expect(values.count).toBeLessThanOrEqual(1000);
    expect(values.count).toBeGreaterThan(0);

    // Key 0 was evicted long ago: a point read, a range, prevKv, ignoreValue and a value compare all see its value.
    expect(values.has(stateOf(store).tree.get(keyOf(0)) as KeyIndex)).toBe(false);
    expect(dec((await store.range({ key: enc(keyOf(0)) })).kvs[0]?.value ?? new Uint8Array())).toBe(valueOf(0));
    const ranged = await store.range({ key: enc(keyOf(10)), rangeEnd: enc(keyOf(20)) });
    expect(ranged.kvs.map((kv) => dec(kv.value))).toEqual(Array.from({ length: 10 }, (_, j) => valueOf(10 + j)));
    const keysOnly = await store.range({ key: enc(keyOf(30)), rangeEnd: enc(keyOf(40)), keysOnly: true });
    expect(keysOnly.kvs.map((kv) => kv.value.byteLength)).toEqual(Array(10).fill(0));
    expect(await d.put(keyOf(1), valueOf(1, 1), { prevKv: true })).toMatchObject({ prevKv: { value: enc(valueOf(1)), version: 1 } });
    await d.ok({ op: 'put', args: { key: enc(keyOf(2)), value: new Uint8Array(), ignoreValue: true, lease: 0 } });
    expect(dec((await store.range({ key: enc(keyOf(2)) })).kvs[0]?.value ?? new Uint8Array())).toBe(valueOf(2));
    const txn = await d.ok({
      op: 'txn',
      args: { compare: [{ key: enc(keyOf(3)), target: 'value', result: 'equal', value: enc(valueOf(3)) }], success: [{ type: 'put', key: enc(keyOf(3)), value: enc('won') }], failure: [] },
    });
    expect(txn).toMatchObject({ succeeded: true });
    const deleted = await d.del(keyOf(100), keyOf(200), true);
    expect(deleted).toMatchObject({ deleted: 100 });
    expect((deleted as { prevKvs: { value: Uint8Array }[] }).prevKvs.map((kv) => dec(kv.value))).toEqual(Array.from({ length: 100 }, (_, j) => valueOf(100 + j)));
    expect(stateOf(store).values.pinnedCount).toBe(0);
    expect(stateOf(store).values.bytes).toBeLessThanOrEqual(CACHE_BYTES);

    // Reopened: the cache starts cold (the rebuild reads no value into it); a point read fills it.
    await store.close();
    store = await KvStore.open({ dir, valueCacheBytesMax: CACHE_BYTES });
    values = stateOf(store).values;
    expect(values.count).toBe(0);
    expect(dec((await store.range({ key: enc(keyOf(5)) })).kvs[0]?.value ?? new Uint8Array())).toBe(valueOf(5));
    expect(values.has(stateOf(store).tree.get(keyOf(5)) as KeyIndex)).toBe(true);
    // A range of many keys leaves the cache alone (a scan would push the recent writes out).
    await store.range({ key: enc(keyOf(1000)), rangeEnd: enc(keyOf(3000)) });
    expect(values.count).toBe(1);
    expect(dec((await store.range({ key: enc(keyOf(3)) })).kvs[0]?.value ?? new Uint8Array())).toBe('won');
    expect((await store.range({ key: enc(keyOf(0)), rangeEnd: enc('k0') , countOnly: true })).count).toBe(KEYS - 100);
    await store.close();
  });
});
