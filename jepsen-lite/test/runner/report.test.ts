// report.html and the runner's own checks, from hand-built histories: fault windows pair
// starts with ends (heal closes everything), info completions keep their real time, the page
// is self-contained (no scripts, no external references) and shows each checker's verdict and
// failing window; the mutex and lease checks flag exactly the hazards they describe.

import { describe, expect, it } from 'vitest';
import type { HistoryEntry, NemesisEntry } from '../../src/history/index.js';
import { pairOperations } from '../../src/history/index.js';
import { completionTimes, faultWindows, renderReport } from '../../src/report/report-html.js';
import { defaultOptions } from '../../src/run/options.js';
import { checkLeases } from '../../src/workloads/lease-check.js';
import { checkMutex } from '../../src/workloads/lock-check.js';

const S = 1e9;

class H {
  readonly entries: HistoryEntry[] = [];
  private add(e: Omit<HistoryEntry, 'index'>): this {
    this.entries.push({ ...e, index: this.entries.length } as HistoryEntry);
    return this;
  }
  inv(p: number, f: string, key: string, value: unknown, t: number): this {
    return this.add({ process: p, type: 'invoke', f, key, value, time: t * S } as Omit<HistoryEntry, 'index'>);
  }
  done(p: number, type: 'ok' | 'fail' | 'info', f: string, key: string, value: unknown, t: number): this {
    return this.add({ process: p, type, f, key, value, time: t * S } as Omit<HistoryEntry, 'index'>);
  }
  nem(f: NemesisEntry['f'], value: unknown, t: number): this {
    return this.add({ process: 'nemesis', type: 'info', f, value, time: t * S } as Omit<HistoryEntry, 'index'>);
  }
  obs(p: string, f: 'final-read', value: unknown, t: number): this {
    return this.add({ process: p, type: 'info', f, value, time: t * S } as Omit<HistoryEntry, 'index'>);
  }
}

describe('fault windows and completion times', () => {
  it('pairs each start with its end; heal closes what is still open', () => {
    const h = new H()
      .nem('start-partition', { kind: 'partition-leader' }, 1).nem('stop-partition', { kind: 'partition-leader' }, 3)
      .nem('kill', { kind: 'kill-one', nodes: ['n2'] }, 4).nem('pause', { kind: 'pause-one', nodes: ['n1'] }, 5)
      .nem('resume', { nodes: ['n1'] }, 6).nem('compact', { revision: 40, outcome: 'ok' }, 6.5)
      .nem('start-delay', { kind: 'delay', delayMs: 50 }, 7).nem('stop-delay', { kind: 'delay' }, 7.5).nem('heal', {}, 8);
    const w = faultWindows(pairOperations(h.entries).nemesis, 10 * S);
    expect(w.map((x) => [x.label, x.startNs / S, x.endNs / S])).toEqual([
      ['partition-leader', 1, 3], ['pause-one n1', 5, 6], ['delay', 7, 7.5], ['kill-one n2', 4, 8],
    ]);
  });

  it('keeps the real completion time of an indeterminate operation', () => {
    const h = new H().inv(0, 'write', 'k', 1, 1).done(0, 'info', 'write', 'k', null, 4).inv(1, 'read', 'k', null, 2).done(1, 'ok', 'read', 'k', 1, 2.5);
    expect([...completionTimes(h.entries)]).toEqual([[0, 4 * S], [2, 2.5 * S]]);
  });
});

describe('renderReport', () => {
  it('is one self-contained page with verdicts, plots and the failing window', () => {
    const h = new H().inv(0, 'write', 'k', 1, 1).done(0, 'ok', 'write', 'k', 1, 1.1).inv(1, 'read', 'k', null, 2).done(1, 'ok', 'read', 'k', 7, 2.2)
      .nem('start-partition', { kind: 'partition-random' }, 1.5).nem('stop-partition', {}, 3);
    const html = renderReport({
      title: 'demo <run>', entries: h.entries, phases: [{ name: 'calm', startNs: 0, endNs: 1 * S }], events: [],
      results: [
        { checker: 'linearizability/register', valid: false, stats: { keys: 1 }, anomalies: [{ type: 'nonlinearizable', message: 'read 7', window: { fromIndex: 2, toIndex: 3 } }] },
        { checker: 'liveness', valid: 'unknown', stats: {}, anomalies: [] },
      ],
      valid: false, error: null, options: defaultOptions(),
    });
    expect(html).not.toMatch(/<script|<link|src=|href=|url\(/i);
    expect(html).toContain('demo &lt;run&gt;');
    expect(html.match(/<svg/g)).toHaveLength(2);
    expect(html).toContain('INVALID');
    expect(html).toContain('unknown');
    expect(html).toContain('[2.00 s – 2.20 s]');
    expect(html).toContain('partition-random');
  });
});

describe('checkMutex', () => {
  it('flags two acknowledged writes of the same count and nothing else', () => {
    const ok = new H().inv(0, 'write', 'c', 1, 1).done(0, 'ok', 'write', 'c', 1, 2).inv(1, 'write', 'c', 2, 3).done(1, 'ok', 'write', 'c', 2, 4)
      .inv(2, 'write', 'c', 2, 5).done(2, 'fail', 'write', 'c', 2, 6);
    expect(checkMutex(pairOperations(ok.entries).operations).valid).toBe(true);
    const bad = new H().inv(0, 'write', 'c', 1, 1).done(0, 'ok', 'write', 'c', 1, 2).inv(1, 'write', 'c', 1, 3).done(1, 'ok', 'write', 'c', 1, 4);
    const r = checkMutex(pairOperations(bad.entries).operations);
    expect(r.valid).toBe(false);
    expect(r.anomalies.map((a) => a.type)).toEqual(['mutual-exclusion-violated']);
  });
});

describe('checkLeases', () => {
  const life = (readAt: number, found: number | null): H =>
    new H().inv(0, 'grant', 'l/0', 2, 0).done(0, 'ok', 'grant', 'l/0', { lease: '1', ttl: 2 }, 0.1)
      .inv(0, 'put', 'l/0', 1, 0.2).done(0, 'ok', 'put', 'l/0', 1, 0.3)
      .inv(0, 'keepalive', 'l/0', '1', 1).done(0, 'ok', 'keepalive', 'l/0', { ttl: 2 }, 1.1)
      .inv(0, 'read', 'l/0', null, readAt).done(0, 'ok', 'read', 'l/0', found, readAt + 0.1)
      .obs('n1', 'final-read', { node: 'n1', kvs: {} }, 10);

  it('accepts a key gone after its last renewal + TTL, flags one gone before', () => {
    const fine = pairOperations(life(3.5, null).entries);
    expect(checkLeases(fine.operations, fine.observations).valid).toBe(true);
    const early = pairOperations(life(2, null).entries);
    const r = checkLeases(early.operations, early.observations);
    expect(r.valid).toBe(false);
    expect(r.anomalies.map((a) => a.type)).toEqual(['premature-expiry']);
  });

  it('flags a key left after every lease stopped, and is unknown without final reads', () => {
    const h = life(3.5, null).obs('n2', 'final-read', { node: 'n2', kvs: { 'l/0': 1 } }, 11);
    const p = pairOperations(h.entries);
    expect(checkLeases(p.operations, p.observations).anomalies.map((a) => a.type)).toEqual(['lease-not-expired']);
    const none = pairOperations(life(3.5, 1).entries.filter((e) => e.f !== 'final-read'));
    expect(checkLeases(none.operations, none.observations).valid).toBe('unknown');
  });
});
