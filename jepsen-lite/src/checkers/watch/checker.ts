// Watch checker. For every watcher, over all its segments (reconnects) in order:
//   filter-mismatch      an event outside the watch's key range / prefix / type filter;
//   duplicate-event      the same (revision, key) delivered twice;
//   revision-went-back   an event older than one already delivered (also across resumes);
//   split-revision       one revision's events spread over two responses;
//   progress-inconsistent  a progress notification at R followed by an event <= R, or
//                        claiming R below an event already delivered;
//   wrong-start          a segment's first event is not the first matching event at or after
//                        its start revision;
// and against the final global history (if recorded):
//   unknown-event / event-mismatch  an event absent from, or different in, the global history;
//   wrong-prev-kv        prevKv is not the key's value at revision - 1;
//   gap                  a matching event between the start and the last revision the watcher
//                        vouched for (last event or progress) that it never delivered;
// against the rest of the history (WatchEvidence):
//   unjustified-compaction  a Compacted answer at C with no compaction at or past C recorded
//                        (the excuse is then not granted: the events before C stay expected);
//   stalled              the watcher's last segment was still open when the history ended (not
//                        canceled, not closed), yet acknowledged writes in its range lie past
//                        the last revision it vouched for: it silently stopped receiving;
//   ack-missing / ack-mismatch / unwritten-event  the streams against the clients' writes
//                        (acknowledged.ts): what every stream got wrong alike.
// Without a global history, watchers are cross-checked instead (watchers-disagree) and the
// verdict is at best 'unknown', since gaps cannot be ruled out.

import type { Anomaly, CheckResult } from '../result.js';
import { checkAcknowledged, NO_WATCH_EVIDENCE, type AcknowledgedEvent, type WatchEvidence } from './acknowledged.js';
import { GlobalIndex } from './global-index.js';
import type { GlobalEvent, WatchBatch, WatchEvent, WatcherLog, WatchSegment } from './types.js';
import { eventId, matchesFilter } from './types.js';

/** Per watcher and anomaly type, how many anomalies are listed (the rest are counted). */
export const WATCH_ANOMALIES_PER_TYPE_MAX = 5;
/** How many missing events a gap anomaly lists. */
export const GAP_EVENTS_SHOWN_MAX = 10;

class Sink {
  readonly anomalies: Anomaly[] = [];
  total = 0;
  /** The member serving the segment being judged: named in what is reported meanwhile. */
  servedBy: string | undefined = undefined;
  private readonly counts = new Map<string, number>();

  report(watcher: string, type: string, message: string, details: Record<string, unknown> = {}): void {
    this.total++;
    const k = `${watcher}\u0000${type}`;
    const n = this.counts.get(k) ?? 0;
    this.counts.set(k, n + 1);
    if (n >= WATCH_ANOMALIES_PER_TYPE_MAX) return;
    const by = this.servedBy;
    this.anomalies.push({ type, message: `watcher ${watcher}: ${message}${by === undefined ? '' : ` (watched through ${by})`}`, watcher, ...details, ...(by === undefined ? {} : { node: by }) });
  }
}

interface Counters {
  events: number;
  batches: number;
  progress: number;
  expected: number;
  steps: number;
}

export function checkWatch(
  watchers: readonly WatcherLog[], globalEvents: readonly GlobalEvent[] | null, evidence: WatchEvidence = NO_WATCH_EVIDENCE,
): CheckResult {
  const sink = new Sink();
  const global = globalEvents === null ? null : new GlobalIndex(globalEvents);
  const c: Counters = { events: 0, batches: 0, progress: 0, expected: 0, steps: 0 };
  const acks = evidence.writes === null ? null : checkAcknowledged(watchers, globalEvents, evidence.writes);
  const ctx: WatcherContext = { global, sink, c, compactions: evidence.compactions, acknowledged: acks?.acknowledged ?? [] };
  for (const w of watchers) checkWatcher(w, ctx);
  if (global === null) crossCheck(watchers, sink, c);
  const total = sink.total + (acks?.total ?? 0);
  const valid = total > 0 ? false : global === null && watchers.length > 0 ? 'unknown' : true;
  return {
    checker: 'watch',
    valid,
    anomalies: [...(acks?.anomalies ?? []), ...sink.anomalies],
    stats: {
      acknowledgedWrites: acks?.acknowledged.length ?? 0,
      watchers: watchers.length,
      segments: watchers.reduce((n, w) => n + w.segments.length, 0),
      globalEvents: globalEvents?.length ?? 0,
      anomalies: total,
      ...c,
    },
  };
}

