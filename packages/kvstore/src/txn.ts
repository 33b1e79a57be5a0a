// Transactions, in etcd's three steps: (1) evaluate every compare on the path, nested txns
// included, against the state before the txn; (2) check the preconditions of the ops on that
// path (leases exist, ignoreValue/ignoreLease keys exist, range revisions readable) so a
// failing txn changes nothing; (3) run the ops in order, later ops seeing earlier writes.

import { compareBytes, keyInterval, keyString } from './bytes.js';
import type { ChangeSet } from './change-set.js';
import { InvalidArgumentError, LeaseNotFoundError } from './errors.js';
import type { MvccState } from './mvcc.js';
import { checkReadRevision, rangeKeys } from './range.js';
import type { Compare, CompareResult, PutArgs, TxnArgs, TxnRequestOp, TxnResponseOp, TxnResult } from './types.js';

/** The branch each txn on the path takes: the txn's own choice, then its nested txns' plans. */
interface TxnPlan {
  readonly succeeded: boolean;
  readonly ops: readonly TxnRequestOp[];
  /** Plans of the nested txns among `ops`, in order. */
  readonly nested: readonly TxnPlan[];
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

/** One compare against the current state (a missing key: numbers 0, value compares fail). */
export function evalCompare(state: MvccState, c: Compare): boolean {
  let any = false;
  for (const ki of state.tree.range(keyInterval(c.key, c.rangeEnd))) {
    const at = ki.latest();
    if (at === undefined) continue;
    any = true;
    let cmp: number;
    switch (c.target) {
      case 'value':
        cmp = compareBytes(ki.value ?? new Uint8Array(0), c.value);
        break;
      case 'version':
        cmp = at.version - c.value;
        break;
      case 'createRevision':
        cmp = at.createRevision - c.value;
        break;
      case 'modRevision':
        cmp = at.modified.main - c.value;
        break;
      case 'lease':
        cmp = ki.lease - c.value;
        break;
    }
    if (!holds(c.result, cmp)) return false;
  }
  if (any) return true;
  if (c.target === 'value') return false;
  return holds(c.result, 0 - c.value);
}

function plan(state: MvccState, args: TxnArgs): TxnPlan {
  const succeeded = args.compare.every((c) => evalCompare(state, c));
  const ops = succeeded ? args.success : args.failure;
  const nested = ops.filter((op) => op.type === 'txn').map((op) => plan(state, op));
  return { succeeded, ops, nested };
}

function checkPut(state: MvccState, op: PutArgs): void {
  const lease = op.lease ?? 0;
  if (lease !== 0 && !state.lessor.has(lease)) throw new LeaseNotFoundError(lease);
  if (op.ignoreValue === true || op.ignoreLease === true) {
    const ki = state.tree.get(keyString(op.key));
    if (ki === undefined || !ki.alive) throw new InvalidArgumentError('key not found (ignoreValue/ignoreLease need an existing key)');
  }
}

/** Exported for plain puts too: the same preconditions. */
export { checkPut };

function checkPlan(state: MvccState, p: TxnPlan): void {
  let n = 0;
  for (const op of p.ops) {
    if (op.type === 'put') checkPut(state, op);
    else if (op.type === 'range') checkReadRevision(state, op.revision, state.currentRevision);
    else if (op.type === 'txn') checkPlan(state, p.nested[n++] as TxnPlan);
  }
}

async function run(state: MvccState, changes: ChangeSet, p: TxnPlan): Promise<TxnResult> {
  const responses: TxnResponseOp[] = [];
  let n = 0;
  for (const op of p.ops) {
    switch (op.type) {
      case 'range':
        responses.push({ type: 'range', ...(await rangeKeys(state, op, changes.visibleRevision)) });
        break;
      case 'put':
        responses.push({ type: 'put', ...changes.put(op) });
        break;
      case 'deleteRange':
        responses.push({ type: 'deleteRange', ...changes.deleteRange(op) });
        break;
      case 'txn':
        responses.push({ type: 'txn', ...(await run(state, changes, p.nested[n++] as TxnPlan)) });
        break;
    }
  }
  return { succeeded: p.succeeded, responses };
}

/** Runs a validated txn. Throws a KvError before any change when a precondition fails. */
export async function executeTxn(state: MvccState, changes: ChangeSet, args: TxnArgs): Promise<TxnResult> {
  const p = plan(state, args);
  checkPlan(state, p);
  return run(state, changes, p);
}
