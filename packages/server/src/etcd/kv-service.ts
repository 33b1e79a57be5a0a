// etcd's KV service (Range, Put, DeleteRange, Txn, Compact) onto Kite's kv ops: each request is
// translated field by field and served by OpServer (followers forward writes, linearizable
// reads go through ReadIndex, serializable ones are served locally). Kite's ops carry every
// argument etcd has, so nothing is emulated here; the only etcd rule applied by the door is
// that a sort target other than KEY with sort order NONE sorts ascending (etcd's default).

import type {
  Compare,
  CompareResult,
  DeleteRangeArgs,
  DeleteRangeResult,
  PutArgs,
  PutResult,
  RangeArgs,
  RangeResult,
  ResponseHeader,
  SortOrder,
  SortTarget,
  TxnArgs,
  TxnRequestOp,
  TxnResponseOp,
  TxnResult,
} from '@kite/protocol';
import { KiteError } from '@kite/protocol';
import { etcdHeader } from './header.js';
import type { EtcdMessage, EtcdServiceDeps, ServiceHandlers } from './handlers.js';
import { serveOp } from './serve-op.js';
import { boolOf, bytesOf, enumOf, int64Of, keyValueOut, messageOf, optionalBytesOf } from './etcd-values.js';

const SORT_ORDERS: Readonly<Record<string, SortOrder>> = { NONE: 'none', ASCEND: 'ascend', DESCEND: 'descend' };
const SORT_TARGETS: Readonly<Record<string, SortTarget>> = { KEY: 'key', VERSION: 'version', CREATE: 'createRevision', MOD: 'modRevision', VALUE: 'value' };
const COMPARE_RESULTS: Readonly<Record<string, CompareResult>> = { EQUAL: 'equal', GREATER: 'greater', LESS: 'less', NOT_EQUAL: 'notEqual' };
const COMPARE_TARGETS = { VERSION: 'version', CREATE: 'createRevision', MOD: 'modRevision', VALUE: 'value', LEASE: 'lease' } as const;
/** The int64 field of Compare's target_union each numeric target reads. */
const COMPARE_FIELDS = { version: 'version', createRevision: 'create_revision', modRevision: 'mod_revision', lease: 'lease' } as const;

/** A positive int64 argument, or absent (0 and negatives mean "not set" in etcd). */
function positive(msg: EtcdMessage, field: string): number | undefined {
  const n = int64Of(msg, field);
  return n > 0 ? n : undefined;
}

