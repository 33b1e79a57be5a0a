// Checks one watcher's received responses against the expected global history (the tests'
// reference). Used by the hub property test (fake history) and the store model test (real
// LevelDB store). Checks: events equal the expected matching events from the start revision
// (no gap, no duplicate, right order and content, prevKv only when asked and equal to the
// key's previous value), each revision's events arrive in one response (atomic), every
// response's revision is a bookmark (all matching events ≤ it delivered, later ones > it),
// and a compaction cancel happens only when the watcher's next revision was compacted.

import type { KeyValue } from '../src/types.js';
import type { RevisionEvents, WatchEvent } from '../src/watch-source.js';
import type { WatchRequest, WatchResponse } from '../src/watch/types.js';

export interface StreamSpec {
  readonly request: WatchRequest;
  /** The revision the watch effectively starts at (revision 0 resolved to hub revision + 1). */
  readonly firstRevision: number;
}

function cmp(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

export function inWatchRange(req: WatchRequest, key: Uint8Array): boolean {
  const end = req.rangeEnd;
  if (end === undefined || end.length === 0) return cmp(key, req.key) === 0;
  if (cmp(key, req.key) < 0) return false;
  if (end.length === 1 && end[0] === 0) return true;
  return cmp(key, end) < 0;
}

export function expectedEvents(spec: StreamSpec, history: readonly RevisionEvents[]): RevisionEvents[] {
  const out: RevisionEvents[] = [];
  for (const change of history) {
    if (change.revision < spec.firstRevision) continue;
    const events = change.events.filter(
      (e) => inWatchRange(spec.request, e.kv.key) && !(e.type === 'put' ? spec.request.noPut : spec.request.noDelete),
    );
    if (events.length > 0) out.push({ revision: change.revision, events });
  }
  return out;
}

function sameKv(a: KeyValue | undefined, b: KeyValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    cmp(a.key, b.key) === 0 &&
    cmp(a.value, b.value) === 0 &&
    a.createRevision === b.createRevision &&
    a.modRevision === b.modRevision &&
    a.version === b.version &&
    a.lease === b.lease
  );
}

const show = (e: WatchEvent): string => `${e.type}@${e.kv.modRevision}:${Buffer.from(e.kv.key).toString('latin1')}`;

export interface StreamResult {
  /** Events received (revision groups). */
  readonly received: number;
  readonly canceledCompact: boolean;
  /** The first revision the watcher still needed at the end (resume point). */
  readonly nextRevision: number;
}

/**
 * Throws with a description on the first violation. `compactedAtCancel` is the store's
 * compact revision when the cancel was observed (a cancel must name a revision > the
 * watcher's next needed revision). `compactBound` is the largest compact revision during the
 * run: an event at or below it may lack prevKv (its previous value is compacted).
 * With `complete`, every expected event up to `upToRevision` must have arrived.
 */
export function checkStream(
  spec: StreamSpec,
  resps: readonly WatchResponse[],
  history: readonly RevisionEvents[],
  opts: { readonly compactBound: number; readonly complete: boolean; readonly upToRevision: number },
): StreamResult {
  const expected = expectedEvents(spec, history);
  let idx = 0; // next expected revision group
  // The last response revision (a future-start watcher may get progress below its start).
  let bookmark = 0;
  let canceledCompact = false;
  let ended = false;
  const fail = (msg: string): never => {
    throw new Error(`watch ${JSON.stringify({ ...spec.request, key: Buffer.from(spec.request.key).toString('latin1'), rangeEnd: spec.request.rangeEnd && Buffer.from(spec.request.rangeEnd).toString('latin1') })} from ${spec.firstRevision}: ${msg}`);
  };
  for (const r of resps) {
    if (ended) fail('response after cancel');
    if (r.kind === 'events') {
      if (r.events.length === 0) fail('empty events response');
      let i = 0;
      while (i < r.events.length) {
        const want = expected[idx];
        const ev = r.events[i] as WatchEvent;
        if (want === undefined) fail(`unexpected event ${show(ev)} (nothing more expected)`);
        const w = want as RevisionEvents;
        if (ev.kv.modRevision !== w.revision) fail(`got ${show(ev)}, expected revision ${w.revision} (gap or duplicate)`);
        if (i + w.events.length > r.events.length) fail(`revision ${w.revision} split across responses`);
        for (const we of w.events) {
          const got = r.events[i] as WatchEvent;
          if (got.type !== we.type || !sameKv(got.kv, we.kv)) fail(`got ${show(got)}, expected ${show(we)}`);
          if (spec.request.prevKv === true) {
            const prevMissingOk = got.prevKv === undefined && we.kv.modRevision <= opts.compactBound;
            if (!prevMissingOk && !sameKv(got.prevKv, we.prevKv)) fail(`wrong prevKv on ${show(got)}`);
          } else if (got.prevKv !== undefined) fail(`prevKv not asked but present on ${show(got)}`);
          i++;
        }
        idx++;
        if (w.revision > r.revision) fail(`event at ${w.revision} above response revision ${r.revision}`);
        if (w.revision <= bookmark) fail(`event at ${w.revision} not after bookmark ${bookmark}`);
        if (w.revision < spec.firstRevision) fail(`event at ${w.revision} before start ${spec.firstRevision}`);
      }
    } else if (r.kind === 'canceled') {
      ended = true;
      if (r.compactRevision === undefined) fail(`canceled without compaction: ${r.cancelReason}`);
      const next = Math.max(bookmark + 1, spec.firstRevision, (expected[idx - 1]?.revision ?? 0) + 1);
      if (!(next < (r.compactRevision as number))) fail(`canceled at compactRevision ${r.compactRevision} but next needed ${next}`);
      canceledCompact = true;
      continue;
    }
    // Bookmark rule: everything expected ≤ r.revision has been delivered.
    if (r.revision < bookmark) fail(`response revision went back ${bookmark} -> ${r.revision}`);
    bookmark = r.revision;
    const pending = expected[idx];
    if (pending !== undefined && pending.revision <= bookmark) fail(`${r.kind} at ${bookmark} but revision ${pending.revision} not delivered`);
  }
  if (opts.complete && !canceledCompact) {
    const pending = expected[idx];
    if (pending !== undefined && pending.revision <= opts.upToRevision) fail(`missing revision ${pending.revision} at the end`);
  }
  const lastDelivered = expected[idx - 1]?.revision ?? 0;
  return { received: idx, canceledCompact, nextRevision: Math.max(lastDelivered + 1, bookmark + 1, spec.firstRevision) };
}
