// Kite's typed errors as etcd's gRPC errors: the same status code and the same message etcd's
// server sends, because etcd clients decide on them (clientv3 retries a write only on
// "etcdserver: no leader", etcdctl and other SDKs match strings such as "etcdserver: mvcc:
// required revision has been compacted"). The table is ordered: the first rule whose code (and
// message pattern, when it has one) matches decides; a Kite error no rule names keeps its own
// message under the code's default status.
//
// Invariants: every KiteError maps to exactly one status; an internal error never leaks its
// cause (its message is etcd's generic one); an indeterminate Unavailable is never reported
// as "no leader" (that message tells clientv3 the write was not proposed, so it retries).

import { status } from '@grpc/grpc-js';
import { KiteError, type ErrorCode } from '@kite/protocol';
import { asKiteError } from '../client-handler.js';
import { EtcdError } from './etcd-status-error.js';

export interface EtcdStatus {
  readonly code: status;
  readonly message: string;
}

interface Rule {
  readonly code: ErrorCode;
  /** Matches the Kite message, when the code alone is not enough. */
  readonly pattern?: RegExp;
  readonly when?: (err: KiteError) => boolean;
  readonly status: status;
  /** etcd's message; null keeps Kite's. */
  readonly message: string | null;
}

export const ETCD_MESSAGES = {
  compacted: 'etcdserver: mvcc: required revision has been compacted',
  futureRevision: 'etcdserver: mvcc: required revision is a future revision',
  leaseNotFound: 'etcdserver: requested lease not found',
  leaseExists: 'etcdserver: lease already exists',
  noLeader: 'etcdserver: no leader',
  leaderChanged: 'etcdserver: leader changed',
  timeout: 'etcdserver: request timed out',
  timeoutLeaderFail: 'etcdserver: request timed out, possibly due to previous leader failure',
  stopped: 'etcdserver: server stopped',
  tooManyRequests: 'etcdserver: too many requests',
  requestTooLarge: 'etcdserver: request is too large',
  duplicateKey: 'etcdserver: duplicate key given in txn request',
  tooManyOps: 'etcdserver: too many operations in txn request',
  noSpace: 'etcdserver: mvcc: database space exceeded',
  permissionDenied: 'etcdserver: permission denied',
  invalidAuthToken: 'etcdserver: invalid auth token',
  authFailed: 'etcdserver: authentication failed, invalid user ID or password',
  userEmpty: 'etcdserver: user name is empty',
  emptyKey: 'etcdserver: key is not provided',
  keyNotFound: 'etcdserver: key not found',
  valueProvided: 'etcdserver: value is provided',
  leaseProvided: 'etcdserver: lease is provided',
  corrupt: 'etcdserver: corrupt cluster',
  watchIdDuplicate: 'mvcc: duplicate watch ID provided on the WatchStream',
} as const;

const M = ETCD_MESSAGES;

