// Lease workload: each worker grants a short lease, puts a key attached to it (l/<worker>-<n>),
// renews it a random number of times (0..RENEWALS_MAX, every ttl/3, recorded as keepalive ops),
// then stops renewing and keeps reading its key until it is gone or a bound passes. Meant to
// run under leader kills and partitions, where the lessor moves between members.
// Checkers (lease-check.ts): no premature expiry (a read that finished before the last
// acknowledged renewal's invoke time + TTL must still see the key); eventual expiry (after the
// heal, once every lease has had two TTLs plus the recovery bound, no l/ key is left on any
// member); liveness.

import { type KiteClient, type Lease } from '@kite/client';
import { checkLiveness, type CheckResult } from '../checkers/index.js';
import type { Json } from '../history/index.js';
import { sleep } from '../util/time.js';
import { readEveryNode, referenceRevision } from './final-reads.js';
import { checkLeases } from './lease-check.js';
import type { CheckInputs, Workload, WorkloadContext } from './types.js';
import { nodeName, RateLimiter, WorkerProcess } from './workers.js';

const PREFIX = 'l/';
export const LEASE_TTL_S = 2;
export const RENEWALS_MAX = 4;
/** Reads of a key after its renewals stop, spaced READ_INTERVAL_MS apart. */
const READS_AFTER_STOP_MAX = 12;
const READ_INTERVAL_MS = 500;

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

export function leaseWorkload(writeRetries: number): Workload {
  return {
    name: 'lease',
    async run(ctx: WorkloadContext): Promise<void> {
      const limiter = new RateLimiter(ctx.rateHz);
      const worker = async (w: number): Promise<void> => {
        const rng = ctx.rng.fork(`lease-${w}`);
        const p = new WorkerProcess(ctx, w, ctx.concurrency);
        const c = await ctx.clientFor(w);
        for (let n = 0; !ctx.signal.aborted && !p.exhausted; n++) {
          await sleep(limiter.reserve(performance.now()), ctx.signal);
          if (ctx.signal.aborted) break;
          await oneLease(ctx, c, p, `${PREFIX}${w}-${n}`, rng.between(0, RENEWALS_MAX), limiter, writeRetries);
        }
      };
      await Promise.all(Array.from({ length: ctx.concurrency }, (_, w) => worker(w)));
    },

    async finalReads(ctx: WorkloadContext): Promise<void> {
      // Every lease stopped renewing when the workload stopped: give them time to expire.
      await sleep(2 * LEASE_TTL_S * 1000 + ctx.cluster.electionTimeoutMs * 3);
      const revision = await referenceRevision(ctx, PREFIX);
      await readEveryNode(ctx, PREFIX, revision, (v): Json => Number(v));
    },

    check({ history, recoveryBoundMs, endTimeNs }: CheckInputs): CheckResult[] {
      return [
        checkLeases(history.operations, history.observations),
        checkLiveness(history.operations, history.nemesis, { bound: { recoveryBoundMs }, endTime: endTimeNs, writeFs: ['grant', 'put'] }),
      ];
    },
  };
}

async function oneLease(
  ctx: WorkloadContext, c: KiteClient, p: WorkerProcess, key: string, renewals: number, limiter: RateLimiter, writeRetries: number,
): Promise<void> {
  let lease: Lease | null = null;
  const granted = await p.op({ f: 'grant', key, value: LEASE_TTL_S }, async () => {
    lease = await c.lease.grant(LEASE_TTL_S, { keepAlive: false });
    return { type: 'ok', value: { lease: String(lease.id), ttl: lease.ttl } };
  });
  const l = lease as Lease | null;
  if (granted.type !== 'ok' || l === null) return;
  try {
    const put = await p.op({ f: 'put', key, value: { lease: String(l.id), value: 1 } }, async () => {
      const r = await c.put(key, '1', { lease: l.id, timeoutMs: ctx.opTimeoutMs, retries: writeRetries });
      return { type: 'ok', value: { lease: String(l.id), value: 1 }, node: nodeName(ctx, r.header.memberId) };
    });
    if (put.type === 'fail') return;
    for (let i = 0; i < renewals && !ctx.signal.aborted; i++) {
      await sleep((l.ttl * 1000) / 3);
      await p.op({ f: 'keepalive', key, value: String(l.id) }, async () => {
        const r = await l.keepAliveOnce();
        return { type: 'ok', value: { ttl: r.ttl } };
      }, true);
    }
    // Renewals stopped: the key must outlive the last renewal by TTL, then disappear.
    for (let i = 0; i < READS_AFTER_STOP_MAX && !ctx.signal.aborted; i++) {
      await sleep(READ_INTERVAL_MS, ctx.signal);
      await sleep(limiter.reserve(performance.now()), ctx.signal);
      const r = await p.op({ f: 'read', key, value: null }, async () => {
        const got = await c.get(key, { timeoutMs: ctx.opTimeoutMs });
        const kv = got.kvs[0];
        return { type: 'ok', value: kv === undefined ? null : Number(text(kv.value)), node: nodeName(ctx, got.header.memberId) };
      });
      if (r.type === 'ok' && r.value === null) break;
    }
  } finally {
    l.close();
  }
}
