// The replicated audit trail: a record per audited command in the same apply (with the
// revision it produced, or its error code), refusals appended in batches, retention by count
// and age from the command's context, filters and paging, and state kept across a reopen.
import { describe, expect, it } from 'vitest';
import { dec, enc, memoryStore } from './helpers.js';
import { KvStore } from '../src/kv-store.js';
import type { AuditContext } from '../src/audit.js';

const ctx = (user: string, timeMs: number, retainCount = 0, retainMs = 0): AuditContext => ({ user, address: '10.0.0.1', via: 'ws', timeMs, retainCount, retainMs });

describe('audit trail', () => {
  it('records successes with their revision and refusals with their code, and pages through filters', async () => {
    const { store, d, backend } = await memoryStore();
    await d.ok({ op: 'put', args: { key: enc('/a/1'), value: enc('x') }, audit: ctx('alice', 1000) });
    await d.ok({ op: 'put', args: { key: enc('/b/1'), value: enc('x') }, audit: ctx('bob', 2000) });
    await expect(d.ok({ op: 'put', args: { key: enc('/a/missing'), value: enc('x'), lease: 999 }, audit: ctx('alice', 3000) })).rejects.toThrow(/lease 999/);
    await d.ok({ op: 'auditAppend', args: { records: [{ user: 'mallory', address: '10.0.0.9', via: 'ws', timeMs: 4000, op: 'put', keys: [enc('/a/2')], result: 'PermissionDenied' }], retainCount: 0, retainMs: 0, timeMs: 4000 } });
    await d.put('/unaudited', 'x');
    const all = await store.audit({});
    expect(all.records.map((r) => [r.seq, r.user, r.op, dec(r.keys[0]!), r.revision, r.result])).toEqual([
      [1, 'alice', 'put', '/a/1', 2, 'ok'],
      [2, 'bob', 'put', '/b/1', 3, 'ok'],
      [3, 'alice', 'put', '/a/missing', 3, 'LeaseNotFound'],
      [4, 'mallory', 'put', '/a/2', 0, 'PermissionDenied'],
    ]);
    expect((await store.audit({ prefix: enc('/a/') })).records.map((r) => r.seq)).toEqual([1, 3, 4]);
    expect((await store.audit({ user: 'alice', sinceMs: 2000 })).records.map((r) => r.seq)).toEqual([3]);
    const page = await store.audit({ limit: 2 });
    expect([page.records.map((r) => r.seq), page.nextSeq]).toEqual([[1, 2], 3]);
    expect((await store.audit({ fromSeq: 3 })).records.map((r) => r.seq)).toEqual([3, 4]);
    const reopened = await KvStore.open({ backend });
    expect((await reopened.audit({})).records).toHaveLength(4);
  });

  it('keeps at most the retained count and drops records older than the retained age', async () => {
    const { store, d } = await memoryStore();
    for (let i = 1; i <= 5; i++) await d.ok({ op: 'put', args: { key: enc(`/k${i}`), value: enc('x') }, audit: ctx('u', i * 1000, 3) });
    expect((await store.audit({})).records.map((r) => r.seq)).toEqual([3, 4, 5]);
    // Age: records older than 2.5 s before this command's time are dropped.
    await d.ok({ op: 'put', args: { key: enc('/k6'), value: enc('x') }, audit: ctx('u', 7500, 0, 2500) });
    expect((await store.audit({})).records.map((r) => r.seq)).toEqual([5, 6]);
  });
});
