// User-facing KV options (strings or bytes, prefix/fromKey shorthands) turned into protocol
// arguments (the op schema's types), and builders for txn compares and ops. Pure functions: no I/O.

import {
  DELETE_RANGE_FIELDS, PUT_FIELDS, RANGE_FIELDS, prefixRangeEnd, RANGE_END_ALL, toBytes, validateArgs,
  type Compare, type CompareResult, type DeleteRangeArgs, type LeaseId, type PutArgs, type RangeArgs,
  type TxnArgs, type TxnRequestOp,
} from '@kite/protocol';

export type Bytes = string | Uint8Array;

export interface RangeSelector {
  /** Every key starting with `key`. */
  readonly prefix?: boolean;
  /** Every key >= `key`. */
  readonly fromKey?: boolean;
  /** Exclusive end of the range (overrides prefix/fromKey). */
  readonly rangeEnd?: Bytes;
}

/** A range's options: every field of the op schema's range but the key and its end (see RangeSelector). */
export interface GetOptions extends RangeSelector, Omit<RangeArgs, 'key' | 'rangeEnd'> {}

/** A put's options: the op schema's put fields but key and value; `lease` may also be a Lease. */
export interface PutOptions extends Omit<PutArgs, 'key' | 'value' | 'lease'> {
  /** A lease id, or anything with an `id` (a Lease). */
  readonly lease?: LeaseId | { readonly id: LeaseId };
}

export interface DeleteOptions extends RangeSelector, Omit<DeleteRangeArgs, 'key' | 'rangeEnd'> {}

export function rangeEndOf(key: Uint8Array, sel: RangeSelector): Uint8Array | undefined {
  if (sel.rangeEnd !== undefined) return toBytes(sel.rangeEnd);
  if (sel.prefix === true) return prefixRangeEnd(key);
  if (sel.fromKey === true) return RANGE_END_ALL;
  return undefined;
}

/**
 * The wire key and rangeEnd for a user key and selector. An empty key with prefix or fromKey
 * means "every key": the wire form is key "\0", rangeEnd "\0" (etcd's), since an empty key
 * is invalid on the wire.
 */
export function keyRange(key: Bytes, sel: RangeSelector): { key: Uint8Array; rangeEnd?: Uint8Array } {
  const k = toBytes(key);
  if (k.length === 0 && sel.rangeEnd === undefined && (sel.prefix === true || sel.fromKey === true)) {
    return { key: RANGE_END_ALL, rangeEnd: RANGE_END_ALL };
  }
  const rangeEnd = rangeEndOf(k, sel);
  return rangeEnd === undefined ? { key: k } : { key: k, rangeEnd };
}

/** The op schema's fields a caller sets as options (key, rangeEnd and value come as arguments). */
function optionNames(fields: object): readonly string[] {
  return Object.keys(fields).filter((name) => name !== 'key' && name !== 'rangeEnd' && name !== 'value');
}
const RANGE_OPTIONS = optionNames(RANGE_FIELDS);
const PUT_OPTIONS = optionNames(PUT_FIELDS);
const DELETE_OPTIONS = optionNames(DELETE_RANGE_FIELDS);

/**
 * Copies the options in `names` that are set: a field added to the op schema is an SDK option
 * at once, and call options (signal, timeoutMs) never reach the wire. exactOptionalPropertyTypes:
 * never send undefined.
 */
function copyOptions(out: Record<string, unknown>, names: readonly string[], o: object): void {
  const opts = o as Record<string, unknown>;
  for (const name of names) {
    const v = opts[name];
    if (v !== undefined) out[name] = v;
  }
}

export function rangeArgs(key: Bytes, o: GetOptions = {}): RangeArgs {
  const out: Record<string, unknown> = { ...keyRange(key, o) };
  copyOptions(out, RANGE_OPTIONS, o);
  return out as unknown as RangeArgs;
}

export function putArgs(key: Bytes, value: Bytes, o: PutOptions = {}): PutArgs {
  const out: Record<string, unknown> = { key: toBytes(key), value: toBytes(value) };
  copyOptions(out, PUT_OPTIONS, o);
  if (typeof o.lease === 'object') out['lease'] = o.lease.id;
  return out as unknown as PutArgs;
}

export function deleteArgs(key: Bytes, o: DeleteOptions = {}): DeleteRangeArgs {
  const out: Record<string, unknown> = { ...keyRange(key, o) };
  copyOptions(out, DELETE_OPTIONS, o);
  return out as unknown as DeleteRangeArgs;
}

// ---- txn builders

export type CompareOperator = CompareResult | '=' | '==' | '!=' | '>' | '<';

function result(op: CompareOperator): CompareResult {
  switch (op) {
    case '=':
    case '==':
      return 'equal';
    case '!=':
      return 'notEqual';
    case '>':
      return 'greater';
    case '<':
      return 'less';
    default:
      return op;
  }
}

function numericCompare(
  target: 'version' | 'createRevision' | 'modRevision' | 'lease',
): (key: Bytes, op: CompareOperator, value: number, sel?: RangeSelector) => Compare {
  return (key, op, value, sel = {}) => ({ ...keyRange(key, sel), target, result: result(op), value });
}

/** Txn guards: `Cmp.version('k', '=', 0)` holds when k does not exist. */
export const Cmp = {
  value(key: Bytes, op: CompareOperator, value: Bytes, sel: RangeSelector = {}): Compare {
    return { ...keyRange(key, sel), target: 'value', result: result(op), value: toBytes(value) };
  },
  version: numericCompare('version'),
  createRevision: numericCompare('createRevision'),
  modRevision: numericCompare('modRevision'),
  lease: numericCompare('lease'),
};

export interface TxnSpec {
  readonly compare?: readonly Compare[];
  readonly success?: readonly TxnRequestOp[];
  readonly failure?: readonly TxnRequestOp[];
}

/** Txn operations. */
export const Op = {
  get(key: Bytes, o: GetOptions = {}): TxnRequestOp {
    return { type: 'range', ...rangeArgs(key, o) };
  },
  put(key: Bytes, value: Bytes, o: PutOptions = {}): TxnRequestOp {
    return { type: 'put', ...putArgs(key, value, o) };
  },
  delete(key: Bytes, o: DeleteOptions = {}): TxnRequestOp {
    return { type: 'deleteRange', ...deleteArgs(key, o) };
  },
  txn(spec: TxnSpec): TxnRequestOp {
    return { type: 'txn', ...txnArgs(spec) };
  },
};

/** Throws the server's own error (the op schema's) for a txn it would refuse, before anything is sent. */
export function txnArgs(spec: TxnSpec): TxnArgs {
  const args: TxnArgs = { compare: spec.compare ?? [], success: spec.success ?? [], failure: spec.failure ?? [] };
  validateArgs('txn', args);
  return args;
}

/** A txn that only reads (recursively) may be retried after a lost reply. */
export function txnIsReadOnly(args: TxnArgs): boolean {
  const readOnly = (ops: readonly TxnRequestOp[]): boolean =>
    ops.every((op) => op.type === 'range' || (op.type === 'txn' && txnIsReadOnly(op)));
  return readOnly(args.success) && readOnly(args.failure);
}
