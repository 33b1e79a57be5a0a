// A member that was down while the log moved past a snapshot (small --snapshot-entries)
// catches up by receiving the leader's snapshot streamed over the peer link.
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from './harness/cluster.js';
import type { PutArgs } from '@kite/protocol';
import { WireClient, b, ok, str } from './harness/wire.js';

describe('snapshot catch-up', () => {
  let cluster: Cluster | undefined;
  const clients: WireClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
  });

  /** A fresh cluster, a client on its leader and a follower killed with SIGKILL (the one to lag). */
  async function clusterWithFollowerDown(options: Parameters<typeof Cluster.create>[0]): Promise<{ c: WireClient; leader: string; lagging: string }> {
    await cluster?.stop();
    cluster = await Cluster.create(options);
    await cluster.startAll();
    const leader = await cluster.leader();
    const lagging = cluster.members.find((m) => m.name !== leader)!.name;
    const c = await WireClient.connect(cluster.clientUrl(leader));
    clients.push(c);
    await cluster.kill(lagging, 'SIGKILL');
    return { c, leader, lagging };
  }

  /** `total` puts from `put(i)`, `inFlight` at a time. */
  async function putInBatches(c: WireClient, total: number, inFlight: number, put: (i: number) => PutArgs): Promise<void> {
    for (let base = 0; base < total; base += inFlight) {
      const batch = [];
      for (let i = base; i < Math.min(total, base + inFlight); i++) batch.push(c.request('put', put(i)));
      for (const r of await Promise.all(batch)) ok(r);
    }
  }

  /** Restarts `lagging`, waits until it applied `applied`, and compares its store hash with the leader's at `revision`. */
  async function restartAndCompare(c: WireClient, lagging: string, applied: number, revision: number): Promise<void> {
    cluster!.start(lagging);
    await cluster!.waitHealthy(lagging);
    await waitFor('the lagging member to apply the leader index', 60_000, async () =>
      (await cluster!.status(lagging)).applied >= applied ? true : undefined);
    const r = await WireClient.connect(cluster!.clientUrl(lagging));
    clients.push(r);
    const h1 = ok(await r.request('hash', { revision }));
    const h2 = ok(await c.request('hash', { revision }));
    expect(h1.hash).toBe(h2.hash);
  }

  it('streams a snapshot to a member that fell behind the compacted log', async () => {
    cluster = await Cluster.create({ size: 3, flags: ['--snapshot-entries', '40', '--snapshot-catchup-entries', '5'] });
    await cluster.startAll();
    const leader = await cluster.leader();
    const lagging = cluster.members.find((m) => m.name !== leader)!.name;
    const c = await WireClient.connect(cluster.clientUrl(leader));
    clients.push(c);
    for (let i = 0; i < 10; i++) ok(await c.request('put', { key: b(`s/${i}`), value: b('before') }));
    await cluster.kill(lagging, 'SIGKILL');
    // Many writes while it is down: several snapshots, the log compacted past its position.
    for (let i = 0; i < 200; i++) ok(await c.request('put', { key: b(`s/${i % 60}`), value: b(`after${i}`) }));
    const del = ok(await c.request('deleteRange', { key: b('s/0') }));
    expect(del.deleted).toBe(1);
    const leaderStatus = await cluster.status(leader);
    expect(leaderStatus.raftLogSize).toBeLessThan(100);

    cluster.start(lagging);
    await cluster.waitHealthy(lagging);
    await waitFor('the lagging member to apply the leader index', 15_000, async () =>
      (await cluster!.status(lagging)).applied >= leaderStatus.applied ? true : undefined);
    expect((await cluster.status(leader)).snapshotsSent).toBeGreaterThanOrEqual(1);
    expect((await cluster.status(lagging)).snapshotsReceived).toBeGreaterThanOrEqual(1);
    expect(await cluster.metrics(leader)).toMatch(/kite_network_snapshot_send_success_total [1-9]/);

    const r = await WireClient.connect(cluster.clientUrl(lagging));
    clients.push(r);
    const local = ok(await r.request('range', { key: b('s/'), rangeEnd: b('s0'), serializable: true }));
    const fromLeader = ok(await c.request('range', { key: b('s/'), rangeEnd: b('s0') }));
    expect(local.kvs.map((kv) => [str(kv.key), str(kv.value), kv.modRevision])).toEqual(
      fromLeader.kvs.map((kv) => [str(kv.key), str(kv.value), kv.modRevision]),
    );
    expect(local.kvs.some((kv) => str(kv.key) === 's/0')).toBe(false);
    // It keeps replicating normally afterwards.
    const after = ok(await c.request('put', { key: b('s/z'), value: b('later') }));
    await waitFor('the next write on the caught-up member', 10_000, async () => {
      const got = ok(await r.request('range', { key: b('s/z'), serializable: true }));
      return got.header.revision >= after.header.revision && got.kvs.length === 1 ? true : undefined;
    });
    // Same store contents: compare hashes at the same revision.
    const h1 = ok(await r.request('hash', { revision: after.header.revision }));
    const h2 = ok(await c.request('hash', { revision: after.header.revision }));
    expect(h1.hash).toBe(h2.hash);
  });

  it('catches up by snapshot after 20,000 writes with the default snapshot settings', async () => {
    // Production ticks (1 s election timeout): with one member down, a 200 ms stall of either
    // remaining member on a loaded 2-core machine cost the leader its quorum mid-load in three
    // runs ("no leader for 200 ms"); this test is about the catch-up, not that.
    const { c, leader, lagging } = await clusterWithFollowerDown({ size: 3, tickMs: 100 });
    // 20,000 writes, 100 in flight: past two default snapshots (10,000 entries, 5,000 kept).
    await putInBatches(c, 20_000, 100, (i) => ({ key: b(`big/${i % 2000}`), value: b(`v${i}`) }));
    const leaderStatus = await cluster!.status(leader);
    expect(leaderStatus.snapshotIndex).toBeGreaterThan(10_000);

    await restartAndCompare(c, lagging, leaderStatus.applied, leaderStatus.revision);
    expect((await cluster!.status(lagging)).snapshotsReceived).toBeGreaterThanOrEqual(1);
    expect(await cluster!.metrics(leader)).toMatch(/kite_network_snapshot_send_success_total [1-9]/);
  });

  // Found by bench:big: a member behind by more than a peer frame (16 MiB) of log entries the
  // leader still holds was sent them in one frame of 20-30 MiB, which the transport dropped
  // (logged "peer frame too large") and rebuilt on later probes, while the follower crept
  // forward only on the probes' single messages. The entries now go out in frames under the limit.
  it('catches up from the log when it is behind by more than one peer frame of entries', async () => {
    // The log keeps everything (no snapshot), so the catch-up can only be by log entries.
    // Production ticks: 2 MiB writes on a shared machine must not cost the leader its lease.
    const { c, leader, lagging } = await clusterWithFollowerDown({ size: 3, tickMs: 100, flags: ['--max-raft-log-bytes', String(256 * 1024 * 1024), '--snapshot-entries', '100000'] });
    // 24 MiB of entries while it is down: 96 puts of 256 KiB, 8 in flight.
    const value = new Uint8Array(256 * 1024).fill(0x61);
    await putInBatches(c, 96, 8, (i) => ({ key: b(`wide/${i}`), value }));
    const leaderStatus = await cluster!.status(leader);
    expect(leaderStatus.snapshotIndex).toBeLessThan(10);

    await restartAndCompare(c, lagging, leaderStatus.applied, leaderStatus.revision);
    expect((await cluster!.status(lagging)).snapshotsReceived).toBe(0);
    expect(cluster!.log(leader)).not.toMatch(/peer frame too large/);
  });
});
