// The auto-compaction planners with an injected clock (a plain number): etcd's periodic
// sampling (every retention/10, compact to the revision seen one retention ago, first after
// one retention, then once per retention, intervals capped at an hour), revision retention,
// and the driver that proposes only on the leader.
import { describe, expect, it } from 'vitest';
import { createRng } from '@kite/protocol';
import { AutoCompactor, PeriodicPlanner, REVISION_CHECK_INTERVAL_MS, RevisionPlanner } from '../src/auto-compactor.js';
import { parseDurationMs } from '../src/duration.js';
import type { Logger } from '../src/logger.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** Revision at step i of a steady load: 1 + 5 per step. */
const revAt = (i: number): number => 1 + 5 * i;

describe('PeriodicPlanner', () => {
  it('samples every retention/10 and compacts to the revision seen one retention ago, once per retention', () => {
    const p = new PeriodicPlanner(1000, 0);
    expect(p.intervalMs).toBe(100);
    const compactions: [number, number][] = [];
    for (let i = 1; i <= 45; i++) {
      const target = p.next(i * 100, revAt(i));
      if (target === null) continue;
      compactions.push([i, target]);
      p.done(i * 100, target);
    }
    // Step i is at i*100 ms: the first compaction needs a sample one full retention old.
    expect(compactions).toEqual([[11, revAt(1)], [21, revAt(11)], [31, revAt(21)], [41, revAt(31)]]);
  });

  it('caps its intervals at an hour: a 3h retention samples every 6 min and compacts hourly to the revision of 3h ago', () => {
    const p = new PeriodicPlanner(3 * HOUR_MS, 0);
    expect(p.intervalMs).toBe(6 * MINUTE_MS);
    const compactions: [number, number][] = [];
    for (let i = 1; i <= 61; i++) {
      const now = i * p.intervalMs;
      const target = p.next(now, revAt(i));
      if (target === null) continue;
      compactions.push([now / MINUTE_MS, target]);
      p.done(now, target);
    }
    // 30 samples per 3 h; then one compaction an hour (10 samples), each to the revision of 3 h before.
    expect(compactions).toEqual([[186, revAt(1)], [246, revAt(11)], [306, revAt(21)], [366, revAt(31)]]);
  });

  it('does not compact an idle cluster again (the revision one retention ago has not moved)', () => {
    const p = new PeriodicPlanner(1000, 0);
    let targets = 0;
    for (let i = 1; i <= 100; i++) {
      const target = p.next(i * 100, i <= 5 ? revAt(i) : revAt(5));
      if (target === null) continue;
      targets++;
      p.done(i * 100, target);
    }
    // Revisions 6..26 were written in the first half second: compacted at most twice, then nothing.
    expect(targets).toBeGreaterThan(0);
    expect(targets).toBeLessThanOrEqual(2);
  });

  it('never compacts history younger than the retention and keeps a bounded sample list, however irregular the calls', () => {
    const rng = createRng(7);
    const retentionMs = 2000;
    const p = new PeriodicPlanner(retentionMs, 0);
    const seen: { atMs: number; revision: number }[] = [];
    let now = 0;
    let revision = 1;
    let compactions = 0;
    for (let step = 0; step < 5000; step++) {
      // Calls come early, late or several at once (timer jitter, a busy event loop).
      now += Math.floor(rng.next() * 3 * p.intervalMs);
      revision += Math.floor(rng.next() * 10);
      seen.push({ atMs: now, revision });
      const target = p.next(now, revision);
      expect(p.sampleCount).toBeLessThanOrEqual(retentionMs / p.intervalMs + 2);
      if (target === null) continue;
      // Every revision written within the last retention is newer than the target.
      const newest = seen.filter((s) => s.atMs > now - retentionMs).map((s) => s.revision)[0] ?? revision;
      expect(target).toBeLessThanOrEqual(newest);
      p.done(now, target);
      compactions++;
    }
    expect(compactions).toBeGreaterThan(100);
  });

  it('refuses a retention that is not positive', () => {
    expect(() => new PeriodicPlanner(0, 0)).toThrow(/assertion/);
  });
});

describe('RevisionPlanner', () => {
  it('keeps the last N revisions, checked every second', () => {
    const p = new RevisionPlanner(100);
    expect(p.intervalMs).toBe(REVISION_CHECK_INTERVAL_MS);
    expect(p.next(0, 100)).toBeNull();
    expect(p.next(0, 101)).toBe(1);
    p.done(0, 1);
    expect(p.next(0, 101)).toBeNull();
    expect(p.next(0, 350)).toBe(250);
  });
});

describe('AutoCompactor', () => {
  const silent = { info: () => undefined, warn: () => undefined } as unknown as Logger;

  it('samples on every member, proposes only where allowed, and retries a failed proposal at the next sample', async () => {
    let now = 0;
    let revision = 1;
    let compactRevision = 0;
    let mayCompact = false;
    let failNext = false;
    const proposed: number[] = [];
    const c = new AutoCompactor({
      planner: new PeriodicPlanner(1000, 0),
      clock: () => now,
      logger: silent,
      currentRevision: () => revision,
      compactRevision: () => compactRevision,
      mayCompact: () => mayCompact,
      compact: async (rev) => {
        proposed.push(rev);
        if (failNext) {
          failNext = false;
          throw new Error('leader changed');
        }
        compactRevision = rev;
        return 'ok';
      },
    });
    const step = async (): Promise<void> => {
      now += 100;
      revision += 5;
      await c.tick();
    };
    for (let i = 0; i < 15; i++) await step();
    expect(proposed).toEqual([]); // a follower: sampled, never proposed
    mayCompact = true;
    failNext = true;
    await step();
    expect(proposed).toEqual([31]); // the revision of 1000 ms ago (sampled while a follower)
    await step();
    expect(proposed).toEqual([31, 36]); // retried at the next sample, a little newer
    expect(compactRevision).toBe(36);
    // Someone compacted further meanwhile (a manual compact): taken as done, nothing proposed.
    compactRevision = 10_000;
    for (let i = 0; i < 10; i++) await step();
    expect(proposed).toEqual([31, 36]);
  });
});

describe('parseDurationMs', () => {
  it('reads etcd-style durations; a bare number is the given unit', () => {
    expect(parseDurationMs('1h', 'h')).toBe(HOUR_MS);
    expect(parseDurationMs('1h30m', 'h')).toBe(90 * MINUTE_MS);
    expect(parseDurationMs('200ms', 'h')).toBe(200);
    expect(parseDurationMs('5s', 'h')).toBe(5000);
    expect(parseDurationMs('2', 'h')).toBe(2 * HOUR_MS);
    expect(parseDurationMs('0', 'h')).toBe(0);
    expect(parseDurationMs('250', 'ms')).toBe(250);
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'h', '1x', '1.5h', '-1h', '1 h', '5m3', '999999999999999h']) expect(parseDurationMs(bad, 'h'), bad).toBeNull();
  });
});
