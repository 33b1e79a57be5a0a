// The lock workload's checkers against planted histories whose counter looks fine (one
// acknowledged write per count, linearizable) but whose fencing tokens could not have
// protected it: a newer holder with a lower token while the older still holds, a later holder
// with a lower token, two holders with one token.

import { describe, expect, it } from 'vitest';
import { combineValidity } from '../../src/checkers/index.js';
import { pairOperations } from '../../src/history/index.js';
import { renderReport } from '../../src/report/report-html.js';
import { defaultOptions } from '../../src/run/options.js';
import { COUNTER_KEY, LOCK_NAME, lockWorkload } from '../../src/workloads/lock.js';
import { HistoryBuilder } from '../support/builder.js';

const lockKey = (holder: string): string => `${LOCK_NAME}/${holder}`;

function acquire(h: HistoryBuilder, p: number, token: number): HistoryBuilder {
  return h.invoke(p, 'acquire', LOCK_NAME, null).ok(p, { token, key: lockKey(`h${p}`) }, { node: `n${p + 1}` });
}
function release(h: HistoryBuilder, p: number, token: number): HistoryBuilder {
  return h.op(p, 'release', LOCK_NAME, { key: lockKey(`h${p}`), token }, null);
}
/** Reads the counter, then writes it + 1 through the fence. */
function increment(h: HistoryBuilder, p: number, from: number | null): HistoryBuilder {
  h.op(p, 'read', COUNTER_KEY, null, from);
  return h.op(p, 'fenced-write', COUNTER_KEY, (from ?? 0) + 1);
}
/** A fenced write the fence refused: served, answered false. */
function fencedOut(h: HistoryBuilder, p: number, next: number): HistoryBuilder {
  return h.invoke(p, 'fenced-write', COUNTER_KEY, next).ok(p, false);
}

function judge(h: HistoryBuilder) {
  const results = lockWorkload(true, 0).check({ history: pairOperations(h.entries), recoveryBoundMs: 10_000, endTimeNs: 0 });
  const anomalies = results.flatMap((r) => r.anomalies);
  return { valid: combineValidity(results.map((r) => r.valid)), anomalies, types: anomalies.map((a) => a.type) };
}

describe('lock checkers and fencing tokens', () => {
  it('accepts holders whose tokens grow with the order they got the lock', () => {
    const h = new HistoryBuilder();
    acquire(h, 0, 10);
    increment(h, 0, null);
    release(h, 0, 10);
    acquire(h, 1, 12);
    increment(h, 1, 1);
    release(h, 1, 12);
    const r = judge(h);
    expect(r.anomalies).toEqual([]);
    expect(r.valid).toBe(true);
  });

  it('flags two overlapping holders where the newer one has the lower token', () => {
    const h = new HistoryBuilder();
    acquire(h, 0, 10);
    h.op(0, 'read', COUNTER_KEY, null, null);
    // Holder 0 pauses past its lease; holder 1 gets the lock with a LOWER token.
    acquire(h, 1, 8);
    increment(h, 1, null);
    release(h, 1, 8);
    fencedOut(h, 0, 1);
    release(h, 0, 10);
    const r = judge(h);
    expect(r.valid).toBe(false);
    expect(r.types).toEqual(['fencing-token-order']);
    expect(r.anomalies[0]?.['overlapped']).toBe(true);
    expect(r.anomalies[0]?.message).toContain('token 8 while process 0 (#0) still held it with token 10');
  });

  it('flags a later holder with a lower token even without an overlap', () => {
    const h = new HistoryBuilder();
    acquire(h, 0, 10);
    increment(h, 0, null);
    release(h, 0, 10);
    acquire(h, 1, 9);
    increment(h, 1, 1);
    release(h, 1, 9);
    const r = judge(h);
    expect(r.types).toEqual(['fencing-token-order']);
    expect(r.anomalies[0]?.['overlapped']).toBe(false);
  });

  it('flags two holders with the same token', () => {
    const h = new HistoryBuilder();
    acquire(h, 0, 10);
    h.op(0, 'read', COUNTER_KEY, null, null);
    acquire(h, 1, 10);
    increment(h, 1, null);
    release(h, 1, 10);
    fencedOut(h, 0, 1);
    release(h, 0, 10);
    expect(judge(h).types).toEqual(['fencing-token-reused']);
  });

  it('counts a write the fence refused as ok, false: no effect on the counter, not a failure', () => {
    const h = new HistoryBuilder();
    acquire(h, 0, 10);
    h.op(0, 'read', COUNTER_KEY, null, null);
    acquire(h, 1, 12);
    increment(h, 1, null);
    release(h, 1, 12);
    fencedOut(h, 0, 1);
    release(h, 0, 10);
    h.op(1, 'read', COUNTER_KEY, null, 1);
    const r = judge(h);
    expect(r.anomalies).toEqual([]);
    expect(r.valid).toBe(true);
    const html = renderReport({ title: 't', entries: h.entries, phases: [], events: [], results: [], valid: true, error: null, options: defaultOptions() });
    expect(html).toMatch(/ok \d+, of which 1 answered false: a compare that did not hold, fail 0/);
  });
});
