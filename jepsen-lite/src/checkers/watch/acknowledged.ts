// Watch streams against the clients' own writes. The final global history is itself a watch
// stream, so an event the server never emitted, or emitted with a corrupted value, is missing
// from (or wrong in) every watcher and the reference alike, and comparing streams with each
// other cannot see it: only the writes the clients made can.
//   ack-missing      an acknowledged put in no stream (the global history, or every watcher
//                    when there is none and some watcher vouched past its revision);
//   ack-mismatch     the event at an acknowledged put's revision has another type or value;
//   unwritten-event  a put event whose (key, value) no put wrote (ok or indeterminate), or a
//                    delete event on a key no delete could have touched.
// Written values are unique per key (the workload's contract), so (key, value) names a put.
// The acknowledged writes resolved to revisions are returned for the stall check.

import type { Json, NemesisEntry, Operation } from '../../history/types.js';
import type { Anomaly } from '../result.js';
import type { GlobalEvent, WatcherLog } from './types.js';
import { eventId, matchesFilter } from './types.js';

/** Anomalies of each type listed (the rest are counted). */
export const ACK_ANOMALIES_PER_TYPE_MAX = 10;
const WRITE_FS: ReadonlySet<string> = new Set(['put', 'delete']);

/** What the history says besides the streams: the clients' writes and the compactions. */
export interface WatchEvidence {
  /** put/delete operations, or null when the history records none (writes checks skipped). */
  readonly writes: readonly Operation[] | null;
  /** Revisions a compaction was asked for (one that may have happened). */
  readonly compactions: readonly number[];
}

export const NO_WATCH_EVIDENCE: WatchEvidence = { writes: null, compactions: [] };

export function watchEvidence(operations: readonly Operation[], nemesis: readonly NemesisEntry[]): WatchEvidence {
  const writes = operations.filter((op) => WRITE_FS.has(op.f) && op.key !== undefined);
  const compactions: number[] = [];
  for (const e of nemesis) {
    if (e.f !== 'compact') continue;
    const v = e.value as { revision?: Json; outcome?: Json } | null;
    // A compaction the server refused as in the future certainly did not happen; any other
    // outcome (ok, timeout, already compacted) may have.
    if (typeof v?.revision !== 'number' || (typeof v.outcome === 'string' && v.outcome.startsWith('FutureRevision'))) continue;
    compactions.push(v.revision);
  }
  return { writes: writes.length === 0 ? null : writes, compactions };
}

/** An acknowledged write located in the store's revisions. */
export interface AcknowledgedEvent {
  readonly key: string;
  readonly type: 'put' | 'delete';
  readonly revision: number;
  readonly op: Operation;
}

/** The text a watcher sees for a recorded written value (the runner records numbers). */
export function writtenText(v: Json): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

export interface AcknowledgedCheck {
  readonly anomalies: Anomaly[];
  readonly total: number;
  readonly acknowledged: AcknowledgedEvent[];
}

export function checkAcknowledged(watchers: readonly WatcherLog[], global: readonly GlobalEvent[] | null, writes: readonly Operation[]): AcknowledgedCheck {
  const source = global ?? unionOfWatchers(watchers);
  const byId = new Map<string, GlobalEvent>();
  const putRevision = new Map<string, number>();
  for (const e of source) {
    byId.set(eventId(e.revision, e.key), e);
    if (e.type === 'put' && e.value !== null) putRevision.set(`${e.key}\u0000${e.value}`, e.revision);
  }
  const out = new Sink();
  const acknowledged: AcknowledgedEvent[] = [];
  const covered = global === null ? coverage(watchers) : [];
  for (const op of writes) {
    if (op.type !== 'ok' || op.key === undefined) continue;
    if (op.f === 'delete') {
      // A delete of an absent key makes no event; one that deleted something made one at its revision.
      if (op.revision !== undefined && typeof op.value === 'number' && op.value > 0) acknowledged.push({ key: op.key, type: 'delete', revision: op.revision, op });
      continue;
    }
    const value = writtenText(op.invokeValue);
    const at = op.revision ?? putRevision.get(`${op.key}\u0000${value}`);
    const e = at === undefined ? undefined : byId.get(eventId(at, op.key));
    if (at !== undefined && e !== undefined && (e.type !== 'put' || e.value !== value)) {
      out.report('ack-mismatch', `acknowledged put ${op.key}=${value} (#${op.id}) is ${e.type} ${JSON.stringify(e.value)} at revision ${at} in the streams`, {
        op: op.id, node: op.node ?? null, key: op.key, value, revision: at, seen: e,
      });
    } else if (e === undefined && (global !== null || (at !== undefined && vouchedPast(covered, op.key, at)))) {
      out.report('ack-missing', `acknowledged put ${op.key}=${value} (#${op.id}${at === undefined ? '' : `, revision ${at}`}) is in no watch stream (${global !== null ? 'not in the final history, hence in no watcher' : 'no watcher delivered it'})`, {
        op: op.id, node: op.node ?? null, key: op.key, value, revision: at ?? null,
      });
    }
    if (at !== undefined) acknowledged.push({ key: op.key, type: 'put', revision: at, op });
  }
  unwritten(source, writes, out);
  return { anomalies: out.anomalies, total: out.total, acknowledged };
}

