// put / range / deleteRange on the memory backend: revisions, history reads, range options,
// sorting and filters, put flags, delete results, and no aliasing of the caller's buffers.
import { describe, expect, it } from 'vitest';
import { dec, enc, memoryStore } from './helpers.js';
import type { KeyValue } from '../src/types.js';

const ALL = new Uint8Array([0]);
const summary = (kvs: readonly KeyValue[]) => kvs.map((kv) => `${dec(kv.key)}=${dec(kv.value)}@${kv.createRevision}/${kv.modRevision}/v${kv.version}`);

describe('put / range / deleteRange', () => {
  it('starts at revision 1 and bumps once per changing write', async () => {
    const { store, d } = await memoryStore();
    expect(store.currentRevision).toBe(1);
    await d.put('a', '1');
    expect(store.currentRevision).toBe(2);
    expect(await d.del('zzz')).toEqual({ deleted: 0 });
    expect(store.currentRevision).toBe(2); // a delete of nothing does not bump
    await d.put('a', '2');
    await d.del('a');
    await d.put('a', '3');
    expect(store.currentRevision).toBe(5);
    const r = await store.range({ key: enc('a') });
    expect(summary(r.kvs)).toEqual(['a=3@5/5/v1']); // delete resets version and createRevision
    expect(r.revision).toBe(5);
  });

  it('reads history at a revision', async () => {
    const { store, d } = await memoryStore();
    await d.put('a', '1'); // 2
    await d.put('b', '1'); // 3
    await d.put('a', '2'); // 4
    await d.del('b'); // 5
    const at = async (rev: number) => summary((await store.range({ key: enc('a'), rangeEnd: ALL, revision: rev })).kvs);
    expect(await at(1)).toEqual([]);
    expect(await at(2)).toEqual(['a=1@2/2/v1']);
    expect(await at(3)).toEqual(['a=1@2/2/v1', 'b=1@3/3/v1']);
    expect(await at(4)).toEqual(['a=2@2/4/v2', 'b=1@3/3/v1']);
    expect(await at(5)).toEqual(['a=2@2/4/v2']);
    await expect(store.range({ key: enc('a'), revision: 6 })).rejects.toMatchObject({ code: 'FutureRevision', details: { currentRevision: 5 } });
  });

  it('supports prefix, from-key, limit/more, count, countOnly, keysOnly', async () => {
    const { store, d } = await memoryStore();
    for (const k of ['a', 'b1', 'b2', 'b3', 'c']) await d.put(k, k.toUpperCase());
    const prefix = await store.range({ key: enc('b'), rangeEnd: enc('c') });
    expect(prefix.kvs.map((kv) => dec(kv.key))).toEqual(['b1', 'b2', 'b3']);
    const from = await store.range({ key: enc('b2'), rangeEnd: ALL });
    expect(from.kvs.map((kv) => dec(kv.key))).toEqual(['b2', 'b3', 'c']);
    const lim = await store.range({ key: enc('a'), rangeEnd: ALL, limit: 2 });
    expect(lim.kvs.map((kv) => dec(kv.key))).toEqual(['a', 'b1']);
    expect(lim.more).toBe(true);
    expect(lim.count).toBe(5);
    const exact = await store.range({ key: enc('a'), rangeEnd: ALL, limit: 5 });
    expect(exact.more).toBe(false);
    const co = await store.range({ key: enc('a'), rangeEnd: ALL, countOnly: true });
    expect(co).toMatchObject({ kvs: [], count: 5, more: false });
    const ko = await store.range({ key: enc('a'), rangeEnd: ALL, keysOnly: true });
    expect(ko.kvs.every((kv) => kv.value.byteLength === 0 && kv.version === 1)).toBe(true);
    const empty = await store.range({ key: enc('b2'), rangeEnd: enc('b2') });
    expect(empty.count).toBe(0);
  });

  it('sorts by every target and filters by revisions', async () => {
    const { store, d } = await memoryStore();
    await d.put('x', '3'); // 2
    await d.put('y', '1'); // 3
    await d.put('z', '2'); // 4
    await d.put('y', '9'); // 5 (y: version 2)
    const keys = async (o: object) =>
      (await store.range({ key: enc('x'), rangeEnd: ALL, ...o })).kvs.map((kv) => dec(kv.key));
    expect(await keys({ sortOrder: 'descend' })).toEqual(['z', 'y', 'x']);
    expect(await keys({ sortTarget: 'value' })).toEqual(['z', 'x', 'y']); // target without order: ascend
    expect(await keys({ sortTarget: 'value', sortOrder: 'descend' })).toEqual(['y', 'x', 'z']);
    expect(await keys({ sortTarget: 'modRevision', sortOrder: 'descend' })).toEqual(['y', 'z', 'x']);
    expect(await keys({ sortTarget: 'createRevision', sortOrder: 'descend' })).toEqual(['z', 'y', 'x']);
    expect(await keys({ sortTarget: 'version', sortOrder: 'descend' })).toEqual(['y', 'x', 'z']);
    expect(await keys({ sortTarget: 'modRevision', sortOrder: 'descend', limit: 1 })).toEqual(['y']);
    expect(await keys({ minModRevision: 4 })).toEqual(['y', 'z']);
    expect(await keys({ maxModRevision: 4 })).toEqual(['x', 'z']);
    expect(await keys({ minCreateRevision: 3 })).toEqual(['y', 'z']);
    expect(await keys({ maxCreateRevision: 3 })).toEqual(['x', 'y']);
    const filtered = await store.range({ key: enc('x'), rangeEnd: ALL, minModRevision: 3, limit: 1 });
    expect(filtered).toMatchObject({ count: 3, more: true });
  });

  it('put: prevKv, ignoreValue, ignoreLease', async () => {
    const { store, d } = await memoryStore();
    expect(await d.put('k', 'v1', { prevKv: true })).toEqual({});
    const r = await d.put('k', 'v2', { prevKv: true });
    expect(summary([(r as { prevKv: KeyValue }).prevKv])).toEqual(['k=v1@2/2/v1']);
    await d.put('k', '', { ignoreValue: true });
    expect(summary((await store.range({ key: enc('k') })).kvs)).toEqual(['k=v2@2/4/v3']);
    await expect(d.put('nope', '', { ignoreValue: true })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(d.put('nope', '', { ignoreLease: true })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(d.put('k', 'x', { ignoreValue: true })).rejects.toMatchObject({ code: 'InvalidArgument' });
    expect(store.currentRevision).toBe(4);
  });

  it('deleteRange returns the deleted count and prevKvs, one revision for all', async () => {
    const { store, d } = await memoryStore();
    for (const k of ['p/1', 'p/2', 'q']) await d.put(k, 'v');
    const res = await d.del('p/', 'p0', true);
    expect(res).toMatchObject({ deleted: 2 });
    expect((res as { prevKvs: KeyValue[] }).prevKvs.map((kv) => dec(kv.key))).toEqual(['p/1', 'p/2']);
    expect(store.currentRevision).toBe(5);
    const page = await store.eventsBetween(enc('p/'), enc('p0'), 5, 5, 10);
    expect(page.changes).toHaveLength(1);
    expect(page.changes[0]!.events.map((e) => [e.type, dec(e.kv.key), e.kv.modRevision, e.kv.version])).toEqual([
      ['delete', 'p/1', 5, 0],
      ['delete', 'p/2', 5, 0],
    ]);
  });

  it('returned values do not alias the caller\'s buffers', async () => {
    const { store, d } = await memoryStore();
    const value = enc('abc');
    await d.ok({ op: 'put', args: { key: enc('k'), value } });
    value[0] = 0x7a;
    expect(dec((await store.range({ key: enc('k') })).kvs[0]!.value)).toBe('abc');
  });
});
