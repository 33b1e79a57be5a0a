// Against the fake cluster: a watch the server cancels for a non-compaction reason (member
// shutting down, limits) resumes at the cursor with no lost or duplicated event; a permanent
// reason surfaces as a typed error; repeated cancels without progress are bounded (counted in
// watchCreate requests, not time). And lease revoke's retry after a lost reply.
import { describe, expect, it } from 'vitest';
import { toBytes, type KiteClient } from '@kite/client';
import { SERVER_CANCEL_RESUMES_MAX } from '../src/watch.js';
import { caught, eventsUntil, guard, oneMemberFixture, summary } from './helpers.js';

const fx = oneMemberFixture();
/** A client pinned to member 0, so that member's faults hit it. */
const client = (): Promise<KiteClient> => fx.client();

describe('watch canceled by the server', () => {
  it('resumes after non-compaction cancels: every event exactly once', async () => {
    const c = await client();
    const m = fx.cluster.member(0);
    const store = fx.cluster.store;
    const w = c.watch('w/', { prefix: true });
    await guard(w.ready, 'watch registration');
    const from = w.nextRevision;
    store.put(toBytes('w/1'), toBytes('a'));
    store.put(toBytes('w/2'), toBytes('b'));
    const seen = await guard(eventsUntil(w, store.revision), 'events before the cancel');
    m.cancelWatches('Unavailable: member shutting down');
    // Written while no registration exists: only the resume's replay can deliver these.
    store.put(toBytes('w/3'), toBytes('c'));
    store.deleteRange(toBytes('w/1'));
    seen.push(...(await guard(eventsUntil(w, store.revision), 'events after the first cancel')));
    m.cancelWatches('Canceled: slow consumer');
    m.cancelWatches('no reason'); // a second push for the now-unknown registration is ignored
    store.put(toBytes('w/4'), toBytes('d'));
    seen.push(...(await guard(eventsUntil(w, store.revision), 'events after the second cancel')));
    const expected = summary(store.historyFrom(from).flatMap((h) => h.events).filter((e) => Buffer.from(e.kv.key).toString().startsWith('w/')));
    expect(summary(seen)).toEqual(expected);
    expect(expected).toHaveLength(5);
    expect(m.received.get('watchCreate')).toBe(3); // the first registration and two resumes
    expect(w.state).toBe('active');
    w.cancel();
  });

  it('surfaces a permanent cancel reason as a typed error, after the events before it', async () => {
    const c = await client();
    const m = fx.cluster.member(0);
    const w = c.watch('p', {});
    await guard(w.ready, 'watch registration');
    fx.cluster.store.put(toBytes('p'), toBytes('1'));
    const before = await guard(eventsUntil(w, fx.cluster.store.revision), 'event before the cancel');
    expect(before).toHaveLength(1);
    m.cancelWatches('PermissionDenied: user may not read p');
    const err = await guard(caught(w.next()), 'permanent cancel');
    expect(err.code).toBe('PermissionDenied');
    expect(err.details.cancelReason).toBe('PermissionDenied: user may not read p');
    expect((await w.next()).done).toBe(true);
    expect(m.received.get('watchCreate')).toBe(1);

    m.addFault({ kind: 'cancelWatch', op: 'watchCreate', reason: 'invalid argument: bad range' });
    const w2 = c.watch('q', {});
    expect((await guard(caught(w2.next()), 'invalid argument cancel')).code).toBe('InvalidArgument');
  });

  it('gives up with Unavailable after SERVER_CANCEL_RESUMES_MAX resumes without progress', async () => {
    const c = await client();
    const m = fx.cluster.member(0);
    m.addFault({ kind: 'cancelWatch', op: 'watchCreate', reason: 'Unavailable: too many watchers', sticky: true });
    const w = c.watch('z', {});
    const err = await guard(caught(w.next()), 'resume limit');
    expect(err.code).toBe('Unavailable');
    expect(err.details.limit).toBe(SERVER_CANCEL_RESUMES_MAX);
    expect(m.received.get('watchCreate')).toBe(SERVER_CANCEL_RESUMES_MAX + 1);
  });
});

describe('lease revoke retried after a lost reply', () => {
  it('counts LeaseNotFound on the retry as revoked', async () => {
    const c = await client();
    const m = fx.cluster.member(0);
    const lease = await c.lease.grant(30, { keepAlive: false });
    await c.put('leased', 'v', { lease });
    m.addFault({ kind: 'dropAfterApply', op: 'leaseRevoke' });
    const r = await guard(c.lease.revoke(lease.id), 'revoke');
    expect(r.header).toBeNull();
    expect(m.received.get('leaseRevoke')).toBe(2); // the first attempt revoked it, the retry found it gone
    expect(fx.cluster.store.leases.has(lease.id)).toBe(false);
    expect((await c.get('leased')).count).toBe(0);
  });

  it('still reports LeaseNotFound when the first attempt finds no such lease', async () => {
    const c = await client();
    const err = await caught(c.lease.revoke(424242));
    expect(err.code).toBe('LeaseNotFound');
    expect(err.details.afterUnknownAttempt).toBeUndefined();
    expect(fx.cluster.member(0).received.get('leaseRevoke')).toBe(1);
  });
});
