// The list-append workload's transactions (Elle's model): an operation with f 'txn' whose
// value is a list of micro-operations ['append', key, element] and ['r', key, list]. Reads
// carry null at invoke and the list observed at ok. Elements appended to a key are unique.

import { HistoryFormatError } from '../../history/errors.js';
import type { Json, Operation } from '../../history/types.js';
import { canonicalJson } from '../result.js';

export type MicroOp =
  | { readonly f: 'append'; readonly key: string; readonly element: Json }
  | { readonly f: 'r'; readonly key: string; readonly list: readonly Json[] | null };

export interface Txn {
  readonly op: Operation;
  readonly micro: readonly MicroOp[];
}

export function parseTxn(op: Operation): Txn {
  const raw = op.type === 'ok' ? op.value : op.invokeValue;
  const bad = (why: string): never => {
    throw new HistoryFormatError('MalformedHistory', `txn #${op.id}: ${why}`, op.invokeIndex);
  };
  if (!Array.isArray(raw)) return bad('value is not a list of micro-ops');
  const micro = raw.map((m): MicroOp => {
    if (!Array.isArray(m) || m.length !== 3) return bad('micro-op is not [f, key, value]');
    const [f, k, v] = m as readonly Json[];
    if (typeof k !== 'string' && typeof k !== 'number') return bad('micro-op key is not a string or number');
    const key = String(k);
    if (f === 'append') return { f, key, element: v ?? null };
    if (f !== 'r') return bad(`unknown micro-op ${String(f)}`);
    if (v === null || v === undefined) return { f, key, list: null };
    if (!Array.isArray(v)) return bad('read value is not a list');
    return { f, key, list: v as readonly Json[] };
  });
  return { op, micro };
}

/** Identity of an appended element: (key, element). */
export const elementId = (key: string, element: Json): string => `${key}\u0000${canonicalJson(element)}`;
