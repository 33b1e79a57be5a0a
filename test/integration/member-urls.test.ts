// Every member lists every member's client URL (each publishes its own through Raft, like
// etcd's publish), also after all members restart; so a client given one follower's endpoint
// finds the leader from that follower's member list.
import { connect } from '@kite/client';
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from './harness/cluster.js';
import { WireClient, ok } from './harness/wire.js';

/** Each member's client URL by member id, as `name`'s member list says (serializable: its own registry). */
async function listedUrls(cluster: Cluster, name: string, serializable: boolean): Promise<Map<string, string[]>> {
  const c = await WireClient.connect(cluster.clientUrl(name));
  try {
    const list = ok(await c.request('memberList', { serializable }));
    return new Map(list.members.map((m) => [m.name, [...m.clientUrls]]));
  } finally {
    c.close();
  }
}

function expected(cluster: Cluster): Map<string, string[]> {
  return new Map(cluster.members.map((m) => [m.name, [cluster.clientUrl(m.name)]]));
}

describe("members' client URLs", () => {
  let cluster: Cluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('every member lists all three client URLs, after a restart too, and one follower endpoint leads a client to the leader', async () => {
    cluster = await Cluster.create({ size: 3 });
    await cluster.startAll();
    const want = expected(cluster);
    // Publishing goes through Raft once a member knows a leader: a bounded wait, then exact.
    for (const m of cluster.members) {
      await waitFor(`${m.name} to list every client URL`, 15_000, async () => {
        const got = await listedUrls(cluster!, m.name, true);
        return JSON.stringify([...got].sort()) === JSON.stringify([...want].sort()) ? true : undefined;
      });
    }

    const leader = await cluster.leader();
    const leaderId = (await cluster.status(leader)).memberId;
    const follower = cluster.members.find((m) => m.name !== leader)!.name;
    const client = await connect({ endpoints: [cluster.clientUrl(follower)], timeoutMs: 10_000 });
    try {
      const put = await client.put('member-urls/k', 'v');
      // The reply header names the member the client's link is on: the leader.
      expect(put.header.memberId).toBe(leaderId);
    } finally {
      client.close();
    }

    // kill -9 every member and start them again: the published URLs are in the replicated
    // state (log and snapshots), so each member's linearizable list has them at once.
    for (const m of cluster.members) await cluster.kill(m.name, 'SIGKILL');
    await cluster.startAll();
    await cluster.leader();
    for (const m of cluster.members) {
      const got = await listedUrls(cluster, m.name, false);
      expect([...got].sort(), `${m.name}'s member list after the restart`).toEqual([...want].sort());
    }
  });
});
