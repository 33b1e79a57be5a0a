import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReadIndexQueue } from '../src/read-queue.js';

describe('ReadIndexQueue', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const track = (p: Promise<void>): { state: string } => {
    const s = { state: 'pending' };
    p.then(() => (s.state = 'ok'), (e: Error & { code?: string }) => (s.state = e.code ?? 'error'));
    return s;
  };
  const flush = async (): Promise<void> => {
    await vi.advanceTimersByTimeAsync(0);
  };

  it('batches reads into one request and releases them only once applied reaches the read index', async () => {
    const q = new ReadIndexQueue(10);
    const a = track(q.add(1000));
    const b = track(q.add(1000));
    const batch = q.takeUnsent();
    expect(batch).toHaveLength(2);
    q.sentAs('ctx1', batch ?? []);
    const c = track(q.add(1000));
    q.sentAs('ctx2', q.takeUnsent() ?? []);
    q.onReadState('ctx2', 7);
    q.onReadState('ctx1', 5);
    q.release(5);
    await flush();
    expect([a.state, b.state, c.state]).toEqual(['ok', 'ok', 'pending']);
    q.release(7);
    await flush();
    expect(c.state).toBe('ok');
    expect(q.size).toBe(0);
  });

  it('re-sends batches after a leader change and ignores unknown contexts', async () => {
    const q = new ReadIndexQueue(10);
    const a = track(q.add(1000));
    q.sentAs('old', q.takeUnsent() ?? []);
    q.resendAll();
    q.onReadState('old', 1);
    q.release(100);
    await flush();
    expect(a.state).toBe('pending');
    q.sentAs('new', q.takeUnsent() ?? []);
    q.onReadState('new', 3);
    q.release(3);
    await flush();
    expect(a.state).toBe('ok');
  });

  it('times reads out, refuses past its limit, and fails everything on stop exactly once', async () => {
    const q = new ReadIndexQueue(2);
    const a = track(q.add(100));
    const b = track(q.add(5000));
    const c = track(q.add(5000));
    await vi.advanceTimersByTimeAsync(150);
    expect([a.state, c.state]).toEqual(['Timeout', 'Unavailable']);
    q.sentAs('x', q.takeUnsent() ?? []);
    q.failAll(new Error('stop'));
    q.onReadState('x', 1);
    q.release(10);
    await flush();
    expect(b.state).toBe('error');
    expect(q.size).toBe(0);
  });

  it('holds a forwarded reply until applied reaches its index, in index order with reads', async () => {
    const q = new ReadIndexQueue(10);
    const late = track(q.addApplied(9, 1000, () => new Error('late')));
    const early = track(q.addApplied(4, 1000, () => new Error('early')));
    const read = track(q.add(1000));
    q.sentAs('r', q.takeUnsent() ?? []);
    q.onReadState('r', 4);
    q.release(3);
    await flush();
    expect([early.state, read.state, late.state]).toEqual(['pending', 'pending', 'pending']);
    q.release(4);
    await flush();
    expect([early.state, read.state, late.state]).toEqual(['ok', 'ok', 'pending']);
    const timedOut = track(q.addApplied(20, 100, () => Object.assign(new Error('x'), { code: 'Timeout' })));
    await vi.advanceTimersByTimeAsync(150);
    expect(timedOut.state).toBe('Timeout');
    q.release(9);
    await flush();
    expect(late.state).toBe('ok');
    expect(q.size).toBe(0);
  });

  it('without a leader fails the reads not yet indexed and keeps those waiting only for the apply', async () => {
    const q = new ReadIndexQueue(10);
    const sent = track(q.add(1000));
    q.sentAs('s', q.takeUnsent() ?? []);
    const indexed = track(q.add(1000));
    q.sentAs('i', q.takeUnsent() ?? []);
    q.onReadState('i', 2);
    const unsent = track(q.add(1000));
    const applied = track(q.addApplied(3, 1000, () => new Error('x')));
    q.failUnindexed(Object.assign(new Error('no leader'), { code: 'Unavailable' }));
    await flush();
    expect([unsent.state, sent.state, indexed.state, applied.state]).toEqual(['Unavailable', 'Unavailable', 'pending', 'pending']);
    expect(q.takeUnsent()).toBeNull();
    q.release(3);
    await flush();
    expect([indexed.state, applied.state]).toEqual(['ok', 'ok']);
  });
});
