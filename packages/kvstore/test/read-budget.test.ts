// Read budgets: a range or a txn whose reply would pass the response budget (or whose scan
// would pass the keys-scanned bound) stops with ResponseTooLarge before the reply is built,
// and nothing past the limit reaches an outer (connection) budget; a txn's reads share one
// budget; a write txn (or a delete returning prevKvs) refused for its reply changes nothing;
// paging within the budget still reads everything; lease keys and watch catch-up pages are
// bounded too.
import { describe, expect, it } from 'vitest';
import { KV_OVERHEAD_BYTES, ReadBudget, type ReadCharge } from '../src/read-budget.js';
import { HISTORY_PAGE_BYTES_MAX } from '../src/history.js';
import { isKvError } from '../src/errors.js';
import type { RangeArgs, TxnArgs } from '../src/types.js';
import { enc, memoryStore } from './helpers.js';

const ALL = new Uint8Array([0]);
const VALUE_BYTES = 1000;

/** `n` keys k00000.. with 1000-byte values, one put each. */
async function load(n: number, options: Parameters<typeof memoryStore>[0] = {}): Promise<Awaited<ReturnType<typeof memoryStore>>> {
  const s = await memoryStore(options);
  const value = 'v'.repeat(VALUE_BYTES);
  for (let i = 0; i < n; i++) await s.d.put(`k${String(i).padStart(5, '0')}`, value);
  return s;
}

/** Records every byte the store charges, like a connection budget would. */
class ChargeLog implements ReadCharge {
  bytes = 0;
  charge(n: number): void {
    this.bytes += n;
  }
}

const wholeRange: RangeArgs = { key: ALL, rangeEnd: ALL };
const kvBytes = 6 + VALUE_BYTES + KV_OVERHEAD_BYTES;

async function responseTooLarge(p: Promise<unknown>): Promise<{ limitBytes?: number; actualBytes?: number; limit?: number }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isKvError(err, 'ResponseTooLarge'), `expected ResponseTooLarge, got ${String(err)}`).toBe(true);
  expect((err as Error).message).toMatch(/page|split/);
  return (err as { details: { limitBytes?: number; actualBytes?: number; limit?: number } }).details;
}

