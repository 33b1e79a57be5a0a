// The pure parts of the configuration-center and audit views: route parsing, the audit filter's URL
// form and split between server and browser, which sections a changed key makes stale, the
// audit trail's paging (no duplicates, bounded rows, only new records on `more()`), and the
// reloader that merges requests made while a read is in flight. The views themselves are
// tested in a real browser (test/integration/console-config.test.ts).
import { describe, expect, it } from 'vitest';
import { toBytes, type AuditArgs, type AuditRecord, type AuditResult, type KiteClient } from '@kite/client/browser';
import { AppKeys } from '@kite/config';
import { appOfKey, byNamespace } from '../src/views/config/apps-scan.js';
import { sectionsOf } from '../src/views/config/app-data.js';
import { Coalescer } from '../src/views/config/live.js';
import { parseConfigRoute } from '../src/views/config/config-route.js';
import { describeConfigChange } from '../src/views/audit/audit-describe.js';
import { filterFromQuery, filterToQuery, matchesLocally, serverArgs } from '../src/views/audit/audit-filter.js';
import { AUDIT_ROWS_MAX, AuditTrail } from '../src/views/audit/audit-trail.js';

const SHOP = { namespace: 'prod', app: 'shop' };

describe('config routes', () => {
  it('reads the app and release pages from the router parameter', () => {
    // (configHref builds these with the router's href; the browser test follows those links.)
    expect(parseConfigRoute('')).toEqual({ view: 'apps' });
    expect(parseConfigRoute('prod/shop')).toEqual({ view: 'app', ref: SHOP });
    expect(parseConfigRoute('prod/shop/releases/12')).toEqual({ view: 'release', ref: SHOP, release: 12 });
  });

  it('refuses malformed paths instead of guessing', () => {
    for (const p of ['prod', 'prod/', '/shop', 'prod/shop/releases', 'prod/shop/releases/0', 'prod/shop/releases/03', 'prod/shop/releases/1.5', 'prod/shop/x/1', 'prod/shop/releases/1/x']) {
      expect(parseConfigRoute(p), p).toEqual({ view: 'not-found' });
    }
  });
});

describe('apps listing helpers', () => {
  it('finds the app of a key and groups apps by namespace', () => {
    expect(appOfKey('__kite/config/apps/prod/shop/releases/0000000001')).toEqual(SHOP);
    expect(appOfKey('__kite/config/apps/prod')).toBeNull();
    expect(appOfKey('other/key')).toBeNull();
    expect([...byNamespace([{ namespace: 'test', app: 'b' }, SHOP, { namespace: 'prod', app: 'api' }])]).toEqual([['prod', ['api', 'shop']], ['test', ['b']]]);
  });
});

describe('sectionsOf', () => {
  const keys = new AppKeys(SHOP);
  const k = (rel: string): string => `${keys.base}${rel}`;
  it('re-reads only what a change affects; the head affects everything', () => {
    expect([...sectionsOf(new Set([k('instances/i-1')]), keys)]).toEqual(['instances']);
    expect([...sectionsOf(new Set([k('draft/db'), k('draft-seq')]), keys)]).toEqual(['state']);
    expect([...sectionsOf(new Set([k('releases/0000000003'), k('outcome/0000000003')]), keys)]).toEqual(['releases']);
    expect([...sectionsOf(new Set([k('instances/i-1'), k('head')]), keys)].sort()).toEqual(['instances', 'releases', 'state']);
    expect([...sectionsOf('all', keys)].sort()).toEqual(['instances', 'releases', 'state']);
    expect([...sectionsOf(new Set(['__kite/config/apps/prod/other/head']), keys)]).toEqual([]);
  });
});

describe('audit filter', () => {
  it('round-trips through the URL and splits between server and browser', () => {
    const f = { user: 'ana', op: 'txn', prefix: 'a&b=/c', sinceMs: Date.UTC(2026, 0, 2, 3, 4, 5), untilMs: Date.UTC(2026, 0, 3) };
    expect(filterFromQuery(filterToQuery(f))).toEqual(f);
    expect(filterFromQuery('')).toEqual({});
    expect(filterFromQuery('since=not-a-time&user=')).toEqual({});
    expect(serverArgs(f)).toEqual({ user: 'ana', prefix: toBytes('a&b=/c'), sinceMs: f.sinceMs });
    const rec = record(1, { op: 'txn', timeMs: f.untilMs });
    expect(matchesLocally(rec, f)).toBe(true);
    expect(matchesLocally({ ...rec, op: 'put' }, f)).toBe(false);
    expect(matchesLocally({ ...rec, timeMs: f.untilMs + 1 }, f)).toBe(false);
  });

  it('names configuration-center changes from their keys', () => {
    const keys = new AppKeys(SHOP);
    expect(describeConfigChange({ keys: [keys.release(7), keys.head] })).toBe('release 7 of prod/shop');
    expect(describeConfigChange({ keys: [keys.outcome(3), keys.head] })).toBe('gray release 3 of prod/shop ended');
    expect(describeConfigChange({ keys: [keys.draft('db'), keys.draftSeq] })).toBe('draft edit db of prod/shop');
    expect(describeConfigChange({ keys: [toBytes('/app1/a')] })).toBeNull();
  });
});

