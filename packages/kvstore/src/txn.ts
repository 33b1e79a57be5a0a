// Transactions, in etcd's three steps: (1) evaluate every compare on the path, nested txns
// included, against the state before the txn; (2) check the preconditions of the ops on that
// path (leases exist, ignoreValue/ignoreLease keys exist, range revisions readable) so a
// failing txn changes nothing; (3) run the ops in order, later ops seeing earlier writes.
// readTxnAt runs the same steps for a read-only txn at one past or current revision, with the
// same compare rule (compareHolds) and the same range precondition check.

import { assert } from './assert.js';
import { EMPTY_BYTES, compareBytes, keyBytes, keyInterval, keyString } from './bytes.js';
import type { KeyIndex } from './key-index.js';
import { valueComparesCached } from './value-prefetch.js';
import type { ChangeSet } from './change-set.js';
import { InvalidArgumentError, LeaseNotFoundError } from './errors.js';
import type { MvccState } from './mvcc.js';
import { ReadBudget, kvWireBytes } from './read-budget.js';
import { chargeRangeBound, checkReadRevision, rangeKeys } from './range.js';
import type { Compare, CompareResult, KeyValue, PutArgs, TxnArgs, TxnRequestOp, TxnResponseOp, TxnResult } from './types.js';

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

/** What a compare looks at in one live key. */
type CompareSubject = Omit<KeyValue, 'key'>;

/** The compare rule for one live key. */
function compareHolds(c: Compare, kv: CompareSubject): boolean {
  switch (c.target) {
    case 'value':
      return holds(c.result, compareBytes(kv.value, c.value));
    case 'version':
      return holds(c.result, kv.version - c.value);
    case 'createRevision':
      return holds(c.result, kv.createRevision - c.value);
    case 'modRevision':
      return holds(c.result, kv.modRevision - c.value);
    case 'lease':
      return holds(c.result, kv.lease - c.value);
  }
}

/** The rule when the compare's range holds no live key: numbers compare as 0, value compares fail. */
function compareHoldsForNoKey(c: Compare): boolean {
  return c.target !== 'value' && holds(c.result, 0 - c.value);
}

function pinnedValue(state: MvccState, ki: KeyIndex): Uint8Array {
  const v = state.values.get(ki);
  assert(v !== undefined, `value of ${ki.key} read by a compare is not in memory (pinned or cached)`);
  return keyBytes(v);
}

/** One compare against the current state: it must hold for every live key in its range. */
export function evalCompare(state: MvccState, c: Compare, budget: ReadBudget): boolean {
  let any = false;
  for (const ki of state.tree.range(keyInterval(c.key, c.rangeEnd))) {
    budget.chargeScan();
    const at = ki.latest();
    if (at === undefined) continue;
    any = true;
    const subject: CompareSubject = {
      // Only a value compare needs the value (pinned before the command ran: value-prefetch.ts).
      value: c.target === 'value' ? pinnedValue(state, ki) : EMPTY_BYTES,
      version: at.version,
      createRevision: at.createRevision,
      modRevision: at.modified.main,
      lease: ki.lease,
    };
    if (!compareHolds(c, subject)) return false;
  }
  return any || compareHoldsForNoKey(c);
}

/** One compare against the state at `revision` (a readable one), read through the history. */
async function evalCompareAt(state: MvccState, c: Compare, revision: number, budget: ReadBudget): Promise<boolean> {
  const range = { key: c.key, ...(c.rangeEnd !== undefined ? { rangeEnd: c.rangeEnd } : {}), revision };
  const { kvs } = await rangeKeys(state, range, revision, budget);
  return kvs.length === 0 ? compareHoldsForNoKey(c) : kvs.every((kv) => compareHolds(c, kv));
}

