// Every client-link op's arguments, defined once: a record of fields per op (kv ops in
// kv-args.ts), the TypeScript types inferred from them, and OP_ARGS, the table of checks the
// server runs on every request (validateRequest) and the store on every replicated command
// (validateArgs). Adding a field to an op is one line here; its type, its check and its
// limit follow. Invariant: validateArgs depends on constants only (the store's verdict must
// be the same on every replica); validateRequest adds the checks a member's flags tighten.

import { KiteError } from './errors.js';
import { checkCompact, checkDeleteRange, checkPut, checkRange, checkTxn, txnOpCount } from './kv-args.js';
import {
  AUTH_NAME_BYTES_MAX, LEASE_TTL_SECONDS_MAX, MEMBER_ID_BYTES_MAX, MEMBER_URLS_MAX, PASSWORD_BYTES_MAX,
  PASSWORD_HASH_BYTES_MAX, TOKEN_BYTES_MAX, KEY_BYTES_MAX,
} from './limits.js';
import type { OpArgs, OpName } from './ops.js';
import { bool, bytes, checkFields, invalid, shape, key, labeled, list, matching, object, oneOf, optional, rangeEnd, text, uint, type Fields, type Infer } from './schema.js';

const flag = optional(bool);

// ---- lease

/** A lease TTL in seconds (the store raises a tiny one to its minimum). */
export const LEASE_TTL = labeled(uint(0, LEASE_TTL_SECONDS_MAX), 'lease TTL');
/** A lease id naming an existing lease (0 means "no lease" and names none). */
export const LEASE_ID = uint(1);

export const LEASE_GRANT_FIELDS = {
  ttl: LEASE_TTL,
  /** 0 or absent: the server picks an id. An id in use fails with DuplicateKey. */
  leaseId: optional(uint()),
};
export interface LeaseGrantArgs extends Infer<typeof LEASE_GRANT_FIELDS> {}

export const LEASE_ID_FIELDS = { leaseId: LEASE_ID };
export interface LeaseIdArgs extends Infer<typeof LEASE_ID_FIELDS> {}

export const LEASE_TIME_TO_LIVE_FIELDS = {
  leaseId: LEASE_ID,
  keys: flag,
};
export interface LeaseTimeToLiveArgs extends Infer<typeof LEASE_TIME_TO_LIVE_FIELDS> {}

// ---- watch

/** What a watch selects and asks for: the watch hub's request (watchCreate minus its id). */
export const WATCH_FIELDS = {
  key,
  rangeEnd,
  /** 0 or absent = from now (the next revision). A compacted start revision produces a
   * canceled push with `compactRevision` (etcd semantics) right after the ok reply. */
  startRevision: optional(uint()),
  prevKv: flag,
  noPut: flag,
  noDelete: flag,
  /** Ask for periodic progress pushes while idle. */
  progressNotify: flag,
  /**
   * Let a revision whose push would pass the member's request limit (--max-request-bytes)
   * arrive split over several pushes, all but the last marked `fragment: true` (etcd's
   * fragment). Without it a revision always comes whole (and one past the reply frame limit
   * closes the link).
   */
  fragment: flag,
};
export interface WatchRequestArgs extends Infer<typeof WATCH_FIELDS> {}

export const WATCH_CREATE_FIELDS = {
  /**
   * Chosen by the client, unique among the connection's live watches (a reused id fails with
   * DuplicateKey). Choosing it client-side lets the client route pushes before the reply.
   */
  watchId: uint(),
  ...WATCH_FIELDS,
};
export interface WatchCreateArgs extends Infer<typeof WATCH_CREATE_FIELDS> {}

export const WATCH_ID_FIELDS = { watchId: uint() };
export interface WatchIdArgs extends Infer<typeof WATCH_ID_FIELDS> {}

/**
 * Ask for a progress push. With `watchId`, for that watch; without, for every watch of the
 * connection. The push comes once the watch is synced (caught up), so it is a bookmark.
 */
export const WATCH_PROGRESS_FIELDS = { watchId: optional(uint()) };
export interface WatchProgressArgs extends Infer<typeof WATCH_PROGRESS_FIELDS> {}

// ---- cluster and maintenance

const memberId = text(MEMBER_ID_BYTES_MAX);

