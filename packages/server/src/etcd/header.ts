// etcd's ResponseHeader from Kite's: cluster_id and member_id are uint64 in etcd, Kite's ids are
// 16 hex digits (64 bits), so the header carries the same number as a decimal string (the
// proto loader's int64 representation); revision and raft_term likewise. The mapping is
// lossless both ways: a uint64 an etcd client sends back (MemberRemove, MoveLeader...) becomes
// the same hex id.

import { KiteError, type ResponseHeader } from '@kite/protocol';

export interface EtcdResponseHeader {
  readonly cluster_id: string;
  readonly member_id: string;
  readonly revision: string;
  readonly raft_term: string;
}

const UINT64_MAX = (1n << 64n) - 1n;

/** A Kite hex id as etcd's uint64, in decimal. */
export function idToUint64(hexId: string): string {
  if (!/^[0-9a-f]{1,16}$/i.test(hexId)) throw new Error(`assertion: ${JSON.stringify(hexId)} is not a 64-bit hex id`);
  return BigInt(`0x${hexId}`).toString();
}

/** An etcd uint64 (decimal string or number) as Kite's 16-hex-digit id; InvalidArgument when it is not one. */
export function uint64ToId(value: unknown): string {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^\d{1,20}$/.test(text)) throw new KiteError('InvalidArgument', `${JSON.stringify(value)} is not a uint64 member id`);
  const n = BigInt(text);
  if (n > UINT64_MAX) throw new KiteError('InvalidArgument', `${text} does not fit a uint64 member id`);
  return n.toString(16).padStart(16, '0');
}

export function etcdHeader(h: ResponseHeader): EtcdResponseHeader {
  return {
    cluster_id: idToUint64(h.clusterId),
    member_id: idToUint64(h.memberId),
    revision: String(h.revision),
    raft_term: String(h.raftTerm),
  };
}