interface WatcherContext {
  readonly global: GlobalIndex | null;
  readonly sink: Sink;
  readonly c: Counters;
  readonly compactions: readonly number[];
  readonly acknowledged: readonly AcknowledgedEvent[];
}

function checkWatcher(w: WatcherLog, ctx: WatcherContext): void {
  const { global, sink, c } = ctx;
  const seen = new Set<string>();
  const explained = new Set<string>();
  let lastRevision = 0;
  let lastBatch: WatchBatch | null = null;
  let progressRevision = 0;
  let compactRevision = 0;
  w.segments.forEach((segment, segmentIndex) => {
    sink.servedBy = segment.node;
    let first = true;
    for (const b of segment.batches) {
      c.batches++;
      if (b.compactRevision !== undefined) {
        if (ctx.compactions.some((r) => r >= (b.compactRevision as number))) {
          compactRevision = Math.max(compactRevision, b.compactRevision);
        } else {
          sink.report(w.watcher, 'unjustified-compaction', `told compacted at revision ${b.compactRevision}, but the history records no compaction at or past it`, { compactRevision: b.compactRevision, batchIndex: b.index, compactions: ctx.compactions.slice(-5) });
        }
      }
      if (b.progress === true && b.events.length === 0) {
        c.progress++;
        if (b.headerRevision < lastRevision) {
          sink.report(w.watcher, 'progress-inconsistent', `progress at ${b.headerRevision} after an event at ${lastRevision}`, { progressRevision: b.headerRevision, eventRevision: lastRevision });
        }
        progressRevision = Math.max(progressRevision, b.headerRevision);
      }
      for (const e of b.events) {
        c.events++;
        c.steps++;
        const id = eventId(e.modRevision, e.key);
        if (!matchesFilter(w.filter, e.key, e.type)) {
          sink.report(w.watcher, 'filter-mismatch', `${e.type} ${e.key}@${e.modRevision} is outside ${JSON.stringify(w.filter)}`, { event: e, filter: w.filter });
        }
        if (first) {
          first = false;
          checkStart(w, segment, segmentIndex, e, global, compactRevision, explained, sink);
        }
        if (seen.has(id)) {
          sink.report(w.watcher, 'duplicate-event', `${e.type} ${e.key}@${e.modRevision} delivered twice`, { event: e, batchIndex: b.index });
          continue;
        }
        if (e.modRevision < lastRevision) {
          sink.report(w.watcher, 'revision-went-back', `${e.key}@${e.modRevision} after an event at ${lastRevision}`, { event: e, previousRevision: lastRevision, batchIndex: b.index });
        } else if (e.modRevision === lastRevision && b !== lastBatch) {
          sink.report(w.watcher, 'split-revision', `revision ${e.modRevision} split across responses`, { revision: e.modRevision, batchIndex: b.index });
        }
        if (e.modRevision <= progressRevision) {
          sink.report(w.watcher, 'progress-inconsistent', `${e.key}@${e.modRevision} after progress at ${progressRevision}`, { event: e, progressRevision });
        }
        if (global !== null) checkAgainstGlobal(w, e, global, sink);
        seen.add(id);
        lastRevision = Math.max(lastRevision, e.modRevision);
        lastBatch = b;
      }
    }
  });
  const vouched = Math.max(lastRevision, progressRevision);
  if (global !== null) checkGaps(w, global, seen, explained, vouched, compactRevision, sink, c);
  sink.servedBy = w.segments[w.segments.length - 1]?.node;
  checkStall(w, ctx.acknowledged, vouched, compactRevision, sink);
  sink.servedBy = undefined;
}

/**
 * A watcher whose last segment is still open at the end of the history owes every
 * acknowledged write in its range; one it never vouched for means it stopped receiving.
 */
function checkStall(w: WatcherLog, acknowledged: readonly AcknowledgedEvent[], vouched: number, compactRevision: number, sink: Sink): void {
  const last = w.segments[w.segments.length - 1];
  if (last === undefined || last.ended !== undefined || last.batches[last.batches.length - 1]?.canceled === true) return;
  const from = Math.max(w.segments[0]?.startRevision ?? 1, compactRevision, vouched + 1);
  const owed = acknowledged.filter((a) => a.revision >= from && matchesFilter(w.filter, a.key, a.type)).sort((a, b) => a.revision - b.revision);
  const first = owed[0];
  if (first === undefined) return;
  sink.report(w.watcher, 'stalled', `stopped at revision ${vouched} while still open (neither canceled nor closed); ${owed.length} acknowledged write(s) in its range follow, first ${first.type} ${first.key}@${first.revision} (#${first.op.id})`, {
    vouchedRevision: vouched, owedCount: owed.length, firstOwed: { key: first.key, revision: first.revision, op: first.op.id }, op: first.op.id,
  });
}

