import { describe, expect, it } from 'vitest';
import { checkWatch } from '../../src/checkers/watch/index.js';
import type { GlobalEvent, WatchBatch, WatchEvent, WatcherLog, WatchFilter } from '../../src/checkers/watch/index.js';
import { simulateWatch } from '../support/watch-sim.js';

// rev1 put a/1; rev2 put a/2; rev3 put a/1 + put b/1 (one txn); rev4 delete a/2; rev5 put a/2
const GLOBAL: GlobalEvent[] = [
  { revision: 1, key: 'a/1', type: 'put', value: 'v1' },
  { revision: 2, key: 'a/2', type: 'put', value: 'v2' },
  { revision: 3, key: 'a/1', type: 'put', value: 'v3' },
  { revision: 3, key: 'b/1', type: 'put', value: 'x3' },
  { revision: 4, key: 'a/2', type: 'delete', value: null },
  { revision: 5, key: 'a/2', type: 'put', value: 'v5' },
];

const ev = (key: string, modRevision: number, prev: string | null, value?: string | null): WatchEvent => {
  const g = GLOBAL.find((x) => x.key === key && x.revision === modRevision);
  return {
    type: g?.type ?? 'put', key, value: value === undefined ? (g?.value ?? null) : value, modRevision,
    prevKv: prev === null ? null : { key, value: prev },
  };
};
const E = {
  a1at1: ev('a/1', 1, null), a2at2: ev('a/2', 2, null), a1at3: ev('a/1', 3, 'v1'), b1at3: ev('b/1', 3, null),
  a2at4: ev('a/2', 4, 'v2'), a2at5: ev('a/2', 5, null),
};
let index = 0;
const batch = (...events: WatchEvent[]): WatchBatch => ({ index: index++, headerRevision: Math.max(0, ...events.map((e) => e.modRevision)), events });
const progress = (revision: number): WatchBatch => ({ index: index++, headerRevision: revision, events: [], progress: true });
const PREFIX_A: WatchFilter = { key: 'a/', prefix: true };
const watcher = (segments: Array<[number, WatchBatch[]]>, filter: WatchFilter = PREFIX_A): WatcherLog => ({
  watcher: 'w1', filter, prevKv: true, segments: segments.map(([startRevision, batches]) => ({ startRevision, batches })),
});
const types = (w: WatcherLog, global: GlobalEvent[] | null = GLOBAL) => checkWatch([w], global).anomalies.map((a) => a.type);

