// Lock workload: holders take the client's lock recipe (packages/client/src/recipes/lock.ts)
// on one lock, and inside the critical section increment a counter: read it, then write
// read + 1. Each holder's lease is kept alive by the workload itself (every ttl/3), so a
// holder can be "paused" like a process in a GC or SIGSTOP pause: no keepalives and no
// progress for longer than the lease TTL, after which the lock may have passed to someone
// else while the holder still believes it holds it.
//   lock           the write is fenced (`fenced-write`): a txn that puts the counter only if
//                  the holder's lock key still exists with its create revision (the fencing
//                  token); a refused one completes ok with value false;
//   lock-unfenced  the write is a plain put: after a long pause two holders can both write
//                  the same count, which the mutex checker reports (the hazard fencing fixes).
// Checkers: linearizability of the counter (a register), mutex (no two acknowledged writes
// of the same count: each count is written by one critical section), fencing (holders'
// tokens increase with the order they got the lock; a release names the key it lets go).

import { Cmp, Op, type KiteClient, type Lease } from '@kite/client';
import { checkLinearizability, type CheckResult } from '../checkers/index.js';
import { sleep } from '../util/time.js';
import { checkFencing } from './fencing-check.js';
import { checkMutex, counterRegister } from './lock-check.js';
import type { CheckInputs, Workload, WorkloadContext } from './types.js';
import { nodeName, RateLimiter, WorkerProcess } from './workers.js';

export const LOCK_NAME = 'jepsen-lite';
export const COUNTER_KEY = 'lock/counter';
export const LOCK_TTL_S = 2;
/** Probability that a holder pauses inside its critical section. */
export const PAUSE_PROBABILITY = 0.15;
/** How long a waiting contender may wait for the lock. */
const LOCK_WAIT_MS_MAX = 15_000;

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

/** Keeps a lease alive until stopped; `paused` stops renewals (the holder is frozen). */
class ManualKeepAlive {
  paused = false;
  private stopped = false;
  readonly done: Promise<void>;

  constructor(private readonly lease: Lease) {
    this.done = this.loop();
  }

  stop(): void {
    this.stopped = true;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      await sleep((this.lease.ttl * 1000) / 3);
      if (this.stopped || this.paused) continue;
      try {
        await this.lease.keepAliveOnce();
      } catch {
        // Expired or unreachable: the fenced write will tell; keep trying until stopped.
      }
    }
  }
}

export function lockWorkload(fenced: boolean, writeRetries: number): Workload {
  return {
    name: fenced ? 'lock' : 'lock-unfenced',
    async run(ctx: WorkloadContext): Promise<void> {
      const limiter = new RateLimiter(ctx.rateHz);
      const holder = async (w: number): Promise<void> => {
        const rng = ctx.rng.fork(`holder-${w}`);
        const p = new WorkerProcess(ctx, w, ctx.concurrency);
        const c = await ctx.clientFor(w);
        while (!ctx.signal.aborted && !p.exhausted) {
          await sleep(limiter.reserve(performance.now()), ctx.signal);
          if (ctx.signal.aborted) break;
          await criticalSection(ctx, c, p, w, rng.chance(PAUSE_PROBABILITY), fenced, writeRetries);
        }
      };
      await Promise.all(Array.from({ length: ctx.concurrency }, (_, w) => holder(w)));
    },

    async finalReads(): Promise<void> {
      // The counter's history is all in the operations; nothing to add.
    },

    check({ history }: CheckInputs): CheckResult[] {
      const counterOps = counterRegister(history.operations, COUNTER_KEY);
      return [checkLinearizability(counterOps), checkMutex(counterOps), checkFencing(history.operations)];
    },
  };
}

async function criticalSection(
  ctx: WorkloadContext, c: KiteClient, p: WorkerProcess, w: number, pause: boolean, fenced: boolean, writeRetries: number,
): Promise<void> {
  let lease: Lease;
  try {
    lease = await c.lease.grant(LOCK_TTL_S, { keepAlive: false });
  } catch {
    await sleep(200, ctx.signal);
    return;
  }
  const keepAlive = new ManualKeepAlive(lease);
  let unlock: (() => Promise<void>) | null = null;
  let token = 0;
  let lockKey = '';
  try {
    const acquired = await p.op({ f: 'acquire', key: LOCK_NAME, value: null }, async () => {
      const h = await c.lock(LOCK_NAME, { lease, owner: `holder-${w}`, signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(LOCK_WAIT_MS_MAX)]) });
      unlock = () => h.unlock();
      token = h.fencingToken;
      lockKey = h.keyText;
      return { type: 'ok', value: { token, key: lockKey } };
    }, true);
    if (acquired.type !== 'ok') return;
    const read = await p.op({ f: 'read', key: COUNTER_KEY, value: null }, async () => {
      const r = await c.get(COUNTER_KEY, { timeoutMs: ctx.opTimeoutMs });
      const kv = r.kvs[0];
      return { type: 'ok', value: kv === undefined ? null : Number(text(kv.value)), node: nodeName(ctx, r.header.memberId) };
    });
    if (read.type !== 'ok') return;
    if (pause) {
      // A frozen holder: no keepalives, no progress, for longer than the lease TTL.
      keepAlive.paused = true;
      await sleep(LOCK_TTL_S * 1500 + 500);
      keepAlive.paused = false;
    }
    const next = ((read.value as number | null) ?? 0) + 1;
    await p.op({ f: fenced ? 'fenced-write' : 'write', key: COUNTER_KEY, value: next }, async () => {
      if (!fenced) {
        const r = await c.put(COUNTER_KEY, String(next), { timeoutMs: ctx.opTimeoutMs, retries: writeRetries });
        return { type: 'ok', value: next, node: nodeName(ctx, r.header.memberId) };
      }
      const r = await c.txn(
        { compare: [Cmp.createRevision(lockKey, '=', token)], success: [Op.put(COUNTER_KEY, String(next))], failure: [] },
        { timeoutMs: ctx.opTimeoutMs, retries: writeRetries },
      );
      // The fence refusing the write is an answer (the lock was lost), not a failure: ok, false.
      return { type: 'ok', value: r.succeeded ? next : false, node: nodeName(ctx, r.header.memberId) };
    });
  } finally {
    keepAlive.stop();
    const release = unlock as (() => Promise<void>) | null;
    if (release !== null) await p.op({ f: 'release', key: LOCK_NAME, value: { key: lockKey, token } }, async () => {
      await release();
      return { type: 'ok', value: null };
    }, true);
    await lease.revoke().catch(() => undefined);
    lease.close();
  }
}
