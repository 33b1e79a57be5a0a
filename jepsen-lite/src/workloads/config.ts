// Config workload: one app of the configuration center (@kite/config) under faults.
// - One admin client process does releases, gray start / promote / abort and rollbacks of the
//   app, one at a time; each op carries a unique message (`op-<n>`), which the release record it
//   creates keeps, and every release sets every key to a value naming its op, so keys of two
//   releases in one snapshot are visible in the content hash.
// - INSTANCES_PER_MEMBER SDK instances per member, pinned to that member (two share one client,
//   as instances in one process do), with labels that the gray rules select on. Every snapshot
//   an instance applies is recorded (config-apply: release number + content hash).
// - At the end (cluster healed) the admin finishes any gray release and publishes a final
//   release; every instance gets CONVERGE_MS_MAX to apply it; then the head, every release
//   record and the instance list are recorded (final-read, key `config`).
// Checker: config (config-check.ts): no mixed, mislabelled or unknown snapshot applied; every
// instance converges to the final release; release records match what the admin was told.

import { createHash } from 'node:crypto';
import { createClient, isKiteError, type KiteClient } from '@kite/client';
import { ConfigAdmin, ConfigInstance, isConfigError, type Content, type GrayRule, type ReleaseRecord } from '@kite/config';
import type { CheckResult } from '../checkers/index.js';
import { canonicalJson } from '../checkers/result.js';
import type { Json } from '../history/index.js';
import type { Completion } from '../run/recorder.js';
import { monotonicMs, sleep } from '../util/time.js';
import { checkConfig } from './config-check.js';
import type { CheckInputs, Workload, WorkloadContext } from './types.js';
import { classifyError, RateLimiter, WorkerProcess } from './workers.js';

export const CONFIG_APP = { namespace: 'jepsen', app: 'config' } as const;
const KEYS = ['a', 'b', 'c'] as const;
export const INSTANCES_PER_MEMBER = 2;
/** Admin ops per second at most (each release is four txns: three draft edits and the release). */
const ADMIN_RATE_HZ_MAX = 4;
/** How long the instances get to apply the final release after it is published. */
export const CONVERGE_MS_MAX = 20_000;
/** Attempts of the end-of-run admin ops (finish gray, final release) on the healed cluster. */
const FINAL_ATTEMPTS_MAX = 20;
const START_RETRY_MS = 300;
const POLL_MS = 100;
const AUTHOR = 'jepsen-lite';

type AdminF = 'release' | 'gray-start' | 'rollback' | 'gray-promote' | 'gray-abort';

/** sha-256 (hex, 16 digits) of a release content's canonical JSON: what the checker compares. */
export function contentHash(content: Content): string {
  return createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 16);
}

interface InstanceSlot {
  readonly id: string;
  readonly client: KiteClient;
  readonly labels: Readonly<Record<string, string>>;
  current: ConfigInstance | null;
  task: Promise<void>;
}

/** How an admin call ended: a ConfigError is a guard that refused (nothing written). */
function adminFailure(err: unknown): Completion {
  if (isConfigError(err)) return { type: 'fail', value: null, error: `${err.code}: ${err.message.slice(0, 200)}` };
  return classifyError(err, false);
}

