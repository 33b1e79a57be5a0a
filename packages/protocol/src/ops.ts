// Every client-link op: its arguments (the request frame minus `id` and `op`) and its result
// (the reply frame minus `id`, `ok` and `header`). `Ops` is the single table server, client
// and CLI type against; adding an op means adding a row here. Args and results are spread
// into the envelope, so they must never use an envelope key (id, op, ok, header, error):
// hence `leaseId` / `memberId`, and a compile-time check at the end of this file.

import type { Compare, KeyValue, LeaseId, Member, MemberId, Revision, SortOrder, SortTarget } from './types.js';

// ---- kv

export interface RangeArgs {
  readonly key: Uint8Array;
  /** Exclusive end; absent = just `key`; `[0]` (a single zero byte) = every key >= key. */
  readonly rangeEnd?: Uint8Array;
  /** 0 or absent = no limit. */
  readonly limit?: number;
  /** 0 or absent = latest; below the compacted revision fails with Compacted. */
  readonly revision?: Revision;
  readonly sortOrder?: SortOrder;
  readonly sortTarget?: SortTarget;
  /** Serve from the local member at once instead of a linearizable ReadIndex read. */
  readonly serializable?: boolean;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  readonly minModRevision?: Revision;
  readonly maxModRevision?: Revision;
  readonly minCreateRevision?: Revision;
  readonly maxCreateRevision?: Revision;
}
export interface RangeResult {
  readonly kvs: readonly KeyValue[];
  /** More keys matched than `limit` returned. */
  readonly more: boolean;
  /** Number of keys in the range (before limit). */
  readonly count: number;
}

export interface PutArgs {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly lease?: LeaseId;
  readonly prevKv?: boolean;
  /** Keep the current value (fails with InvalidArgument if the key does not exist). */
  readonly ignoreValue?: boolean;
  /** Keep the current lease (fails with InvalidArgument if the key does not exist). */
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

/** An operation inside a txn branch. Nested txns are allowed (etcd 3.3+), keys may not overlap writes. */
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
  readonly revision: Revision;
  /** Reply only once the compaction is physically applied to the backend. */
  readonly physical?: boolean;
}
export type EmptyResult = Readonly<Record<never, never>>;

// ---- lease

export interface LeaseGrantArgs {
  readonly ttl: number;
  /** 0 or absent: the server picks an id. An id in use fails with DuplicateKey. */
  readonly leaseId?: LeaseId;
}
export interface LeaseGrantResult {
  readonly leaseId: LeaseId;
  /** Seconds actually granted (the server may raise a tiny TTL to its minimum). */
  readonly ttl: number;
}
export interface LeaseIdArgs {
  readonly leaseId: LeaseId;
}
/** Unknown or expired lease: error LeaseNotFound. */
export interface LeaseKeepAliveResult {
  readonly leaseId: LeaseId;
  /** Seconds remaining after the renewal (the granted TTL). */
  readonly ttl: number;
}
export interface LeaseTimeToLiveArgs {
  readonly leaseId: LeaseId;
  readonly keys?: boolean;
}
/** Like etcd, an unknown or expired lease answers ttl -1 (not an error). */
export interface LeaseTimeToLiveResult {
  readonly leaseId: LeaseId;
  readonly ttl: number;
  readonly grantedTtl: number;
  /** Present when keys was asked. */
  readonly keys?: readonly Uint8Array[];
}
export interface LeaseLeasesResult {
  readonly leases: readonly { readonly id: LeaseId }[];
}

// ---- watch

export interface WatchCreateArgs {
  /**
   * Chosen by the client, unique among the connection's live watches (a reused id fails with
   * DuplicateKey). Choosing it client-side lets the client route pushes before the reply.
   */
  readonly watchId: number;
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  /** 0 or absent = from now (the next revision). A compacted start revision produces a
   * canceled push with `compactRevision` (etcd semantics) right after the ok reply. */
  readonly startRevision?: Revision;
  readonly prevKv?: boolean;
  readonly noPut?: boolean;
  readonly noDelete?: boolean;
  /** Ask for periodic progress pushes while idle. */
  readonly progressNotify?: boolean;
}
export interface WatchIdArgs {
  readonly watchId: number;
}
/**
 * Ask for a progress push. With `watchId`, for that watch; without, for every watch of the
 * connection. The push comes once the watch is synced (caught up), so it is a bookmark.
 */
export interface WatchProgressArgs {
  readonly watchId?: number;
}

// ---- cluster

