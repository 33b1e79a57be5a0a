// Txn: every compare target and result (missing keys, ranges), branch execution as one
// revision, nested txns, DuplicateKey, the TooManyOps limit, and preconditions before writes.
import { describe, expect, it } from 'vitest';
import { dec, enc, memoryStore } from './helpers.js';
import type { Compare, TxnArgs, TxnRequestOp, TxnResult } from '../src/types.js';

const put = (k: string, v: string): TxnRequestOp => ({ type: 'put', key: enc(k), value: enc(v) });
const get = (k: string, extra: object = {}): TxnRequestOp => ({ type: 'range', key: enc(k), ...extra });
const del = (k: string, end?: string): TxnRequestOp =>
  end === undefined ? { type: 'deleteRange', key: enc(k) } : { type: 'deleteRange', key: enc(k), rangeEnd: enc(end) };
const num = (key: string, target: 'version' | 'createRevision' | 'modRevision' | 'lease', result: Compare['result'], value: number, rangeEnd?: string): Compare =>
  rangeEnd === undefined ? { key: enc(key), target, result, value } : { key: enc(key), rangeEnd: enc(rangeEnd), target, result, value };
const val = (key: string, result: Compare['result'], value: string): Compare => ({ key: enc(key), target: 'value', result, value: enc(value) });

async function setup() {
  const env = await memoryStore();
  await env.d.put('a', '10'); // rev 2
  await env.d.put('b', '20'); // rev 3
  await env.d.put('a', '11'); // rev 4: a version 2, create 2, mod 4
  const txn = async (args: TxnArgs) => (await env.d.ok({ op: 'txn', args })) as TxnResult;
  const cond = async (...compare: Compare[]) => (await txn({ compare, success: [], failure: [] })).succeeded;
  return { ...env, txn, cond };
}

describe('txn compares', () => {
  it('every target and result on an existing key', async () => {
    const { cond } = await setup();
    expect(await cond(num('a', 'version', 'equal', 2))).toBe(true);
    expect(await cond(num('a', 'version', 'notEqual', 2))).toBe(false);
    expect(await cond(num('a', 'version', 'greater', 1))).toBe(true);
    expect(await cond(num('a', 'version', 'less', 2))).toBe(false);
    expect(await cond(num('a', 'createRevision', 'equal', 2))).toBe(true);
    expect(await cond(num('a', 'modRevision', 'equal', 4))).toBe(true);
    expect(await cond(num('a', 'modRevision', 'less', 5))).toBe(true);
    expect(await cond(num('a', 'lease', 'equal', 0))).toBe(true);
    expect(await cond(val('a', 'equal', '11'))).toBe(true);
    expect(await cond(val('a', 'greater', '10'))).toBe(true);
    expect(await cond(val('a', 'less', '2'))).toBe(true); // bytewise
    expect(await cond(val('a', 'notEqual', '11'))).toBe(false);
    expect(await cond(num('a', 'version', 'equal', 2), val('b', 'equal', 'nope'))).toBe(false); // all must hold
  });

  it('a missing key compares as zero and fails value compares', async () => {
    const { cond } = await setup();
    expect(await cond(num('zz', 'version', 'equal', 0))).toBe(true);
    expect(await cond(num('zz', 'createRevision', 'equal', 0))).toBe(true);
    expect(await cond(num('zz', 'modRevision', 'less', 1))).toBe(true);
    expect(await cond(val('zz', 'equal', ''))).toBe(false);
    expect(await cond(val('zz', 'notEqual', 'x'))).toBe(false);
  });

  it('a compare over a range holds only if it holds for every key', async () => {
    const { cond } = await setup();
    expect(await cond(num('a', 'version', 'greater', 0, 'c'))).toBe(true);
    expect(await cond(num('a', 'version', 'equal', 2, 'c'))).toBe(false); // b has version 1
    expect(await cond(num('a', 'createRevision', 'less', 4, 'c'))).toBe(true);
  });
});

