// Input validation, pure and deterministic: the same request gives the same verdict on every
// replica, so the store runs it at apply time (a bad command becomes a typed error result,
// never a crash or a divergence); the server may also run it before proposing, to refuse bad
// requests early. Nothing here reads store state.

import { validateAuditAppend, validateAuditContext } from './audit.js';
import { validateAuthAction } from './auth-state.js';
import type { KeyInterval } from './bytes.js';
import { compareBytes, intervalContains, keyInterval, keyString } from './bytes.js';
import type { Command } from './command.js';
import {
  DuplicateKeyError,
  InvalidArgumentError,
  MalformedCommandError,
  RequestTooLargeError,
  TooManyOpsError,
} from './errors.js';
import { CHECKPOINTS_PER_COMMAND_MAX, LEASE_TTL_SECONDS_MAX } from './lessor.js';
import type { Compare, PutArgs, RangeArgs, TxnArgs, TxnRequestOp } from './types.js';

export interface Limits {
  /** Largest key. etcd has no separate key limit; huge keys only bloat the in-memory index. */
  readonly maxKeyBytes: number;
  /** Largest request payload (keys + values of a put or a whole txn), etcd's 1.5 MiB. */
  readonly maxRequestBytes: number;
  /** Most compares, and most ops per branch, of one txn (each nested level too), etcd's 128. */
  readonly maxTxnOps: number;
  /** Deepest txn nesting (etcd has none; this keeps recursion far from the stack limit). */
  readonly maxTxnDepth: number;
  /** Reply budget of one read request or txn, in estimated wire bytes (see read-budget.ts). */
  readonly maxResponseBytes: number;
  /** Index entries one read request or txn may visit. */
  readonly maxKeysScanned: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxKeyBytes: 32 * 1024,
  maxRequestBytes: 1.5 * 1024 * 1024,
  maxTxnOps: 128,
  maxTxnDepth: 32,
  // The protocol's defaults (RESPONSE_BYTES_MAX, KEYS_SCANNED_MAX); kvstore does not import it.
  maxResponseBytes: 16 * 1024 * 1024,
  maxKeysScanned: 4_000_000,
};

const SORT_ORDERS: ReadonlySet<unknown> = new Set(['none', 'ascend', 'descend']);
const SORT_TARGETS: ReadonlySet<unknown> = new Set(['key', 'version', 'createRevision', 'modRevision', 'value']);
const COMPARE_TARGETS: ReadonlySet<unknown> = new Set(['value', 'version', 'createRevision', 'modRevision', 'lease']);
const COMPARE_RESULTS: ReadonlySet<unknown> = new Set(['equal', 'greater', 'less', 'notEqual']);

function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array;
}

function checkCount(x: unknown, name: string, opts: { optional: boolean; positive?: boolean }): void {
  if (x === undefined && opts.optional) return;
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < (opts.positive === true ? 1 : 0)) {
    throw new InvalidArgumentError(`${name} must be a ${opts.positive === true ? 'positive' : 'non-negative'} integer, got ${String(x)}`);
  }
}

function checkBool(x: unknown, name: string): void {
  if (x !== undefined && typeof x !== 'boolean') throw new InvalidArgumentError(`${name} must be a boolean`);
}

export function validateKey(key: unknown, limits: Limits, name = 'key'): asserts key is Uint8Array {
  if (!isBytes(key)) throw new InvalidArgumentError(`${name} must be bytes`);
  if (key.byteLength === 0) throw new InvalidArgumentError(`${name} is empty`);
  if (key.byteLength > limits.maxKeyBytes) throw new RequestTooLargeError(name, key.byteLength, limits.maxKeyBytes);
}

/** rangeEnd: absent/empty = single key, [0] = all keys >= key, else must not sort before key. */
export function validateRangeEnd(key: Uint8Array, rangeEnd: unknown, limits: Limits): void {
  if (rangeEnd === undefined) return;
  if (!isBytes(rangeEnd)) throw new InvalidArgumentError('rangeEnd must be bytes');
  if (rangeEnd.byteLength === 0 || (rangeEnd.byteLength === 1 && rangeEnd[0] === 0)) return;
  if (rangeEnd.byteLength > limits.maxKeyBytes) throw new RequestTooLargeError('rangeEnd', rangeEnd.byteLength, limits.maxKeyBytes);
  if (compareBytes(rangeEnd, key) < 0) throw new InvalidArgumentError('rangeEnd sorts before key (an empty range)');
}