const RULES: readonly Rule[] = [
  { code: 'Compacted', status: status.OUT_OF_RANGE, message: M.compacted },
  { code: 'FutureRevision', status: status.OUT_OF_RANGE, message: M.futureRevision },
  { code: 'LeaseNotFound', status: status.NOT_FOUND, message: M.leaseNotFound },
  { code: 'DuplicateKey', when: (e) => e.details['op'] === 'leaseGrant', status: status.FAILED_PRECONDITION, message: M.leaseExists },
  { code: 'DuplicateKey', when: (e) => e.details['op'] === 'watchCreate', status: status.INVALID_ARGUMENT, message: M.watchIdDuplicate },
  { code: 'DuplicateKey', status: status.INVALID_ARGUMENT, message: M.duplicateKey },
  { code: 'TooManyOps', status: status.INVALID_ARGUMENT, message: M.tooManyOps },
  { code: 'RequestTooLarge', status: status.INVALID_ARGUMENT, message: M.requestTooLarge },
  { code: 'NoSpace', status: status.RESOURCE_EXHAUSTED, message: M.noSpace },
  { code: 'PermissionDenied', status: status.PERMISSION_DENIED, message: M.permissionDenied },
  { code: 'Unauthenticated', when: (e) => e.details['op'] === 'authenticate', status: status.INVALID_ARGUMENT, message: M.authFailed },
  { code: 'Unauthenticated', pattern: /^authentication required/, status: status.INVALID_ARGUMENT, message: M.userEmpty },
  { code: 'Unauthenticated', pattern: /^too many failed logins/, status: status.RESOURCE_EXHAUSTED, message: null },
  { code: 'Unauthenticated', status: status.UNAUTHENTICATED, message: M.invalidAuthToken },
  { code: 'InvalidArgument', pattern: /^key is empty/, status: status.INVALID_ARGUMENT, message: M.emptyKey },
  { code: 'InvalidArgument', pattern: /^key not found/, status: status.INVALID_ARGUMENT, message: M.keyNotFound },
  { code: 'InvalidArgument', pattern: /^value is provided/, status: status.INVALID_ARGUMENT, message: M.valueProvided },
  { code: 'InvalidArgument', pattern: /^lease is provided/, status: status.INVALID_ARGUMENT, message: M.leaseProvided },
  { code: 'InvalidArgument', status: status.INVALID_ARGUMENT, message: null },
  { code: 'MalformedFrame', status: status.INVALID_ARGUMENT, message: null },
  { code: 'UnknownOp', status: status.UNIMPLEMENTED, message: null },
  { code: 'Unavailable', when: (e) => e.indeterminate, status: status.UNAVAILABLE, message: M.timeoutLeaderFail },
  { code: 'Unavailable', pattern: /^member is stopping/, status: status.UNAVAILABLE, message: M.stopped },
  { code: 'Unavailable', pattern: /^too many (proposals|reads|requests)/, status: status.RESOURCE_EXHAUSTED, message: M.tooManyRequests },
  { code: 'Unavailable', pattern: /reply bytes in flight/, status: status.RESOURCE_EXHAUSTED, message: null },
  { code: 'Unavailable', when: (e) => e.details.leader === null, status: status.UNAVAILABLE, message: M.noLeader },
  { code: 'Unavailable', status: status.UNAVAILABLE, message: null },
  { code: 'NotLeader', status: status.UNAVAILABLE, message: M.leaderChanged },
  { code: 'Timeout', status: status.UNAVAILABLE, message: M.timeout },
  { code: 'TooManyWatches', status: status.RESOURCE_EXHAUSTED, message: null },
  { code: 'ResponseTooLarge', status: status.RESOURCE_EXHAUSTED, message: null },
  { code: 'WrongCluster', status: status.FAILED_PRECONDITION, message: null },
  { code: 'Canceled', status: status.CANCELLED, message: null },
  { code: 'Corrupt', status: status.DATA_LOSS, message: M.corrupt },
  { code: 'Internal', status: status.INTERNAL, message: 'etcdserver: internal error' },
];

/**
 * The etcd status for anything thrown while serving a request. Some Kite codes mean different
 * etcd errors per op (DuplicateKey: a txn's keys, a lease id, a watch id), read from the
 * error's `op` detail (set by serveOp).
 */
export function etcdStatus(err: unknown): EtcdStatus {
  if (err instanceof EtcdError) return { code: err.status, message: err.message };
  const kite = asKiteError(err);
  for (const rule of RULES) {
    if (rule.code !== kite.code) continue;
    if (rule.pattern !== undefined && !rule.pattern.test(kite.message)) continue;
    if (rule.when !== undefined && !rule.when(kite)) continue;
    return { code: rule.status, message: rule.message ?? kite.message };
  }
  throw new Error(`assertion: no etcd status rule for Kite code ${kite.code}`);
}

/** A wire error (an `{ok: false}` reply's error) as the KiteError the rules read, naming its op. */
export function kiteErrorOf(wire: { readonly code: ErrorCode; readonly message: string }, op: string): KiteError {
  const { code, message, ...details } = wire;
  return new KiteError(code, message, { ...details, op });
}
