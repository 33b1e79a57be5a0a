// One request must never hurt a member: the worst read we know (a txn of 128 ranges over the
// whole keyspace, a reply 128 times the data) is refused with ResponseTooLarge while it is
// read, on a real 3-member cluster with default flags, from several clients at once; the
// error tells the user to page; a write txn refused for its reads changes nothing; and the
// same data still reads completely in pages pinned to one revision.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RANGE_END_ALL, type Reply, type TxnRequestOp } from '@kite/protocol';
import { Cluster } from './harness/cluster.js';
import { WireClient, b, ok, str } from './harness/wire.js';

const KEYS = 200;
const VALUE = 'v'.repeat(1000);
const PUTS_PER_TXN = 50;
const WORST_CLIENTS = 4;
const wholeRange = { type: 'range', key: RANGE_END_ALL, rangeEnd: RANGE_END_ALL } as const;

describe('response budget on a cluster', () => {
  let cluster: Cluster;
  let leaderUrl: string;

  beforeAll(async () => {
    cluster = await Cluster.create({ size: 3 });
    await cluster.startAll();
    leaderUrl = cluster.clientUrl(await cluster.leader());
    const c = await WireClient.connect(leaderUrl);
    try {
      for (let i = 0; i < KEYS; i += PUTS_PER_TXN) {
        const success: TxnRequestOp[] = [];
        for (let j = i; j < i + PUTS_PER_TXN; j++) success.push({ type: 'put', key: b(`key${String(j).padStart(4, '0')}`), value: b(VALUE) });
        ok(await c.request('txn', { compare: [], success, failure: [] }));
      }
    } finally {
      c.close();
    }
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  function errorOf(r: Reply): { code: string; message: string } {
    expect(r.ok, 'expected an error reply').toBe(false);
    return r.ok ? { code: '', message: '' } : r.error;
  }

  it('refuses 128 whole-keyspace ranges in one read-only txn, from several clients at once, with advice to page', async () => {
    const clients = await Promise.all(Array.from({ length: WORST_CLIENTS }, () => WireClient.connect(leaderUrl)));
    try {
      const worst = { compare: [], success: Array.from({ length: 128 }, () => wholeRange), failure: [] };
      const replies = await Promise.all(clients.map((c) => c.request('txn', worst, 60_000)));
      for (const r of replies) {
        const e = errorOf(r);
        expect(e.code).toBe('ResponseTooLarge');
        expect(e.message).toMatch(/page/);
      }
      // The member goes on serving: a point read on one of the same links.
      expect(ok(await (clients[0] as WireClient).request('range', { key: b('key0000') })).count).toBe(1);
    } finally {
      for (const c of clients) c.close();
    }
    const metrics = await cluster.metrics(cluster.members.find((m) => leaderUrl.endsWith(`:${m.clientPort}`))?.name ?? 'n1');
    expect(metrics).toMatch(/kite_server_client_errors_total\{code="ResponseTooLarge"\} [1-9]/);
  });

  it('refuses a write txn whose reads pass the budget before it writes anything', async () => {
    const c = await WireClient.connect(leaderUrl);
    try {
      const success: TxnRequestOp[] = [{ type: 'put', key: b('written-by-refused-txn'), value: b('x') }, ...Array.from({ length: 127 }, () => wholeRange)];
      expect(errorOf(await c.request('txn', { compare: [], success, failure: [] }, 60_000)).code).toBe('ResponseTooLarge');
      expect(ok(await c.request('range', { key: b('written-by-refused-txn') })).count).toBe(0);
    } finally {
      c.close();
    }
  });

  it('still reads everything in pages pinned to one revision', async () => {
    const c = await WireClient.connect(cluster.clientUrl('n2'));
    try {
      const keys: string[] = [];
      let from: Uint8Array = RANGE_END_ALL;
      let revision = 0;
      for (;;) {
        const page = ok(await c.request('range', { key: from, rangeEnd: RANGE_END_ALL, limit: 64, ...(revision > 0 ? { revision } : {}) }));
        revision = page.header.revision;
        for (const kv of page.kvs) keys.push(str(kv.key));
        const last = page.kvs[page.kvs.length - 1];
        if (!page.more || last === undefined) break;
        from = new Uint8Array([...last.key, 0]);
      }
      expect(keys.filter((k) => k.startsWith('key'))).toHaveLength(KEYS);
    } finally {
      c.close();
    }
  });
});