/** A segment must begin with the first matching event at or after its start revision. */
function checkStart(
  w: WatcherLog, segment: WatchSegment, segmentIndex: number, e: WatchEvent, global: GlobalIndex | null,
  compactRevision: number, explained: Set<string>, sink: Sink,
): void {
  const start = Math.max(segment.startRevision, compactRevision);
  const details = { segment: segmentIndex, startRevision: segment.startRevision, firstRevision: e.modRevision };
  if (e.modRevision < segment.startRevision) {
    sink.report(w.watcher, 'wrong-start', `segment ${segmentIndex} asked for ${segment.startRevision} but began at ${e.modRevision}`, details);
    return;
  }
  if (global === null) return;
  const skipped = global.selected(w.filter, start, e.modRevision - 1);
  if (skipped.length === 0) return;
  // The skipped events are this anomaly's evidence; do not report them again as a gap.
  for (const s of skipped) explained.add(eventId(s.revision, s.key));
  sink.report(w.watcher, 'wrong-start', `segment ${segmentIndex} from ${segment.startRevision} began at ${e.modRevision}, skipping ${skipped[0]?.key}@${skipped[0]?.revision}`, { ...details, expectedRevision: skipped[0]?.revision, skipped: skipped.length });
}

function checkAgainstGlobal(w: WatcherLog, e: WatchEvent, global: GlobalIndex, sink: Sink): void {
  const g = global.get(e.modRevision, e.key);
  if (g === undefined) {
    sink.report(w.watcher, 'unknown-event', `${e.type} ${e.key}@${e.modRevision} is not in the final history`, { event: e });
    return;
  }
  if (g.type !== e.type || (g.type === 'put' && g.value !== e.value)) {
    sink.report(w.watcher, 'event-mismatch', `${e.key}@${e.modRevision} is ${e.type} ${JSON.stringify(e.value)}, history says ${g.type} ${JSON.stringify(g.value)}`, { event: e, expected: g });
  }
  if (!w.prevKv) return;
  const expected = global.valueBefore(e.key, e.modRevision);
  const actual = e.prevKv?.value ?? null;
  if (expected !== actual) {
    sink.report(w.watcher, 'wrong-prev-kv', `${e.key}@${e.modRevision} prevKv ${JSON.stringify(actual)}, value at ${e.modRevision - 1} was ${JSON.stringify(expected)}`, { event: e, expected, actual });
  }
}

function checkGaps(
  w: WatcherLog, global: GlobalIndex, seen: ReadonlySet<string>, explained: ReadonlySet<string>,
  upTo: number, compactRevision: number, sink: Sink, c: Counters,
): void {
  const from = Math.max(w.segments[0]?.startRevision ?? 1, compactRevision);
  const expected = global.selected(w.filter, from, upTo);
  c.expected += expected.length;
  c.steps += global.events.length;
  const missing = expected.filter((g) => !seen.has(eventId(g.revision, g.key)) && !explained.has(eventId(g.revision, g.key)));
  const firstMissing = missing[0];
  if (firstMissing === undefined) return;
  // The segment that should have delivered it: the last one started at or before its revision.
  sink.servedBy = [...w.segments].reverse().find((s) => s.startRevision <= firstMissing.revision)?.node;
  sink.report(w.watcher, 'gap', `missed ${missing.length} event(s), first ${firstMissing.type} ${firstMissing.key}@${firstMissing.revision}`, {
    missing: missing.slice(0, GAP_EVENTS_SHOWN_MAX), missingCount: missing.length, checkedUpTo: upTo,
  });
}

/** Without a global history, every pair of watchers must agree on the events both saw. */
function crossCheck(watchers: readonly WatcherLog[], sink: Sink, c: Counters): void {
  const first = new Map<string, { watcher: string; event: WatchEvent }>();
  for (const w of watchers) {
    for (const s of w.segments) {
      for (const b of s.batches) {
        for (const e of b.events) {
          c.steps++;
          const id = eventId(e.modRevision, e.key);
          const other = first.get(id);
          if (other === undefined) {
            first.set(id, { watcher: w.watcher, event: e });
          } else if (other.event.type !== e.type || other.event.value !== e.value) {
            sink.report(w.watcher, 'watchers-disagree', `${e.key}@${e.modRevision} differs from watcher ${other.watcher}'s`, { event: e, other: other.event, otherWatcher: other.watcher });
          }
        }
      }
    }
  }
}
