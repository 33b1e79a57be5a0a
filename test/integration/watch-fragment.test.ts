// watchCreate's `fragment` (etcd's WatchCreateRequest.fragment), end to end on a real member:
// one revision too large for one push (a deleteRange of keys with big values, watched with
// prevKv) comes in several pushes, all but the last marked `fragment: true`, when the watch
// asked for it, and whole otherwise; the SDK joins the parts into one batch of the revision.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type WatchBatch } from '@kite/client';
import { prefixRangeEnd, type WatchPush } from '@kite/protocol';
import { Cluster } from './harness/cluster.js';
import { WireClient, b, ok } from './harness/wire.js';

const REQUEST_BYTES_MAX = 64 * 1024;
const KEYS = 10;
const VALUE_BYTES = 20 * 1024;

describe('watch fragment', () => {
  let cluster: Cluster;
  let url: string;

  beforeAll(async () => {
    cluster = await Cluster.create({ size: 1, flags: ['--max-request-bytes', String(REQUEST_BYTES_MAX)] });
    await cluster.startAll();
    url = cluster.clientUrl('n1');
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('splits a revision over pushes only for a watch that asked, and the SDK joins them', async () => {
    const c = await WireClient.connect(url);
    const sdk = await connect({ endpoints: [url], timeoutMs: 8000 });
    try {
      const prefix = b('frag/');
      for (let i = 0; i < KEYS; i++) ok(await c.request('put', { key: b(`frag/${i}`), value: new Uint8Array(VALUE_BYTES).fill(i) }));
      const range = { key: prefix, rangeEnd: prefixRangeEnd(prefix), prevKv: true };
      ok(await c.request('watchCreate', { watchId: 1, ...range, fragment: true }));
      ok(await c.request('watchCreate', { watchId: 2, ...range }));
      const joined = sdk.watch(prefix, { prefix: true, prevKv: true, fragment: true });
      await joined.ready;

      const deleted = ok(await c.request('deleteRange', { key: prefix, rangeEnd: prefixRangeEnd(prefix) }));
      expect(deleted.deleted).toBe(KEYS);
      const eventsOf = (watchId: number): number => (c.pushes.get(watchId) ?? []).reduce((n, p) => n + p.events.length, 0);
      await c.waitPushes('both watches to get every delete', 10_000, () => eventsOf(1) === KEYS && eventsOf(2) === KEYS);

      const parts = c.pushes.get(1) as WatchPush[];
      // 10 deletes with 20 KiB prevKvs each: about 200 KiB, more than three 64 KiB pushes.
      expect(parts.length).toBeGreaterThan(2);
      expect(parts.map((p) => p.fragment === true)).toEqual([...parts.slice(1).map(() => true), false]);
      expect(new Set(parts.flatMap((p) => p.events.map((e) => e.kv.modRevision)))).toEqual(new Set([deleted.header.revision]));
      expect(parts.flatMap((p) => p.events.map((e) => e.prevKv?.value.byteLength))).toEqual(Array.from({ length: KEYS }, () => VALUE_BYTES));
      const whole = c.pushes.get(2) as WatchPush[];
      expect(whole.map((p) => [p.events.length, p.fragment])).toEqual([[KEYS, undefined]]);

      const batch = (await joined.next()).value as WatchBatch;
      expect(batch.events.map((e) => e.type)).toEqual(Array.from({ length: KEYS }, () => 'delete'));
      expect(batch.revision).toBe(deleted.header.revision);
      expect(joined.revision).toBe(deleted.header.revision);
      joined.cancel();
    } finally {
      c.close();
      sdk.close();
    }
  });
});