describe('txn execution', () => {
  it('runs the chosen branch as one revision with sub-revisions; reads see earlier writes', async () => {
    const { store, txn } = await setup();
    const r = await txn({
      compare: [val('a', 'equal', '11')],
      success: [put('c', '1'), get('c'), del('b'), get('a', { rangeEnd: enc('z') })],
      failure: [put('never', 'x')],
    });
    expect(r.succeeded).toBe(true);
    expect(store.currentRevision).toBe(5);
    const [p, rc, d, ra] = r.responses;
    expect(p).toEqual({ type: 'put' });
    expect(rc).toMatchObject({ type: 'range', count: 1 });
    expect(d).toEqual({ type: 'deleteRange', deleted: 1 });
    expect(ra && ra.type === 'range' ? ra.kvs.map((kv) => dec(kv.key)) : []).toEqual(['a', 'c']);
    const page = await store.eventsBetween(enc('a'), new Uint8Array([0]), 5, 5, 10);
    expect(page.changes[0]!.events.map((e) => `${e.type}:${dec(e.kv.key)}`)).toEqual(['put:c', 'delete:b']);
    expect((await store.range({ key: enc('never') })).count).toBe(0);
  });

  it('failure branch, and a read-only txn does not bump the revision', async () => {
    const { store, txn } = await setup();
    const r = await txn({ compare: [num('a', 'version', 'equal', 99)], success: [put('x', '1')], failure: [get('a')] });
    expect(r.succeeded).toBe(false);
    expect(r.responses[0]).toMatchObject({ type: 'range', count: 1 });
    expect(store.currentRevision).toBe(4);
  });

  it('nested txns evaluate their compares against the state before the txn', async () => {
    const { store, txn } = await setup();
    const r = await txn({
      compare: [],
      success: [
        put('n', '1'),
        { type: 'txn', compare: [num('n', 'version', 'equal', 0)], success: [put('inner', 'yes')], failure: [put('inner', 'no')] },
      ],
      failure: [],
    });
    expect(r.responses[1]).toMatchObject({ type: 'txn', succeeded: true });
    expect(dec((await store.range({ key: enc('inner') })).kvs[0]!.value)).toBe('yes');
  });

  it('refuses duplicate writes in a branch (DuplicateKey) without changing anything', async () => {
    const { store, d } = await setup();
    const bad: TxnArgs[] = [
      { compare: [], success: [put('a', '1'), put('a', '2')], failure: [] },
      { compare: [], success: [del('a', 'c'), put('b', '1')], failure: [] },
      { compare: [], success: [put('b', '1'), { type: 'txn', compare: [], success: [put('b', '2')], failure: [] }], failure: [] },
      { compare: [], success: [], failure: [put('x', '1'), put('x', '1')] },
    ];
    for (const args of bad) await expect(d.ok({ op: 'txn', args })).rejects.toMatchObject({ code: 'DuplicateKey' });
    // Allowed: the same key in both branches of a nested txn, and two overlapping deletes.
    const ok: TxnArgs = {
      compare: [],
      success: [
        { type: 'txn', compare: [], success: [put('q', '1')], failure: [put('q', '2')] },
        del('m', 'p'),
        del('n', 'o'),
      ],
      failure: [],
    };
    await expect(d.ok({ op: 'txn', args: ok })).resolves.toMatchObject({ succeeded: true });
    expect(store.currentRevision).toBe(5);
  });

  it('bounds the number of ops (TooManyOps)', async () => {
    const { d } = await setup();
    const many = Array.from({ length: 129 }, (_, i) => put(`k${i}`, 'v'));
    await expect(d.ok({ op: 'txn', args: { compare: [], success: many, failure: [] } })).rejects.toMatchObject({ code: 'TooManyOps', details: { limit: 128 } });
    const compares = Array.from({ length: 129 }, () => num('a', 'version', 'greater', 0));
    await expect(d.ok({ op: 'txn', args: { compare: compares, success: [], failure: [] } })).rejects.toMatchObject({ code: 'TooManyOps' });
    await expect(d.ok({ op: 'txn', args: { compare: [], success: many.slice(0, 128), failure: [] } })).resolves.toMatchObject({ succeeded: true });
  });

  it('checks preconditions of the taken path before any write', async () => {
    const { store, d } = await setup();
    const withLease: TxnRequestOp = { type: 'put', key: enc('l'), value: enc('v'), lease: 12345 };
    await expect(d.ok({ op: 'txn', args: { compare: [], success: [put('first', '1'), withLease], failure: [] } })).rejects.toMatchObject({ code: 'LeaseNotFound', details: { lease: 12345 } });
    await expect(d.ok({ op: 'txn', args: { compare: [], success: [put('first', '1'), get('a', { revision: 99 })], failure: [] } })).rejects.toMatchObject({ code: 'FutureRevision' });
    // Not on the taken path: fine.
    await expect(d.ok({ op: 'txn', args: { compare: [], success: [put('first', '1')], failure: [withLease] } })).resolves.toMatchObject({ succeeded: true });
    expect(store.currentRevision).toBe(5);
    expect((await store.range({ key: enc('l') })).count).toBe(0);
  });
});
