// Every client-link op: its arguments (the request frame minus `id` and `op`) and its result
// (the reply frame minus `id`, `ok` and `header`). `Ops` is the single table server, client
// and CLI type against; adding an op means adding a row here and its argument fields in
// op-args.ts (kv ops: kv-args.ts), where the argument types, checks and limits come from.
// Args and results are spread into the envelope, so they must never use an envelope key
// (id, op, ok, header, error): hence `leaseId` / `memberId`, and a compile-time check at the
// end of this file.

import type { CompactArgs, DeleteRangeArgs, PutArgs, RangeArgs, TxnArgs } from './kv-args.js';
import type {
  AlarmArgs, AlarmType, AuditArgs, AuthenticateArgs, HashArgs, LeaseGrantArgs, LeaseIdArgs, LeaseTimeToLiveArgs,
  MemberAddArgs, MemberIdArgs, MemberListArgs, MemberUpdateArgs, MoveLeaderArgs, Permission, RoleGrantPermissionArgs, RoleNameArgs,
  RoleRevokePermissionArgs, SnapshotArgs, UserAddArgs, UserNameArgs, UserPasswordArgs, UserRoleArgs, WatchCreateArgs,
  WatchIdArgs, WatchProgressArgs,
} from './op-args.js';
import type { KeyValue, LeaseId, Member, MemberId, Revision } from './types.js';

// ---- kv

export interface RangeResult {
  readonly kvs: readonly KeyValue[];
  /** More keys matched than `limit` returned. */
  readonly more: boolean;
  /** Number of keys in the range (before limit). */
  readonly count: number;
}

export interface PutResult {
  readonly prevKv?: KeyValue;
}

export interface DeleteRangeResult {
  readonly deleted: number;
  /** Present when prevKv was asked. */
  readonly prevKvs?: readonly KeyValue[];
}

export type TxnResponseOp =
  | ({ readonly type: 'range' } & RangeResult)
  | ({ readonly type: 'put' } & PutResult)
  | ({ readonly type: 'deleteRange' } & DeleteRangeResult)
  | ({ readonly type: 'txn' } & TxnResult);

export interface TxnResult {
  readonly succeeded: boolean;
  /** One per op of the branch taken, in order. */
  readonly responses: readonly TxnResponseOp[];
}

export type EmptyResult = Readonly<Record<never, never>>;

// ---- lease

export interface LeaseGrantResult {
  readonly leaseId: LeaseId;
  /** Seconds actually granted (the server may raise a tiny TTL to its minimum). */
  readonly ttl: number;
}
/** Unknown or expired lease: error LeaseNotFound. */
export interface LeaseKeepAliveResult {
  readonly leaseId: LeaseId;
  /** Seconds remaining after the renewal (the granted TTL). */
  readonly ttl: number;
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

// ---- cluster

export interface MemberListResult {
  readonly members: readonly Member[];
}
export interface MemberAddResult {
  readonly member: Member;
  readonly members: readonly Member[];
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


export interface HashResult {
  /** A 32-bit hash of the store's key history up to `revision` (excluding compacted). */
  readonly hash: number;
  readonly compactRevision: Revision;
  readonly hashRevision: Revision;
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

export interface AlarmMember {
  /** The member that raised the alarm. */
  readonly memberId: MemberId;
  readonly alarm: AlarmType;
}
export interface AlarmResult {
  /** list: the armed alarms; disarm: the alarms it cleared; activate: the alarm it armed. */
  readonly alarms: readonly AlarmMember[];
}

// ---- auth (etcd's Auth service; users, roles and the enabled flag are replicated)

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
export interface UserGetResult {
  readonly roles: readonly string[];
}
export interface UserListResult {
  readonly users: readonly string[];
}
export interface RoleGetResult {
  readonly permissions: readonly Permission[];
}
export interface RoleListResult {
  readonly roles: readonly string[];
}

// ---- audit trail (replicated; root only)

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
  memberUpdate: { args: MemberUpdateArgs; result: MemberListResult };
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
  'memberList', 'memberAdd', 'memberRemove', 'memberUpdate', 'memberPromote',
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
  'memberAdd', 'memberRemove', 'memberUpdate', 'memberPromote', 'moveLeader', 'alarm', ...AUTH_WRITE_OP_NAMES,
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
