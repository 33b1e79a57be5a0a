// Membership through conf changes: a learner is added and joins an existing cluster (learning
// its ids from the members), catches up, publishes its name, is promoted, takes leadership by
// moveLeader; a removed member stops by itself and the rest keep serving.
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from './harness/cluster.js';
import { WireClient, b, ok, str } from './harness/wire.js';

describe('membership changes', () => {
  let cluster: Cluster | undefined;
  const clients: WireClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
  });

  it('adds a learner, promotes it, moves leadership to it, and removes a member', async () => {
    cluster = await Cluster.create({ size: 3 });
    await cluster.startAll();
    const c = await WireClient.connect(cluster.clientUrl('n1'));
    clients.push(c);
    for (let i = 0; i < 20; i++) ok(await c.request('put', { key: b(`m/${i}`), value: b(`${i}`) }));

    const n4 = await cluster.addSpec('n4');
    const added = ok(await c.request('memberAdd', { peerUrls: [cluster.peerUrl('n4')], isLearner: true }));
    expect(added.member.isLearner).toBe(true);
    const n4Id = added.member.id;
    expect(added.members.map((m) => m.id)).toContain(n4Id);
    cluster.start('n4', ['--initial-cluster-state', 'existing']);
    await cluster.waitHealthy('n4');
    const target = (await cluster.status('n1')).applied;
    await waitFor('n4 to catch up', 15_000, async () => ((await cluster!.status('n4')).applied >= target ? true : undefined));
    expect((await cluster.status('n4')).memberId).toBe(n4Id);

    await waitFor('promotion of n4', 15_000, async () => {
      const r = await c.request('memberPromote', { memberId: n4Id });
      return r.ok ? true : undefined;
    });
    const listed = await waitFor('n4 published as a voter', 10_000, async () => {
      const l = ok(await c.request('memberList', {}));
      const m = l.members.find((x) => x.id === n4Id);
      return m !== undefined && m.name === 'n4' && !m.isLearner ? l : undefined;
    });
    expect(listed.members).toHaveLength(4);
    expect(listed.members.find((m) => m.id === n4Id)?.clientUrls).toEqual([cluster.clientUrl('n4')]);

    // A transfer aborts after an election timeout if the target is slow to catch up (a loaded
    // machine); like an operator, retry it a bounded number of times.
    await waitFor('leadership to move to n4', 30_000, async () => {
      const r = await c.request('moveLeader', { targetId: n4Id });
      return r.ok ? true : undefined;
    });
    expect(await cluster.leader()).toBe('n4');

    // Remove n2: it learns it was removed and stops; the other three keep serving.
    const n2Id = (await cluster.status('n2')).memberId;
    const removed = ok(await c.request('memberRemove', { memberId: n2Id }));
    expect(removed.members.map((m) => m.id)).not.toContain(n2Id);
    expect(await waitFor('n2 to exit', 15_000, () => (cluster!.isRunning('n2') ? undefined : true))).toBe(true);
    const w = await WireClient.connect(cluster.clientUrl('n3'));
    clients.push(w);
    ok(await w.request('put', { key: b('m/after'), value: b('x') }));
    const got = ok(await w.request('range', { key: b('m/after') }));
    expect(got.kvs.map((kv) => str(kv.value))).toEqual(['x']);
    // n4 never knew n2's data dir; confirm it serves the whole key space linearizably.
    const n4c = await WireClient.connect(cluster.clientUrl('n4'));
    clients.push(n4c);
    expect(ok(await n4c.request('range', { key: b('m/'), rangeEnd: b('m0'), countOnly: true })).count).toBe(21);
    void n4;
  });
});