export const MEMBER_LIST_FIELDS = {
  /** Serve from the local member without a linearizable read. */
  serializable: flag,
};
export interface MemberListArgs extends Infer<typeof MEMBER_LIST_FIELDS> {}

const peerUrls = list(matching(/^https?:\/\/[^/]+:\d+\/?$/, 'a non-empty list of http://host:port URLs'), 1, MEMBER_URLS_MAX, 'a non-empty list of http://host:port URLs');

export const MEMBER_ADD_FIELDS = {
  peerUrls,
  isLearner: flag,
};
export interface MemberAddArgs extends Infer<typeof MEMBER_ADD_FIELDS> {}

export const MEMBER_ID_FIELDS = { memberId };
export interface MemberIdArgs extends Infer<typeof MEMBER_ID_FIELDS> {}

/** etcd's MemberUpdate: replaces a member's peer URLs (its name and client URLs are its own to publish). */
export const MEMBER_UPDATE_FIELDS = { memberId, peerUrls };
export interface MemberUpdateArgs extends Infer<typeof MEMBER_UPDATE_FIELDS> {}

export const MOVE_LEADER_FIELDS = { targetId: memberId };
export interface MoveLeaderArgs extends Infer<typeof MOVE_LEADER_FIELDS> {}

export const HASH_FIELDS = {
  /** 0 or absent = latest. */
  revision: optional(uint()),
};
export interface HashArgs extends Infer<typeof HASH_FIELDS> {}

/**
 * snapshot: the member that receives it streams a backup of its own store at its applied
 * index (a `kite snapshot save` file, header and SHA-256 trailer included), one chunk per
 * request: the first request (no sessionId) opens a session on this link, each next one
 * (with it) takes the next chunk, until `done`. Pull-based, so the client's pace is the flow
 * control and the member holds at most one chunk per session. Sessions live on the link:
 * a new link cannot continue one (start again). Per member, never forwarded.
 */
export const SNAPSHOT_FIELDS = { sessionId: optional(uint(1)) };
export interface SnapshotArgs extends Infer<typeof SNAPSHOT_FIELDS> {}

/**
 * A condition that stops part of the cluster's service until an operator disarms it.
 * NOSPACE: a member's store passed its quota (writes that add data are refused). CORRUPT: the
 * leader's corruption check found a member whose store differs from the others at the same
 * revision (every write is refused; reads keep serving).
 */
export const ALARM_TYPES = ['NOSPACE', 'CORRUPT'] as const;
export type AlarmType = (typeof ALARM_TYPES)[number];
export const ALARM_ACTIONS = ['list', 'disarm', 'activate'] as const;
export type AlarmAction = (typeof ALARM_ACTIONS)[number];

/**
 * `list`: every armed alarm (replicated, so every member answers the same). `disarm`: clears
 * the matching alarms (all of them when `memberId` and `alarm` are absent, like `etcdctl alarm
 * disarm`); a condition that still holds raises its alarm again on the next write it refuses.
 * `activate`: arms `alarm` for `memberId` (both required; the member must be in the cluster), as
 * etcd's Maintenance.Alarm ACTIVATE does: an operator raising NOSPACE or CORRUPT by hand gets the
 * same refusals as a raised one, until it is disarmed.
 */
export const ALARM_FIELDS = {
  action: oneOf(ALARM_ACTIONS),
  memberId: optional(memberId),
  alarm: optional(oneOf(ALARM_TYPES)),
};
export interface AlarmArgs extends Infer<typeof ALARM_FIELDS> {}

// ---- auth

/** A user or role name (also checked by the store on every auth command). */
export const AUTH_NAME = text(AUTH_NAME_BYTES_MAX);
const authName = AUTH_NAME;
const password = text(PASSWORD_BYTES_MAX);
/** A password hash (scrypt), as stored by the store. */
export const PASSWORD_HASH = text(PASSWORD_HASH_BYTES_MAX);
/** Set by the member that hashed `password` before forwarding (etcd's hashedPassword). */
const passwordHash = optional(PASSWORD_HASH);

export const PERMISSION_TYPES = ['read', 'write', 'readwrite'] as const;
export type PermissionType = (typeof PERMISSION_TYPES)[number];