export function validateRange(args: RangeArgs, limits: Limits): void {
  if (typeof args !== 'object' || args === null) throw new InvalidArgumentError('range arguments missing');
  validateKey(args.key, limits);
  validateRangeEnd(args.key, args.rangeEnd, limits);
  checkCount(args.limit, 'limit', { optional: true });
  checkCount(args.revision, 'revision', { optional: true });
  checkCount(args.minModRevision, 'minModRevision', { optional: true });
  checkCount(args.maxModRevision, 'maxModRevision', { optional: true });
  checkCount(args.minCreateRevision, 'minCreateRevision', { optional: true });
  checkCount(args.maxCreateRevision, 'maxCreateRevision', { optional: true });
  if (args.sortOrder !== undefined && !SORT_ORDERS.has(args.sortOrder)) {
    throw new InvalidArgumentError(`unknown sortOrder ${String(args.sortOrder)}`);
  }
  if (args.sortTarget !== undefined && !SORT_TARGETS.has(args.sortTarget)) {
    throw new InvalidArgumentError(`unknown sortTarget ${String(args.sortTarget)}`);
  }
  checkBool(args.keysOnly, 'keysOnly');
  checkBool(args.countOnly, 'countOnly');
  checkBool(args.serializable, 'serializable');
}

function validatePut(args: PutArgs, limits: Limits): void {
  if (typeof args !== 'object' || args === null) throw new InvalidArgumentError('put arguments missing');
  validateKey(args.key, limits);
  if (!isBytes(args.value)) throw new InvalidArgumentError('value must be bytes');
  if (args.value.byteLength > limits.maxRequestBytes) {
    throw new RequestTooLargeError('value', args.value.byteLength, limits.maxRequestBytes);
  }
  checkCount(args.lease, 'lease', { optional: true });
  checkBool(args.prevKv, 'prevKv');
  checkBool(args.ignoreValue, 'ignoreValue');
  checkBool(args.ignoreLease, 'ignoreLease');
  if (args.ignoreValue === true && args.value.byteLength !== 0) {
    throw new InvalidArgumentError('value is provided although ignoreValue is set');
  }
  if (args.ignoreLease === true && (args.lease ?? 0) !== 0) {
    throw new InvalidArgumentError('lease is provided although ignoreLease is set');
  }
}

function validateCompare(c: Compare, limits: Limits): void {
  if (typeof c !== 'object' || c === null) throw new InvalidArgumentError('compare must be an object');
  validateKey(c.key, limits, 'compare key');
  validateRangeEnd(c.key, c.rangeEnd, limits);
  if (!COMPARE_TARGETS.has(c.target)) throw new InvalidArgumentError(`unknown compare target ${String(c.target)}`);
  if (!COMPARE_RESULTS.has(c.result)) throw new InvalidArgumentError(`unknown compare result ${String(c.result)}`);
  if (c.target === 'value') {
    if (!isBytes(c.value)) throw new InvalidArgumentError('a value compare needs bytes');
  } else if (typeof c.value !== 'number' || !Number.isSafeInteger(c.value)) {
    throw new InvalidArgumentError(`a ${c.target} compare needs an integer`);
  }
}

/** Bytes of keys and values in a txn (its request size as far as the store can tell). */
function txnBytes(args: TxnArgs): number {
  let n = 0;
  for (const c of args.compare) n += c.key.byteLength + (c.rangeEnd?.byteLength ?? 0) + (c.target === 'value' ? c.value.byteLength : 8);
  for (const op of [...args.success, ...args.failure]) {
    if (op.type === 'txn') n += txnBytes(op);
    else if (op.type === 'put') n += op.key.byteLength + op.value.byteLength;
    else n += op.key.byteLength + (op.rangeEnd?.byteLength ?? 0);
  }
  return n;
}

function validateTxnShape(args: TxnArgs, limits: Limits, depth: number): void {
  if (typeof args !== 'object' || args === null) throw new InvalidArgumentError('txn arguments missing');
  if (depth > limits.maxTxnDepth) throw new InvalidArgumentError(`txns nested deeper than ${limits.maxTxnDepth} levels`);
  for (const [name, list] of [['compare', args.compare], ['success', args.success], ['failure', args.failure]] as const) {
    if (!Array.isArray(list)) throw new InvalidArgumentError(`txn ${name} must be a list`);
    if (list.length > limits.maxTxnOps) throw new TooManyOpsError(name === 'compare' ? 'compares' : `${name} ops`, list.length, limits.maxTxnOps);
  }
  for (const c of args.compare) validateCompare(c, limits);
  for (const op of [...args.success, ...args.failure]) validateTxnOp(op, limits, depth);
}

function validateTxnOp(op: TxnRequestOp, limits: Limits, depth: number): void {
  if (typeof op !== 'object' || op === null) throw new InvalidArgumentError('txn op must be an object');
  switch (op.type) {
    case 'range':
      return validateRange(op, limits);
    case 'put':
      return validatePut(op, limits);
    case 'deleteRange':
      validateKey(op.key, limits);
      validateRangeEnd(op.key, op.rangeEnd, limits);
      return checkBool(op.prevKv, 'prevKv');
    case 'txn':
      return validateTxnShape(op, limits, depth + 1);
    default:
      throw new InvalidArgumentError(`unknown txn op type ${String((op as { type: unknown }).type)}`);
  }
}

