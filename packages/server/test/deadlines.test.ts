import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Deadlines } from '../src/deadlines.js';

describe('Deadlines', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('expires each item once, never early and at most one resolution late, on one timer for all', async () => {
    let now = 1000;
    const expired: string[] = [];
    const d = new Deadlines<string>(() => now, (x) => expired.push(`${x}@${now}`), 10);
    d.add('a', 100);
    d.add('b', 100);
    d.add('c', 35);
    for (let i = 0; i < 1000; i++) d.delete(`x${i}`, d.add(`x${i}`, 100));
    expect(vi.getTimerCount()).toBe(1);
    // One at a time (a single sequential client): still the one timer, not one each.
    const e = new Deadlines<number>(() => now, () => undefined, 10);
    for (let i = 0; i < 1000; i++) e.delete(i, e.add(i, 100));
    expect(vi.getTimerCount()).toBe(2);
    for (; now < 1200; now += 5) await vi.advanceTimersByTimeAsync(5);
    const at = (x: string): number => Number(expired.find((e) => e.startsWith(`${x}@`))?.split('@')[1]);
    expect(expired).toHaveLength(3);
    expect(at('c')).toBeGreaterThanOrEqual(1035);
    expect(at('c')).toBeLessThanOrEqual(1045 + 5);
    expect(at('a')).toBeGreaterThanOrEqual(1100);
    expect(at('a')).toBeLessThanOrEqual(1110 + 5);
    expect(d.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a deleted item never expires, and no timer is left once every item is settled and its bucket passed, or cleared', async () => {
    let now = 0;
    const expired: number[] = [];
    const d = new Deadlines<number>(() => now, (x) => expired.push(x), 10);
    const at1 = d.add(1, 50);
    d.add(2, 500);
    d.delete(1, at1);
    d.delete(1, at1);
    now = 100;
    await vi.advanceTimersByTimeAsync(100);
    expect(expired).toEqual([]);
    expect(vi.getTimerCount()).toBe(1);
    const at3 = d.add(3, 50);
    d.delete(3, at3);
    now = 200;
    await vi.advanceTimersByTimeAsync(100);
    expect(vi.getTimerCount()).toBe(1);
    d.clear();
    expect(vi.getTimerCount()).toBe(0);
    now = 1000;
    await vi.advanceTimersByTimeAsync(1000);
    expect(expired).toEqual([]);
  });

  it('an earlier deadline added later re-arms the timer for itself', async () => {
    let now = 0;
    const expired: string[] = [];
    const d = new Deadlines<string>(() => now, (x) => expired.push(x), 10);
    d.add('late', 5000);
    d.add('soon', 20);
    now = 30;
    await vi.advanceTimersByTimeAsync(30);
    expect(expired).toEqual(['soon']);
    expect(d.size).toBe(1);
  });
});
