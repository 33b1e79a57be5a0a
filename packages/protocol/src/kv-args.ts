// The kv ops' arguments, defined once: range, put, deleteRange, txn (with its compares) and
// compact. Each is a record of fields (schema.ts) from which its type is inferred, plus the
// checks across fields (a rangeEnd that sorts before its key, ignoreValue with a value) and
// the txn walk (depth, per-list op counts, total bytes). The server runs these before
// proposing, the store at apply time on every replica: so only constants from limits.ts.
// The txn write-set rule (no key written twice in a branch) needs the store's key intervals
// and stays with the store (kvstore validate.ts).

import { compareBytes } from './bytes.js';
import { REQUEST_BYTES_MAX, TXN_DEPTH_MAX, TXN_OPS_MAX } from './limits.js';
import { bool, bytes, checkFields, int, shape, invalid, isBytes, key, labeled, oneOf, optional, rangeEnd, show, tooLarge, tooManyOps, uint, type Infer } from './schema.js';

export const SORT_ORDERS = ['none', 'ascend', 'descend'] as const;
export const SORT_TARGETS = ['key', 'version', 'createRevision', 'modRevision', 'value'] as const;
export const COMPARE_TARGETS = ['value', 'version', 'createRevision', 'modRevision', 'lease'] as const;
export const COMPARE_RESULTS = ['equal', 'greater', 'less', 'notEqual'] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];
export type SortTarget = (typeof SORT_TARGETS)[number];

const revision = optional(uint());
const flag = optional(bool);

export const RANGE_FIELDS = {
  key,
  /** Exclusive end; absent or empty = just `key`; `[0]` (a single zero byte) = every key >= key. */
  rangeEnd,
  /** 0 or absent = no limit. */
  limit: optional(uint()),
  /** 0 or absent = latest; below the compacted revision fails with Compacted, above the current with FutureRevision. */
  revision,
  sortOrder: optional(oneOf(SORT_ORDERS)),
  sortTarget: optional(oneOf(SORT_TARGETS)),
  /** Serve from the local member at once instead of a linearizable ReadIndex read. */
  serializable: flag,
  keysOnly: flag,
  countOnly: flag,
  /** Keep only keys whose modRevision is >= this (0 or absent: no bound); etcd's min_mod_revision. */
  minModRevision: revision,
  maxModRevision: revision,
  minCreateRevision: revision,
  maxCreateRevision: revision,
};
export interface RangeArgs extends Infer<typeof RANGE_FIELDS> {}

export const PUT_FIELDS = {
  key,
  /** At most REQUEST_BYTES_MAX (the store's constant, whatever a member's frame limit). */
  value: bytes(REQUEST_BYTES_MAX),
  /** 0 or absent = no lease. */
  lease: optional(uint()),
  prevKv: flag,
  /** Keep the current value (value must be empty; fails with InvalidArgument if the key does not exist). */
  ignoreValue: flag,
  /** Keep the current lease (lease must be 0; fails with InvalidArgument if the key does not exist). */
  ignoreLease: flag,
};
export interface PutArgs extends Infer<typeof PUT_FIELDS> {}

export const DELETE_RANGE_FIELDS = {
  key,
  rangeEnd,
  prevKv: flag,
};
export interface DeleteRangeArgs extends Infer<typeof DELETE_RANGE_FIELDS> {}

export const COMPACT_FIELDS = {
  revision: uint(),
  /** Reply only once the compaction is physically applied to the backend. */
  physical: flag,
};
export interface CompactArgs extends Infer<typeof COMPACT_FIELDS> {}

const COMPARE_FIELDS = {
  key: labeled(key, 'compare key'),
  rangeEnd,
  target: labeled(oneOf(COMPARE_TARGETS), 'compare target'),
  result: labeled(oneOf(COMPARE_RESULTS), 'compare result'),
};

export type CompareTarget = (typeof COMPARE_TARGETS)[number];
export type CompareResult = (typeof COMPARE_RESULTS)[number];

/**
 * One txn guard (its `value` is bytes or a number depending on `target`, hence written out).
 * Over a range (`rangeEnd` set) it holds when it holds for every key in the range. A missing
 * key compares as version/createRevision/modRevision/lease 0 and fails a `value` compare (etcd).
 */
export type Compare =
  | (Infer<typeof COMPARE_FIELDS> & { readonly target: 'value'; readonly value: Uint8Array })
  | (Infer<typeof COMPARE_FIELDS> & { readonly target: Exclude<CompareTarget, 'value'>; readonly value: number });

/** An operation inside a txn branch. Nested txns are allowed (etcd 3.3+); writes may not overlap. */
export type TxnRequestOp =
  | ({ readonly type: 'range' } & RangeArgs)
  | ({ readonly type: 'put' } & PutArgs)
  | ({ readonly type: 'deleteRange' } & DeleteRangeArgs)
  | ({ readonly type: 'txn' } & TxnArgs);

export interface TxnArgs {
  readonly compare: readonly Compare[];
  readonly success: readonly TxnRequestOp[];
  readonly failure: readonly TxnRequestOp[];
}

// ---- checks across fields

const RANGE = shape(RANGE_FIELDS);
const PUT = shape(PUT_FIELDS);
const DELETE_RANGE = shape(DELETE_RANGE_FIELDS);
const COMPACT = shape(COMPACT_FIELDS);
const COMPARE = shape(COMPARE_FIELDS);

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array);
}

