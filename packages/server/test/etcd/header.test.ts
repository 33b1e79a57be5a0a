// etcd's uint64 ids from Kite's 64-bit hex ids, both ways, losslessly.
import { describe, expect, it } from 'vitest';
import { etcdHeader, idToUint64, uint64ToId } from '../../src/etcd/header.js';

describe('etcd response header', () => {
  it('carries the ids as uint64 decimal strings and the revision and term as int64 strings', () => {
    const h = etcdHeader({ clusterId: 'ffffffffffffffff', memberId: '072b6bd9e3c9e632', revision: 42, raftTerm: 3 });
    expect(h).toEqual({ cluster_id: '18446744073709551615', member_id: BigInt('0x072b6bd9e3c9e632').toString(), revision: '42', raft_term: '3' });
  });

  it('turns a uint64 back into the same hex id, and refuses what is not one', () => {
    for (const id of ['0000000000000001', '072b6bd9e3c9e632', 'ffffffffffffffff']) expect(uint64ToId(idToUint64(id))).toBe(id);
    expect(uint64ToId(5)).toBe('0000000000000005');
    expect(() => uint64ToId('18446744073709551616')).toThrow(/does not fit/);
    expect(() => uint64ToId('-1')).toThrow(/not a uint64/);
    expect(() => uint64ToId({})).toThrow(/not a uint64/);
  });
});