export interface MemberListArgs {
  /** Serve from the local member without a linearizable read. */
  readonly serializable?: boolean;
}
export interface MemberListResult {
  readonly members: readonly Member[];
}
export interface MemberAddArgs {
  readonly peerUrls: readonly string[];
  readonly isLearner?: boolean;
}
export interface MemberAddResult {
  readonly member: Member;
  readonly members: readonly Member[];
}
export interface MemberIdArgs {
  readonly memberId: MemberId;
}

export interface StatusResult {
  readonly version: string;
  readonly dbSize: number;
  readonly dbSizeInUse?: number;
  /** The leader's member id as this member knows it; null when it knows none. */
  readonly leader: MemberId | null;
  readonly raftIndex: number;
  readonly raftTerm: number;
  readonly raftAppliedIndex: number;
  readonly isLearner: boolean;
  /** Alarms and other conditions an operator should see (e.g. "NOSPACE"). */
  readonly errors: readonly string[];
}

export interface MoveLeaderArgs {
  readonly targetId: MemberId;
}

export interface HashArgs {
  /** 0 or absent = latest. */
  readonly revision?: Revision;
}
export interface HashResult {
  /** A 32-bit hash of the store's key history up to `revision` (excluding compacted). */
  readonly hash: number;
  readonly compactRevision: Revision;
  readonly hashRevision: Revision;
}

/**
 * snapshot: the member that receives it streams a backup of its own store at its applied
 * index (a `kite snapshot save` file, header and SHA-256 trailer included), one chunk per
 * request: the first request (no sessionId) opens a session on this link, each next one
 * (with it) takes the next chunk, until `done`. Pull-based, so the client's pace is the flow
 * control and the member holds at most one chunk per session. Sessions live on the link:
 * a new link cannot continue one (start again). Per member, never forwarded.
 */
export interface SnapshotArgs {
  readonly sessionId?: number;
}
export interface SnapshotResult {
  readonly sessionId: number;
  /** The next bytes of the file; empty only in a final reply. */
  readonly chunk: Uint8Array;
  readonly done: boolean;
}

/**
 * defrag: the member that receives it rewrites its own store's files so the space of dead
 * (overwritten, deleted, compacted) entries goes back to the file system. Per member, like
 * etcd's Maintenance.Defragment: it is not replicated and never forwarded.
 */
export interface DefragResult {
  /** Bytes of the member's store on disk before and after. */
  readonly dbSizeBefore: number;
  readonly dbSize: number;
}

// ---- maintenance: alarms (etcd's Maintenance.Alarm)

/**
 * A condition that stops part of the cluster's service until an operator disarms it.
 * NOSPACE: a member's store passed its quota (writes that add data are refused). CORRUPT: the
 * leader's corruption check found a member whose store differs from the others at the same
 * revision (every write is refused; reads keep serving).
 */
export type AlarmType = 'NOSPACE' | 'CORRUPT';
export const ALARM_TYPES: readonly AlarmType[] = ['NOSPACE', 'CORRUPT'];

export interface AlarmMember {
  /** The member that raised the alarm. */
  readonly memberId: MemberId;
  readonly alarm: AlarmType;
}
export type AlarmAction = 'list' | 'disarm' | 'activate';
/**
 * `list`: every armed alarm (replicated, so every member answers the same). `disarm`: clears
 * the matching alarms (all of them when `memberId` and `alarm` are absent, like `etcdctl alarm
 * disarm`); a condition that still holds raises its alarm again on the next write it refuses.
 * `activate`: arms `alarm` for `memberId` (both required, the member must be in the cluster),
 * as etcd's Maintenance.Alarm ACTIVATE does: an operator raising NOSPACE or CORRUPT by hand
 * gets the same refusals as a raised one, until it is disarmed.
 */
export interface AlarmArgs {
  readonly action: AlarmAction;
  readonly memberId?: MemberId;
  readonly alarm?: AlarmType;
}
export interface AlarmResult {
  /** list: the armed alarms; disarm: the alarms it cleared; activate: the alarm it armed. */
  readonly alarms: readonly AlarmMember[];
}

// ---- auth (etcd's Auth service; users, roles and the enabled flag are replicated)

export type PermissionType = 'read' | 'write' | 'readwrite';
/** A permission on one key (no rangeEnd), a range [key, rangeEnd), or every key >= key (rangeEnd `[0]`). */
export interface Permission {
  readonly type: PermissionType;
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
}
/** Log in with a password, or present a token issued earlier (a jwt token works on every member). */
export interface AuthenticateArgs {
  readonly name: string;
  readonly password?: string;
  readonly token?: string;
}
/**
 * The link is bound to the user from now on (every later request on it runs as that user
 * until the token expires or is invalidated: then `Unauthenticated` with `reauthenticate:
 * true`, and the SDK logs in again). `token` can be presented on another link with `token`.
 */