interface WriteSet {
  readonly puts: Set<string>;
  readonly dels: KeyInterval[];
}

function deletedBy(dels: readonly KeyInterval[], key: string): boolean {
  return dels.some((iv) => intervalContains(iv, key));
}

/**
 * etcd's rule: within one branch (nested txns included), a key may be put at most once and
 * not put inside a range deleted in the same branch. A nested txn's success and failure
 * branches exclude each other, so they may put the same key.
 */
function checkWrites(ops: readonly TxnRequestOp[]): WriteSet {
  const dels: KeyInterval[] = [];
  for (const op of ops) if (op.type === 'deleteRange') dels.push(keyInterval(op.key, op.rangeEnd));
  const puts = new Set<string>();
  const childDels: KeyInterval[] = [];
  for (const op of ops) {
    if (op.type !== 'txn') continue;
    const then = checkWrites(op.success);
    const otherwise = checkWrites(op.failure);
    for (const k of then.puts) {
      if (puts.has(k) || deletedBy(dels, k)) throw new DuplicateKeyError();
      puts.add(k);
    }
    for (const k of otherwise.puts) {
      if ((puts.has(k) && !then.puts.has(k)) || deletedBy(dels, k)) throw new DuplicateKeyError();
      puts.add(k);
    }
    childDels.push(...then.dels, ...otherwise.dels);
  }
  dels.push(...childDels);
  for (const op of ops) {
    if (op.type !== 'put') continue;
    const k = keyString(op.key);
    if (puts.has(k) || deletedBy(dels, k)) throw new DuplicateKeyError();
    puts.add(k);
  }
  return { puts, dels };
}

export function validateTxn(args: TxnArgs, limits: Limits): void {
  validateTxnShape(args, limits, 1);
  const size = txnBytes(args);
  if (size > limits.maxRequestBytes) throw new RequestTooLargeError('txn', size, limits.maxRequestBytes);
  checkWrites(args.success);
  checkWrites(args.failure);
}

/** Throws the typed error a replica would answer for `cmd`, checking input only. */
export function validateCommand(cmd: Command, limits: Limits = DEFAULT_LIMITS): void {
  if (typeof cmd !== 'object' || cmd === null) throw new MalformedCommandError('command must be an object');
  if (cmd.audit !== undefined) validateAuditContext(cmd.audit);
  switch (cmd.op) {
    case 'auditAppend':
      return validateAuditAppend(cmd.args);
    case 'noop':
      return;
    case 'auth':
      return validateAuthAction(cmd.args);
    case 'put':
      return validatePut(cmd.args, limits);
    case 'deleteRange':
      if (typeof cmd.args !== 'object' || cmd.args === null) throw new InvalidArgumentError('deleteRange arguments missing');
      validateKey(cmd.args.key, limits);
      validateRangeEnd(cmd.args.key, cmd.args.rangeEnd, limits);
      return checkBool(cmd.args.prevKv, 'prevKv');
    case 'txn':
      return validateTxn(cmd.args, limits);
    case 'compact':
      return checkCount(cmd.args?.revision, 'revision', { optional: false });
    case 'leaseGrant': {
      const ttl: unknown = cmd.args?.ttl;
      if (typeof ttl !== 'number' || !Number.isSafeInteger(ttl)) throw new InvalidArgumentError(`lease TTL must be an integer, got ${String(ttl)}`);
      if (ttl > LEASE_TTL_SECONDS_MAX) throw new InvalidArgumentError(`lease TTL ${ttl} s is too large (max ${LEASE_TTL_SECONDS_MAX})`);
      return checkCount(cmd.args.id, 'lease id', { optional: true });
    }
    case 'leaseRevoke':
      return checkCount(cmd.args?.id, 'lease id', { optional: false, positive: true });
    case 'leaseCheckpoint': {
      const list: unknown = cmd.args?.checkpoints;
      if (!Array.isArray(list)) throw new InvalidArgumentError('checkpoints must be a list');
      if (list.length > CHECKPOINTS_PER_COMMAND_MAX) throw new TooManyOpsError('checkpoints', list.length, CHECKPOINTS_PER_COMMAND_MAX);
      for (const cp of list as unknown[]) {
        if (typeof cp !== 'object' || cp === null) throw new InvalidArgumentError('checkpoint must be an object');
        const c = cp as Record<string, unknown>;
        checkCount(c['id'], 'lease id', { optional: false, positive: true });
        checkCount(c['remainingTtlMs'], 'remainingTtlMs', { optional: false });
      }
      return;
    }
    default:
      throw new MalformedCommandError(`unknown command op ${String((cmd as { op: unknown }).op)}`);
  }
}