function record(seq: number, over: Partial<AuditRecord> = {}): AuditRecord {
  return { seq, timeMs: 1000 + seq, user: 'ana', address: '127.0.0.1', via: 'ws', op: 'put', keys: [toBytes(`/k/${seq}`)], revision: seq + 1, result: 'ok', ...over };
}

/** The audit op's contract over an array: filters user and prefix, pages of `pageRecords`, nextSeq. */
function auditServer(trail: AuditRecord[], pageRecords: number): { client: KiteClient; calls: AuditArgs[] } {
  const calls: AuditArgs[] = [];
  const startsWith = (k: Uint8Array, p: Uint8Array): boolean => k.length >= p.length && p.every((b, i) => k[i] === b);
  const request = async (op: string, args: AuditArgs): Promise<AuditResult> => {
    expect(op).toBe('audit');
    calls.push(args);
    const from = args.fromSeq ?? 1;
    const end = (trail[trail.length - 1]?.seq ?? 0) + 1;
    const records: AuditRecord[] = [];
    for (const r of trail) {
      if (r.seq < from) continue;
      if ((args.user === undefined || r.user === args.user) && (args.prefix === undefined || r.keys.some((k) => startsWith(k, args.prefix!)))) records.push(r);
      if (records.length >= pageRecords) return { records, nextSeq: r.seq + 1 < end ? r.seq + 1 : null };
    }
    return { records, nextSeq: null };
  };
  return { client: { request } as unknown as KiteClient, calls };
}

describe('AuditTrail', () => {
  it('reads every page once, then only records after the last one seen; never twice', async () => {
    const trail = Array.from({ length: 25 }, (_, i) => record(i + 1, { user: i % 2 === 0 ? 'ana' : 'bob' }));
    const { client, calls } = auditServer(trail, 4);
    const t = new AuditTrail(client, { user: 'ana' });
    expect(await t.more()).toBe(13);
    expect(t.rows.map((r) => r.seq)).toEqual(trail.filter((r) => r.user === 'ana').map((r) => r.seq));
    expect(calls.length).toBe(4);
    trail.push(record(26, { user: 'ana' }), record(27, { user: 'bob' }), record(28, { user: 'ana' }));
    calls.length = 0;
    expect(await t.more()).toBe(2);
    expect(calls.map((c) => c.fromSeq)).toEqual([26]);
    expect(t.rows.slice(-3).map((r) => r.seq)).toEqual([25, 26, 28]);
    expect(await t.more()).toBe(0);
    expect(new Set(t.rows.map((r) => r.seq)).size).toBe(t.rows.length);
  });

  it('keeps only the newest AUDIT_ROWS_MAX rows and applies the op filter itself', async () => {
    const trail = Array.from({ length: AUDIT_ROWS_MAX * 2 + 10 }, (_, i) => record(i + 1, { op: i % 2 === 0 ? 'txn' : 'put' }));
    const { client } = auditServer(trail, 1000);
    const all = new AuditTrail(client, {});
    await all.more();
    expect(all.rows.length).toBe(AUDIT_ROWS_MAX);
    expect(all.rows[all.rows.length - 1]?.seq).toBe(trail.length);
    const txns = new AuditTrail(client, { op: 'txn' });
    await txns.more();
    expect(txns.rows.every((r) => r.op === 'txn')).toBe(true);
    expect(txns.rows.length).toBe(AUDIT_ROWS_MAX);
  });
});

describe('Coalescer', () => {
  it('runs one load at a time and merges requests made meanwhile into one more run', async () => {
    const runs: string[][] = [];
    let release: () => void = () => undefined;
    const c = new Coalescer<string>(async (what) => {
      runs.push([...what].sort());
      await new Promise<void>((r) => { release = r; });
    }, (err) => { throw err; });
    c.request(['a']);
    c.request(['b']);
    c.request(['c', 'b']);
    expect(runs).toEqual([['a']]);
    release();
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(runs).toEqual([['a'], ['b', 'c']]);
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(runs.length).toBe(2);
  });
});
