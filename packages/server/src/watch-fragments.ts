// Splitting one watch push into fragments, for watches created with `fragment` (etcd's
// WatchCreateRequest.fragment): a revision whose events would pass `bytesMax` leaves as
// several pushes, every one but the last marked `fragment: true`. Pure; sizes are the store's
// wire estimate (kvWireBytes), not an encoding. Invariants: the fragments' events, joined in
// order, are the push's events; every fragment holds at least one event (a single event
// larger than bytesMax goes alone); a push that fits, or holds one event, is left whole.

import { kvWireBytes } from '@kite/kvstore';
import type { WatchEvent, WatchPush } from '@kite/protocol';

/** Estimated wire bytes of one event (its kv and prevKv). */
function eventBytes(ev: WatchEvent): number {
  const prev = ev.prevKv === undefined ? 0 : kvWireBytes(ev.prevKv.key.byteLength, ev.prevKv.value.byteLength);
  return kvWireBytes(ev.kv.key.byteLength, ev.kv.value.byteLength) + prev;
}

export function fragmentPush(push: WatchPush, bytesMax: number): readonly WatchPush[] {
  const events = push.events;
  if (events.length < 2) return [push];
  let total = 0;
  for (const ev of events) total += eventBytes(ev);
  if (total <= bytesMax) return [push];
  const out: WatchPush[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < events.length; i++) {
    const size = eventBytes(events[i] as WatchEvent);
    if (i > start && bytes + size > bytesMax) {
      out.push({ ...push, events: events.slice(start, i), fragment: true });
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  out.push({ ...push, events: events.slice(start) });
  return out;
}
