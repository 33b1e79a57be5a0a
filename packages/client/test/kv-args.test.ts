// User-facing options to wire arguments: prefix/fromKey shorthands (etcd's encoding,
// including the empty-key "all keys" case), txn builders, and client-side limits.
import { describe, expect, it } from 'vitest';
import { KiteError, TXN_OPS_MAX, toBytes } from '@kite/protocol';
import { Cmp, deleteArgs, Op, putArgs, rangeArgs, txnArgs, txnIsReadOnly } from '../src/kv.js';

const arr = (b: Uint8Array | undefined): number[] | undefined => (b === undefined ? undefined : Array.from(b));

describe('kv arguments', () => {
  it('encodes prefix, fromKey, explicit rangeEnd and a single key', () => {
    expect(arr(rangeArgs('ab', { prefix: true }).rangeEnd)).toEqual(arr(toBytes('ac')));
    expect(arr(rangeArgs('ab', { fromKey: true }).rangeEnd)).toEqual([0]);
    expect(arr(rangeArgs('ab', { rangeEnd: 'b', prefix: true }).rangeEnd)).toEqual(arr(toBytes('b')));
    const single = rangeArgs('ab', { limit: 3 });
    expect('rangeEnd' in single).toBe(false);
    expect(single.limit).toBe(3);
    expect(Object.values(single).includes(undefined)).toBe(false);
  });

  it('maps an empty key with prefix or fromKey to every key (key "\\0", rangeEnd "\\0")', () => {
    for (const a of [rangeArgs('', { prefix: true }), deleteArgs('', { fromKey: true })]) {
      expect(arr(a.key)).toEqual([0]);
      expect(arr(a.rangeEnd)).toEqual([0]);
    }
  });

  it('takes a lease id or a lease object', () => {
    expect(putArgs('k', 'v', { lease: 7 }).lease).toBe(7);
    expect(putArgs('k', 'v', { lease: { id: 9 } }).lease).toBe(9);
    expect('lease' in putArgs('k', 'v')).toBe(false);
  });

  it('builds compares with symbolic operators', () => {
    expect(Cmp.version('k', '=', 0)).toMatchObject({ target: 'version', result: 'equal', value: 0 });
    expect(Cmp.modRevision('k', '<', 5)).toMatchObject({ target: 'modRevision', result: 'less' });
    const v = Cmp.value('k', '!=', 'x');
    expect(v.target === 'value' && arr(v.value)).toEqual(arr(toBytes('x')));
    expect(v.result).toBe('notEqual');
  });

  it('bounds txn lists client-side and tells read-only txns apart', () => {
    const many = Array.from({ length: TXN_OPS_MAX + 1 }, (_, i) => Op.put(`k${i}`, 'v'));
    expect(() => txnArgs({ success: many })).toThrow(KiteError);
    expect(txnArgs({ success: many.slice(0, TXN_OPS_MAX) }).success.length).toBe(TXN_OPS_MAX);
    expect(txnIsReadOnly(txnArgs({ success: [Op.get('a'), Op.txn({ failure: [Op.get('b')] })] }))).toBe(true);
    expect(txnIsReadOnly(txnArgs({ success: [Op.get('a')], failure: [Op.delete('a')] }))).toBe(false);
  });
});