describe('read budget', () => {
  it('stops a range at the byte limit: nothing past the limit reaches the connection budget', async () => {
    const { store } = await load(200);
    const limitBytes = 20 * kvBytes + 10;
    const log = new ChargeLog();
    const details = await responseTooLarge(store.range(wholeRange, new ReadBudget({ maxResponseBytes: limitBytes, maxKeysScanned: 1e9 }, log)));
    expect(details.limitBytes).toBe(limitBytes);
    // Current values are sized from the index before any is copied: the whole range at once.
    expect(details.actualBytes).toBe(200 * kvBytes);
    expect(log.bytes).toBeLessThanOrEqual(limitBytes);
    // A page within the budget reads fine, and says there is more.
    const page = await store.range({ ...wholeRange, limit: 10 }, new ReadBudget({ maxResponseBytes: limitBytes, maxKeysScanned: 1e9 }));
    expect(page.kvs).toHaveLength(10);
    expect(page.more).toBe(true);
  });

  it('applies the store limits by default: the worst read-only txn (128 whole-keyspace ranges) is refused', async () => {
    // 200 kB of data, 128 times: a ~26 MB reply, over the 16 MiB default.
    const { store } = await load(200);
    const txn: TxnArgs = { compare: [], success: Array.from({ length: 128 }, () => ({ type: 'range' as const, ...wholeRange })), failure: [] };
    const details = await responseTooLarge(store.readTxn(txn));
    expect(details.actualBytes).toBeLessThanOrEqual(store.limits.maxResponseBytes + kvBytes);
    // One range alone is well within it.
    expect((await store.range(wholeRange)).kvs).toHaveLength(200);
  });

  it('shares one budget across the ranges of a txn', async () => {
    const { store } = await load(50);
    const limits = { maxResponseBytes: 120 * kvBytes, maxKeysScanned: 1e9 };
    const three: TxnArgs = { compare: [], success: [0, 1, 2].map(() => ({ type: 'range' as const, ...wholeRange })), failure: [] };
    await responseTooLarge(store.readTxn(three, undefined, new ReadBudget(limits)));
    const two: TxnArgs = { ...three, success: three.success.slice(0, 2) };
    const r = await store.readTxn(two, undefined, new ReadBudget(limits));
    expect(r.responses).toHaveLength(2);
  });

  it('bounds index entries scanned, count-only ranges included', async () => {
    const { store } = await load(100);
    const countOnly: TxnArgs = { compare: [], success: Array.from({ length: 10 }, () => ({ type: 'range' as const, ...wholeRange, countOnly: true })), failure: [] };
    const details = await responseTooLarge(store.readTxn(countOnly, undefined, new ReadBudget({ maxResponseBytes: 1e9, maxKeysScanned: 500 })));
    expect(details.limit).toBe(500);
    expect(details.actualBytes).toBe(501);
  });

  it('reads only the page a sorted range returns, and charges only it', async () => {
    const { store } = await load(200);
    const limits = { maxResponseBytes: 5 * kvBytes, maxKeysScanned: 1e9 };
    const r = await store.range({ ...wholeRange, sortTarget: 'modRevision', sortOrder: 'descend', limit: 3 }, new ReadBudget(limits));
    expect(r.kvs.map((kv) => new TextDecoder().decode(kv.key))).toEqual(['k00199', 'k00198', 'k00197']);
    expect(r.more).toBe(true);
    expect(r.count).toBe(200);
  });

  it('refuses a write txn whose reads would pass the budget before it changes anything', async () => {
    const { store, d } = await load(40, { limits: { maxResponseBytes: 30 * kvBytes } });
    const before = store.currentRevision;
    const [res] = await d.apply({
      op: 'txn',
      args: { compare: [], success: [{ type: 'put', key: enc('new'), value: enc('x') }, { type: 'range', key: ALL, rangeEnd: ALL }], failure: [] },
    });
    expect(res?.status).toBe('failed');
    if (res?.status === 'failed') expect(res.error.code).toBe('ResponseTooLarge');
    expect(store.currentRevision).toBe(before);
    expect((await store.range({ key: enc('new') })).count).toBe(0);
    // Within the budget the same shape applies, and its range sees its own put.
    const ok = await d.ok({ op: 'txn', args: { compare: [], success: [{ type: 'put', key: enc('new'), value: enc('x') }, { type: 'range', key: enc('k'), rangeEnd: enc('k00010') }, { type: 'range', key: enc('new') }], failure: [] } });
    expect(ok).toMatchObject({ succeeded: true });
  });

  it('refuses a delete returning more prevKvs than the budget before deleting anything', async () => {
    const { store, d } = await load(40, { limits: { maxResponseBytes: 30 * kvBytes } });
    const before = store.currentRevision;
    const [res] = await d.apply({ op: 'deleteRange', args: { key: ALL, rangeEnd: ALL, prevKv: true } });
    expect(res?.status === 'failed' ? res.error.code : res?.status).toBe('ResponseTooLarge');
    expect(store.currentRevision).toBe(before);
    expect((await store.range({ ...wholeRange, countOnly: true })).count).toBe(40);
    // Without prevKv the reply is a count: the same delete goes through.
    expect(await d.ok({ op: 'deleteRange', args: { key: ALL, rangeEnd: ALL } })).toEqual({ deleted: 40 });
  });

  it('charges the keys of lease timeToLive before building the list', async () => {
    const { store, d } = await memoryStore();
    await d.ok({ op: 'leaseGrant', args: { id: 7, ttl: 60 } });
    for (let i = 0; i < 50; i++) await d.put(`lk${i}`, 'v', { lease: 7 });
    expect(() => store.leaseTimeToLive(7, { keys: true }, undefined, new ReadBudget({ maxResponseBytes: 1e9, maxKeysScanned: 10 }))).toThrow(/scan more than 10 keys/);
    expect(store.leaseTimeToLive(7, { keys: true }).keys).toHaveLength(50);
  });

  it('bounds the bytes of one watch catch-up page', async () => {
    const { store, d } = await memoryStore();
    const big = 'x'.repeat(512 * 1024);
    for (let i = 0; i < 20; i++) await d.put(`h${i}`, big);
    const page = await store.eventsBetween(enc('h'), enc('i'), 1, store.currentRevision, 1000);
    const pageBytes = page.changes.reduce((n, c) => n + c.events.reduce((m, e) => m + e.kv.value.byteLength, 0), 0);
    expect(page.changes.length).toBeGreaterThan(0);
    expect(pageBytes).toBeLessThanOrEqual(HISTORY_PAGE_BYTES_MAX + big.length);
    expect(page.nextRevision).toBeLessThanOrEqual(store.currentRevision);
  });
});