describe('watch checker', () => {
  it('accepts a correct stream with a resume and progress notifications', () => {
    const w = watcher([
      [1, [batch(E.a1at1), batch(E.a2at2, E.a1at3), progress(3)]],
      [4, [batch(E.a2at4), progress(4), batch(E.a2at5), progress(5)]],
    ]);
    const r = checkWatch([w], GLOBAL);
    expect(r.anomalies).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.stats['expected']).toBe(5);
  });

  it('reports a gap', () => {
    const w = watcher([[1, [batch(E.a1at1), batch(E.a2at2), batch(E.a2at4), batch(E.a2at5)]]]);
    const r = checkWatch([w], GLOBAL);
    expect(r.anomalies.map((a) => a.type)).toEqual(['gap']);
    expect(r.anomalies[0]?.['missing']).toEqual([GLOBAL[2]]);
  });

  it('reports a duplicate', () => {
    expect(types(watcher([[1, [batch(E.a1at1), batch(E.a2at2, E.a1at3), batch(E.a1at3, E.a2at4), batch(E.a2at5)]]]))).toEqual(['duplicate-event']);
  });

  it('reports a revision split across responses', () => {
    const range: WatchFilter = { key: 'a/1', rangeEnd: 'c' };
    const ok = watcher([[1, [batch(E.a1at1, E.a2at2), batch(E.a1at3, E.b1at3), batch(E.a2at4, E.a2at5)]]], range);
    expect(types(ok)).toEqual([]);
    const split = watcher([[1, [batch(E.a1at1, E.a2at2), batch(E.a1at3), batch(E.b1at3), batch(E.a2at4, E.a2at5)]]], range);
    expect(types(split)).toEqual(['split-revision']);
  });

  it('reports a watch that goes back in time', () => {
    expect(types(watcher([[1, [batch(E.a1at1), batch(E.a1at3), batch(E.a2at2), batch(E.a2at4, E.a2at5)]]]))).toEqual(['revision-went-back']);
  });

  it('reports a watch that goes back in time across a resume', () => {
    const w = watcher([[1, [batch(E.a1at1), batch(E.a2at2, E.a1at3), batch(E.a2at4)]], [5, [batch(E.a2at2), batch(E.a2at5)]]]);
    expect(types(w)).toEqual(['wrong-start', 'duplicate-event']);
    const back = watcher([[1, [batch(E.a1at1), batch(E.a1at3)]], [4, [batch(E.a2at2), batch(E.a2at4, E.a2at5)]]]);
    expect(types(back)).toEqual(['wrong-start', 'revision-went-back']);
  });

  it('reports a wrong prevKv', () => {
    const bad = { ...E.a1at3, prevKv: { key: 'a/1', value: 'v0' } };
    const r = checkWatch([watcher([[1, [batch(E.a1at1), batch(E.a2at2, bad), batch(E.a2at4, E.a2at5)]]])], GLOBAL);
    expect(r.anomalies.map((a) => [a.type, a['expected'], a['actual']])).toEqual([['wrong-prev-kv', 'v1', 'v0']]);
    // After a delete the key did not exist at revision - 1, so there is no prevKv.
    const ghost = { ...E.a2at5, prevKv: { key: 'a/2', value: 'v2' } };
    expect(types(watcher([[1, [batch(E.a1at1), batch(E.a2at2, E.a1at3), batch(E.a2at4, ghost)]]]))).toEqual(['wrong-prev-kv']);
  });

  it('reports a filter mismatch', () => {
    expect(types(watcher([[1, [batch(E.a1at1), batch(E.a2at2, E.a1at3, E.b1at3), batch(E.a2at4, E.a2at5)]]]))).toEqual(['filter-mismatch']);
    const noDelete: WatchFilter = { key: 'a/', prefix: true, noDelete: true };
    expect(types(watcher([[1, [batch(E.a1at1), batch(E.a2at2, E.a1at3), batch(E.a2at4, E.a2at5)]]], noDelete))).toEqual(['filter-mismatch']);
  });

  it('reports events that contradict a progress notification', () => {
    expect(types(watcher([[1, [batch(E.a1at1), batch(E.a2at2, E.a1at3), progress(4), batch(E.a2at4), batch(E.a2at5)]]]))).toEqual(['progress-inconsistent']);
  });

  it('reports a resume that skips the first matching event', () => {
    const w = watcher([[1, [batch(E.a1at1), batch(E.a2at2, E.a1at3)]], [4, [batch(E.a2at5)]]]);
    const r = checkWatch([w], GLOBAL);
    expect(r.anomalies.map((a) => [a.type, a['segment'], a['expectedRevision']])).toEqual([['wrong-start', 1, 4]]);
  });

  it('reports events that differ from the final history', () => {
    const forged = ev('a/1', 3, 'v1', 'forged');
    expect(types(watcher([[1, [batch(E.a1at1), batch(E.a2at2, forged), batch(E.a2at4, E.a2at5)]]]))).toEqual(['event-mismatch']);
    const phantom: WatchEvent = { type: 'put', key: 'a/9', value: 'p', modRevision: 5, prevKv: null };
    expect(types(watcher([[1, [batch(E.a1at1), batch(E.a2at2, E.a1at3), batch(E.a2at4, E.a2at5, phantom)]]]))).toEqual(['unknown-event']);
  });

  it('without a final history: cross-checks watchers and answers unknown at best', () => {
    const w1 = watcher([[1, [batch(E.a1at1), batch(E.a2at2, E.a1at3)]]]);
    const w2 = { ...watcher([[3, [batch(ev('a/1', 3, 'v1', 'forged'))]]]), watcher: 'w2' };
    expect(checkWatch([w1, w1], null).valid).toBe('unknown');
    const r = checkWatch([w1, w2], null);
    expect(r.valid).toBe(false);
    expect(r.anomalies.map((a) => [a.type, a['watcher'], a['otherWatcher']])).toEqual([['watchers-disagree', 'w2', 'w1']]);
  });

  it('passes 30 simulated watchers over 1,500 revisions with bounded work', () => {
    const sim = simulateWatch({ seed: 5, revisions: 1500, watchers: 30 });
    expect(sim.watchers.some((w) => w.segments.length > 3)).toBe(true);
    const r = checkWatch(sim.watchers, sim.global);
    expect(r.anomalies).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.stats['events']).toBeGreaterThan(1000);
    expect(r.stats['expected']).toBe(r.stats['events']);
    expect(r.stats['steps']).toBeLessThanOrEqual((r.stats['events'] ?? 0) + 30 * sim.global.length);
  });

  it('accepts simulated streams and catches a single event dropped from any of them', () => {
    let checked = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const sim = simulateWatch({ seed, revisions: 200, watchers: 5 });
      expect(checkWatch(sim.watchers, sim.global).valid).toBe(true);
      const w = sim.watchers[seed % 5] as WatcherLog;
      const segment = w.segments.find((s) => s.batches.some((b) => b.events.length > 1));
      if (segment === undefined) continue;
      const b = segment.batches.find((x) => x.events.length > 1) as WatchBatch;
      const dropped = b.events[b.events.length - 1] as WatchEvent;
      const broken: WatcherLog = {
        ...w,
        segments: w.segments.map((s) => (s !== segment ? s : {
          ...s, batches: s.batches.map((x) => (x !== b ? x : { ...x, events: x.events.slice(0, -1) })),
        })),
      };
      const r = checkWatch([broken], sim.global);
      expect(r.anomalies.map((a) => a.type)).toEqual(['gap']);
      expect(r.anomalies[0]?.['missing']).toMatchObject([{ revision: dropped.modRevision, key: dropped.key }]);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });
});
