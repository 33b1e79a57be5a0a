// Watch workload. Writers put unique values to (and sometimes delete) keys under w/; watchers
// watch the prefix, of two kinds. A member watcher (even index) holds a one-member client: at
// random moments it disconnects (cancels its watch and closes its client) and resumes on
// another member from its last revision + 1, recorded as a new segment, so the harness does the
// resume. A failover watcher (odd index) holds one client over every endpoint, its list
// starting at the segment's member: when that member's link dies (a client-partition cut, a
// reset) the client fails over and resumes the watch itself, inside the segment, so a resume
// that skips or repeats events is a gap or duplicate there. It too moves on its own timer (a
// new client starting at a random member), so later cuts of one member meet failover watchers
// again rather than only the first cut. Its segments name no member (the one serving it can
// change without the harness seeing). After the writers stop, every watcher must converge: it
// keeps watching (asking for progress notifications) until it has vouched for the final revision.
// Then the store's whole event history is read with one watch from revision 1 (final-history).
// A watch refused as compacted restarts at the compact revision (events before it are
// legitimately gone); if the final history itself is compacted it is not recorded and the
// watch checker can only cross-check watchers (verdict at best unknown).
// Checkers: watch (gap-free, duplicate-free, ordered slices of the global history), liveness.

import { isKiteError, type KiteClient, type Watch, type WatchBatch } from '@kite/client';
import { checkLiveness, checkWatch, globalHistoryFromObservations, watchersFromObservations, watchEvidence, type CheckResult } from '../checkers/index.js';
import type { Json } from '../history/index.js';
import { monotonicMs, sleep } from '../util/time.js';
import type { CheckInputs, Workload, WorkloadContext } from './types.js';
import { nodeName, runOpLoops, type PlannedOp } from './workers.js';

const PREFIX = 'w/';
export const WATCH_KEYS = 10;
/** Watchers disconnect on their own after a random time in this range (ms). */
const RECONNECT_AFTER_MS: readonly [number, number] = [1_000, 5_000];
/** How long a watcher may take to reach the final revision after the writers stop. */
export const CONVERGE_MS_MAX = 20_000;
const PROGRESS_POLL_MS = 300;

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

interface WatcherState {
  readonly id: string;
  /** Watches through an all-endpoint client whose own failover and resume run (see header). */
  readonly failover: boolean;
  lastRevision: number;
  /** A progress notification at or past the target was received (the watcher vouched for it). */
  vouched: boolean;
  done: boolean;
  target: number;
  task: Promise<void>;
  watch: Watch | null;
}

function batchJson(b: WatchBatch): Json {
  return {
    headerRevision: b.progress ? b.revision : b.header.revision,
    events: b.events.map((e) => ({
      type: e.type, key: text(e.kv.key), value: e.type === 'put' ? text(e.kv.value) : null, modRevision: e.kv.modRevision,
    })),
    ...(b.progress ? { progress: true } : {}),
  };
}

async function nodeClient(ctx: WorkloadContext, node: string): Promise<KiteClient> {
  return ctx.cluster.connect({ endpoints: [ctx.cluster.workloadUrl(node)], preferLeader: false, timeoutMs: ctx.opTimeoutMs, mutant: ctx.clientMutant });
}

/**
 * A client over every member's workload link, first trying `first` (so failover watchers spread
 * over the members instead of all starting on one) and staying where it connects (no move to
 * the leader): a fault on any member's client links then meets some failover watcher.
 */
async function failoverClient(ctx: WorkloadContext, first: string): Promise<KiteClient> {
  const names = ctx.cluster.names;
  const at = names.indexOf(first);
  const ordered = [...names.slice(at), ...names.slice(0, at)];
  return ctx.cluster.connect({ endpoints: ordered.map((n) => ctx.cluster.workloadUrl(n)), preferLeader: false, timeoutMs: ctx.opTimeoutMs, mutant: ctx.clientMutant });
}

/** Where a segment is watched: its member, or none for a failover watcher (see header). */
const segmentNode = (w: WatcherState, node: string): { node?: string } => (w.failover ? {} : { node });

/**
 * The reference: one watch from revision 1 over every endpoint, started before the writers,
 * whose events become the final global history (a watch from revision 1 after the run would
 * fail once the compact nemesis has compacted). If it is compacted itself, the runner falls
 * back to a watch from revision 1 at the end.
 */
class ReferenceWatch {
  readonly events: Json[] = [];
  lastRevision = 0;
  broken: string | null = null;
  private readonly client: Promise<KiteClient>;
  private watch: Watch | null = null;
  readonly task: Promise<void>;

