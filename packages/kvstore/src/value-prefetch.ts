// Which current values a write command may read while it applies: the prevKv of every key it
// overwrites or deletes (watch events carry it), ignoreValue's value, and value compares.
// Apply reads them synchronously, so the store loads and pins them first (MvccState
// pinCurrentValues) when the bounded ValueCache does not hold them. Both branches of a txn
// are covered (its compares pick one only once values are known): a superset, bounded by the
// command's own ops and ranges.

import { keyInterval } from './bytes.js';
import type { Command } from './command.js';
import type { KeyIndex } from './key-index.js';
import type { MvccState } from './mvcc.js';
import type { Compare, TxnArgs, TxnRequestOp } from './types.js';

function addRange(state: MvccState, out: Set<KeyIndex>, key: Uint8Array, rangeEnd: Uint8Array | undefined): void {
  const iv = keyInterval(key, rangeEnd);
  if (iv.end === undefined) {
    const ki = state.tree.get(iv.start);
    if (ki?.alive === true) out.add(ki);
    return;
  }
  for (const ki of state.tree.range(iv)) if (ki.alive) out.add(ki);
}

function addCompare(state: MvccState, out: Set<KeyIndex>, c: Compare): void {
  if (c.target === 'value') addRange(state, out, c.key, c.rangeEnd);
}

function addOp(state: MvccState, out: Set<KeyIndex>, op: TxnRequestOp): void {
  if (op.type === 'put') addRange(state, out, op.key, undefined);
  else if (op.type === 'deleteRange') addRange(state, out, op.key, op.rangeEnd);
  else if (op.type === 'txn') addTxn(state, out, op);
  // A range op reads through the store's async path, which reads uncached values itself.
}

function addTxn(state: MvccState, out: Set<KeyIndex>, t: TxnArgs): void {
  for (const c of t.compare) addCompare(state, out, c);
  for (const op of t.success) addOp(state, out, op);
  for (const op of t.failure) addOp(state, out, op);
}

/** The live keys whose current values `cmd` may read while it applies (validated args). */
export function valuesReadBy(state: MvccState, cmd: Command): KeyIndex[] {
  const out = new Set<KeyIndex>();
  switch (cmd.op) {
    case 'put':
      addRange(state, out, cmd.args.key, undefined);
      break;
    case 'deleteRange':
      addRange(state, out, cmd.args.key, cmd.args.rangeEnd);
      break;
    case 'txn':
      addTxn(state, out, cmd.args);
      break;
    case 'leaseRevoke':
      for (const key of state.lessor.get(cmd.args.id)?.keys ?? []) {
        const ki = state.tree.get(key);
        if (ki?.alive === true) out.add(ki);
      }
      break;
    default:
      break;
  }
  return [...out];
}

/** Whether every live key a value compare of `t` (any branch, any depth) looks at has its value in memory. */
export function valueComparesCached(state: MvccState, t: TxnArgs): boolean {
  const keys = new Set<KeyIndex>();
  const walk = (x: TxnArgs): void => {
    for (const c of x.compare) addCompare(state, keys, c);
    for (const op of [...x.success, ...x.failure]) if (op.type === 'txn') walk(op);
  };
  walk(t);
  for (const ki of keys) if (!state.values.has(ki)) return false;
  return true;
}
