// etcd KV requests as Kite op arguments, and Kite results as etcd responses.
import { describe, expect, it } from 'vitest';
import { compareArg, deleteRangeArgs, putArgs, rangeArgs, txnArgs, txnOut } from '../../src/etcd/kv-service.js';

const buf = (s: string): Buffer => Buffer.from(s);

describe('KV request conversion', () => {
  it('maps every Range field; 0 means unset; "\\0" range_end stays "every key from key"', () => {
    expect(rangeArgs({ key: buf('a'), range_end: Buffer.from([0]), limit: '0', revision: '0', sort_order: 'NONE', sort_target: 'KEY' })).toEqual({ key: buf('a'), rangeEnd: Buffer.from([0]) });
    expect(
      rangeArgs({
        key: buf('a'), range_end: buf('b'), limit: '10', revision: '7', sort_order: 'DESCEND', sort_target: 'MOD', serializable: true, keys_only: true, count_only: true,
        min_mod_revision: '1', max_mod_revision: '2', min_create_revision: '3', max_create_revision: '4',
      }),
    ).toEqual({
      key: buf('a'), rangeEnd: buf('b'), limit: 10, revision: 7, sortOrder: 'descend', sortTarget: 'modRevision', serializable: true, keysOnly: true, countOnly: true,
      minModRevision: 1, maxModRevision: 2, minCreateRevision: 3, maxCreateRevision: 4,
    });
  });

  it('sorts ascending when a target other than KEY comes with order NONE (etcd\'s default)', () => {
    expect(rangeArgs({ key: buf('a'), sort_order: 'NONE', sort_target: 'VERSION' })).toMatchObject({ sortOrder: 'ascend', sortTarget: 'version' });
  });

  it('refuses an int64 outside the safe range and an unknown enum name with InvalidArgument', () => {
    expect(() => rangeArgs({ key: buf('a'), revision: '9223372036854775807' })).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    expect(() => rangeArgs({ key: buf('a'), sort_order: 'SIDEWAYS' })).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });

  it('maps Put and DeleteRange flags', () => {
    expect(putArgs({ key: buf('k'), value: buf('v'), lease: '5', prev_kv: true, ignore_value: false, ignore_lease: true })).toEqual({ key: buf('k'), value: buf('v'), lease: 5, prevKv: true, ignoreLease: true });
    expect(deleteRangeArgs({ key: buf('k'), range_end: Buffer.alloc(0), prev_kv: true })).toEqual({ key: buf('k'), prevKv: true });
  });

  it('maps each compare target to the union member it reads', () => {
    expect(compareArg({ key: buf('k'), target: 'VALUE', result: 'NOT_EQUAL', value: buf('x'), target_union: 'value' })).toEqual({ key: buf('k'), target: 'value', result: 'notEqual', value: buf('x') });
    expect(compareArg({ key: buf('k'), target: 'MOD', result: 'GREATER', mod_revision: '9', range_end: buf('l') })).toEqual({ key: buf('k'), rangeEnd: buf('l'), target: 'modRevision', result: 'greater', value: 9 });
    expect(compareArg({ key: buf('k'), target: 'CREATE', result: 'LESS', create_revision: '3' })).toMatchObject({ target: 'createRevision', value: 3 });
    expect(compareArg({ key: buf('k'), target: 'LEASE', result: 'EQUAL', lease: '0' })).toMatchObject({ target: 'lease', value: 0 });
    expect(compareArg({ key: buf('k'), target: 'VERSION', result: 'EQUAL', version: '2' })).toMatchObject({ target: 'version', value: 2 });
  });

  it('maps nested txns and refuses an op with no request set', () => {
    const args = txnArgs({ compare: [], success: [{ request: 'request_txn', request_txn: { compare: [], success: [{ request: 'request_delete_range', request_delete_range: { key: buf('k') } }], failure: [] } }], failure: [] });
    expect(args.success[0]).toEqual({ type: 'txn', compare: [], success: [{ type: 'deleteRange', key: buf('k') }], failure: [] });
    expect(() => txnArgs({ success: [{}] })).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });

  it('gives each txn response op the oneof it fills and the revision in its header', () => {
    const out = txnOut({ succeeded: true, responses: [{ type: 'put' }, { type: 'deleteRange', deleted: 2 }, { type: 'range', kvs: [], more: false, count: 0 }] }, { revision: '9' }, 9);
    const responses = out['responses'] as Record<string, Record<string, unknown>>[];
    expect(responses.map((r) => r['response'])).toEqual(['response_put', 'response_delete_range', 'response_range']);
    expect(responses[1]!['response_delete_range']).toMatchObject({ deleted: '2', prev_kvs: [], header: { revision: '9' } });
  });
});
