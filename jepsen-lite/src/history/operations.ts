// Pairs each client invoke with the next entry of the same process (its completion) into an
// Operation. An invoke left open at the end of the history is indeterminate (`info`): the
// client never learned whether it took effect. Nemesis entries and observations (watch
// streams, final reads) are returned separately, untouched.

import { HistoryFormatError } from './errors.js';
import type { ClientEntry, HistoryEntry, NemesisEntry, ObservationEntry, Operation } from './types.js';
import { isNemesisEntry, isObservationEntry } from './types.js';

export interface PairedHistory {
  /** Sorted by invokeIndex; `id` equals the position in this array. */
  readonly operations: readonly Operation[];
  readonly nemesis: readonly NemesisEntry[];
  /** Watch streams and end-of-run evidence, in history order. */
  readonly observations: readonly ObservationEntry[];
}

export function pairOperations(entries: readonly HistoryEntry[]): PairedHistory {
  const sorted = [...entries].sort((a, b) => a.index - b.index);
  const open = new Map<number | string, ClientEntry>();
  const drafts: Array<Omit<Operation, 'id'>> = [];
  const nemesis: NemesisEntry[] = [];
  const observations: ObservationEntry[] = [];
  for (const e of sorted) {
    if (isNemesisEntry(e)) {
      nemesis.push(e);
      continue;
    }
    if (isObservationEntry(e)) {
      observations.push(e);
      continue;
    }
    const inv = open.get(e.process);
    if (e.type === 'invoke') {
      if (inv !== undefined) {
        throw new HistoryFormatError('DoubleInvoke', `process ${e.process} invoked twice`, e.index);
      }
      open.set(e.process, e);
      continue;
    }
    if (inv === undefined) {
      throw new HistoryFormatError('UnpairedCompletion', `process ${e.process} completed nothing`, e.index);
    }
    open.delete(e.process);
    drafts.push(toOperation(inv, e));
  }
  for (const inv of open.values()) drafts.push(toOperation(inv, null));
  drafts.sort((a, b) => a.invokeIndex - b.invokeIndex);
  return { operations: drafts.map((d, id) => ({ id, ...d })), nemesis, observations };
}

function toOperation(inv: ClientEntry, done: ClientEntry | null): Omit<Operation, 'id'> {
  const type = done === null ? 'info' : (done.type as 'ok' | 'fail' | 'info');
  const determinate = done !== null && type !== 'info';
  return {
    process: inv.process,
    client: inv.client ?? inv.process,
    f: inv.f,
    ...(inv.key !== undefined ? { key: inv.key } : {}),
    invokeValue: inv.value,
    value: determinate ? done.value : inv.value,
    type,
    invokeIndex: inv.index,
    completeIndex: determinate ? done.index : null,
    invokeTime: inv.time,
    completeTime: determinate ? done.time : null,
    answeredTime: done === null ? null : done.time,
    ...(done?.node !== undefined ? { node: done.node } : {}),
    ...(done?.revision !== undefined ? { revision: done.revision } : {}),
  };
}
