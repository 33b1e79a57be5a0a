// Read-only txns (every op of both branches, nested txns included, is a range) are served like
// a linearizable range, through ReadIndex, instead of being proposed through Raft (etcd does
// the same). Every compare and every range is read at ONE revision R, the store's revision
// once the read index is applied, so the txn sees exactly the state a txn applied at that
// point of the log would see. The compare rules are the store's (see kvstore txn.ts): over a
// range a compare must hold for every live key; with no live key, numbers compare as 0 and a
// value compare fails. The whole txn is validated by the store's own rules first (both
// branches, as apply does), so a txn the store would refuse is refused here the same way.

import { DEFAULT_LIMITS, validateCommand, type Command } from '@kite/kvstore';
import type { Compare, CompareResult, RangeArgs, RangeResult, TxnArgs, TxnRequestOp, TxnResponseOp, TxnResult } from '@kite/protocol';

/** A range read of the store at an explicit revision. */
export type RangeAt = (args: RangeArgs) => Promise<RangeResult & { readonly revision: number }>;

/** True when no op on either branch, at any depth, writes. */
export function isReadOnlyTxn(t: TxnArgs): boolean {
  const readOnly = (op: TxnRequestOp): boolean => op.type === 'range' || (op.type === 'txn' && isReadOnlyTxn(op));
  return t.success.every(readOnly) && t.failure.every(readOnly);
}

/**
 * Evaluates a read-only txn against the store as of `revision`. The store is opened with its
 * default limits (kv-adapter.ts), so DEFAULT_LIMITS are the limits apply would check.
 */
export function readTxn(t: TxnArgs, revision: number, rangeAt: RangeAt): Promise<TxnResult> {
  try {
    validateCommand({ op: 'txn', args: t } as unknown as Command, DEFAULT_LIMITS);
  } catch (err) {
    return Promise.reject(err);
  }
  return evalTxn(t, revision, rangeAt);
}

async function evalTxn(t: TxnArgs, revision: number, rangeAt: RangeAt): Promise<TxnResult> {
  let succeeded = true;
  for (const c of t.compare) {
    if (!(await evalCompare(c, revision, rangeAt))) {
      succeeded = false;
      break;
    }
  }
  const responses: TxnResponseOp[] = [];
  for (const op of succeeded ? t.success : t.failure) {
    if (op.type === 'range') {
      const { type: _type, ...args } = op;
      const { revision: _at, ...res } = await rangeAt({ ...args, revision: args.revision !== undefined && args.revision > 0 ? args.revision : revision });
      responses.push({ type: 'range', ...res });
    } else if (op.type === 'txn') {
      responses.push({ type: 'txn', ...(await evalTxn(op, revision, rangeAt)) });
    } else {
      throw new Error(`assertion: readTxn given a txn with a ${op.type}`);
    }
  }
  return { succeeded, responses };
}

async function evalCompare(c: Compare, revision: number, rangeAt: RangeAt): Promise<boolean> {
  const { kvs } = await rangeAt({ key: c.key, ...(c.rangeEnd !== undefined ? { rangeEnd: c.rangeEnd } : {}), revision });
  for (const kv of kvs) {
    let cmp: number;
    switch (c.target) {
      case 'value':
        cmp = Buffer.compare(kv.value, c.value);
        break;
      case 'version':
        cmp = kv.version - c.value;
        break;
      case 'createRevision':
        cmp = kv.createRevision - c.value;
        break;
      case 'modRevision':
        cmp = kv.modRevision - c.value;
        break;
      case 'lease':
        cmp = kv.lease - c.value;
        break;
    }
    if (!holds(c.result, cmp)) return false;
  }
  if (kvs.length > 0) return true;
  if (c.target === 'value') return false;
  return holds(c.result, 0 - c.value);
}

function holds(result: CompareResult, cmp: number): boolean {
  switch (result) {
    case 'equal':
      return cmp === 0;
    case 'notEqual':
      return cmp !== 0;
    case 'greater':
      return cmp > 0;
    case 'less':
      return cmp < 0;
  }
}
