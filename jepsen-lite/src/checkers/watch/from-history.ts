// Rebuilds watcher logs and the global event history from history.jsonl observations:
//   watch-start   process = watcher, key, value {startRevision, node?, rangeEnd?, prefix?, prevKv?, noPut?, noDelete?}
//   watch-resume  process = watcher, value {startRevision, node?}
//   watch-batch   process = watcher, value {headerRevision, events, progress?, compactRevision?, canceled?}
//   watch-end     process = watcher, value {reason}: the client closed the watch for good (or it
//                 failed); without one the watch was open when the history ended
//   final-history value {events: [{revision, key, type, value}]}
// Observations of an unknown watcher, or malformed ones, are format errors.

import { HistoryFormatError } from '../../history/errors.js';
import type { Json, ObservationEntry } from '../../history/types.js';
import type { GlobalEvent, WatchBatch, WatchEvent, WatcherLog, WatchFilter, WatchSegment } from './types.js';

interface Draft {
  readonly watcher: string;
  readonly filter: WatchFilter;
  readonly prevKv: boolean;
  readonly segments: Array<{ startRevision: number; batches: WatchBatch[]; ended?: string; node?: string }>;
}

type Obj = { readonly [k: string]: Json };

export function watchersFromObservations(observations: readonly ObservationEntry[]): WatcherLog[] {
  const drafts = new Map<string, Draft>();
  for (const o of observations) {
    if (o.f !== 'watch-start' && o.f !== 'watch-resume' && o.f !== 'watch-batch' && o.f !== 'watch-end') continue;
    const v = object(o);
    const id = String(o.process);
    if (o.f === 'watch-start') {
      const filter: WatchFilter = {
        key: o.key ?? bad(o, 'watch-start needs key'),
        ...(typeof v['rangeEnd'] === 'string' ? { rangeEnd: v['rangeEnd'] } : {}),
        ...(v['prefix'] === true ? { prefix: true } : {}),
        ...(v['noPut'] === true ? { noPut: true } : {}),
        ...(v['noDelete'] === true ? { noDelete: true } : {}),
      };
      drafts.set(id, { watcher: id, filter, prevKv: v['prevKv'] === true, segments: [{ startRevision: int(o, v['startRevision']), batches: [], ...node(v) }] });
      continue;
    }
    const d = drafts.get(id) ?? bad(o, `${o.f} for unknown watcher ${id}`);
    if (o.f === 'watch-resume') {
      d.segments.push({ startRevision: int(o, v['startRevision']), batches: [], ...node(v) });
      continue;
    }
    const segment = d.segments[d.segments.length - 1] as Draft['segments'][number];
    if (o.f === 'watch-end') segment.ended = typeof v['reason'] === 'string' ? v['reason'] : 'closed';
    else segment.batches.push(batch(o, v));
  }
  return [...drafts.values()].map((d): WatcherLog => ({
    watcher: d.watcher, filter: d.filter, prevKv: d.prevKv, segments: d.segments as WatchSegment[],
  }));
}

export function globalHistoryFromObservations(observations: readonly ObservationEntry[]): GlobalEvent[] | null {
  const last = [...observations].reverse().find((o) => o.f === 'final-history');
  if (last === undefined) return null;
  const events = object(last)['events'];
  if (!Array.isArray(events)) return bad(last, 'final-history needs events');
  return events.map((e): GlobalEvent => {
    const x = asObj(last, e);
    return { revision: int(last, x['revision']), key: str(last, x['key']), type: eventType(last, x['type']), value: nullableStr(last, x['value']) };
  });
}

function batch(o: ObservationEntry, v: Obj): WatchBatch {
  const events = v['events'] ?? [];
  if (!Array.isArray(events)) return bad(o, 'watch-batch events must be a list');
  return {
    index: o.index,
    headerRevision: int(o, v['headerRevision']),
    events: events.map((e) => watchEvent(o, asObj(o, e))),
    ...(v['progress'] === true ? { progress: true } : {}),
    ...(typeof v['compactRevision'] === 'number' ? { compactRevision: v['compactRevision'] } : {}),
    ...(v['canceled'] === true ? { canceled: true } : {}),
  };
}

function watchEvent(o: ObservationEntry, x: Obj): WatchEvent {
  const prev = x['prevKv'];
  const base = { type: eventType(o, x['type']), key: str(o, x['key']), value: nullableStr(o, x['value']), modRevision: int(o, x['modRevision']) };
  if (prev === undefined) return base;
  if (prev === null) return { ...base, prevKv: null };
  const p = asObj(o, prev);
  return {
    ...base,
    prevKv: {
      key: str(o, p['key']), value: str(o, p['value']),
      ...(typeof p['modRevision'] === 'number' ? { modRevision: p['modRevision'] } : {}),
    },
  };
}

const node = (v: Obj): { node?: string } => (typeof v['node'] === 'string' ? { node: v['node'] } : {});

function bad(o: ObservationEntry, why: string): never {
  throw new HistoryFormatError('MalformedHistory', why, o.index);
}
function object(o: ObservationEntry): Obj {
  return asObj(o, o.value);
}
function asObj(o: ObservationEntry, v: Json | undefined): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad(o, `${o.f}: expected an object`);
  return v as Obj;
}
function int(o: ObservationEntry, v: Json | undefined): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) return bad(o, `${o.f}: expected an integer revision`);
  return v;
}
function str(o: ObservationEntry, v: Json | undefined): string {
  if (typeof v !== 'string') return bad(o, `${o.f}: expected a string`);
  return v;
}
function nullableStr(o: ObservationEntry, v: Json | undefined): string | null {
  return v === null || v === undefined ? null : str(o, v);
}
function eventType(o: ObservationEntry, v: Json | undefined): 'put' | 'delete' {
  if (v !== 'put' && v !== 'delete') return bad(o, `${o.f}: event type must be put or delete`);
  return v;
}
