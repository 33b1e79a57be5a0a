// Lease keepalive state machine with scripted keepalive answers (no sockets). TTLs are tiny
// fractions of a second so renewal rounds run fast; nothing asserts on elapsed time.
import { describe, expect, it } from 'vitest';
import { KiteError, type LeaseKeepAliveResult } from '@kite/protocol';
import { Lease, type LeaseLostEvent, type LeaseOps } from '../src/lease.js';

type Answer = LeaseKeepAliveResult | KiteError;

function scripted(answers: Answer[], fallback: Answer): LeaseOps & { calls: number; revoked: number } {
  const ops = {
    calls: 0,
    revoked: 0,
    async keepAlive(): Promise<LeaseKeepAliveResult> {
      ops.calls++;
      const a = answers.shift() ?? fallback;
      if (a instanceof KiteError) throw a;
      return a;
    },
    async revoke(): Promise<void> {
      ops.revoked++;
      throw new KiteError('LeaseNotFound', 'already gone');
    },
  };
  return ops;
}

const TTL_S = 0.03;
const renewed = (ttl = TTL_S): LeaseKeepAliveResult => ({ leaseId: 1, ttl });

describe('Lease', () => {
  it('renews until the server forgets the lease, then reports lost(expired) once and stops', async () => {
    const ops = scripted([renewed(), renewed()], new KiteError('LeaseNotFound', 'gone'));
    const lease = new Lease(1, TTL_S, ops, () => undefined);
    const events: LeaseLostEvent[] = [];
    let renewals = 0;
    lease.on('lost', (e) => events.push(e));
    lease.on('renewed', () => renewals++);
    lease.startKeepAlive();
    const lost = await lease.lost;
    expect(lost.reason).toBe('expired');
    expect(renewals).toBe(2);
    expect(ops.calls).toBe(3);
    expect(events).toEqual([lost]);
    expect(lease.state).toBe('lost');
  });

  it('treats a non-positive TTL in a keepalive answer as expiry', async () => {
    const lease = new Lease(1, TTL_S, scripted([renewed(0)], renewed()), () => undefined);
    lease.startKeepAlive();
    expect((await lease.lost).reason).toBe('expired');
  });

  it('reports lost(keepAliveFailed) when renewals keep failing past the deadline', async () => {
    const ops = scripted([], new KiteError('Unavailable', 'no leader'));
    let done = 0;
    const lease = new Lease(1, TTL_S, ops, () => done++);
    lease.startKeepAlive();
    const lost = await lease.lost;
    expect(lost.reason).toBe('keepAliveFailed');
    expect(lost.error?.code).toBe('Unavailable');
    expect(lease.remainingMs).toBeLessThanOrEqual(0);
    expect(done).toBe(1);
  });

  it('revoke stops keepalive, counts an already-gone lease as revoked, and never reports lost', async () => {
    const ops = scripted([], renewed());
    let lostFired = false;
    const lease = new Lease(1, TTL_S, ops, () => undefined);
    lease.on('lost', () => {
      lostFired = true;
    });
    lease.startKeepAlive();
    await lease.revoke();
    expect(lease.state).toBe('revoked');
    expect(ops.revoked).toBe(1);
    const callsAtRevoke = ops.calls;
    await lease.keepAliveOnce(); // an explicit renewal still works but no longer emits
    expect(ops.calls).toBe(callsAtRevoke + 1);
    expect(lostFired).toBe(false);
  });
});
