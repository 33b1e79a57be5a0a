// Lock recipe logic against the in-memory store model: FIFO by create revision, one watch
// per waiter (no herd), lease loss hands the lock on, abort cleans up, and (property) no two
// live holders ever overlap while fencing tokens strictly increase.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lock, type LockHandle } from '../src/recipes/lock.js';
import { isRecipeError } from '../src/recipes/errors.js';
import { KvModel } from './recipes-kv-model.js';

/** Lets every pending promise chain run (the model answers synchronously). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

describe('lock recipe', () => {
  it('acquires a free lock at once, with the key create revision as fencing token', async () => {
    const kv = new KvModel();
    const h = await lock(kv, 'job');
    expect(h.keyText.startsWith('/kite/lock/job/')).toBe(true);
    const r = await kv.get(h.key);
    expect(r.kvs[0]?.createRevision).toBe(h.fencingToken);
    await h.unlock();
    expect((await kv.get(h.key)).kvs).toHaveLength(0);
  });

  it('serves waiters first come, first served, with increasing tokens', async () => {
    const kv = new KvModel();
    const a = await lock(kv, 'q');
    const order: string[] = [];
    const pb = lock(kv, 'q').then((h) => (order.push('b'), h));
    await settle();
    const pc = lock(kv, 'q').then((h) => (order.push('c'), h));
    await settle();
    expect(order).toEqual([]);
    await a.unlock();
    await settle();
    expect(order).toEqual(['b']);
    const b = await pb;
    await b.unlock();
    const c = await pc;
    expect(order).toEqual(['b', 'c']);
    expect(a.fencingToken).toBeLessThan(b.fencingToken);
    expect(b.fencingToken).toBeLessThan(c.fencingToken);
    await c.unlock();
  });

  it('a waiter watches only its predecessor, so a release wakes one waiter', async () => {
    const kv = new KvModel();
    const a = await lock(kv, 'herd');
    const waiters = [lock(kv, 'herd'), lock(kv, 'herd'), lock(kv, 'herd')];
    await settle();
    expect(kv.watches.size).toBe(3);
    const getsBefore = kv.calls.get('get') ?? 0;
    await a.unlock();
    await settle();
    // Only the first waiter re-checked (one range) and then confirmed its key (one get).
    expect((kv.calls.get('get') ?? 0) - getsBefore).toBe(2);
    expect(kv.watches.size).toBe(2);
    for (const w of waiters) await (await w).unlock();
  });

  it('hands the lock on when the holder loses its lease, and tells the holder', async () => {
    const kv = new KvModel();
    const a = await lock(kv, 'l');
    const pb = lock(kv, 'l');
    await settle();
    kv.leaseById(a.lease)!.expire();
    expect(a.lost.aborted).toBe(true);
    const b = await pb;
    expect(b.fencingToken).toBeGreaterThan(a.fencingToken);
    await b.unlock();
  });

  it('an aborted waiter gives up its place and removes its key', async () => {
    const kv = new KvModel();
    const a = await lock(kv, 'x');
    const ctl = new AbortController();
    const pb = lock(kv, 'x', { signal: ctl.signal });
    await settle();
    ctl.abort();
    await expect(pb).rejects.toSatisfy((e) => isRecipeError(e, 'Canceled'));
    const left = await kv.get(new TextEncoder().encode('/kite/lock/x/'), { rangeEnd: new TextEncoder().encode('/kite/lock/x0') });
    expect(left.kvs.map((k) => k.createRevision)).toEqual([a.fencingToken]);
    await a.unlock();
  });

  it('never has two live holders, and tokens strictly increase (random schedules)', async () => {
    type Step = { who: number; action: 'lock' | 'unlock' | 'expire' };
    const step = fc.record({ who: fc.integer({ min: 0, max: 3 }), action: fc.constantFrom<'lock' | 'unlock' | 'expire'>('lock', 'unlock', 'expire') });
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps: Step[]) => {
      const kv = new KvModel();
      const pending = new Map<number, Promise<LockHandle>>();
      const held = new Map<number, LockHandle>();
      const tokens: number[] = [];
      const track = (who: number, p: Promise<LockHandle>): void => {
        pending.set(who, p);
        p.then((h) => {
          pending.delete(who);
          held.set(who, h);
          tokens.push(h.fencingToken);
        }, () => pending.delete(who));
      };
      const check = (): void => {
        const live = [...held.values()].filter((h) => !h.lost.aborted);
        expect(live.length).toBeLessThanOrEqual(1);
      };
      for (const s of steps) {
        if (s.action === 'lock' && !pending.has(s.who) && !held.has(s.who)) track(s.who, lock(kv, 'p'));
        if (s.action === 'unlock' && held.has(s.who)) {
          await held.get(s.who)!.unlock();
          held.delete(s.who);
        }
        if (s.action === 'expire' && held.has(s.who)) {
          kv.leaseById(held.get(s.who)!.lease)!.expire();
          held.delete(s.who);
        }
        await settle();
        check();
      }
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!);
      // Drain: release everyone so every waiter eventually gets (and releases) the lock. There
      // are at most steps.length contenders and each needs at most two rounds (granted, then
      // released), so the bound only stops a never-granted waiter from spinning forever.
      for (let round = 0; round <= 2 * steps.length && (held.size > 0 || pending.size > 0); round++) {
        for (const [who, h] of [...held]) {
          await h.unlock();
          held.delete(who);
        }
        await settle();
        check();
      }
      expect({ held: held.size, pending: pending.size }).toEqual({ held: 0, pending: 0 });
    }), { numRuns: 40 });
  });
});