/** A permission on one key (no rangeEnd), a range [key, rangeEnd), or every key >= key (rangeEnd `[0]`). */
export const PERMISSION_FIELDS = {
  type: labeled(oneOf(PERMISSION_TYPES), 'permission type'),
  key,
  rangeEnd,
};
export interface Permission extends Infer<typeof PERMISSION_FIELDS> {}

/** Log in with a password, or present a token issued earlier (a jwt token works on every member). */
export const AUTHENTICATE_FIELDS = {
  name: authName,
  password: optional(password),
  token: optional(text(TOKEN_BYTES_MAX)),
};
export interface AuthenticateArgs extends Infer<typeof AUTHENTICATE_FIELDS> {}

export const USER_ADD_FIELDS = {
  name: authName,
  /** Hashed (scrypt) by the member that receives it, before anything is replicated. */
  password: optional(password),
  passwordHash,
  /** No password: the user can only be identified by a client certificate's CN. */
  noPassword: flag,
};
export interface UserAddArgs extends Infer<typeof USER_ADD_FIELDS> {}

export const USER_NAME_FIELDS = { name: authName };
export interface UserNameArgs extends Infer<typeof USER_NAME_FIELDS> {}

export const USER_PASSWORD_FIELDS = {
  name: authName,
  password: optional(password),
  passwordHash,
};
/** `password` is required on the wire; a forwarding member may send `passwordHash` instead. */
export interface UserPasswordArgs extends Omit<Infer<typeof USER_PASSWORD_FIELDS>, 'password'> {
  readonly password: string;
}

export const USER_ROLE_FIELDS = { name: authName, role: authName };
export interface UserRoleArgs extends Infer<typeof USER_ROLE_FIELDS> {}

export const ROLE_NAME_FIELDS = { name: authName };
export interface RoleNameArgs extends Infer<typeof ROLE_NAME_FIELDS> {}

export const ROLE_GRANT_PERMISSION_FIELDS = {
  name: authName,
  permission: object(PERMISSION_FIELDS, 'an object {type, key, rangeEnd?}'),
};
export interface RoleGrantPermissionArgs extends Infer<typeof ROLE_GRANT_PERMISSION_FIELDS> {}

export const ROLE_REVOKE_PERMISSION_FIELDS = { name: authName, key, rangeEnd };
export interface RoleRevokePermissionArgs extends Infer<typeof ROLE_REVOKE_PERMISSION_FIELDS> {}

// ---- audit trail (replicated; root only)

export const AUDIT_FIELDS = {
  /** Paging: the previous page's nextSeq. */
  fromSeq: optional(uint()),
  /** Records per page (at most 1000). */
  limit: optional(uint()),
  /** Records naming a key with this prefix. */
  prefix: optional(bytes(KEY_BYTES_MAX)),
  /** Records naming exactly this key. */
  key: optional(bytes(KEY_BYTES_MAX)),
  user: optional(authName),
  /** Wall-clock milliseconds since the epoch: records at or after. */
  sinceMs: optional(uint()),
  /** Read this member's copy without a linearizable read. */
  serializable: flag,
};
export interface AuditArgs extends Infer<typeof AUDIT_FIELDS> {}

export type EmptyArgs = Readonly<Record<never, never>>;

// ---- the table

const NO_FIELDS: Fields = {};

function fieldsCheck(fields: Fields): (args: object) => void {
  const s = shape(fields);
  return (args) => checkFields(s, args);
}

const ALARM = shape(ALARM_FIELDS);
const AUTHENTICATE = shape(AUTHENTICATE_FIELDS);
const USER_ADD = shape(USER_ADD_FIELDS);
const USER_PASSWORD = shape(USER_PASSWORD_FIELDS);

function passwordGiven(args: object): void {
  const a = args as { password?: unknown; passwordHash?: unknown; noPassword?: unknown };
  if (a.password === undefined && a.passwordHash === undefined && a.noPassword !== true) throw invalid('password must be given');
}

