// Argument checks for client requests, done before anything is proposed or read: a request
// that reaches Raft or the store has the shape its op promises. Failures are KiteErrors
// (InvalidArgument, TooManyOps) the client handler turns into typed error replies. The store
// re-validates semantics at apply time; this layer guards types and limits.

import { ALARM_TYPES, KiteError, isPlainObject, type OpName, type Request } from '@kite/protocol';
import { AUTH_NAME_BYTES_MAX, PASSWORD_HASH_BYTES_MAX } from '@kite/kvstore';
import { PASSWORD_BYTES_MAX } from './auth/password.js';

export interface ValidationLimits {
  readonly maxTxnOps: number;
}

type Rec = Record<string, unknown>;

const bad = (msg: string): KiteError => new KiteError('InvalidArgument', msg);

function bytes(r: Rec, field: string, required: boolean): void {
  const v = r[field];
  if (v === undefined && !required) return;
  if (!(v instanceof Uint8Array)) throw bad(`${field} must be bytes`);
}

function nonEmptyKey(r: Rec): void {
  bytes(r, 'key', true);
  if ((r['key'] as Uint8Array).length === 0) throw bad('key is empty');
}

function int(r: Rec, field: string, required = false, min = 0): void {
  const v = r[field];
  if (v === undefined && !required) return;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw bad(`${field} must be an integer >= ${min}`);
}

function bool(r: Rec, field: string): void {
  const v = r[field];
  if (v !== undefined && typeof v !== 'boolean') throw bad(`${field} must be a boolean`);
}

function oneOf(r: Rec, field: string, values: readonly string[]): void {
  const v = r[field];
  if (v !== undefined && (typeof v !== 'string' || !values.includes(v))) throw bad(`${field} must be one of ${values.join(', ')}`);
}

function str(r: Rec, field: string): void {
  if (typeof r[field] !== 'string' || (r[field] as string).length === 0) throw bad(`${field} must be a non-empty string`);
}

/** A token presented on login (a JWT is a few hundred bytes). */
const TOKEN_BYTES_MAX = 8192;

function shortStr(r: Rec, field: string, bytesMax: number): void {
  str(r, field);
  if (Buffer.byteLength(r[field] as string) > bytesMax) throw bad(`${field} is longer than ${bytesMax} bytes`);
}

/** A plaintext password (hashed by this member) or, from a forwarding member or etcd-style clients, its hash. */
function password(r: Rec, required: boolean): void {
  const p = r['password'];
  if (p === undefined) {
    if (required) throw bad('password must be given');
  } else if (typeof p !== 'string' || p.length === 0 || Buffer.byteLength(p) > PASSWORD_BYTES_MAX) {
    throw bad(`password must be a non-empty string of at most ${PASSWORD_BYTES_MAX} bytes`);
  }
  const h = r['passwordHash'];
  if (h !== undefined && (typeof h !== 'string' || h.length === 0 || h.length > PASSWORD_HASH_BYTES_MAX)) throw bad('passwordHash must be a non-empty string');
}

function rangeArgs(r: Rec): void {
  nonEmptyKey(r);
  bytes(r, 'rangeEnd', false);
  for (const f of ['limit', 'revision', 'minModRevision', 'maxModRevision', 'minCreateRevision', 'maxCreateRevision']) int(r, f);
  for (const f of ['serializable', 'keysOnly', 'countOnly']) bool(r, f);
  oneOf(r, 'sortOrder', ['none', 'ascend', 'descend']);
  oneOf(r, 'sortTarget', ['key', 'version', 'createRevision', 'modRevision', 'value']);
}

function putArgs(r: Rec): void {
  nonEmptyKey(r);
  bytes(r, 'value', true);
  int(r, 'lease');
  for (const f of ['prevKv', 'ignoreValue', 'ignoreLease']) bool(r, f);
}

function deleteArgs(r: Rec): void {
  nonEmptyKey(r);
  bytes(r, 'rangeEnd', false);
  bool(r, 'prevKv');
}

const COMPARE_TARGETS = ['value', 'version', 'createRevision', 'modRevision', 'lease'];
const COMPARE_RESULTS = ['equal', 'greater', 'less', 'notEqual'];

/** Counts ops (nested txns included) so the limit holds for the whole tree. */
function txnArgs(r: Rec, limits: ValidationLimits, depth: number): number {
  if (depth > 8) throw bad('txn nesting is too deep');
  const { compare, success, failure } = r;
  if (!Array.isArray(compare) || !Array.isArray(success) || !Array.isArray(failure)) {
    throw bad('txn needs compare, success and failure arrays');
  }
  for (const c of compare) {
    if (!isPlainObject(c)) throw bad('compare entries must be objects');
    nonEmptyKey(c);
    bytes(c, 'rangeEnd', false);
    oneOf(c, 'target', COMPARE_TARGETS);
    oneOf(c, 'result', COMPARE_RESULTS);
    if (c['target'] === undefined || c['result'] === undefined) throw bad('compare needs target and result');
    if (c['target'] === 'value') bytes(c, 'value', true);
    else int(c, 'value', true);
  }
  let ops = compare.length > limits.maxTxnOps ? compare.length : 0;
  for (const branch of [success, failure]) {
    let count = 0;
    for (const op of branch) {
      if (!isPlainObject(op)) throw bad('txn ops must be objects');
      count++;
      switch (op['type']) {
        case 'range': rangeArgs(op); break;
        case 'put': putArgs(op); break;
        case 'deleteRange': deleteArgs(op); break;
        case 'txn': count += txnArgs(op, limits, depth + 1); break;
        default: throw bad(`unknown txn op type ${String(op['type']).slice(0, 40)}`);
      }
    }
    ops = Math.max(ops, count);
  }
  if (ops > limits.maxTxnOps || compare.length > limits.maxTxnOps) {
    throw new KiteError('TooManyOps', `txn has ${Math.max(ops, compare.length)} operations, limit ${limits.maxTxnOps}`, { limit: limits.maxTxnOps });
  }
  return ops;
}

