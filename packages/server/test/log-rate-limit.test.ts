// The log rate limiter on an injected clock: at most linesMax lines per window, every event
// beyond that counted exactly once, a new window admits again. RateLimitedWarn on fake timers:
// a flood leaves the admitted lines plus one summary carrying the suppressed count.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LogRateLimiter, RateLimitedWarn } from '../src/log-rate-limit.js';

describe('LogRateLimiter', () => {
  it('admits linesMax per window and counts the rest', () => {
    let now = 1_000;
    const lim = new LogRateLimiter({ linesMax: 3, windowMs: 100, nowMs: () => now });
    const first = Array.from({ length: 10 }, () => lim.admit());
    expect(first).toEqual([true, true, true, false, false, false, false, false, false, false]);
    expect(lim.msUntilWindowEnd()).toBe(100);
    now += 99;
    expect(lim.admit()).toBe(false);
    expect(lim.msUntilWindowEnd()).toBe(1);
    expect(lim.takeSuppressed()).toBe(8);
    expect(lim.takeSuppressed()).toBe(0);
    now += 1; // the window is over
    expect(lim.msUntilWindowEnd()).toBe(0);
    expect([lim.admit(), lim.admit(), lim.admit(), lim.admit()]).toEqual([true, true, true, false]);
    expect(lim.takeSuppressed()).toBe(1);
  });

  it('refuses limits that would suppress everything', () => {
    expect(() => new LogRateLimiter({ linesMax: 0, windowMs: 100, nowMs: () => 0 })).toThrow(RangeError);
    expect(() => new LogRateLimiter({ linesMax: 1, windowMs: 0, nowMs: () => 0 })).toThrow(RangeError);
  });
});

describe('RateLimitedWarn', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('logs linesMax lines and one summary with the suppressed count per window', () => {
    vi.useFakeTimers();
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString('utf8').split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    let now = 0;
    const log = pino({ level: 'info' }, sink);
    const w = new RateLimitedWarn(log, 'closing client link', { linesMax: 5, windowMs: 1_000, nowMs: () => now });
    for (let i = 0; i < 200; i++) w.warn(log.child({ remote: `127.0.0.1:${i}` }), { code: 1007 });
    const admitted = lines.filter((l) => l['msg'] === 'closing client link');
    expect(admitted.map((l) => l['remote'])).toEqual(['127.0.0.1:0', '127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3', '127.0.0.1:4']);
    now = 1_000;
    vi.advanceTimersByTime(1_000);
    const summaries = lines.filter((l) => l['suppressed'] !== undefined);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]?.['suppressed']).toBe(195);
    expect(summaries[0]?.['event']).toBe('closing client link');
    // The next window admits again, and nothing is left to summarize.
    w.warn(log, { code: 1007 });
    vi.advanceTimersByTime(5_000);
    expect(lines).toHaveLength(7);
  });
});
