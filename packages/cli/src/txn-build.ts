// TxnSpec (parsed text) → the wire's TxnArgs. Pure.
import type { Compare, CompareResult, TxnArgs, TxnRequestOp } from '@kite/protocol';
import { utf8 } from './bytes.js';
import { keyRange } from './range-select.js';
import type { CompareSpec, OpSpec, TxnSpec } from './txn-syntax.js';

const RESULT: Readonly<Record<CompareSpec['result'], CompareResult>> = {
  '=': 'equal', '!=': 'notEqual', '<': 'less', '>': 'greater',
};

export function buildCompare(c: CompareSpec): Compare {
  if (c.target === 'value') return { key: utf8(c.key), target: 'value', result: RESULT[c.result], value: utf8(c.value) };
  return { key: utf8(c.key), target: c.target, result: RESULT[c.result], value: c.value };
}

export function buildOp(op: OpSpec): TxnRequestOp {
  switch (op.type) {
    case 'put':
      return {
        type: 'put', key: utf8(op.key), value: utf8(op.value),
        ...(op.lease !== undefined ? { lease: op.lease } : {}),
        ...(op.prevKv === true ? { prevKv: true } : {}),
        ...(op.ignoreValue === true ? { ignoreValue: true } : {}),
        ...(op.ignoreLease === true ? { ignoreLease: true } : {}),
      };
    case 'get': {
      const r = keyRange(op.key, op.rangeEnd, op);
      return {
        type: 'range', ...r,
        ...(op.limit !== undefined && op.limit > 0 ? { limit: op.limit } : {}),
        ...(op.revision !== undefined && op.revision > 0 ? { revision: op.revision } : {}),
        ...(op.keysOnly === true ? { keysOnly: true } : {}),
        ...(op.countOnly === true ? { countOnly: true } : {}),
        ...(op.serializable === true ? { serializable: true } : {}),
      };
    }
    case 'del': {
      const r = keyRange(op.key, op.rangeEnd, op);
      return { type: 'deleteRange', ...r, ...(op.prevKv === true ? { prevKv: true } : {}) };
    }
  }
}

export function buildTxn(spec: TxnSpec): TxnArgs {
  return {
    compare: spec.compare.map(buildCompare),
    success: spec.success.map(buildOp),
    failure: spec.failure.map(buildOp),
  };
}
