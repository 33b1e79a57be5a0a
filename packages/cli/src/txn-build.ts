// TxnSpec (parsed text) → the wire's TxnArgs. Pure. With style 'hex' (--hex) every key, range
// end and value in the text is hex.
import type { Compare, CompareResult, TxnArgs, TxnRequestOp } from '@kite/protocol';
import { argBytes, type BytesStyle } from './bytes.js';
import { keyRange } from './range-select.js';
import type { CompareSpec, OpSpec, TxnSpec } from './txn-syntax.js';

const RESULT: Readonly<Record<CompareSpec['result'], CompareResult>> = {
  '=': 'equal', '!=': 'notEqual', '<': 'less', '>': 'greater',
};

export function buildCompare(c: CompareSpec, style: BytesStyle = 'text'): Compare {
  const key = argBytes('a compare key', c.key, style);
  if (c.target === 'value') return { key, target: 'value', result: RESULT[c.result], value: argBytes('a compare value', c.value, style) };
  return { key, target: c.target, result: RESULT[c.result], value: c.value };
}

export function buildOp(op: OpSpec, style: BytesStyle = 'text'): TxnRequestOp {
  switch (op.type) {
    case 'put':
      return {
        type: 'put', key: argBytes('a put key', op.key, style), value: argBytes('a put value', op.value, style),
        ...(op.lease !== undefined ? { lease: op.lease } : {}),
        ...(op.prevKv === true ? { prevKv: true } : {}),
        ...(op.ignoreValue === true ? { ignoreValue: true } : {}),
        ...(op.ignoreLease === true ? { ignoreLease: true } : {}),
      };
    case 'get': {
      const r = keyRange(op.key, op.rangeEnd, op, style);
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
      const r = keyRange(op.key, op.rangeEnd, op, style);
      return { type: 'deleteRange', ...r, ...(op.prevKv === true ? { prevKv: true } : {}) };
    }
  }
}

export function buildTxn(spec: TxnSpec, style: BytesStyle = 'text'): TxnArgs {
  return {
    compare: spec.compare.map((c) => buildCompare(c, style)),
    success: spec.success.map((op) => buildOp(op, style)),
    failure: spec.failure.map((op) => buildOp(op, style)),
  };
}
