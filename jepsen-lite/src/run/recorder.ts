// The history recorder: the single place that stamps entries with their dense `index` (the
// real-time order checkers trust) and their `time` (ns since the run started). JavaScript runs
// one callback at a time, so stamping at the moment an invoke is issued or a completion is
// observed gives a total order consistent with real time.
// Invariant: a client process has at most one open invoke (asserted here, where it is cheap).

import type { ClientEntry, EntryType, HistoryEntry, Json, NemesisEntry, NemesisF, ObservationEntry, ObservationF } from '../history/index.js';
import type { RunClock } from '../util/time.js';

/** Entries kept in memory; a run that would exceed it is misconfigured (rate x time). */
export const HISTORY_ENTRIES_MAX = 3_000_000;

export interface ClientOpDraft {
  readonly process: number;
  /** The client (connection) behind the process; processes change after `info`, it does not. */
  readonly client?: number;
  readonly f: string;
  readonly key?: string;
  readonly value: Json;
}

export interface Completion {
  readonly type: Exclude<EntryType, 'invoke'>;
  readonly value: Json;
  readonly error?: string;
  readonly node?: string;
  readonly revision?: number;
}

export class Recorder {
  readonly entries: HistoryEntry[] = [];
  private readonly open = new Map<number, ClientOpDraft>();

  constructor(readonly clock: RunClock) {}

  invoke(op: ClientOpDraft): void {
    if (this.open.has(op.process)) throw new Error(`assertion: process ${op.process} invoked twice`);
    this.open.set(op.process, op);
    this.push({
      process: op.process, type: 'invoke', f: op.f, ...(op.key !== undefined ? { key: op.key } : {}), value: op.value,
      ...(op.client !== undefined ? { client: op.client } : {}),
    });
  }

  complete(process: number, c: Completion): void {
    const op = this.open.get(process);
    if (op === undefined) throw new Error(`assertion: process ${process} completed nothing`);
    this.open.delete(process);
    this.push({
      process, type: c.type, f: op.f, ...(op.key !== undefined ? { key: op.key } : {}), value: c.value,
      ...(c.error !== undefined ? { error: c.error } : {}), ...(c.node !== undefined ? { node: c.node } : {}),
      ...(c.revision !== undefined ? { revision: c.revision } : {}),
    });
  }

  nemesis(f: NemesisF, value: Json): NemesisEntry {
    const e: NemesisEntry = { process: 'nemesis', type: 'info', f, value, time: this.clock.nowNs(), index: this.entries.length };
    this.append(e);
    return e;
  }

  observe(process: number | string, f: ObservationF, value: Json, key?: string): void {
    const e: ObservationEntry = {
      process, type: 'info', f, ...(key !== undefined ? { key } : {}), value, time: this.clock.nowNs(), index: this.entries.length,
    };
    this.append(e);
  }

  /** Processes with an invoke still open (they stay open in the history: indeterminate). */
  openProcesses(): number[] {
    return [...this.open.keys()];
  }

  private push(e: Omit<ClientEntry, 'time' | 'index'>): void {
    this.append({ ...e, time: this.clock.nowNs(), index: this.entries.length } as ClientEntry);
  }

  private append(e: HistoryEntry): void {
    if (this.entries.length >= HISTORY_ENTRIES_MAX) throw new Error(`history exceeds ${HISTORY_ENTRIES_MAX} entries: lower --rate or --time`);
    this.entries.push(e);
  }
}
