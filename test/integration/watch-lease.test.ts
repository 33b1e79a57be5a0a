// Watches and leases across a leader change: a prefix watch (SDK, auto-resume) sees every
// event exactly once and in order while the leader it is connected to is killed; leases expire
// after their TTL with delete events, survive a leader change while kept alive, and a leader
// change stretches a lease by no more than an election timeout plus one checkpoint interval.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type KiteClient } from '@kite/client';
import { Cluster, waitFor } from './harness/cluster.js';
import { WireClient, b, ok, str } from './harness/wire.js';

const TICK_MS = 20;
const ELECTION_TIMEOUT_MS = 10 * TICK_MS;
const CHECKPOINT_INTERVAL_MS = 500;
/** Scheduling slack for loaded CI machines (2 cores, several processes). */
const SLACK_MS = 1500;

describe('watch and lease across leader changes', () => {
  let cluster: Cluster | undefined;
  const wires: WireClient[] = [];
  const sdks: KiteClient[] = [];
  afterEach(async () => {
    for (const c of wires.splice(0)) c.close();
    for (const c of sdks.splice(0)) c.close();
    await cluster?.stop();
    cluster = undefined;
  });

  /** A 3-member cluster and a raw client on one of its followers (lease ops get forwarded). */
  async function startWithFollowerClient(): Promise<{ running: Cluster; leader: string; c: WireClient }> {
    const running = (cluster = await Cluster.create({ size: 3, tickMs: TICK_MS }));
    await running.startAll();
    const leader = await running.leader();
    const follower = running.members.find((m) => m.name !== leader)!.name;
    const c = await WireClient.connect(running.clientUrl(follower));
    wires.push(c);
    return { running, leader, c };
  }

  it('a prefix watch sees every event once, in order, across a leader kill and reconnect', async () => {
    cluster = await Cluster.create({ size: 3, tickMs: TICK_MS });
    await cluster.startAll();
    const leader = await cluster.leader();
    const others = cluster.members.filter((m) => m.name !== leader).map((m) => cluster!.clientUrl(m.name));
    // The watcher talks to the leader first, so killing it forces a reconnect and resume.
    const watcher = await connect({ endpoints: [cluster.clientUrl(leader), ...others], timeoutMs: 5000, preferLeader: false });
    sdks.push(watcher);
    const writer = await connect({ endpoints: others, timeoutMs: 5000, preferLeader: false });
    sdks.push(writer);
    const start = (await writer.put('other', 'x')).header.revision + 1;
    const watch = watcher.watch('wa/', { prefix: true, startRevision: start });
    const seen: { key: string; rev: number; type: string }[] = [];
    const consumed = (async () => {
      for await (const batch of watch) {
        for (const ev of batch.events) seen.push({ key: str(ev.kv.key), rev: ev.kv.modRevision, type: ev.type });
        if (seen.length >= 1000) break;
      }
    })();
    const acked = new Map<number, string>();
    for (let i = 0; i < 60; i++) {
      if (i === 25) await cluster.kill(leader, 'SIGKILL');
      if (i % 7 === 6) {
        // Delete a key written just before (a delete of nothing creates no revision).
        const key = `wa/${(i - 1) % 20}`;
        const r = await writer.delete(key).catch(() => null);
        if (r !== null && r.deleted > 0) acked.set(r.header.revision, key);
      } else {
        const key = `wa/${i % 20}`;
        const r = await writer.put(key, `v${i}`).catch(() => null);
        if (r !== null) acked.set(r.header.revision, key);
      }
    }
    // Most writes are acknowledged, including many under the new leader.
    expect(acked.size).toBeGreaterThanOrEqual(40);
    const final = await writer.get('wa/', { prefix: true });
    const lastRev = final.header.revision;
    await waitFor('the watch to reach the last revision', 20_000, () => ((seen.at(-1)?.rev ?? 0) >= Math.max(...acked.keys()) ? true : undefined));
    watch.cancel();
    await consumed;
    // Ordered and unique: revisions strictly increase (one key per revision here).
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.rev).toBeGreaterThan(seen[i - 1]!.rev);
    // Reliable: every acknowledged change is there.
    for (const [rev, key] of acked) expect(seen.find((e) => e.rev === rev)?.key, `event at ${rev}`).toBe(key);
    // And agrees with the final state.
    for (const kv of final.kvs) {
      const last = seen.filter((e) => e.key === str(kv.key)).at(-1);
      expect(last?.rev).toBe(kv.modRevision);
      expect(last?.type).toBe('put');
    }
    expect(lastRev).toBeGreaterThanOrEqual(Math.max(...acked.keys()));
  });

  it('expires a lease after its TTL with delete events; keepalives carry it across a leader change', async () => {
    const { running, leader, c } = await startWithFollowerClient();

    // 1. Expiry after the TTL, with a delete event for each attached key.
    const grantedAt = performance.now();
    const g = ok(await c.request('leaseGrant', { ttl: 2 }));
    for (const k of ['l/a', 'l/b']) ok(await c.request('put', { key: b(k), value: b('1'), lease: g.leaseId }));
    ok(await c.request('watchCreate', { watchId: 1, key: b('l/'), rangeEnd: b('l0') }));
    await c.waitPushes('two delete events', 10_000, () => (c.pushes.get(1) ?? []).flatMap((p) => p.events).filter((e) => e.type === 'delete').length >= 2);
    const expiredAfterMs = performance.now() - grantedAt;
    expect(expiredAfterMs).toBeGreaterThanOrEqual(2000 - 100);
    const dels = (c.pushes.get(1) ?? []).flatMap((p) => p.events).filter((e) => e.type === 'delete');
    expect(dels.map((e) => str(e.kv.key)).sort()).toEqual(['l/a', 'l/b']);
    // One revoke deletes both keys in one revision.
    expect(dels[0]!.kv.modRevision).toBe(dels[1]!.kv.modRevision);
    const ttl = ok(await c.request('leaseTimeToLive', { leaseId: g.leaseId }));
    expect(ttl.ttl).toBe(-1);

    // 2. Kept alive across a leader kill, then expires once keepalives stop.
    const kept = ok(await c.request('leaseGrant', { ttl: 2 }));
    ok(await c.request('put', { key: b('k/alive'), value: b('1'), lease: kept.leaseId }));
    let keepalives = true;
    const keeper = (async () => {
      while (keepalives) {
        await c.request('leaseKeepAlive', { leaseId: kept.leaseId }, 2000).catch(() => null);
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    await running.kill(leader, 'SIGKILL');
    const newLeader = await running.leader();
    expect(newLeader).not.toBe(leader);
    // Longer than the TTL under the new leader, still alive.
    const until = performance.now() + 3000;
    await waitFor('time past the TTL with keepalives', 6000, () => (performance.now() >= until ? true : undefined));
    expect(ok(await c.request('range', { key: b('k/alive') })).count).toBe(1);
    keepalives = false;
    await keeper;
    await waitFor('expiry after keepalives stop', 10_000, async () => (ok(await c.request('range', { key: b('k/alive') })).count === 0 ? true : undefined));
  });

  it('stretches a lease by at most an election timeout (plus a checkpoint) when the leader changes', async () => {
    const { running, leader, c } = await startWithFollowerClient();
    const grantedAt = performance.now();
    const g = ok(await c.request('leaseGrant', { ttl: 3 }));
    ok(await c.request('put', { key: b('x/k'), value: b('1'), lease: g.leaseId }));
    ok(await c.request('watchCreate', { watchId: 7, key: b('x/k') }));
    // Let at least one checkpoint happen, then kill the leader mid-lease.
    await waitFor('a checkpoint interval', 5000, () => (performance.now() - grantedAt >= CHECKPOINT_INTERVAL_MS * 2 ? true : undefined));
    await running.kill(leader, 'SIGKILL');
    await c.waitPushes('the delete event', 15_000, () => (c.pushes.get(7) ?? []).some((p) => p.events.some((e) => e.type === 'delete')));
    const lifeMs = performance.now() - grantedAt;
    expect(lifeMs).toBeGreaterThanOrEqual(3000 - 100);
    expect(lifeMs).toBeLessThanOrEqual(3000 + ELECTION_TIMEOUT_MS * 2 + CHECKPOINT_INTERVAL_MS + SLACK_MS);
  });
});
