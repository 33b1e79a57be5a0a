// Public data shapes of @kite/kvstore. They mirror @kite/protocol's (etcd v3 semantics,
// camelCase) structurally, so the server can hand wire arguments straight to the store, but
// kvstore does not import protocol (dependency direction: server -> protocol, kvstore).
// Keys and values are bytes; revisions, versions and lease ids are non-negative safe integers.

/** A lease id; 0 means "no lease". */
export type LeaseId = number;

export interface KeyValue {
  readonly key: Uint8Array;
  /** Empty when a range asked for keysOnly, and in delete events. */
  readonly value: Uint8Array;
  readonly createRevision: number;
  readonly modRevision: number;
  /** 1 on create, +1 per put, 0 in a delete event. */
  readonly version: number;
  readonly lease: LeaseId;
}

export type SortOrder = 'none' | 'ascend' | 'descend';
export type SortTarget = 'key' | 'version' | 'createRevision' | 'modRevision' | 'value';

export interface RangeArgs {
  readonly key: Uint8Array;
  /** Exclusive end; absent/empty = just `key`; `[0]` = every key >= key. */
  readonly rangeEnd?: Uint8Array;
  /** 0 or absent = no limit. */
  readonly limit?: number;
  /** 0 or absent = current; below the compacted revision: Compacted; above current: FutureRevision. */
  readonly revision?: number;
  readonly sortOrder?: SortOrder;
  readonly sortTarget?: SortTarget;
  /** Accepted for wire compatibility; the store always reads locally. */
  readonly serializable?: boolean;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  readonly minModRevision?: number;
  readonly maxModRevision?: number;
  readonly minCreateRevision?: number;
  readonly maxCreateRevision?: number;
}
export interface RangeResult {
  readonly kvs: readonly KeyValue[];
  /** More keys matched than `limit` returned. */
  readonly more: boolean;
  /** Number of keys in the range at the read revision (before limit and filters, like etcd). */
  readonly count: number;
}
/** A top-level range also says at which store revision it was served (for the header). */
export interface RangeReply extends RangeResult {
  readonly revision: number;
}

export interface PutArgs {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly lease?: LeaseId;
  readonly prevKv?: boolean;
  /** Keep the current value (InvalidArgument if the key does not exist; value must be empty). */
  readonly ignoreValue?: boolean;
  /** Keep the current lease (InvalidArgument if the key does not exist; lease must be 0). */
  readonly ignoreLease?: boolean;
}
export interface PutResult {
  readonly prevKv?: KeyValue;
}

export interface DeleteRangeArgs {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly prevKv?: boolean;
}
export interface DeleteRangeResult {
  readonly deleted: number;
  /** Present when prevKv was asked. */
  readonly prevKvs?: readonly KeyValue[];
}

export type CompareResult = 'equal' | 'greater' | 'less' | 'notEqual';
export type CompareTarget = 'value' | 'version' | 'createRevision' | 'modRevision' | 'lease';

/**
 * One txn guard. Over a range it holds when it holds for every key in the range. A missing key
 * compares as version/createRevision/modRevision/lease 0 and fails every `value` compare (etcd).
 */
export type Compare =
  | {
      readonly key: Uint8Array;
      readonly rangeEnd?: Uint8Array;
      readonly target: 'value';
      readonly result: CompareResult;
      readonly value: Uint8Array;
    }
  | {
      readonly key: Uint8Array;
      readonly rangeEnd?: Uint8Array;
      readonly target: 'version' | 'createRevision' | 'modRevision' | 'lease';
      readonly result: CompareResult;
      readonly value: number;
    };

export type TxnRequestOp =
  | ({ readonly type: 'range' } & RangeArgs)
  | ({ readonly type: 'put' } & PutArgs)
  | ({ readonly type: 'deleteRange' } & DeleteRangeArgs)
  | ({ readonly type: 'txn' } & TxnArgs);

export type TxnResponseOp =
  | ({ readonly type: 'range' } & RangeResult)
  | ({ readonly type: 'put' } & PutResult)
  | ({ readonly type: 'deleteRange' } & DeleteRangeResult)
  | ({ readonly type: 'txn' } & TxnResult);

export interface TxnArgs {
  readonly compare: readonly Compare[];
  readonly success: readonly TxnRequestOp[];
  readonly failure: readonly TxnRequestOp[];
}
export interface TxnResult {
  readonly succeeded: boolean;
  /** One per op of the branch taken, in order. */
  readonly responses: readonly TxnResponseOp[];
}

export interface CompactArgs {
  readonly revision: number;
}

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
export interface LeaseLeasesResult {
  readonly leases: readonly { readonly id: LeaseId }[];
}

export interface HashResult {
  /** A 32-bit hash of the key space as of `hashRevision`. */
  readonly hash: number;
  readonly compactRevision: number;
  readonly hashRevision: number;
}

export type EmptyResult = Readonly<Record<never, never>>;
