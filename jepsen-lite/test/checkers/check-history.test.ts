import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/checkers/check-history.js';
import type { WatcherLog } from '../../src/checkers/watch/types.js';
import { formatHistoryJsonl, parseHistoryJsonl } from '../../src/history/jsonl.js';
import type { HistoryEntry, Json, ObservationEntry } from '../../src/history/types.js';
import { HistoryBuilder } from '../support/builder.js';
import { simulateRegisters } from '../support/register-sim.js';
import { simulateWatch } from '../support/watch-sim.js';

/** Appends observations after the recorded entries, as the runner does at the end of a run. */
const withObservations = (entries: readonly HistoryEntry[], obs: Array<Omit<ObservationEntry, 'time' | 'index' | 'type'>>): HistoryEntry[] => {
  const last = entries[entries.length - 1];
  const base = last === undefined ? 0 : last.index + 1;
  const t = last?.time ?? 0;
  return [...entries, ...obs.map((o, i): ObservationEntry => ({ ...o, type: 'info', time: t + i + 1, index: base + i }))];
};

/** The watch simulation written as history.jsonl observations. */
function watchEntries(watchers: readonly WatcherLog[], global: Json): HistoryEntry[] {
  const obs: Array<Omit<ObservationEntry, 'time' | 'index' | 'type'>> = [];
  for (const w of watchers) {
    w.segments.forEach((s, i) => {
      const { key, ...rest } = w.filter;
      obs.push(i === 0
        ? { process: w.watcher, f: 'watch-start', key, value: { ...rest, startRevision: s.startRevision, prevKv: w.prevKv } as Json }
        : { process: w.watcher, f: 'watch-resume', value: { startRevision: s.startRevision } });
      for (const b of s.batches) {
        const { index: _index, ...value } = b;
        obs.push({ process: w.watcher, f: 'watch-batch', value: value as unknown as Json });
      }
    });
  }
  obs.push({ process: 'final', f: 'final-history', value: { events: global } });
  return withObservations([], obs);
}

describe('checkHistory (end to end through history.jsonl)', () => {
  it('register workload: valid, then a lost write in the final read', () => {
    const h = new HistoryBuilder().op(0, 'write', 'x', 1).op(1, 'write', 'x', 2).op(0, 'read', 'x', null, 2)
      .nemesis('start-partition').sleep(100).nemesis('stop-partition').sleep(50).op(1, 'write', 'x', 3).sleep(2000);
    const good = withObservations(h.entries, [{ process: 'n1', f: 'final-read', value: { node: 'n1', kvs: { x: 3 } } }]);
    const parsed = parseHistoryJsonl(formatHistoryJsonl(good));
    const ok = checkHistory(parsed, { workload: 'register', liveness: { recoveryBoundMs: 1000 } });
    expect(ok.results.map((r) => [r.checker, r.valid])).toEqual([['linearizability/register', true], ['durability', true], ['liveness', true]]);
    expect(ok.valid).toBe(true);
    const lost = withObservations(h.entries, [{ process: 'n1', f: 'final-read', value: { node: 'n1', kvs: { x: 2 } } }]);
    const bad = checkHistory(parseHistoryJsonl(formatHistoryJsonl(lost)), { workload: 'register' });
    expect(bad.valid).toBe(false);
    expect(bad.results.flatMap((r) => r.anomalies.map((a) => a.type))).toEqual(['lost-write']);
  });

  it('register workload: a simulated history of 1,000 ops passes', () => {
    const entries = simulateRegisters({ seed: 9, ops: 1000, keys: 3, workers: 8 });
    const v = checkHistory(parseHistoryJsonl(formatHistoryJsonl(entries)), { workload: 'register' });
    // No final reads were recorded, so durability cannot decide.
    expect(v.results.map((r) => [r.checker, r.valid])).toEqual([['linearizability/register', true], ['durability', 'unknown']]);
    expect(v.valid).toBe('unknown');
  });

  it('watch workload: simulated watchers round-trip through JSONL and pass; a dropped batch is a gap', () => {
    const sim = simulateWatch({ seed: 4, revisions: 300, watchers: 6 });
    const entries = watchEntries(sim.watchers, sim.global as unknown as Json);
    const v = checkHistory(parseHistoryJsonl(formatHistoryJsonl(entries)), { workload: 'watch' });
    expect(v.results[0]?.anomalies).toEqual([]);
    expect(v.valid).toBe(true);
    expect(v.results[0]?.stats['watchers']).toBe(6);
    // Drop the second response that carries events from some segment: a gap, nothing else.
    const w = sim.watchers[0] as WatcherLog;
    const at = w.segments.findIndex((seg) => seg.batches.filter((x) => x.events.length > 0).length >= 2);
    const segment = w.segments[at];
    if (segment === undefined) throw new Error('simulation produced no segment with two responses');
    const victim = segment.batches.filter((x) => x.events.length > 0)[1];
    const broken: WatcherLog = {
      ...w,
      segments: w.segments.map((seg, i) => (i !== at ? seg : { ...seg, batches: seg.batches.filter((x) => x !== victim) })),
    };
    const b = checkHistory(watchEntries([broken, ...sim.watchers.slice(1)], sim.global as unknown as Json), { workload: 'watch' });
    expect(b.valid).toBe(false);
    expect(b.results[0]?.anomalies.map((a) => [a.type, a['watcher'], a['missingCount']])).toEqual([['gap', w.watcher, victim?.events.length]]);
  });
});
