// Simulates an MVCC store's global event history and correct watchers over it: each watcher
// receives exactly the matching events from its start revision, grouped into responses at
// revision boundaries, with progress notifications and reconnects that resume at the last
// seen revision + 1. Seeded; used for "valid history passes" tests and as a base to break.

import type { GlobalEvent, WatchBatch, WatchEvent, WatcherLog, WatchFilter, WatchSegment } from '../../src/checkers/watch/types.js';
import { matchesFilter } from '../../src/checkers/watch/types.js';
import { createRng } from '../../src/util/rng.js';
import type { Rng } from '../../src/util/rng.js';

export interface WatchSimOptions {
  readonly seed: number;
  readonly revisions: number;
  readonly watchers: number;
}

export interface WatchSim {
  readonly global: GlobalEvent[];
  readonly watchers: WatcherLog[];
}

const KEYS = ['a/1', 'a/2', 'a/3', 'b/1', 'b/2', 'c'];
const FILTERS: readonly WatchFilter[] = [
  { key: 'a/', prefix: true },
  { key: 'b/1' },
  { key: 'a/2', rangeEnd: 'b/2' },
  { key: 'a/', prefix: true, noDelete: true },
  { key: 'b', rangeEnd: '\0' },
];

export function simulateWatch(o: WatchSimOptions): WatchSim {
  const rng = createRng(o.seed);
  const global = globalHistory(rng, o.revisions);
  const prevOf = previousValues(global);
  let index = 0;
  const watchers = Array.from({ length: o.watchers }, (_, i): WatcherLog => {
    const filter = FILTERS[i % FILTERS.length] as WatchFilter;
    const prevKv = rng.chance(0.5);
    const start = 1 + rng.int(Math.floor(o.revisions / 2));
    const byRevision = new Map<number, WatchEvent[]>();
    for (const g of global) {
      if (g.revision < start || !matchesFilter(filter, g.key, g.type)) continue;
      const prev = prevOf.get(g) ?? null;
      const e: WatchEvent = {
        type: g.type, key: g.key, value: g.value, modRevision: g.revision,
        ...(prevKv ? { prevKv: prev === null ? null : { key: g.key, value: prev } } : {}),
      };
      byRevision.set(g.revision, [...(byRevision.get(g.revision) ?? []), e]);
    }
    const segments: WatchSegment[] = [];
    let batches: WatchBatch[] = [];
    let segmentStart = start;
    let pending: WatchEvent[] = [];
    let lastSeen = start - 1;
    const flush = (): void => {
      if (pending.length > 0) batches.push({ index: index++, headerRevision: lastSeen, events: pending });
      pending = [];
    };
    for (let rev = start; rev <= o.revisions; rev++) {
      const events = byRevision.get(rev);
      if (events !== undefined) {
        pending.push(...events);
        lastSeen = rev;
      }
      if (rng.chance(0.3)) flush();
      if (pending.length === 0 && rng.chance(0.02)) {
        batches.push({ index: index++, headerRevision: rev, events: [], progress: true });
      }
      if (pending.length === 0 && rng.chance(0.01)) {
        segments.push({ startRevision: segmentStart, batches });
        batches = [];
        segmentStart = lastSeen + 1;
      }
    }
    flush();
    batches.push({ index: index++, headerRevision: o.revisions, events: [], progress: true });
    segments.push({ startRevision: segmentStart, batches });
    return { watcher: `w${i}`, filter, prevKv, segments };
  });
  return { global, watchers };
}

function globalHistory(rng: Rng, revisions: number): GlobalEvent[] {
  const live = new Set<string>();
  const out: GlobalEvent[] = [];
  for (let revision = 1; revision <= revisions; revision++) {
    const n = 1 + rng.int(3);
    const keys = new Set<string>();
    while (keys.size < n) keys.add(rng.pick(KEYS));
    for (const key of keys) {
      if (live.has(key) && rng.chance(0.2)) {
        live.delete(key);
        out.push({ revision, key, type: 'delete', value: null });
      } else {
        live.add(key);
        out.push({ revision, key, type: 'put', value: `v${revision}-${key}` });
      }
    }
  }
  return out;
}

function previousValues(global: readonly GlobalEvent[]): Map<GlobalEvent, string | null> {
  const current = new Map<string, string | null>();
  const out = new Map<GlobalEvent, string | null>();
  for (const g of global) {
    out.set(g, current.get(g.key) ?? null);
    current.set(g.key, g.type === 'put' ? g.value : null);
  }
  return out;
}
