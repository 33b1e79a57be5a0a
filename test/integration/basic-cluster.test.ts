// Three real members on 127.0.0.1: one leader is elected, a write through any member is
// readable (linearizably) from every member, and the revision is the same everywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from './harness/cluster.js';
import { WireClient, b, ok, str } from './harness/wire.js';

describe.each([
  { mode: 'ReadIndex reads', flags: [] as string[] },
  { mode: 'leader-lease reads', flags: ['--lease-reads'] },
])('a 3-member cluster with $mode', ({ flags }) => {
  let cluster: Cluster;
  const clients: WireClient[] = [];

  beforeAll(async () => {
    cluster = await Cluster.create({ size: 3, flags });
    await cluster.startAll();
    for (const m of cluster.members) clients.push(await WireClient.connect(cluster.clientUrl(m.name)));
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
  });

  it('elects exactly one leader that every member agrees on', async () => {
    const leader = await cluster.leader();
    const statuses = await Promise.all(cluster.members.map((m) => cluster.status(m.name)));
    expect(statuses.filter((s) => s.role === 'leader').map((s) => s.name)).toEqual([leader]);
  });

  it('serves writes through any member and linearizable reads from every member', async () => {
    for (let i = 0; i < clients.length; i++) {
      const put = ok(await clients[i]!.request('put', { key: b(`k${i}`), value: b(`v${i}`) }));
      // Each put is acknowledged with the revision it created, read back from every member.
      for (const reader of clients) {
        const got = ok(await reader.request('range', { key: b(`k${i}`) }));
        expect(got.kvs.map((kv) => str(kv.value))).toEqual([`v${i}`]);
        expect(got.header.revision).toBeGreaterThanOrEqual(put.header.revision);
      }
    }
    const all = await Promise.all(clients.map((c) => c.request('range', { key: b('k'), rangeEnd: b('l') })));
    for (const r of all) expect(ok(r).kvs.map((kv) => str(kv.key))).toEqual(['k0', 'k1', 'k2']);
  });

  it('answers txn, delete and member list through a follower', async () => {
    const leader = await cluster.leader();
    const follower = cluster.members.findIndex((m) => m.name !== leader);
    const c = clients[follower]!;
    const txn = ok(await c.request('txn', {
      compare: [{ key: b('k0'), target: 'value', result: 'equal', value: b('v0') }],
      success: [{ type: 'put', key: b('t'), value: b('yes') }],
      failure: [],
    }));
    expect(txn.succeeded).toBe(true);
    const del = ok(await c.request('deleteRange', { key: b('k0'), prevKv: true }));
    expect(del.deleted).toBe(1);
    expect(del.prevKvs?.map((kv) => str(kv.value))).toEqual(['v0']);
    // A read right after the delete, through another member, never sees the old value.
    const other = clients[(follower + 1) % clients.length]!;
    expect(ok(await other.request('range', { key: b('k0') })).count).toBe(0);
    const members = ok(await c.request('memberList', {}));
    expect(members.members.map((m) => m.name).sort()).toEqual(['n1', 'n2', 'n3']);
  });

  it('serves a read-only txn through ReadIndex on a follower, adding nothing to the raft log', async () => {
    const leader = await cluster.leader();
    const follower = cluster.members.findIndex((m) => m.name !== leader);
    const c = clients[follower]!;
    ok(await c.request('put', { key: b('ro'), value: b('1') }));
    const before = await cluster.status(leader);
    for (let i = 0; i < 10; i++) {
      const txn = ok(await c.request('txn', {
        compare: [{ key: b('ro'), target: 'value', result: 'equal', value: b('1') }],
        success: [{ type: 'range', key: b('ro') }, { type: 'txn', compare: [], success: [{ type: 'range', key: b('k'), rangeEnd: b('l'), countOnly: true }], failure: [] }],
        failure: [],
      }));
      expect(txn.succeeded).toBe(true);
      const [range, nested] = txn.responses;
      expect(range?.type === 'range' ? range.kvs.map((kv) => str(kv.value)) : null).toEqual(['1']);
      expect(nested?.type === 'txn' ? nested.responses.length : -1).toBe(1);
    }
    // Proposed txns would each have added an entry; reads leave the log where it was.
    expect((await cluster.status(leader)).commit).toBe(before.commit);
  });
});
