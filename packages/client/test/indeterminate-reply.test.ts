// Regression test for jepsen finding F2: a member whose forward to the leader was lost after
// sending answers `Unavailable` with `indeterminate: true` (the leader may have applied the
// request). The client must not retry a non-idempotent write on such a reply (it would apply
// twice, and a retried compare-and-set would report a false definite failure); it surfaces
// the error as indeterminate. Idempotent reads are still retried.
import { describe, expect, it } from 'vitest';
import { KiteError, type KiteClient } from '@kite/client';
import { caught, oneMemberFixture } from './helpers.js';

const fx = oneMemberFixture();
const client = (): Promise<KiteClient> => fx.client();

const forwardLost = (): KiteError => new KiteError('Unavailable', 'link to leader n1 lost', { indeterminate: true });

describe('a reply error marked indeterminate', () => {
  it('is final for a write: applied once, surfaced as indeterminate, not retried', async () => {
    const c = await client();
    fx.cluster.member(0).addFault({ kind: 'errorAfterApply', op: 'put', error: forwardLost() });
    const before = fx.cluster.store.applied.get('put') ?? 0;
    const err = await caught(c.put('once', 'v'));
    expect(err.code).toBe('Unavailable');
    expect(err.indeterminate).toBe(true);
    expect(fx.cluster.member(0).received.get('put')).toBe(1);
    expect(fx.cluster.store.applied.get('put')).toBe(before + 1);
  });

  it('is final for a delete too (a retry would report deleted: 0 for a delete that took effect)', async () => {
    const c = await client();
    await c.put('gone', 'v');
    fx.cluster.member(0).addFault({ kind: 'errorAfterApply', op: 'deleteRange', error: forwardLost() });
    const err = await caught(c.delete('gone'));
    expect(err.indeterminate).toBe(true);
    expect(fx.cluster.member(0).received.get('deleteRange')).toBe(1);
    expect((await c.get('gone')).count).toBe(0);
  });

  it('is retried for an idempotent read', async () => {
    const c = await client();
    await c.put('r', 'v');
    fx.cluster.member(0).addFault({ kind: 'errorAfterApply', op: 'range', error: forwardLost() });
    const got = await c.get('r');
    expect(got.count).toBe(1);
    expect(fx.cluster.member(0).received.get('range')).toBe(2);
  });
});