/** Every put event must carry a value some put wrote; every delete needs a delete of its key. */
function unwritten(source: readonly GlobalEvent[], writes: readonly Operation[], out: Sink): void {
  const written = new Set<string>();
  const deleted = new Set<string>();
  for (const op of writes) {
    if (op.type === 'fail' || op.key === undefined) continue;
    if (op.f === 'put') written.add(`${op.key}\u0000${writtenText(op.invokeValue)}`);
    else deleted.add(op.key);
  }
  for (const e of source) {
    if (e.type === 'put' ? written.has(`${e.key}\u0000${e.value ?? ''}`) : deleted.has(e.key)) continue;
    out.report('unwritten-event', e.type === 'put'
      ? `${e.key}@${e.revision} carries ${JSON.stringify(e.value)}, which no put wrote (a corrupted or invented value)`
      : `${e.key}@${e.revision} is a delete, but no delete of ${e.key} was issued`, { event: e });
  }
}

interface Coverage {
  readonly watcher: WatcherLog;
  readonly startRevision: number;
  /** The last revision it delivered an event or a progress notification for. */
  readonly vouchedRevision: number;
}

/** Per watcher, the revisions it answered for (computed once; looked up per missing write). */
function coverage(watchers: readonly WatcherLog[]): Coverage[] {
  return watchers.map((w) => {
    let vouched = 0;
    for (const s of w.segments) {
      for (const b of s.batches) {
        if (b.progress === true) vouched = Math.max(vouched, b.headerRevision);
        for (const e of b.events) vouched = Math.max(vouched, e.modRevision);
      }
    }
    return { watcher: w, startRevision: w.segments[0]?.startRevision ?? Number.MAX_SAFE_INTEGER, vouchedRevision: vouched };
  });
}

/** Some watcher of the key answered for `revision` (started at or before it, vouched past it). */
function vouchedPast(covered: readonly Coverage[], key: string, revision: number): boolean {
  return covered.some((c) => c.startRevision <= revision && c.vouchedRevision >= revision && matchesFilter(c.watcher.filter, key, 'put'));
}

function unionOfWatchers(watchers: readonly WatcherLog[]): GlobalEvent[] {
  const seen = new Map<string, GlobalEvent>();
  for (const w of watchers) {
    for (const s of w.segments) {
      for (const b of s.batches) {
        for (const e of b.events) {
          const id = eventId(e.modRevision, e.key);
          if (!seen.has(id)) seen.set(id, { revision: e.modRevision, key: e.key, type: e.type, value: e.value });
        }
      }
    }
  }
  return [...seen.values()];
}

class Sink {
  readonly anomalies: Anomaly[] = [];
  total = 0;
  private readonly counts = new Map<string, number>();

  report(type: string, message: string, details: Record<string, unknown>): void {
    this.total++;
    const n = this.counts.get(type) ?? 0;
    this.counts.set(type, n + 1);
    if (n < ACK_ANOMALIES_PER_TYPE_MAX) this.anomalies.push({ type, message, ...details });
  }
}