export interface AuthenticateResult {
  readonly token: string;
  /** Seconds the token stays valid. */
  readonly ttl: number;
}
export interface AuthStatusResult {
  readonly enabled: boolean;
  readonly authRevision: number;
}
export interface UserAddArgs {
  readonly name: string;
  /** Hashed (scrypt) by the member that receives it, before anything is replicated. */
  readonly password?: string;
  /** No password: the user can only be identified by a client certificate's CN. */
  readonly noPassword?: boolean;
}
export interface UserNameArgs {
  readonly name: string;
}
export interface UserPasswordArgs {
  readonly name: string;
  readonly password: string;
}
export interface UserRoleArgs {
  readonly name: string;
  readonly role: string;
}
export interface UserGetResult {
  readonly roles: readonly string[];
}
export interface UserListResult {
  readonly users: readonly string[];
}
export interface RoleNameArgs {
  readonly name: string;
}
export interface RoleGetResult {
  readonly permissions: readonly Permission[];
}
export interface RoleListResult {
  readonly roles: readonly string[];
}
export interface RoleGrantPermissionArgs {
  readonly name: string;
  readonly permission: Permission;
}
export interface RoleRevokePermissionArgs {
  readonly name: string;
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
}

// ---- audit trail (replicated; root only)

export interface AuditArgs {
  /** Paging: the previous page's nextSeq. */
  readonly fromSeq?: number;
  /** Records per page (at most 1000). */
  readonly limit?: number;
  /** Records naming a key with this prefix. */
  readonly prefix?: Uint8Array;
  /** Records naming exactly this key. */
  readonly key?: Uint8Array;
  readonly user?: string;
  /** Wall-clock milliseconds since the epoch: records at or after. */
  readonly sinceMs?: number;
  /** Read this member's copy without a linearizable read. */
  readonly serializable?: boolean;
}
export interface AuditRecord {
  readonly seq: number;
  /** Wall-clock milliseconds at the member that took the request. */
  readonly timeMs: number;
  /** Null: not logged in (auth disabled, or refused for that). */
  readonly user: string | null;
  readonly address: string;
  /** The door: ws, http, grpc... or internal. */
  readonly via: string;
  readonly op: string;
  /** The written key (with rangeEnd: the range), or a txn's written keys (at most 16). */
  readonly keys: readonly Uint8Array[];
  readonly rangeEnd?: Uint8Array;
  /** The revision the change produced (the store's revision after it); 0 when none. */
  readonly revision: number;
  /** `ok` or the error code. */
  readonly result: string;
  readonly message?: string;
}
export interface AuditResult {
  readonly records: readonly AuditRecord[];
  /** Where the next page starts; null when nothing is left. */
  readonly nextSeq: number | null;
}

/** The op table. */
export interface Ops {
  range: { args: RangeArgs; result: RangeResult };
  put: { args: PutArgs; result: PutResult };
  deleteRange: { args: DeleteRangeArgs; result: DeleteRangeResult };
  txn: { args: TxnArgs; result: TxnResult };
  compact: { args: CompactArgs; result: EmptyResult };
  leaseGrant: { args: LeaseGrantArgs; result: LeaseGrantResult };
  leaseRevoke: { args: LeaseIdArgs; result: EmptyResult };
  leaseKeepAlive: { args: LeaseIdArgs; result: LeaseKeepAliveResult };
  leaseTimeToLive: { args: LeaseTimeToLiveArgs; result: LeaseTimeToLiveResult };
  leaseLeases: { args: EmptyResult; result: LeaseLeasesResult };
  watchCreate: { args: WatchCreateArgs; result: EmptyResult };
  watchCancel: { args: WatchIdArgs; result: EmptyResult };
  watchProgress: { args: WatchProgressArgs; result: EmptyResult };
  memberList: { args: MemberListArgs; result: MemberListResult };
  memberAdd: { args: MemberAddArgs; result: MemberAddResult };
  memberRemove: { args: MemberIdArgs; result: MemberListResult };
  memberPromote: { args: MemberIdArgs; result: MemberListResult };
  status: { args: EmptyResult; result: StatusResult };
  moveLeader: { args: MoveLeaderArgs; result: EmptyResult };
  hash: { args: HashArgs; result: HashResult };
  defrag: { args: EmptyResult; result: DefragResult };
  snapshot: { args: SnapshotArgs; result: SnapshotResult };
  /** list: a linearizable read any member serves; disarm: replicated through raft by the leader. */
  alarm: { args: AlarmArgs; result: AlarmResult };
  authenticate: { args: AuthenticateArgs; result: AuthenticateResult };
  authEnable: { args: EmptyResult; result: EmptyResult };
  authDisable: { args: EmptyResult; result: EmptyResult };
  authStatus: { args: EmptyResult; result: AuthStatusResult };
  userAdd: { args: UserAddArgs; result: EmptyResult };
  userDelete: { args: UserNameArgs; result: EmptyResult };
  userGet: { args: UserNameArgs; result: UserGetResult };
  userList: { args: EmptyResult; result: UserListResult };
  userChangePassword: { args: UserPasswordArgs; result: EmptyResult };
  userGrantRole: { args: UserRoleArgs; result: EmptyResult };
  userRevokeRole: { args: UserRoleArgs; result: EmptyResult };
  roleAdd: { args: RoleNameArgs; result: EmptyResult };
  roleDelete: { args: RoleNameArgs; result: EmptyResult };
  roleGet: { args: RoleNameArgs; result: RoleGetResult };
  roleList: { args: EmptyResult; result: RoleListResult };
  roleGrantPermission: { args: RoleGrantPermissionArgs; result: EmptyResult };
  roleRevokePermission: { args: RoleRevokePermissionArgs; result: EmptyResult };
  audit: { args: AuditArgs; result: AuditResult };
  /** Liveness probe for client heartbeats: answered at once by the member, no raft round. */
  ping: { args: EmptyResult; result: EmptyResult };
}