  constructor(ctx: WorkloadContext) {
    this.client = ctx.cluster.connect({ endpoints: ctx.cluster.endpoints(), timeoutMs: 5_000 });
    this.task = this.run();
  }

  private async run(): Promise<void> {
    try {
      const c = await this.client;
      this.watch = c.watch(PREFIX, { prefix: true, startRevision: 1 });
      for await (const b of this.watch) {
        for (const e of b.events) {
          this.events.push({ revision: e.kv.modRevision, key: text(e.kv.key), type: e.type, value: e.type === 'put' ? text(e.kv.value) : null });
        }
        this.lastRevision = Math.max(this.lastRevision, b.revision);
      }
    } catch (err) {
      this.broken = (err as Error).message;
    }
  }

  requestProgress(): void {
    void this.watch?.requestProgress().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.watch?.cancel();
    await this.task;
    (await this.client.catch(() => null))?.close();
  }
}

export function watchWorkload(writeRetries: number): Workload {
  const watchers: WatcherState[] = [];
  let stopWatchers = new AbortController();
  let reference: ReferenceWatch | null = null;

  async function watcherLoop(ctx: WorkloadContext, w: WatcherState, first: number, startRevision: number): Promise<void> {
    const rng = ctx.rng.fork(w.id);
    const names = ctx.cluster.names;
    let node = names[first % names.length] as string;
    let start = startRevision;
    w.lastRevision = Math.max(w.lastRevision, startRevision - 1);
    ctx.recorder.observe(w.id, 'watch-start', { startRevision: start, prefix: true, ...segmentNode(w, node) }, PREFIX);
    while (!stopWatchers.signal.aborted) {
      let client: KiteClient | null = null;
      const segmentEnd = new AbortController();
      const timer = setTimeout(() => segmentEnd.abort(), rng.between(...RECONNECT_AFTER_MS));
      const stopSub = (): void => segmentEnd.abort();
      stopWatchers.signal.addEventListener('abort', stopSub, { once: true });
      try {
        client = await (w.failover ? failoverClient(ctx, node) : nodeClient(ctx, node));
        const watch = client.watch(PREFIX, { prefix: true, startRevision: start, signal: segmentEnd.signal });
        w.watch = watch;
        for await (const b of watch) {
          ctx.recorder.observe(w.id, 'watch-batch', batchJson(b));
          w.lastRevision = Math.max(w.lastRevision, b.revision);
          if (w.done && b.progress && b.revision >= w.target) w.vouched = true;
          if (w.vouched) break;
        }
      } catch (err) {
        if (isKiteError(err, 'Compacted')) {
          const compactRevision = Number(err.details['compactRevision'] ?? start);
          ctx.recorder.observe(w.id, 'watch-batch', { headerRevision: compactRevision, events: [], compactRevision, canceled: true });
          w.lastRevision = Math.max(w.lastRevision, compactRevision - 1);
        }
        // Other errors (member down, connect refused): resume below, elsewhere.
      } finally {
        clearTimeout(timer);
        stopWatchers.signal.removeEventListener('abort', stopSub);
        w.watch = null;
        client?.close();
      }
      if (stopWatchers.signal.aborted || w.vouched) break;
      node = rng.pick(names);
      start = w.lastRevision + 1;
      ctx.recorder.observe(w.id, 'watch-resume', { startRevision: start, ...segmentNode(w, node) });
      await sleep(rng.between(0, 200), stopWatchers.signal);
    }
  }

  return {
    name: 'watch',
    async run(ctx: WorkloadContext): Promise<void> {
      stopWatchers = new AbortController();
      reference = new ReferenceWatch(ctx);
      const admin = await ctx.cluster.adminClient();
      const now = (await admin.get(PREFIX, { prefix: true, countOnly: true })).header.revision;
      const count = Math.max(3, ctx.concurrency);
      for (let i = 0; i < count; i++) {
        const w: WatcherState = { id: `watcher-${i}`, failover: i % 2 === 1, lastRevision: 0, vouched: false, done: false, target: Number.MAX_SAFE_INTEGER, task: Promise.resolve(), watch: null };
        w.task = watcherLoop(ctx, w, i, i === 0 ? 1 : now + 1).catch((err: unknown) => {
          // The harness lost this watcher, not the server: it ends here, owed nothing more.
          ctx.recorder.observe(w.id, 'watch-end', { reason: `harness error: ${(err as Error).message.slice(0, 200)}` });
          ctx.log(`${w.id} failed: ${(err as Error).message}`);
        });
        watchers.push(w);
      }
      const rng = ctx.rng.fork('watch-writers');
      let nextValue = 1;
      const writers = Math.max(1, Math.floor(ctx.concurrency / 2));
      const next = (): PlannedOp => {
        const key = `${PREFIX}${rng.int(WATCH_KEYS)}`;
        return rng.chance(0.1) ? { f: 'delete', key, value: null } : { f: 'put', key, value: nextValue++ };
      };
      await runOpLoops(ctx, writers, next, async (wi, op) => {
        const c = await ctx.clientFor(wi);
        const opts = { timeoutMs: ctx.opTimeoutMs, retries: writeRetries };
        if (op.f === 'delete') {
          const r = await c.delete(op.key as string, opts);
          return { type: 'ok', value: r.deleted, node: nodeName(ctx, r.header.memberId), revision: r.header.revision };
        }
        const r = await c.put(op.key as string, String(op.value), opts);
        return { type: 'ok', value: op.value, node: nodeName(ctx, r.header.memberId), revision: r.header.revision };
      });
    },

    async finalReads(ctx: WorkloadContext): Promise<void> {
      const admin = await ctx.cluster.adminClient();
      const target = (await admin.get(PREFIX, { prefix: true, countOnly: true, timeoutMs: 5_000 })).header.revision;
      const deadline = monotonicMs() + CONVERGE_MS_MAX;
      for (const w of watchers) {
        w.target = target;
        w.done = true;
      }
      // Each watcher ends with a progress notification at or past the target revision, so
      // the gap check covers the whole run.
      const ref = reference;
      const refBehind = (): boolean => ref !== null && ref.broken === null && ref.lastRevision < target;
      while (monotonicMs() < deadline && (watchers.some((w) => !w.vouched) || refBehind())) {
        for (const w of watchers) if (!w.vouched) void w.watch?.requestProgress().catch(() => undefined);
        if (refBehind()) ref?.requestProgress();
        await sleep(PROGRESS_POLL_MS);
      }
      const lagging = watchers.filter((w) => !w.vouched).map((w) => `${w.id}@${w.lastRevision}`);
      if (lagging.length > 0) ctx.log(`watchers short of revision ${target}: ${lagging.join(' ')}`);
      stopWatchers.abort();
      await Promise.all(watchers.map((w) => w.task));
      await ref?.close();
      if (ref !== null && ref.broken === null && ref.lastRevision >= target) {
        ctx.recorder.observe('final', 'final-history', { events: ref.events.filter((e) => (e as { revision: number }).revision <= target) });
      } else {
        ctx.log(`reference watch unusable (${ref?.broken ?? `at ${ref?.lastRevision ?? 0} < ${target}`}); reading the history from revision 1`);
        await recordGlobalHistory(ctx, target);
      }
    },

    check({ history, recoveryBoundMs, endTimeNs }: CheckInputs): CheckResult[] {
      return [
        checkWatch(watchersFromObservations(history.observations), globalHistoryFromObservations(history.observations), watchEvidence(history.operations, history.nemesis)),
        checkLiveness(history.operations, history.nemesis, { bound: { recoveryBoundMs }, endTime: endTimeNs, writeFs: ['put', 'delete'] }),
      ];
    },
  };
}

