// Data shapes carried inside requests, replies and watch pushes. Semantics are etcd v3's
// (mvccpb / etcdserverpb); names are camelCase. Keys and values are bytes; revisions, versions,
// TTLs and lease ids are non-negative safe integers; member and cluster ids are strings
// (a NodeId in @kite/raft), because a uint64 id does not fit a JS number.

export type MemberId = string;
export type ClusterId = string;
/** A lease id; 0 means "no lease". */
export type LeaseId = number;
export type Revision = number;

/** On every successful reply and watch push. */
export interface ResponseHeader {
  readonly clusterId: ClusterId;
  /** The member that produced this reply (after forwarding: the member the client talks to). */
  readonly memberId: MemberId;
  /** The store revision when the request was served (for a write: the revision it created). */
  readonly revision: Revision;
  readonly raftTerm: number;
  /** The auth revision the member had applied (etcd's header auth_revision); bumped by every auth change. */
  readonly authRevision?: number;
}

export interface KeyValue {
  readonly key: Uint8Array;
  /** Empty when the range asked for keysOnly. */
  readonly value: Uint8Array;
  readonly createRevision: Revision;
  readonly modRevision: Revision;
  /** 1 on create, +1 per put, reset by delete. */
  readonly version: number;
  readonly lease: LeaseId;
}

export type EventType = 'put' | 'delete';

/**
 * One change. For a delete, `kv` holds the key with `modRevision` = the deleting revision,
 * an empty value and version 0. `prevKv` is present only when the watch asked for it and the
 * key existed before.
 */
export interface WatchEvent {
  readonly type: EventType;
  readonly kv: KeyValue;
  readonly prevKv?: KeyValue;
}

export interface Member {
  readonly id: MemberId;
  /** Empty until a member added by memberAdd has started and published its name. */
  readonly name: string;
  readonly peerUrls: readonly string[];
  /** ws:// URLs clients connect to (e.g. ws://127.0.0.1:2379). */
  readonly clientUrls: readonly string[];
  /**
   * The member's etcd v3 gRPC door (http(s)://, what etcd clients dial); absent until the
   * member published it, or when its door is off.
   */
  readonly grpcUrls?: readonly string[];
  readonly isLearner: boolean;
}

export type SortOrder = 'none' | 'ascend' | 'descend';
export type SortTarget = 'key' | 'version' | 'createRevision' | 'modRevision' | 'value';

export type CompareResult = 'equal' | 'greater' | 'less' | 'notEqual';

/**
 * One txn guard. Over a range (`rangeEnd` set) it holds when it holds for every key in the
 * range. A missing key compares as version/createRevision/modRevision/lease 0 and fails a
 * `value` compare (etcd semantics).
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

export type CompareTarget = Compare['target'];