export function configWorkload(): Workload {
  const slots: InstanceSlot[] = [];
  const clients: KiteClient[] = [];
  let stopInstances = new AbortController();
  let nextOp = 0;
  /** Releases the admin knows exist (targets for rollback). */
  const known: number[] = [];
  let gray = false;
  let adminProcess: WorkerProcess | null = null;

  const creating = async (admin: ConfigAdmin, f: AdminF, message: string, rule: GrayRule | null, to: number): Promise<ReleaseRecord> => {
    if (f === 'rollback') return admin.rollback({ to, message, author: AUTHOR });
    for (const k of KEYS) await admin.set(k, { type: 'text', text: `${k}:${message}` });
    if (f === 'gray-start' && rule !== null) return admin.grayStart({ message, author: AUTHOR, rule });
    return admin.publish({ message, author: AUTHOR });
  };

  /** One admin op, recorded; returns whether it succeeded. */
  const adminOp = async (ctx: WorkloadContext, admin: ConfigAdmin, f: AdminF, rng = ctx.rng.fork(`admin-${nextOp}`)): Promise<boolean> => {
    const message = `op-${nextOp++}`;
    const rule: GrayRule | null = f !== 'gray-start' ? null : rng.pick<GrayRule>([
      { kind: 'labels', labels: { zone: 'a' } },
      { kind: 'percentage', percent: 50 },
      { kind: 'instances', ids: slots.filter((_, i) => i % 3 === 0).map((s) => s.id) },
    ]);
    const to = f === 'rollback' && known.length > 0 ? rng.pick(known) : 0;
    const invokeValue: Json = { message, ...(rule !== null ? { rule: rule as unknown as Json } : {}), ...(f === 'rollback' ? { to } : {}) };
    const p = (adminProcess ??= new WorkerProcess(ctx, 0, 1));
    const done = await p.op({ f, value: invokeValue }, async () => {
      try {
        if (f === 'gray-promote' || f === 'gray-abort') {
          const head = f === 'gray-promote' ? await admin.grayPromote({ author: AUTHOR }) : await admin.grayAbort({ author: AUTHOR });
          return { type: 'ok', value: { release: head.release } };
        }
        const rec = await creating(admin, f, message, rule, to);
        return { type: 'ok', value: { release: rec.number, hash: contentHash(rec.content) } };
      } catch (err) {
        return adminFailure(err);
      }
    });
    if (done.type === 'ok') {
      const v = done.value as { release: number };
      if (f !== 'gray-promote' && f !== 'gray-abort') known.push(v.release);
      gray = f === 'gray-start';
    } else if (done.type === 'fail' && /GrayInProgress/.test(done.error ?? '')) {
      gray = true;
    } else if (done.type === 'fail' && /NoGrayRelease/.test(done.error ?? '')) {
      gray = false;
    }
    return done.type === 'ok';
  };

  const nextAdminF = (ctx: WorkloadContext): AdminF => {
    const rng = ctx.rng.fork(`pick-${nextOp}`);
    if (gray) return rng.chance(0.6) ? 'gray-promote' : 'gray-abort';
    const u = rng.int(10);
    return u < 5 ? 'release' : u < 8 ? 'gray-start' : known.length > 0 ? 'rollback' : 'release';
  };

  /** Starts the instance (a fresh one per attempt: a start with no member answering fails) and records its applies. */
  const runInstance = async (ctx: WorkloadContext, slot: InstanceSlot): Promise<void> => {
    const client = slot.client;
    while (!stopInstances.signal.aborted) {
      const inst = new ConfigInstance(client, {
        ...CONFIG_APP, instanceId: slot.id, labels: slot.labels, initialTimeoutMs: ctx.opTimeoutMs, onWarning: () => undefined,
      });
      inst.onChange(({ snapshot }) => {
        ctx.recorder.observe(slot.id, 'config-apply', { release: snapshot.release, hash: contentHash(snapshot.values), revision: snapshot.revision, stale: snapshot.stale });
      });
      try {
        await inst.start();
        slot.current = inst;
        return;
      } catch {
        await inst.close();
        await sleep(START_RETRY_MS, stopInstances.signal);
      }
    }
  };

  return {
    name: 'config',
    async run(ctx: WorkloadContext): Promise<void> {
      stopInstances = new AbortController();
      const admin = new ConfigAdmin(await ctx.clientFor(0), CONFIG_APP);
      // Release 1 exists before any instance starts (an instance needs a release to apply).
      while (!ctx.signal.aborted && !(await adminOp(ctx, admin, 'release'))) await sleep(START_RETRY_MS, ctx.signal);
      const names = ctx.cluster.names;
      for (const [m, node] of names.entries()) {
        // createClient: no wait for the member (it may be down); the instances retry their start.
        const client = createClient({ endpoints: [ctx.cluster.workloadUrl(node)], preferLeader: false, timeoutMs: ctx.opTimeoutMs });
        clients.push(client);
        for (let j = 0; j < INSTANCES_PER_MEMBER; j++) {
          const i = m * INSTANCES_PER_MEMBER + j;
          const slot: InstanceSlot = { id: `inst-${i}`, client, labels: { zone: i % 2 === 0 ? 'a' : 'b', member: node }, current: null, task: Promise.resolve() };
          slot.task = runInstance(ctx, slot).catch((err: unknown) => ctx.log(`${slot.id} failed: ${(err as Error).message}`));
          slots.push(slot);
        }
      }
      const limiter = new RateLimiter(Math.min(ctx.rateHz, ADMIN_RATE_HZ_MAX));
      while (!ctx.signal.aborted) {
        await sleep(limiter.reserve(performance.now()), ctx.signal);
        if (ctx.signal.aborted) break;
        await adminOp(ctx, admin, nextAdminF(ctx));
      }
    },

    async finalReads(ctx: WorkloadContext): Promise<void> {
      const admin = new ConfigAdmin(await ctx.clientFor(0), CONFIG_APP);
      // Finish any gray release (the admin may not know: an op may have been indeterminate),
      // then publish the release every instance must converge to.
      let final = 0;
      for (let attempt = 0; attempt < FINAL_ATTEMPTS_MAX && final === 0; attempt++) {
        const head = (await admin.state().catch(() => null))?.head;
        if (head === undefined) {
          await sleep(START_RETRY_MS);
          continue;
        }
        if (head.gray !== null) {
          await adminOp(ctx, admin, 'gray-promote');
          continue;
        }
        if (await adminOp(ctx, admin, 'release')) final = known[known.length - 1] ?? 0;
        else await sleep(START_RETRY_MS);
      }
      const deadline = monotonicMs() + CONVERGE_MS_MAX;
      while (monotonicMs() < deadline && slots.some((s) => s.current === null || s.current.release !== final || s.current.stale)) await sleep(POLL_MS);
      const lagging = slots.filter((s) => s.current?.release !== final).map((s) => `${s.id}@${s.current?.release ?? 'not started'}`);
      if (lagging.length > 0) ctx.log(`config instances short of release ${final}: ${lagging.join(' ')}`);
      stopInstances.abort();
      await Promise.all(slots.map((s) => s.task));
      try {
        const head = (await admin.state()).head;
        const releases = await admin.releases();
        ctx.recorder.observe('final', 'final-read', {
          head: { release: head.release, gray: head.gray === null ? null : head.gray.release },
          releases: releases.map((r) => ({ number: r.number, message: r.message, hash: contentHash(r.content) })),
          instances: slots.map((s) => s.id),
        }, 'config');
      } catch (err) {
        ctx.log(`config final read failed: ${isKiteError(err) ? err.code : ''} ${(err as Error).message}`);
      }
      await Promise.all(slots.map((s) => s.current?.close()));
      for (const c of clients) c.close();
    },

    check({ history }: CheckInputs): CheckResult[] {
      return [checkConfig(history.operations, history.observations)];
    },
  };
}