/** Every event from revision 1 to `target`, from one watch on the leader's link. */
async function recordGlobalHistory(ctx: WorkloadContext, target: number): Promise<void> {
  const c = await ctx.cluster.connect({ endpoints: ctx.cluster.endpoints(), timeoutMs: 5_000 });
  const events: Json[] = [];
  const watch = c.watch(PREFIX, { prefix: true, startRevision: 1 });
  const poll = setInterval(() => void watch.requestProgress().catch(() => undefined), PROGRESS_POLL_MS);
  const deadline = setTimeout(() => watch.cancel(), CONVERGE_MS_MAX);
  let last = 0;
  try {
    for await (const b of watch) {
      for (const e of b.events) {
        events.push({ revision: e.kv.modRevision, key: text(e.kv.key), type: e.type, value: e.type === 'put' ? text(e.kv.value) : null });
      }
      last = Math.max(last, b.revision);
      if (last >= target) break;
    }
    if (last >= target) ctx.recorder.observe('final', 'final-history', { events: events.filter((e) => ((e as { revision: number }).revision <= target)) });
    else ctx.log(`final history stopped at revision ${last} < ${target}; not recorded`);
  } catch (err) {
    ctx.log(`final history not recorded: ${(err as Error).message}`);
  } finally {
    clearInterval(poll);
    clearTimeout(deadline);
    watch.cancel();
    c.close();
  }
}
