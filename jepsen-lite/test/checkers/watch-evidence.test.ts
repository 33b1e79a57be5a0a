// The watch workload's checkers against planted broken histories that every stream gets wrong
// alike (so comparing streams cannot see it), or that only the rest of the history exposes:
// an acknowledged put no stream has, a value corrupted in every stream, a Compacted answer no
// compaction justifies, a watcher that silently stops receiving. Each history is judged by the
// same check the run uses (the workload's check over the paired history).

import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/checkers/index.js';
import { checkHistory } from '../../src/checkers/index.js';
import type { Json } from '../../src/history/index.js';
import { pairOperations } from '../../src/history/index.js';
import { watchWorkload } from '../../src/workloads/watch.js';
import { HistoryBuilder } from '../support/builder.js';

interface Ev { readonly key: string; readonly revision: number; readonly value: string }

const watchEvent = (e: Ev): Json => ({ type: 'put', key: e.key, value: e.value, modRevision: e.revision });
const globalEvent = (e: Ev): Json => ({ revision: e.revision, key: e.key, type: 'put', value: e.value });

/** Writer process 0 puts w/1 = 1, 2, 3 at revisions 2, 3, 4, each acknowledged by n2. */
function writes(h: HistoryBuilder): Ev[] {
  const out: Ev[] = [];
  for (let v = 1; v <= 3; v++) {
    h.invoke(0, 'put', 'w/1', v).ok(0, v, { node: 'n2', revision: v + 1 });
    out.push({ key: 'w/1', revision: v + 1, value: String(v) });
  }
  return out;
}

/** One watcher from revision 1 that receives `seen` (one batch each) then a progress at `progressAt`. */
function watcher(h: HistoryBuilder, seen: readonly Ev[], progressAt: number | null): void {
  h.observe('watcher-0', 'watch-start', { startRevision: 1, prefix: true, node: 'n3' }, 'w/');
  for (const e of seen) h.observe('watcher-0', 'watch-batch', { headerRevision: e.revision, events: [watchEvent(e)] });
  if (progressAt !== null) h.observe('watcher-0', 'watch-batch', { headerRevision: progressAt, events: [], progress: true });
}

function watchResult(h: HistoryBuilder): CheckResult {
  const results = watchWorkload(0).check({ history: pairOperations(h.entries), recoveryBoundMs: 10_000, endTimeNs: h.entries.length * 1e6 });
  const r = results.find((x) => x.checker === 'watch');
  if (r === undefined) throw new Error('no watch result');
  // check-history's watch path judges the same way.
  expect(checkHistory(h.entries, { workload: 'watch' }).results[0]?.anomalies.map((a) => a.type)).toEqual(r.anomalies.map((a) => a.type));
  return r;
}

const types = (r: CheckResult): string[] => r.anomalies.map((a) => a.type);

describe('watch checker against the clients\' writes and the nemesis', () => {
  it('accepts a history where every stream has every acknowledged write', () => {
    const h = new HistoryBuilder();
    const evs = writes(h);
    watcher(h, evs, 4);
    h.observe('final', 'final-history', { events: evs.map(globalEvent) });
    const r = watchResult(h);
    expect(r.anomalies).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.stats['acknowledgedWrites']).toBe(3);
  });

  it('flags an acknowledged put missing from every watcher and from the final history', () => {
    const h = new HistoryBuilder();
    const evs = writes(h);
    const without = evs.filter((e) => e.revision !== 3);
    watcher(h, without, 4);
    h.observe('final', 'final-history', { events: without.map(globalEvent) });
    const r = watchResult(h);
    expect(r.valid).toBe(false);
    expect(types(r)).toEqual(['ack-missing']);
    expect(r.anomalies[0]?.message).toContain('w/1=2');
    expect(r.anomalies[0]?.['node']).toBe('n2');
  });

  it('flags an acknowledged put missing from every watcher when there is no final history', () => {
    const h = new HistoryBuilder();
    const evs = writes(h);
    watcher(h, evs.filter((e) => e.revision !== 3), 4);
    const r = watchResult(h);
    expect(r.valid).toBe(false);
    expect(types(r)).toEqual(['ack-missing']);
  });

  it('flags a value corrupted in every stream', () => {
    const h = new HistoryBuilder();
    const evs = writes(h).map((e) => (e.revision === 3 ? { ...e, value: 'garbage' } : e));
    watcher(h, evs, 4);
    h.observe('final', 'final-history', { events: evs.map(globalEvent) });
    const r = watchResult(h);
    expect(r.valid).toBe(false);
    expect(types(r)).toEqual(['ack-mismatch', 'unwritten-event']);
    expect(r.anomalies[0]?.message).toContain('acknowledged put w/1=2 (#1) is put "garbage" at revision 3');
  });

  it('does not trust a Compacted answer that no compaction justifies', () => {
    const planted = (compactAt: number | null): HistoryBuilder => {
      const h = new HistoryBuilder();
      const evs = writes(h);
      if (compactAt !== null) h.nemesis('compact', { revision: compactAt, outcome: 'ok' });
      h.observe('watcher-0', 'watch-start', { startRevision: 1, prefix: true, node: 'n1' }, 'w/');
      // Told "compacted at 4": revisions 2 and 3 are never delivered.
      h.observe('watcher-0', 'watch-batch', { headerRevision: 4, events: [], compactRevision: 4, canceled: true });
      h.observe('watcher-0', 'watch-resume', { startRevision: 4, node: 'n2' });
      h.observe('watcher-0', 'watch-batch', { headerRevision: 4, events: [watchEvent(evs[2] as Ev)] });
      h.observe('final', 'final-history', { events: evs.map(globalEvent) });
      return h;
    };
    const unjustified = watchResult(planted(null));
    expect(unjustified.valid).toBe(false);
    expect(types(unjustified)).toEqual(['unjustified-compaction', 'gap']);
    // The gap is charged to the segment that should have delivered revision 3 (watched through n1).
    expect(unjustified.anomalies.map((a) => a['node'])).toEqual(['n1', 'n1']);
    // A compaction below 4 does not justify it either; one at 4 does.
    expect(types(watchResult(planted(3)))).toEqual(['unjustified-compaction', 'gap']);
    expect(watchResult(planted(4)).valid).toBe(true);
  });

  it('flags a watcher that silently stalls before the end of the history', () => {
    const stalled = (end: 'open' | 'closed' | 'canceled'): HistoryBuilder => {
      const h = new HistoryBuilder();
      const evs = writes(h);
      watcher(h, evs.slice(0, 1), 2);
      if (end === 'closed') h.observe('watcher-0', 'watch-end', { reason: 'closed' });
      if (end === 'canceled') h.observe('watcher-0', 'watch-batch', { headerRevision: 2, events: [], canceled: true });
      h.observe('final', 'final-history', { events: evs.map(globalEvent) });
      return h;
    };
    const r = watchResult(stalled('open'));
    expect(r.valid).toBe(false);
    expect(types(r)).toEqual(['stalled']);
    expect(r.anomalies[0]?.message).toContain('stopped at revision 2');
    expect(r.anomalies[0]?.message).toContain('(watched through n3)');
    expect(r.anomalies[0]?.['node']).toBe('n3');
    expect(r.anomalies[0]?.['owedCount']).toBe(2);
    // A watcher the client closed, or the server canceled, owes nothing more.
    expect(watchResult(stalled('closed')).valid).toBe(true);
    expect(watchResult(stalled('canceled')).valid).toBe(true);
  });
});
