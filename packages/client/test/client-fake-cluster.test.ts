// The client against an in-process fake cluster over real loopback WebSockets: watch resume
// across link drops and member changes with no lost or duplicated event, compaction surfaced,
// lease keepalive and loss, heartbeat, retries and the indeterminate-write rule, leader choice
// (its rate limit on a monotonic clock: a wall clock stepped back does not stop it).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { KiteError, toBytes, type KiteClient } from '@kite/client';
import { FakeCluster } from './fake-cluster.js';
import { caught, eventsUntil, fastClient, guard, nextEvent, summary } from './helpers.js';

let cluster: FakeCluster;
const clients: KiteClient[] = [];

async function client(endpoints = cluster.urls, over = {}): Promise<KiteClient> {
  const c = await fastClient(endpoints, over);
  clients.push(c);
  return c;
}

beforeEach(async () => {
  cluster = await FakeCluster.start(3);
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await cluster.stop();
});

function expectedFrom(from: number, prefix: string): string[] {
  return summary(
    cluster.store
      .historyFrom(from)
      .flatMap((h) => h.events)
      .filter((e) => Buffer.from(e.kv.key).toString().startsWith(prefix)),
  );
}

describe('client against a fake cluster', () => {
  it('does kv round trips with bytes out and strings or bytes in', async () => {
    const c = await client();
    await c.put('a/1', 'one');
    await c.put(toBytes('a/2'), new Uint8Array([2]));
    const got = await c.get('a/', { prefix: true });
    expect(got.count).toBe(2);
    expect(got.kvs.map((kv) => Buffer.from(kv.value).toString('hex'))).toEqual([Buffer.from('one').toString('hex'), '02']);
    const del = await c.delete('a/', { prefix: true, prevKv: true });
    expect(del.deleted).toBe(2);
    expect(del.prevKvs.length).toBe(2);
  });

  it('watch: no lost and no duplicated event across random link drops and leader changes', async () => {
    const action = fc.oneof(
      fc.record({ t: fc.constant('put' as const), k: fc.nat({ max: 3 }), inPrefix: fc.boolean() }),
      fc.record({ t: fc.constant('del' as const), k: fc.nat({ max: 3 }) }),
      fc.record({ t: fc.constant('drop' as const), m: fc.nat({ max: 2 }) }),
      fc.record({ t: fc.constant('leader' as const), m: fc.nat({ max: 2 }) }),
      fc.record({ t: fc.constant('flaky' as const), every: fc.nat({ max: 4 }) }),
    );
    let resumes = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 30 }), fc.boolean(), async (actions, fromPast) => {
        const store = cluster.store;
        for (const m of cluster.members) m.dropEveryNthPush = 0;
        const c = await client();
        c.on('disconnect', () => resumes++);
        if (fromPast) store.put(toBytes('w/pre'), toBytes('x'));
        const start = fromPast ? store.revision : 0;
        const w = c.watch('w/', { prefix: true, startRevision: start });
        await guard(w.ready, 'watch registration');
        const from = fromPast ? start : w.nextRevision;
        let yieldEvery = 0;
        for (const a of actions) {
          if (a.t === 'put') store.put(toBytes(`${a.inPrefix ? 'w/' : 'x/'}${a.k}`), toBytes(`v${store.revision}`));
          else if (a.t === 'del') store.deleteRange(toBytes(`w/${a.k}`));
          else if (a.t === 'drop') cluster.member(a.m).dropLinks();
          else if (a.t === 'leader') cluster.setLeader(cluster.member(a.m));
          else for (const m of cluster.members) m.dropEveryNthPush = a.every;
          // Let the client run between some actions so drops hit it mid-stream too.
          if (++yieldEvery % 3 === 0) await new Promise((r) => setImmediate(r));
        }
        for (const m of cluster.members) m.dropEveryNthPush = 0;
        store.put(toBytes('w/end'), toBytes('end'));
        const seen = await guard(eventsUntil(w, store.revision), 'watch catch-up');
        expect(summary(seen)).toEqual(expectedFrom(from, 'w/'));
        w.cancel();
        c.close();
      }),
      { numRuns: 12 },
    );
    // The runs must actually have dropped watch links, or the property proved nothing.
    expect(resumes).toBeGreaterThan(0);
  });

  it('watch: resumes from a different member after its member dies', async () => {
    const c = await client([cluster.member(0).url, cluster.member(1).url], { preferLeader: false });
    const w = c.watch('k', {});
    await guard(w.ready, 'watch registration');
    const from = w.nextRevision;
    cluster.store.put(toBytes('k'), toBytes('1'));
    await guard(eventsUntil(w, cluster.store.revision), 'first event');
    const down = nextEvent(c, 'disconnect');
    await cluster.member(0).stop();
    await down;
    cluster.store.put(toBytes('k'), toBytes('2'));
    cluster.store.put(toBytes('k'), toBytes('3'));
    await guard(eventsUntil(w, cluster.store.revision), 'resumed events');
    expect(c.endpoint).toBe(cluster.member(1).url);
    // Everything since the anchor, once: replay the full watch from `from` to compare.
    const again = c.watch('k', { startRevision: from });
    const all = await guard(eventsUntil(again, cluster.store.revision), 'replay');
    expect(summary(all)).toEqual(expectedFrom(from, 'k'));
  });

  it('watch: a from-now watch whose link drops right after registering keeps its anchor', async () => {
    const c = await client([cluster.member(0).url], { preferLeader: false });
    cluster.member(0).addFault({ kind: 'dropAfterReply', op: 'watchCreate' });
    const down = nextEvent(c, 'disconnect');
    const w = c.watch('d', {});
    await guard(w.ready, 'watch registration');
    const anchor = w.nextRevision;
    await guard(down, 'link drop');
    cluster.store.put(toBytes('d'), toBytes('1'));
    cluster.store.put(toBytes('d'), toBytes('2'));
    const seen = await guard(eventsUntil(w, cluster.store.revision), 'events after the drop');
    expect(summary(seen)).toEqual(expectedFrom(anchor, 'd'));
    expect(seen.length).toBe(2);
  });

  it('watch: surfaces compaction that happened while the link was down', async () => {
    const c = await client([cluster.member(0).url], { preferLeader: false, backoff: { baseDelayMs: 50, maxDelayMs: 50 } });
    const w = c.watch('c/', { prefix: true });
    await guard(w.ready, 'watch registration');
    cluster.store.put(toBytes('c/1'), toBytes('1'));
    await guard(eventsUntil(w, cluster.store.revision), 'first event');
    // Block the resume until the history it needs is compacted.
    cluster.member(0).addFault({ kind: 'ignore', op: 'status', sticky: true });
    const down = nextEvent(c, 'disconnect');
    cluster.member(0).dropLinks();
    await down;
    cluster.store.put(toBytes('c/2'), toBytes('2'));
    cluster.store.put(toBytes('c/3'), toBytes('3'));
    cluster.store.compact(cluster.store.revision);
    cluster.member(0).clearFaults();
    const err = await guard(caught(w.next()), 'compaction error');
    expect(err.code).toBe('Compacted');
    expect(err.details.compactRevision).toBe(cluster.store.revision);
  });

  it('watch: a compacted start revision fails the watch with Compacted', async () => {
    const c = await client();
    for (let i = 0; i < 4; i++) cluster.store.put(toBytes('z'), toBytes(String(i)));
    cluster.store.compact(4);
    const w = c.watch('z', { startRevision: 2 });
    const err = await guard(caught(w.next()), 'compaction error');
    expect(err.code).toBe('Compacted');
    expect(err.details.compactRevision).toBe(4);
    expect(c.stats().watches).toBe(0); // a failed watch is forgotten
  });

  it('watch: requestProgress yields a bookmark at the current revision', async () => {
    const c = await client();
    const w = c.watch('p', {});
    await guard(w.ready, 'watch registration');
    cluster.store.put(toBytes('other'), toBytes('1'));
    await w.requestProgress();
    const r = await guard(w.next(), 'progress batch');
    expect(r.done === false && r.value.progress).toBe(true);
    expect(r.done === false && r.value.revision).toBe(cluster.store.revision);
    expect(c.stats().watches).toBe(1);
    w.cancel();
    expect(c.stats().watches).toBe(0);
  });

  it('heartbeat: a member that stops answering is dropped and the client moves on', async () => {
    const c = await client([cluster.member(0).url, cluster.member(1).url], { preferLeader: false });
    expect(c.endpoint).toBe(cluster.member(0).url);
    const down = nextEvent(c, 'disconnect');
    cluster.member(0).setSilent(true);
    const ev = (await guard(down, 'heartbeat disconnect')) as { reason: string };
    expect(ev.reason).toMatch(/heartbeat/);
    await c.put('after', 'silence');
    expect(c.endpoint).toBe(cluster.member(1).url);
  });

  it('lease: keepalive renews, server-side expiry emits lost(expired)', async () => {
    const c = await client();
    const lease = await c.lease.grant(1);
    await guard(new Promise((res) => lease.once('renewed', res)), 'first renewal');
    cluster.store.expireLease(lease.id);
    const lost = await guard(lease.lost, 'lease lost');
    expect(lost.reason).toBe('expired');
    expect(lease.state).toBe('lost');
  });

  it('lease: keepalives failing past the TTL emit lost(keepAliveFailed)', async () => {
    const c = await client([cluster.member(0).url], { preferLeader: false });
    const lease = await c.lease.grant(1);
    cluster.member(0).addFault({ kind: 'ignore', op: 'leaseKeepAlive', sticky: true });
    const lost = await guard(lease.lost, 'lease lost');
    expect(lost.reason).toBe('keepAliveFailed');
  });

  it('lease: revoke stops keepalive without a lost event and deletes attached keys', async () => {
    const c = await client();
    const lease = await c.lease.grant(5);
    await c.put('leased', 'v', { lease });
    let lostFired = false;
    lease.on('lost', () => {
      lostFired = true;
    });
    await lease.revoke();
    expect(lease.state).toBe('revoked');
    expect((await c.get('leased')).count).toBe(0);
    expect(lostFired).toBe(false);
  });

  it('a write whose reply is lost fails as indeterminate and is not retried', async () => {
    const c = await client([cluster.member(0).url], { preferLeader: false });
    cluster.member(0).addFault({ kind: 'dropAfterApply', op: 'put' });
    const before = cluster.store.applied.get('put') ?? 0;
    const err = await caught(c.put('once', 'v'));
    expect(err.code).toBe('Unavailable');
    expect(err.indeterminate).toBe(true);
    expect(cluster.store.applied.get('put')).toBe(before + 1);
    expect(cluster.member(0).received.get('put')).toBe(1);
  });

  it('a read whose reply is lost is retried transparently', async () => {
    const c = await client([cluster.member(0).url], { preferLeader: false });
    await c.put('r', 'v');
    cluster.member(0).addFault({ kind: 'dropAfterApply', op: 'range' });
    const got = await c.get('r');
    expect(got.count).toBe(1);
    expect(cluster.member(0).received.get('range')).toBe(2);
  });

  it('a write refused with NotLeader or Unavailable before proposing is retried and applied once', async () => {
    const c = await client([cluster.member(0).url], { preferLeader: false });
    cluster.member(0).addFault({ kind: 'error', op: 'put', error: new KiteError('NotLeader', 'not leader', { leader: null }) });
    cluster.member(0).addFault({ kind: 'error', op: 'put', error: new KiteError('Unavailable', 'no leader') });
    const before = cluster.store.applied.get('put') ?? 0;
    await c.put('k', 'v');
    expect(cluster.store.applied.get('put')).toBe(before + 1);
    expect(cluster.member(0).received.get('put')).toBe(3);
  });

  it('a member answering that it has no leader makes the next attempt go to the next endpoint', async () => {
    const c = await client([cluster.member(0).url, cluster.member(1).url], { preferLeader: false });
    await c.get('warm-up');
    cluster.member(0).addFault({ kind: 'error', op: 'put', error: new KiteError('Unavailable', 'no leader for 1000 ms', { leader: null }) });
    const put = await c.put('nl', 'v');
    expect(put.header.memberId).toBe(cluster.member(1).id);
    expect([cluster.member(0).received.get('put'), cluster.member(1).received.get('put')]).toEqual([1, 1]);
  });

  it('a write dropped before it was applied on a never-answering member times out as indeterminate', async () => {
    const c = await client([cluster.member(0).url], { preferLeader: false });
    cluster.member(0).addFault({ kind: 'ignore', op: 'put' });
    const err = await caught(c.put('t', 'v', { timeoutMs: 100 }));
    expect(err.code).toBe('Timeout');
    expect(err.indeterminate).toBe(true);
  });

  it('an aborted call rejects with Canceled; non-retryable errors surface with their code', async () => {
    const c = await client([cluster.member(0).url], { preferLeader: false });
    cluster.member(0).addFault({ kind: 'ignore', op: 'range' });
    const ctl = new AbortController();
    const p = c.get('x', { signal: ctl.signal });
    ctl.abort();
    const err = await caught(p);
    expect(err.code).toBe('Canceled');
    expect(err.indeterminate).toBe(false);
    const bad = await caught(c.put('k', 'v', { lease: 999_999 }));
    expect(bad.code).toBe('LeaseNotFound');
    const big = await caught(c.put('k', new Uint8Array(2 * 1024 * 1024)));
    expect(big.code).toBe('RequestTooLarge');
  });

  it('retries are bounded: with no reachable member, calls fail with Unavailable', async () => {
    const c = await client([cluster.member(0).url], { preferLeader: false, retries: 2 });
    await cluster.member(0).stop();
    const err = await caught(c.get('k'));
    expect(err.code).toBe('Unavailable');
    expect(err.indeterminate).toBe(false);
  });

  it('prefers the leader: connecting to a follower moves the link to the leader', async () => {
    cluster.setLeader(cluster.member(2));
    const c = await client([cluster.member(0).url]);
    expect(c.endpoint).toBe(cluster.member(2).url);
    // A later leader change (seen as a new term) moves it again.
    const moved = nextEvent(c, 'connect');
    cluster.setLeader(cluster.member(1));
    await c.get('probe');
    await guard(moved, 'move to the new leader');
    expect(c.endpoint).toBe(cluster.member(1).url);
  });

  it('prefers the leader after the wall clock stepped back (the leader-check rate limit is monotonic)', async () => {
    cluster.setLeader(cluster.member(2));
    const c = await client([cluster.member(0).url]);
    // A leader change seen as a new term: a rate-limited leader check moves the link.
    const first = nextEvent(c, 'connect');
    cluster.setLeader(cluster.member(1));
    await c.get('probe');
    await guard(first, 'move to the new leader');
    const checkedMs = performance.now();
    vi.useFakeTimers({ toFake: ['Date'] }); // the wall clock only: timers stay real
    try {
      vi.setSystemTime(Date.now() - 300_000);
      // Past the client's leader-check interval (1 s) on the monotonic clock.
      await guard(new Promise<void>((resolve) => {
        const poll = (): void => void (performance.now() - checkedMs > 1_100 ? resolve() : setTimeout(poll, 20));
        poll();
      }), 'a leader-check interval');
      const moved = nextEvent(c, 'connect');
      cluster.setLeader(cluster.member(0));
      await c.get('probe');
      await guard(moved, 'move to the next leader after the step back');
      expect(c.endpoint).toBe(cluster.member(0).url);
    } finally {
      vi.useRealTimers();
    }
  });

  it('prefers the leader even when members do not advertise client URLs (probes endpoints)', async () => {
    for (const m of cluster.members) m.advertiseClientUrl = false;
    cluster.setLeader(cluster.member(2));
    const c = await client();
    expect(c.endpoint).toBe(cluster.member(2).url);
  });

  it('member list and status', async () => {
    const c = await client();
    const list = await c.members.list();
    expect(list.members.map((m) => m.name)).toEqual(['m1', 'm2', 'm3']);
    const st = await c.status(cluster.member(1).url);
    expect(st.header.memberId).toBe(cluster.member(1).id);
    expect(st.leader).toBe(cluster.member(0).id);
  });
});
