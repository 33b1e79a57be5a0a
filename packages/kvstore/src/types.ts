// Public data shapes of @kite/kvstore. The kv ops' arguments and results are @kite/protocol's
// (the op schema: one definition, checked by the server before proposing and by the store at
// apply time); the server hands wire arguments straight to the store. What is the store's own
// is the replicated command form of lease ops (`id` where the wire says `leaseId`, kept so
// old data dirs replay unchanged) and the revision a top-level range was served at.
// Keys and values are bytes; revisions, versions and lease ids are non-negative safe integers.

import type { LeaseId, RangeResult } from '@kite/protocol';

export type {
  Compare, CompareResult, CompareTarget, DeleteRangeArgs, DeleteRangeResult, EmptyResult, HashResult, KeyValue, LeaseId,
  LeaseLeasesResult, PutArgs, PutResult, RangeArgs, RangeResult, SortOrder, SortTarget, TxnArgs, TxnRequestOp,
  TxnResponseOp, TxnResult,
} from '@kite/protocol';

/** A top-level range also says at which store revision it was served (for the header). */
export interface RangeReply extends RangeResult {
  readonly revision: number;
}

/** The compact command: the wire's CompactArgs minus `physical` (a reply option of the member). */
export interface CompactArgs {
  readonly revision: number;
}

/** The leaseGrant command (checked with protocol's LEASE_GRANT_FIELDS: `id` is the wire's leaseId). */
export interface LeaseGrantArgs {
  /** Seconds; raised to the store's minimum TTL when smaller. */
  readonly ttl: number;
  /** 0 or absent: the store derives one from the Raft index (deterministic on every replica). */
  readonly id?: LeaseId;
}
export interface LeaseGrantResult {
  readonly id: LeaseId;
  readonly ttl: number;
}
export interface LeaseRevokeArgs {
  readonly id: LeaseId;
}
export interface LeaseCheckpoint {
  readonly id: LeaseId;
  /** Remaining time to live when the leader checkpointed it. */
  readonly remainingTtlMs: number;
}
export interface LeaseCheckpointArgs {
  readonly checkpoints: readonly LeaseCheckpoint[];
}
export interface LeaseKeepAliveResult {
  readonly id: LeaseId;
  /** Seconds remaining after the renewal (the granted TTL). */
  readonly ttl: number;
}
/** Like etcd, an unknown lease answers ttl -1 (not an error). */
export interface LeaseTimeToLiveResult {
  readonly id: LeaseId;
  readonly ttl: number;
  readonly grantedTtl: number;
  /** Present when keys was asked. */
  readonly keys?: readonly Uint8Array[];
}
