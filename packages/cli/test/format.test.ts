// Output formatters: etcdctl-like simple text, JSON with bytes as text or base64, tables.
import { describe, expect, it } from 'vitest';
import { formatDelete, formatEvent, formatPut, formatRange, formatTxn } from '../src/output/format-kv.js';
import { renderTable } from '../src/output/table.js';
import type { KvView } from '../src/output/views.js';

const enc = new TextEncoder();
const header = { clusterId: 'c', memberId: 'm', revision: 9, raftTerm: 2 };
const kv = (k: string, v: string | Uint8Array, rev = 3): KvView => ({
  key: enc.encode(k), value: typeof v === 'string' ? enc.encode(v) : v, createRevision: 2, modRevision: rev, version: 1, lease: 0,
});

describe('formatters', () => {
  it('get simple prints key then value lines, or one part only', () => {
    const r = { header, kvs: [kv('a', '1'), kv('b', '2')], more: false, count: 2 };
    expect(formatRange(r, 'simple')).toBe('a\n1\nb\n2\n');
    expect(formatRange(r, 'simple', { keysOnly: true })).toBe('a\nb\n');
    expect(formatRange(r, 'simple', { printValueOnly: true })).toBe('1\n2\n');
    expect(formatRange({ ...r, kvs: [] }, 'simple', { countOnly: true })).toBe('2\n');
  });

  it('json keeps UTF-8 as text and shows other bytes as base64', () => {
    const r = { header, kvs: [kv('a', new Uint8Array([0xff, 0x00]))], more: true, count: 5 };
    const j = JSON.parse(formatRange(r, 'json')) as { header: unknown; kvs: Record<string, unknown>[]; more: boolean; count: number };
    expect(j.header).toEqual({ revision: 9, clusterId: 'c', memberId: 'm', raftTerm: 2 });
    expect(j.kvs[0]).toMatchObject({ key: 'a', value_base64: '/wA=', createRevision: 2, modRevision: 3, version: 1, lease: '0' });
    expect(j.kvs[0]).not.toHaveProperty('value');
    expect([j.more, j.count]).toEqual([true, 5]);
  });

  it('table has a header row and one row per key', () => {
    const out = formatRange({ header, kvs: [kv('a', '1')], count: 1 }, 'table');
    expect(out.split('\n').filter((l) => l.startsWith('|'))).toEqual([
      '| KEY | VALUE | CREATE REV | MOD REV | VERSION | LEASE |',
      '| a   | 1     | 2          | 3       | 1       | -     |',
    ]);
  });

  it('put, delete and txn read like etcdctl', () => {
    expect(formatPut({ header }, 'simple')).toBe('OK\n');
    expect(formatPut({ header, prevKv: kv('a', 'old') }, 'simple')).toBe('OK\na\nold\n');
    expect(formatDelete({ header, deleted: 2 }, 'simple')).toBe('2\n');
    expect(formatTxn({ header, succeeded: true, responses: [{ type: 'put' }, { type: 'range', kvs: [kv('a', '1')], count: 1 }] }, 'simple'))
      .toBe('SUCCESS\n\nOK\n\na\n1\n');
    expect(formatTxn({ header, succeeded: false, responses: [] }, 'simple')).toBe('FAILURE\n');
  });

  it('watch events print type, previous kv when asked, then the key (and value for a put)', () => {
    expect(formatEvent({ type: 'put', kv: kv('a', '2'), prevKv: kv('a', '1') }, 'simple')).toBe('PUT\na\n1\na\n2\n');
    expect(formatEvent({ type: 'delete', kv: kv('a', '') }, 'simple')).toBe('DELETE\na\n');
    expect(JSON.parse(formatEvent({ type: 'put', kv: kv('a', '2') }, 'json'))).toMatchObject({ type: 'put', kv: { key: 'a', value: '2' } });
  });

  it('tables pad to the widest cell and escape newlines', () => {
    expect(renderTable(['x'], [['a\nb'], ['ccc']])).toBe('+------+\n| X    |\n+------+\n| a\\nb |\n| ccc  |\n+------+\n');
  });
});