export type OpName = keyof Ops;
export type OpArgs<O extends OpName> = Ops[O]['args'];
export type OpResult<O extends OpName> = Ops[O]['result'];

/** Auth ops that change the replicated auth state (proposed by the leader as one `auth` command). */
export const AUTH_WRITE_OP_NAMES = [
  'authEnable', 'authDisable', 'userAdd', 'userDelete', 'userChangePassword', 'userGrantRole', 'userRevokeRole',
  'roleAdd', 'roleDelete', 'roleGrantPermission', 'roleRevokePermission',
] as const satisfies readonly OpName[];
export type AuthWriteOp = (typeof AUTH_WRITE_OP_NAMES)[number];

export const OP_NAMES: readonly OpName[] = [
  'range', 'put', 'deleteRange', 'txn', 'compact',
  'leaseGrant', 'leaseRevoke', 'leaseKeepAlive', 'leaseTimeToLive', 'leaseLeases',
  'watchCreate', 'watchCancel', 'watchProgress',
  'memberList', 'memberAdd', 'memberRemove', 'memberPromote',
  'status', 'moveLeader', 'hash', 'defrag', 'ping', 'alarm', 'snapshot',
  ...AUTH_WRITE_OP_NAMES, 'authenticate', 'authStatus', 'userGet', 'userList', 'roleGet', 'roleList', 'audit',
];

const OP_SET: ReadonlySet<string> = new Set(OP_NAMES);
export function isOpName(x: unknown): x is OpName {
  return typeof x === 'string' && OP_SET.has(x);
}

/**
 * Ops that may safely be sent again after the connection dropped with the request possibly
 * applied: reads, and ops whose repetition has the same effect. Writes (put, deleteRange, txn,
 * leaseGrant, member changes...) are not: a lost reply surfaces as an indeterminate error.
 */
export const IDEMPOTENT_OPS: ReadonlySet<OpName> = new Set<OpName>([
  'range', 'leaseKeepAlive', 'leaseTimeToLive', 'leaseLeases', 'leaseRevoke',
  'memberList', 'status', 'hash', 'defrag', 'ping', 'watchProgress', 'alarm',
  'authenticate', 'authStatus', 'userGet', 'userList', 'roleGet', 'roleList', 'audit',
]);

/** Ops that change replicated state and therefore go through raft (the leader serves them). */
export const WRITE_OPS: ReadonlySet<OpName> = new Set<OpName>([
  'put', 'deleteRange', 'txn', 'compact', 'leaseGrant', 'leaseRevoke',
  'memberAdd', 'memberRemove', 'memberPromote', 'moveLeader', 'alarm', ...AUTH_WRITE_OP_NAMES,
]);

/**
 * Ops for administrators only: once authentication lands, these are root-only (etcd's
 * Maintenance.Snapshot needs root). The auth check belongs where requests are dispatched
 * (server client-handler.ts); this set is its single source.
 */
export const ADMIN_OPS: ReadonlySet<OpName> = new Set<OpName>(['snapshot']);

type EnvelopeKey = 'id' | 'op' | 'ok' | 'header' | 'error';
/** Envelope keys some op's args or result would shadow; must be `never`. */
export type EnvelopeClashes = { [O in OpName]: Extract<keyof OpArgs<O> | keyof OpResult<O>, EnvelopeKey> }[OpName];
/** Fails to compile when an op's args or result reuse an envelope key. */
export const NO_ENVELOPE_CLASHES: [EnvelopeClashes] extends [never] ? true : never = true;