/** Throws InvalidArgument / TooManyOps when a request's arguments do not fit its op. */
export function validateRequest(req: Request, limits: ValidationLimits): void {
  const r = req as unknown as Rec;
  const op: OpName = req.op;
  switch (op) {
    case 'range': return rangeArgs(r);
    case 'put': return putArgs(r);
    case 'deleteRange': return deleteArgs(r);
    case 'txn': txnArgs(r, limits, 0); return;
    case 'compact': int(r, 'revision', true); bool(r, 'physical'); return;
    case 'leaseGrant': int(r, 'ttl', true); int(r, 'leaseId'); return;
    case 'leaseRevoke':
    case 'leaseKeepAlive': int(r, 'leaseId', true, 1); return;
    case 'leaseTimeToLive': int(r, 'leaseId', true, 1); bool(r, 'keys'); return;
    case 'watchCreate':
      int(r, 'watchId', true);
      nonEmptyKey(r);
      bytes(r, 'rangeEnd', false);
      int(r, 'startRevision');
      for (const f of ['prevKv', 'noPut', 'noDelete', 'progressNotify']) bool(r, f);
      return;
    case 'watchCancel': int(r, 'watchId', true); return;
    case 'watchProgress': int(r, 'watchId'); return;
    case 'memberList': bool(r, 'serializable'); return;
    case 'memberAdd': {
      const urls = r['peerUrls'];
      if (!Array.isArray(urls) || urls.length === 0 || urls.some((u) => typeof u !== 'string' || !/^https?:\/\/[^/]+:\d+\/?$/.test(u))) {
        throw bad('peerUrls must be a non-empty list of http://host:port URLs');
      }
      bool(r, 'isLearner');
      return;
    }
    case 'memberRemove':
    case 'memberPromote': str(r, 'memberId'); return;
    case 'moveLeader': str(r, 'targetId'); return;
    case 'hash': int(r, 'revision'); return;
    case 'snapshot': int(r, 'sessionId', false, 1); return;
    case 'alarm':
      if (r['action'] !== 'list' && r['action'] !== 'disarm' && r['action'] !== 'activate') throw bad('action must be one of list, disarm, activate');
      if (r['memberId'] !== undefined || r['action'] === 'activate') str(r, 'memberId');
      oneOf(r, 'alarm', ALARM_TYPES);
      if (r['action'] === 'activate' && r['alarm'] === undefined) throw bad('activate needs an alarm (NOSPACE or CORRUPT)');
      return;
    case 'authenticate':
      shortStr(r, 'name', AUTH_NAME_BYTES_MAX);
      if (r['token'] !== undefined) {
        if (typeof r['token'] !== 'string' || r['token'].length === 0 || r['token'].length > TOKEN_BYTES_MAX) throw bad('token must be a non-empty string');
        return;
      }
      password(r, true);
      return;
    case 'userAdd':
      shortStr(r, 'name', AUTH_NAME_BYTES_MAX);
      bool(r, 'noPassword');
      password(r, r['noPassword'] !== true && r['passwordHash'] === undefined);
      return;
    case 'userChangePassword':
      shortStr(r, 'name', AUTH_NAME_BYTES_MAX);
      password(r, r['passwordHash'] === undefined);
      return;
    case 'userDelete':
    case 'userGet':
    case 'roleAdd':
    case 'roleDelete':
    case 'roleGet':
      shortStr(r, 'name', AUTH_NAME_BYTES_MAX);
      return;
    case 'userGrantRole':
    case 'userRevokeRole':
      shortStr(r, 'name', AUTH_NAME_BYTES_MAX);
      shortStr(r, 'role', AUTH_NAME_BYTES_MAX);
      return;
    case 'roleGrantPermission': {
      shortStr(r, 'name', AUTH_NAME_BYTES_MAX);
      const p = r['permission'];
      if (!isPlainObject(p)) throw bad('permission must be an object {type, key, rangeEnd?}');
      oneOf(p, 'type', ['read', 'write', 'readwrite']);
      if (p['type'] === undefined) throw bad('permission type must be one of read, write, readwrite');
      nonEmptyKey(p);
      bytes(p, 'rangeEnd', false);
      return;
    }
    case 'roleRevokePermission':
      shortStr(r, 'name', AUTH_NAME_BYTES_MAX);
      nonEmptyKey(r);
      bytes(r, 'rangeEnd', false);
      return;
    case 'audit':
      for (const f of ['fromSeq', 'limit', 'sinceMs']) int(r, f);
      bytes(r, 'prefix', false);
      bytes(r, 'key', false);
      if (r['user'] !== undefined) shortStr(r, 'user', AUTH_NAME_BYTES_MAX);
      bool(r, 'serializable');
      return;
    case 'status':
    case 'defrag':
    case 'leaseLeases':
    case 'ping':
    case 'authEnable':
    case 'authDisable':
    case 'authStatus':
    case 'userList':
    case 'roleList':
      return;
  }
}