/** One check per op (made once, at load: validating allocates nothing). */
export const OP_ARGS: { readonly [O in OpName]: (args: object) => void } = {
  range: checkRange,
  put: checkPut,
  deleteRange: checkDeleteRange,
  txn: checkTxn,
  compact: checkCompact,
  leaseGrant: fieldsCheck(LEASE_GRANT_FIELDS),
  leaseRevoke: fieldsCheck(LEASE_ID_FIELDS),
  leaseKeepAlive: fieldsCheck(LEASE_ID_FIELDS),
  leaseTimeToLive: fieldsCheck(LEASE_TIME_TO_LIVE_FIELDS),
  leaseLeases: fieldsCheck(NO_FIELDS),
  watchCreate: fieldsCheck(WATCH_CREATE_FIELDS),
  watchCancel: fieldsCheck(WATCH_ID_FIELDS),
  watchProgress: fieldsCheck(WATCH_PROGRESS_FIELDS),
  memberList: fieldsCheck(MEMBER_LIST_FIELDS),
  memberAdd: fieldsCheck(MEMBER_ADD_FIELDS),
  memberRemove: fieldsCheck(MEMBER_ID_FIELDS),
  memberUpdate: fieldsCheck(MEMBER_UPDATE_FIELDS),
  memberPromote: fieldsCheck(MEMBER_ID_FIELDS),
  status: fieldsCheck(NO_FIELDS),
  moveLeader: fieldsCheck(MOVE_LEADER_FIELDS),
  hash: fieldsCheck(HASH_FIELDS),
  defrag: fieldsCheck(NO_FIELDS),
  snapshot: fieldsCheck(SNAPSHOT_FIELDS),
  alarm: (args) => {
    checkFields(ALARM, args);
    const a = args as { action: AlarmAction; memberId?: unknown; alarm?: unknown };
    if (a.action === 'activate' && (a.memberId === undefined || a.alarm === undefined)) throw invalid('activate needs a memberId and an alarm (NOSPACE or CORRUPT)');
  },
  authenticate: (args) => {
    checkFields(AUTHENTICATE, args);
    if (args.token === undefined) passwordGiven(args);
  },
  authEnable: fieldsCheck(NO_FIELDS),
  authDisable: fieldsCheck(NO_FIELDS),
  authStatus: fieldsCheck(NO_FIELDS),
  userAdd: (args) => {
    checkFields(USER_ADD, args);
    passwordGiven(args);
  },
  userDelete: fieldsCheck(USER_NAME_FIELDS),
  userGet: fieldsCheck(USER_NAME_FIELDS),
  userList: fieldsCheck(NO_FIELDS),
  userChangePassword: (args) => {
    checkFields(USER_PASSWORD, args);
    passwordGiven(args);
  },
  userGrantRole: fieldsCheck(USER_ROLE_FIELDS),
  userRevokeRole: fieldsCheck(USER_ROLE_FIELDS),
  roleAdd: fieldsCheck(ROLE_NAME_FIELDS),
  roleDelete: fieldsCheck(ROLE_NAME_FIELDS),
  roleGet: fieldsCheck(ROLE_NAME_FIELDS),
  roleList: fieldsCheck(NO_FIELDS),
  roleGrantPermission: fieldsCheck(ROLE_GRANT_PERMISSION_FIELDS),
  roleRevokePermission: fieldsCheck(ROLE_REVOKE_PERMISSION_FIELDS),
  audit: fieldsCheck(AUDIT_FIELDS),
  ping: fieldsCheck(NO_FIELDS),
};

/**
 * Throws the typed error (InvalidArgument, RequestTooLarge, TooManyOps) for arguments that do
 * not fit `op`. Constants only: what the store runs at apply time, identically on every replica.
 */
export function validateArgs<O extends OpName>(op: O, args: unknown): asserts args is OpArgs<O> {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) throw invalid(`${op} arguments missing`);
  OP_ARGS[op](args);
}

/** The limits a member's flags set on what it admits (never looser than the store's). */
export interface AdmissionLimits {
  /** --max-txn-ops: ops of a whole txn tree (see txnOpCount). */
  readonly maxTxnOps: number;
}

/** validateArgs plus the member's own admission limits: run on every request before it is served or proposed. */
export function validateRequest(req: { readonly op: OpName }, limits: AdmissionLimits): void {
  validateArgs(req.op, req);
  if (req.op === 'txn') {
    const ops = txnOpCount(req as unknown as OpArgs<'txn'>);
    if (ops > limits.maxTxnOps) throw new KiteError('TooManyOps', `txn has ${ops} operations, limit ${limits.maxTxnOps}`, { limit: limits.maxTxnOps });
  }
}