/** Drops undefined members (exactOptionalPropertyTypes: an op's optional args are absent, not undefined). */
function defined<T extends object>(o: { [K in keyof T]: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function rangeArgs(m: EtcdMessage): RangeArgs {
  const sortTarget = enumOf(m, 'sort_target', SORT_TARGETS);
  let sortOrder = enumOf(m, 'sort_order', SORT_ORDERS);
  if (sortOrder === 'none' && sortTarget !== 'key') sortOrder = 'ascend';
  return defined<RangeArgs>({
    key: bytesOf(m, 'key'),
    rangeEnd: optionalBytesOf(m, 'range_end'),
    limit: positive(m, 'limit'),
    revision: positive(m, 'revision'),
    sortOrder: sortOrder === 'none' ? undefined : sortOrder,
    sortTarget: sortOrder === 'none' ? undefined : sortTarget,
    serializable: boolOf(m, 'serializable') || undefined,
    keysOnly: boolOf(m, 'keys_only') || undefined,
    countOnly: boolOf(m, 'count_only') || undefined,
    minModRevision: positive(m, 'min_mod_revision'),
    maxModRevision: positive(m, 'max_mod_revision'),
    minCreateRevision: positive(m, 'min_create_revision'),
    maxCreateRevision: positive(m, 'max_create_revision'),
  });
}

export function putArgs(m: EtcdMessage): PutArgs {
  return defined<PutArgs>({
    key: bytesOf(m, 'key'),
    value: bytesOf(m, 'value'),
    lease: positive(m, 'lease'),
    prevKv: boolOf(m, 'prev_kv') || undefined,
    ignoreValue: boolOf(m, 'ignore_value') || undefined,
    ignoreLease: boolOf(m, 'ignore_lease') || undefined,
  });
}

export function deleteRangeArgs(m: EtcdMessage): DeleteRangeArgs {
  return defined<DeleteRangeArgs>({ key: bytesOf(m, 'key'), rangeEnd: optionalBytesOf(m, 'range_end'), prevKv: boolOf(m, 'prev_kv') || undefined });
}

export function compareArg(m: EtcdMessage): Compare {
  const target = enumOf(m, 'target', COMPARE_TARGETS);
  const result = enumOf(m, 'result', COMPARE_RESULTS);
  const key = bytesOf(m, 'key');
  const rangeEnd = optionalBytesOf(m, 'range_end');
  const base = rangeEnd === undefined ? { key, result } : { key, rangeEnd, result };
  if (target === 'value') return { ...base, target, value: bytesOf(m, 'value') };
  return { ...base, target, value: int64Of(m, COMPARE_FIELDS[target]) };
}

function requestOp(m: EtcdMessage): TxnRequestOp {
  switch (m['request']) {
    case 'request_range': return { type: 'range', ...rangeArgs(messageOf(m, 'request_range')) };
    case 'request_put': return { type: 'put', ...putArgs(messageOf(m, 'request_put')) };
    case 'request_delete_range': return { type: 'deleteRange', ...deleteRangeArgs(messageOf(m, 'request_delete_range')) };
    case 'request_txn': return { type: 'txn', ...txnArgs(messageOf(m, 'request_txn')) };
    default: throw new KiteError('InvalidArgument', 'a txn operation sets none of request_range, request_put, request_delete_range, request_txn');
  }
}

function listOf(m: EtcdMessage, field: string): EtcdMessage[] {
  const v = m[field];
  return Array.isArray(v) ? (v as EtcdMessage[]) : [];
}

export function txnArgs(m: EtcdMessage): TxnArgs {
  return {
    compare: listOf(m, 'compare').map(compareArg),
    success: listOf(m, 'success').map(requestOp),
    failure: listOf(m, 'failure').map(requestOp),
  };
}

// ---- results

/** Inner responses of a txn carry a header with the revision only, as etcd's do. */
function innerHeader(revision: number): EtcdMessage {
  return { cluster_id: '0', member_id: '0', revision: String(revision), raft_term: '0' };
}

export function rangeOut(r: RangeResult, header: EtcdMessage): EtcdMessage {
  return { header, kvs: r.kvs.map(keyValueOut), more: r.more, count: String(r.count) };
}

export function putOut(r: PutResult, header: EtcdMessage): EtcdMessage {
  return r.prevKv === undefined ? { header } : { header, prev_kv: keyValueOut(r.prevKv) };
}

export function deleteRangeOut(r: DeleteRangeResult, header: EtcdMessage): EtcdMessage {
  return { header, deleted: String(r.deleted), prev_kvs: (r.prevKvs ?? []).map(keyValueOut) };
}

function responseOp(r: TxnResponseOp, revision: number): EtcdMessage {
  const h = innerHeader(revision);
  switch (r.type) {
    case 'range': return { response: 'response_range', response_range: rangeOut(r, h) };
    case 'put': return { response: 'response_put', response_put: putOut(r, h) };
    case 'deleteRange': return { response: 'response_delete_range', response_delete_range: deleteRangeOut(r, h) };
    case 'txn': return { response: 'response_txn', response_txn: txnOut(r, h, revision) };
  }
}

export function txnOut(r: TxnResult, header: EtcdMessage, revision: number): EtcdMessage {
  return { header, succeeded: r.succeeded, responses: r.responses.map((x) => responseOp(x, revision)) };
}

function headerOf(h: ResponseHeader): EtcdMessage {
  return { ...etcdHeader(h) };
}

export function kvService(deps: EtcdServiceDeps): ServiceHandlers {
  return {
    unary: {
      Range: async (req, ctx) => {
        const reply = await serveOp(deps, ctx, 'range', rangeArgs(req));
        return rangeOut(reply, headerOf(reply.header));
      },
      Put: async (req, ctx) => {
        const reply = await serveOp(deps, ctx, 'put', putArgs(req));
        return putOut(reply, headerOf(reply.header));
      },
      DeleteRange: async (req, ctx) => {
        const reply = await serveOp(deps, ctx, 'deleteRange', deleteRangeArgs(req));
        return deleteRangeOut(reply, headerOf(reply.header));
      },
      Txn: async (req, ctx) => {
        const reply = await serveOp(deps, ctx, 'txn', txnArgs(req));
        return txnOut(reply, headerOf(reply.header), reply.header.revision);
      },
      Compact: async (req, ctx) => {
        const physical = boolOf(req, 'physical');
        const reply = await serveOp(deps, ctx, 'compact', physical ? { revision: int64Of(req, 'revision'), physical } : { revision: int64Of(req, 'revision') });
        return { header: headerOf(reply.header) };
      },
    },
  };
}
