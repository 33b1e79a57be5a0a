// A member answers only after it has applied (apply before reply), also when it forwarded the
// request to the leader: a client talking to a follower reads its own write there with a
// serializable get, a watch "from now" created right after an acknowledged put does not get
// that put, a watch from a revision an acknowledged compaction removed is refused, and lease
// and member ops are visible on the follower once acknowledged. Counted over many tries
// (no timing): one miss is a failure.
import { prefixRangeEnd } from '@kite/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from './harness/cluster.js';
import { WireClient, b, ok, str } from './harness/wire.js';

const TRIES = 50;
const COMPACT_TRIES = 50;
const PUSH_WAIT_MS = 10_000;

describe('a follower answers a forwarded op only once it has applied it', () => {
  let cluster: Cluster;
  let c: WireClient;

  beforeAll(async () => {
    cluster = await Cluster.create({ size: 3 });
    await cluster.startAll();
    const leader = await cluster.leader();
    const follower = cluster.members.find((m) => m.name !== leader)!.name;
    c = await WireClient.connect(cluster.clientUrl(follower));
  });

  afterAll(async () => {
    c?.close();
    await cluster?.stop();
  });

  it('a serializable get right after an acknowledged put on the same follower sees it', async () => {
    let misses = 0;
    for (let i = 0; i < TRIES; i++) {
      const key = b(`fa/get/${i}`);
      const put = ok(await c.request('put', { key, value: b(`v${i}`) }));
      const got = ok(await c.request('range', { key, serializable: true }));
      if (got.kvs.length !== 1 || got.header.revision < put.header.revision) misses++;
      else expect(str(got.kvs[0]!.value)).toBe(`v${i}`);
    }
    expect(misses, `serializable gets that missed the acknowledged put, of ${TRIES}`).toBe(0);
  });

  it('a watch from now created right after an acknowledged put does not receive that put', async () => {
    let replayed = 0;
    for (let i = 0; i < TRIES; i++) {
      const prefix = b(`fa/w/${i}/`);
      ok(await c.request('put', { key: b(`fa/w/${i}/before`), value: b('1') }));
      const watchId = 1000 + i;
      ok(await c.request('watchCreate', { watchId, key: prefix, rangeEnd: prefixRangeEnd(prefix) }));
      // A marker after the watch: once it arrives, anything before it would have arrived too.
      ok(await c.request('put', { key: b(`fa/w/${i}/after`), value: b('1') }));
      const keys = (): string[] => (c.pushes.get(watchId) ?? []).flatMap((p) => p.events.map((e) => str(e.kv.key)));
      await c.waitPushes(`the marker on watch ${watchId}`, PUSH_WAIT_MS, () => keys().includes(`fa/w/${i}/after`));
      if (keys().includes(`fa/w/${i}/before`)) replayed++;
      ok(await c.request('watchCancel', { watchId }));
    }
    expect(replayed, `watches from now that got the put acknowledged before them, of ${TRIES}`).toBe(0);
  });

  it('a watch from a revision an acknowledged physical compaction removed is refused', async () => {
    let replayed = 0;
    for (let i = 0; i < COMPACT_TRIES; i++) {
      const key = b(`fa/c/${i}`);
      const first = ok(await c.request('put', { key, value: b('1') })).header.revision;
      const second = ok(await c.request('put', { key, value: b('2') })).header.revision;
      ok(await c.request('compact', { revision: second, physical: true }));
      const watchId = 5000 + i;
      ok(await c.request('watchCreate', { watchId, key, startRevision: first }));
      await c.waitPushes(`a push on watch ${watchId}`, PUSH_WAIT_MS, () => (c.pushes.get(watchId) ?? []).length > 0);
      const push = c.pushes.get(watchId)![0]!;
      if (push.canceled === true) expect(push.compactRevision).toBe(second);
      else replayed++;
      if (push.canceled !== true) ok(await c.request('watchCancel', { watchId }));
    }
    expect(replayed, `watches from a compacted revision that replayed history, of ${COMPACT_TRIES}`).toBe(0);
  });

  it('lease and member ops acknowledged by the follower are visible on it at once', async () => {
    let misses = 0;
    for (let i = 0; i < 10; i++) {
      const key = b(`fa/l/${i}`);
      const lease = ok(await c.request('leaseGrant', { ttl: 60 }));
      ok(await c.request('put', { key, value: b('1'), lease: lease.leaseId }));
      ok(await c.request('leaseRevoke', { leaseId: lease.leaseId }));
      // The revoke deleted the attached key: the follower must not still serve it.
      if (ok(await c.request('range', { key, serializable: true })).count !== 0) misses++;
    }
    for (let i = 0; i < 10; i++) {
      const added = ok(await c.request('memberAdd', { peerUrls: [`http://127.0.0.1:${1 + i}`], isLearner: true }));
      const afterAdd = ok(await c.request('memberList', { serializable: true }));
      if (!afterAdd.members.some((m) => m.id === added.member.id)) misses++;
      ok(await c.request('memberRemove', { memberId: added.member.id }));
      const afterRemove = ok(await c.request('memberList', { serializable: true }));
      if (afterRemove.members.some((m) => m.id === added.member.id)) misses++;
    }
    expect(misses, 'lease/member ops not yet visible on the follower that acknowledged them').toBe(0);
  });
});