function plan(state: MvccState, args: TxnArgs, budget: ReadBudget): TxnPlan {
  const succeeded = args.compare.every((c) => evalCompare(state, c, budget));
  const ops = succeeded ? args.success : args.failure;
  const nested = ops.filter((op) => op.type === 'txn').map((op) => plan(state, op, budget));
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

/** Step 2; `visible` is the revision the txn reads at (apply: the current one). */
function checkPlan(state: MvccState, p: TxnPlan, visible: number = state.currentRevision): void {
  let n = 0;
  for (const op of p.ops) {
    if (op.type === 'put') checkPut(state, op);
    else if (op.type === 'range') checkReadRevision(state, op.revision, visible);
    else if (op.type === 'txn') checkPlan(state, p.nested[n++] as TxnPlan, visible);
  }
}

async function run(state: MvccState, changes: ChangeSet, p: TxnPlan, budget: ReadBudget): Promise<TxnResult> {
  const responses: TxnResponseOp[] = [];
  let n = 0;
  for (const op of p.ops) {
    switch (op.type) {
      case 'range':
        responses.push({ type: 'range', ...(await rangeKeys(state, op, changes.visibleRevision, budget)) });
        break;
      case 'put':
        responses.push({ type: 'put', ...changes.put(op) });
        break;
      case 'deleteRange':
        responses.push({ type: 'deleteRange', ...changes.deleteRange(op) });
        break;
      case 'txn':
        responses.push({ type: 'txn', ...(await run(state, changes, p.nested[n++] as TxnPlan, budget)) });
        break;
    }
  }
  return { succeeded: p.succeeded, responses };
}

/** Bytes the puts on the path may add to any range of the txn (an upper bound). */
function putBytes(p: TxnPlan): number {
  let n = 0;
  let nested = 0;
  for (const op of p.ops) {
    if (op.type === 'put') n += kvWireBytes(op.key.byteLength, op.value.byteLength);
    else if (op.type === 'txn') n += putBytes(p.nested[nested++] as TxnPlan);
  }
  return n;
}

/**
 * Step 2 for the reads of a write txn (ranges, and deletes returning prevKvs): charges
 * `budget` with a bound of every one on the path before anything changes, since a refusal half-way through step 3 would leave earlier
 * writes applied. A range at the current state is bounded from the index (plus what the
 * txn's puts may add); a range at an explicit past revision does not see the txn's writes,
 * so it is read now, charged as it goes.
 */
async function chargeReads(state: MvccState, p: TxnPlan, addedBytes: number, budget: ReadBudget): Promise<void> {
  let n = 0;
  for (const op of p.ops) {
    if (op.type === 'range' && (op.revision ?? 0) > 0) await rangeKeys(state, op, state.currentRevision, budget);
    else if (op.type === 'range') chargeRangeBound(state, op, addedBytes, budget);
    // Its previous values are the keys live now (a branch may not put inside a range it deletes).
    else if (op.type === 'deleteRange' && op.prevKv === true) chargeRangeBound(state, op, 0, budget);
    else if (op.type === 'txn') await chargeReads(state, p.nested[n++] as TxnPlan, addedBytes, budget);
  }
}

/**
 * Runs a validated txn. Throws a KvError before any change when a precondition fails or its
 * reads could pass `budget` (ResponseTooLarge).
 */
export async function executeTxn(state: MvccState, changes: ChangeSet, args: TxnArgs, budget: ReadBudget): Promise<TxnResult> {
  const p = plan(state, args, budget);
  checkPlan(state, p);
  await chargeReads(state, p, putBytes(p), budget);
  // Bounded above: step 3 itself must not refuse half-way.
  return run(state, changes, p, ReadBudget.unlimited());
}

/** True when no op on either branch, at any depth, writes. */
export function isReadOnlyTxn(args: TxnArgs): boolean {
  const readOnly = (op: TxnRequestOp): boolean => op.type === 'range' || (op.type === 'txn' && isReadOnlyTxn(op));
  return args.success.every(readOnly) && args.failure.every(readOnly);
}

/** Step 1 at a past revision: the compares read through the history. */
async function planAt(state: MvccState, args: TxnArgs, revision: number, budget: ReadBudget): Promise<TxnPlan> {
  let succeeded = true;
  for (const c of args.compare) {
    if (!(await evalCompareAt(state, c, revision, budget))) {
      succeeded = false;
      break;
    }
  }
  const ops = succeeded ? args.success : args.failure;
  const nested: TxnPlan[] = [];
  for (const op of ops) if (op.type === 'txn') nested.push(await planAt(state, op, revision, budget));
  return { succeeded, ops, nested };
}

/** Step 3 without writes: every range without its own revision reads at `revision`. */
async function runReads(state: MvccState, p: TxnPlan, revision: number, budget: ReadBudget): Promise<TxnResult> {
  const responses: TxnResponseOp[] = [];
  let n = 0;
  for (const op of p.ops) {
    if (op.type === 'range') responses.push({ type: 'range', ...(await rangeKeys(state, op, revision, budget)) });
    else if (op.type === 'txn') responses.push({ type: 'txn', ...(await runReads(state, p.nested[n++] as TxnPlan, revision, budget)) });
    else throw new InvalidArgumentError(`a read-only txn cannot ${op.type}`);
  }
  return { succeeded: p.succeeded, responses };
}

/**
 * Runs a validated read-only txn as a txn applied when the store was at `revision` (readable:
 * checked by the caller) would run: the same three steps, minus the writes. Every compare and
 * range shares `budget`: the txn stops with ResponseTooLarge at its limit.
 */
export async function readTxnAt(state: MvccState, args: TxnArgs, revision: number, budget: ReadBudget): Promise<TxnResult> {
  if (!isReadOnlyTxn(args)) throw new InvalidArgumentError('readTxn needs a read-only txn (ranges and nested read-only txns only)');
  // The synchronous plan needs every value it compares in memory; else the history path reads them.
  const p = revision === state.currentRevision && valueComparesCached(state, args) ? plan(state, args, budget) : await planAt(state, args, revision, budget);
  checkPlan(state, p, revision);
  // Ranges at the current state are sized exactly from the index: a txn over the budget is
  // refused after an index walk, before a single value is copied.
  if (revision === state.currentRevision) await chargeReads(state, p, 0, budget.fresh());
  return runReads(state, p, revision, budget);
}