/** A rangeEnd other than empty or `[0]` must not sort before its key (that range is empty). */
function checkRangeOrder(k: Uint8Array, end: Uint8Array | undefined): void {
  if (end === undefined || end.byteLength === 0 || (end.byteLength === 1 && end[0] === 0)) return;
  if (compareBytes(end, k) < 0) throw invalid('rangeEnd sorts before key (an empty range)');
}

function argsObject(args: unknown, what: string): asserts args is Record<string, unknown> {
  if (!isRecord(args)) throw invalid(`${what} arguments missing`);
}

export function checkRange(args: unknown): asserts args is RangeArgs {
  argsObject(args, 'range');
  checkFields(RANGE, args);
  checkRangeOrder(args.key, args.rangeEnd);
}

export function checkPut(args: unknown): asserts args is PutArgs {
  argsObject(args, 'put');
  checkFields(PUT, args);
  if (args.ignoreValue === true && args.value.byteLength !== 0) throw invalid('value is provided although ignoreValue is set');
  if (args.ignoreLease === true && (args.lease ?? 0) !== 0) throw invalid('lease is provided although ignoreLease is set');
}

export function checkDeleteRange(args: unknown): asserts args is DeleteRangeArgs {
  argsObject(args, 'deleteRange');
  checkFields(DELETE_RANGE, args);
  checkRangeOrder(args.key, args.rangeEnd);
}

export function checkCompact(args: unknown): asserts args is CompactArgs {
  argsObject(args, 'compact');
  checkFields(COMPACT, args);
}

/** Checks one compare; returns its bytes (key, rangeEnd, value; 8 for a number). */
function checkCompare(c: unknown): number {
  if (!isRecord(c)) throw invalid('compare must be an object');
  const value = c['value'];
  checkFields(COMPARE, c);
  checkRangeOrder(c.key, c.rangeEnd);
  const size = c.key.byteLength + (c.rangeEnd?.byteLength ?? 0);
  if (c.target === 'value') {
    if (!isBytes(value)) throw invalid('a value compare needs bytes');
    return size + value.byteLength;
  }
  int.check(value, `a ${c.target} compare's value`);
  return size + 8;
}

function checkList(args: Record<string, unknown>, name: 'compare' | 'success' | 'failure'): readonly unknown[] {
  const list = args[name];
  if (!Array.isArray(list)) throw invalid(`txn ${name} must be a list`);
  if (list.length > TXN_OPS_MAX) throw tooManyOps(name === 'compare' ? 'compares' : `${name} ops`, list.length, TXN_OPS_MAX);
  return list as readonly unknown[];
}

/** Checks one branch's ops; returns their bytes (keys and values, as the store counts them). */
function checkBranch(ops: readonly unknown[], depth: number): number {
  let size = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (!isRecord(op)) throw invalid('txn op must be an object');
    switch (op['type']) {
      case 'range':
        checkRange(op);
        size += op.key.byteLength + (op.rangeEnd?.byteLength ?? 0);
        break;
      case 'put':
        checkPut(op);
        size += op.key.byteLength + op.value.byteLength;
        break;
      case 'deleteRange':
        checkDeleteRange(op);
        size += op.key.byteLength + (op.rangeEnd?.byteLength ?? 0);
        break;
      case 'txn':
        size += checkTxnLevel(op, depth + 1);
        break;
      default:
        throw invalid(`unknown txn op type ${show(op['type'])}`);
    }
  }
  return size;
}

function checkTxnLevel(args: unknown, depth: number): number {
  argsObject(args, 'txn');
  if (depth > TXN_DEPTH_MAX) throw invalid(`txns nested deeper than ${TXN_DEPTH_MAX} levels`);
  const compare = checkList(args, 'compare');
  const success = checkList(args, 'success');
  const failure = checkList(args, 'failure');
  let size = 0;
  for (let i = 0; i < compare.length; i++) size += checkCompare(compare[i]);
  return size + checkBranch(success, depth) + checkBranch(failure, depth);
}

/**
 * etcd's txn rules that need no store state: at most TXN_OPS_MAX compares and ops per branch
 * at every level, at most TXN_DEPTH_MAX levels, every op well-formed, and keys plus values at
 * most REQUEST_BYTES_MAX in all.
 */
export function checkTxn(args: unknown): asserts args is TxnArgs {
  const size = checkTxnLevel(args, 1);
  if (size > REQUEST_BYTES_MAX) throw tooLarge('txn', size, REQUEST_BYTES_MAX);
}

function branchOpCount(ops: readonly TxnRequestOp[]): number {
  let count = 0;
  for (const op of ops) count += op.type === 'txn' ? 1 + Math.max(branchOpCount(op.success), branchOpCount(op.failure)) : 1;
  return count;
}

/**
 * Ops of a (checked) txn as a member's --max-txn-ops counts them: per branch, each op plus
 * the ops of the larger branch of each txn nested in it; the larger top branch, or the
 * compares, decide. Bounds the work of the whole tree, which the per-level rule does not.
 */
export function txnOpCount(args: TxnArgs): number {
  return Math.max(args.compare.length, branchOpCount(args.success), branchOpCount(args.failure));
}
